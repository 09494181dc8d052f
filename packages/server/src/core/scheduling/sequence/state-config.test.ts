import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeConfig, parseModelConfigText } from '../../config/index.js';
import type { ModelConfig } from '../../config/model-config.js';
import { InferenceError } from '../../errors.js';
import { stateSpecsOf } from '../../config/sequence-states.js';
import { loadStateSpecs } from './state-config.js';

const IO = `input [ { name: "INPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "OUTPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]`;

function config(states: string, extra = '', maxBatch = 4): ModelConfig {
  const text = `name: "acc"\nbackend: "js"\nmax_batch_size: ${maxBatch}\n${IO}\n${extra}\nsequence_batching { state [ ${states} ] }`;
  return normalizeConfig(parseModelConfigText(text, 'config.pbtxt'), { modelName: 'acc' });
}

const ST = (more = '', dims = '[ -1 ]', type = 'TYPE_INT32'): string =>
  `{ input_name: "IN_STATE" output_name: "OUT_STATE" data_type: ${type} dims: ${dims} ${more} }`;

function refuses(fn: () => unknown, pattern: RegExp, code = 'INVALID_ARG'): void {
  assert.throws(fn, (e: unknown) => e instanceof InferenceError && e.code === code && pattern.test(e.message));
}

describe('stateSpecsOf', () => {
  test('reads each state; a model without states has none', () => {
    assert.deepEqual(stateSpecsOf(config(ST())), [
      { inputName: 'IN_STATE', outputName: 'OUT_STATE', datatype: 'INT32', dims: [-1] },
    ]);
    const plain = normalizeConfig(parseModelConfigText(`name: "p"\nbackend: "js"\n${IO}`, 'c'), { modelName: 'p' });
    assert.deepEqual(stateSpecsOf(plain), []);
  });

  test('refuses state names that clash with inputs, controls or each other', () => {
    refuses(() => stateSpecsOf(config(ST().replace('IN_STATE', 'INPUT'))), /'INPUT' is also a config input/);
    refuses(
      () => stateSpecsOf(config(`${ST()}, ${ST().replace('OUT_STATE', 'O2')}`)),
      /input_name 'IN_STATE' is used by another state/,
    );
    refuses(
      () => stateSpecsOf(config(`${ST()}, ${ST().replace('IN_STATE', 'I2')}`)),
      /output_name 'OUT_STATE' is used by another state/,
    );
    refuses(
      () => stateSpecsOf(config('{ output_name: "O" data_type: TYPE_INT32 dims: [1] }')),
      /must have an input_name/,
    );
    refuses(
      () => stateSpecsOf(config('{ input_name: "I" data_type: TYPE_INT32 dims: [1] }')),
      /must have an output_name/,
    );
  });

  test('refuses a missing data_type, bad dims and growable memory', () => {
    refuses(() => stateSpecsOf(config('{ input_name: "I" output_name: "O" dims: [1] }')), /TYPE_INVALID/);
    refuses(() => stateSpecsOf(config(ST('', '[ 0 ]'))), /each dim must be a positive size or -1/);
    refuses(
      () => stateSpecsOf(config(ST('use_same_buffer_for_input_output: true use_growable_memory: true'))),
      /use_growable_memory/,
      'UNSUPPORTED',
    );
  });

  test('an output_name listed as a config output must match the state', () => {
    const specs = stateSpecsOf(config(ST('', '[ 1 ]').replace('OUT_STATE', 'OUTPUT')));
    assert.equal(specs[0]!.outputName, 'OUTPUT');
    refuses(
      () => stateSpecsOf(config(ST('', '[ 1 ]', 'TYPE_FP32').replace('OUT_STATE', 'OUTPUT'))),
      /'OUTPUT' is also a config output, with TYPE_INT32 \[1\] where the state has TYPE_FP32 \[1\]/,
    );
  });

  test("initial_state follows Triton's rules", () => {
    const init = (body: string, dims = '[ -1 ]'): ModelConfig => config(ST(`initial_state { ${body} }`, dims));
    assert.deepEqual(stateSpecsOf(init('data_type: TYPE_INT32 dims: [ 3 ] zero_data: true name: "z"'))[0]!.initial, {
      name: 'z',
      dims: [3],
      zeroData: true,
    });
    refuses(
      () => stateSpecsOf(init('data_type: TYPE_FP32 dims: [ 3 ] zero_data: true name: "z"')),
      /does not match the state data_type/,
    );
    refuses(() => stateSpecsOf(init('data_type: TYPE_INT32 dims: [ 3 ] zero_data: true')), /must have a 'name'/);
    refuses(
      () => stateSpecsOf(init('data_type: TYPE_INT32 dims: [ 3, 1 ] zero_data: true name: "z"')),
      /has 2 dim\(s\) but the state has 1/,
    );
    refuses(
      () => stateSpecsOf(init('data_type: TYPE_INT32 dims: [ -1 ] zero_data: true name: "z"')),
      /contain a variable dimension/,
    );
    refuses(
      () => stateSpecsOf(init('data_type: TYPE_INT32 dims: [ 3 ] zero_data: true name: "z"', '[ 2 ]')),
      /do not match the state dims \[2\]/,
    );
    refuses(() => stateSpecsOf(init('data_type: TYPE_INT32 dims: [ 3 ] name: "z"')), /zero_data: true or a data_file/);
    refuses(
      () =>
        stateSpecsOf(
          config(
            ST(
              'initial_state [ { data_type: TYPE_INT32 dims: [ 1 ] zero_data: true name: "a" }, { data_type: TYPE_INT32 dims: [ 1 ] zero_data: true name: "b" } ]',
            ),
          ),
        ),
      /exactly one or zero element, found 2/,
    );
  });
});

describe('loadStateSpecs', () => {
  test('initial values: zeros in the state dims (-1 as 1, batch dim 1), zero_data, data files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'state-config-'));
    try {
      const [plain] = await loadStateSpecs(config(ST('', '[ -1, 2 ]')), dir);
      assert.deepEqual(plain!.initialShape, [1, 1, 2]);
      assert.deepEqual([...plain!.initialData], new Array(8).fill(0));
      const [unbatched] = await loadStateSpecs(config(ST('', '[ 3 ]'), '', 0), dir);
      assert.deepEqual(unbatched!.initialShape, [3]);

      await mkdir(join(dir, 'initial_state'));
      await writeFile(join(dir, 'initial_state', 'init.bin'), new Uint8Array(new Int32Array([7, 8, 9]).buffer));
      const [fromFile] = await loadStateSpecs(
        config(ST('initial_state { data_type: TYPE_INT32 dims: [ 2 ] data_file: "init.bin" name: "f" }')),
        dir,
      );
      assert.deepEqual(fromFile!.initialShape, [1, 2]);
      // The first bytes the dims need, as in Triton.
      assert.deepEqual([...new Int32Array(fromFile!.initialData.slice().buffer)], [7, 8]);
      await assert.rejects(
        loadStateSpecs(
          config(ST('initial_state { data_type: TYPE_INT32 dims: [ 4 ] data_file: "init.bin" name: "f" }')),
          dir,
        ),
        /expects 16 bytes, but the data_file 'init.bin' has only 12/,
      );
      await assert.rejects(
        loadStateSpecs(
          config(ST('initial_state { data_type: TYPE_INT32 dims: [ 1 ] data_file: "absent.bin" name: "f" }')),
          dir,
        ),
        /cannot read initial_state data_file/,
      );
      const strings = new Uint8Array([2, 0, 0, 0, 104, 105, 0, 0, 0, 0]);
      await writeFile(join(dir, 'initial_state', 'strings.bin'), strings);
      const [text] = await loadStateSpecs(
        config(
          ST(
            'initial_state { data_type: TYPE_STRING dims: [ 2 ] data_file: "strings.bin" name: "s" }',
            '[ 2 ]',
            'TYPE_STRING',
          ),
        ),
        dir,
      );
      assert.deepEqual([...text!.initialData], [...strings]);
      const [emptyStrings] = await loadStateSpecs(config(ST('', '[ 2 ]', 'TYPE_STRING')), dir);
      assert.deepEqual([...emptyStrings!.initialData], new Array(8).fill(0));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a data_file is confined to the model folder', async () => {
    const root = await mkdtemp(join(tmpdir(), 'state-confined-'));
    try {
      const model = join(root, 'acc');
      await mkdir(join(model, 'initial_state'), { recursive: true });
      await writeFile(join(root, 'secret.bin'), new Uint8Array(64));
      await symlink(join(root, 'secret.bin'), join(model, 'initial_state', 'link.bin'));
      for (const file of ['../../secret.bin', join(root, 'secret.bin'), 'link.bin']) {
        await assert.rejects(
          loadStateSpecs(
            config(
              ST(`initial_state { data_type: TYPE_INT32 dims: [ 1 ] data_file: ${JSON.stringify(file)} name: "f" }`),
            ),
            model,
          ),
          (e: unknown) => e instanceof InferenceError && /resolves outside the model folder/.test(e.message),
        );
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
