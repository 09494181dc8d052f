import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendModel, ExecutionRequest } from '../../backend-api/backend.js';
import { normalizeConfig } from '../config/normalize-config.js';
import { parseModelConfigText } from '../config/pbtxt-to-object.js';
import type { ModelConfig } from '../config/model-config.js';
import { InferenceError } from '../errors.js';
import { buildWarmupSamples, warmUp } from './model-warmup.js';

const roots: string[] = [];
after(() => Promise.all(roots.map((r) => rm(r, { recursive: true, force: true }))));

const IO = `
  input [ { name: "A" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "S" data_type: TYPE_STRING dims: [ 2 ] } ]
  output [ { name: "O" data_type: TYPE_FP32 dims: [ 4 ] } ]`;

function config(text: string): ModelConfig {
  return normalizeConfig(parseModelConfigText(`name: "m"\nbackend: "js"\n${text}`, 'config.pbtxt'), { modelName: 'm' });
}

async function modelDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tg-warmup-'));
  roots.push(root);
  return root;
}

/** A model whose instances record every batch; `fail` makes them answer with an error. */
function recordingModel(
  instances: number,
  fail?: string,
): BackendModel & { batches: Array<[string, ExecutionRequest[]]> } {
  const batches: Array<[string, ExecutionRequest[]]> = [];
  return {
    batches,
    instances: Array.from({ length: instances }, (_, i) => ({
      name: `m_${i}`,
      execute(batch: readonly ExecutionRequest[]) {
        batches.push([`m_${i}`, [...batch]]);
        for (const r of batch)
          r.sender.send(fail ? { outputs: [], error: new InferenceError('INTERNAL', fail) } : { outputs: [] }, {
            final: true,
          });
        return Promise.resolve({ computeInputNs: 0, computeInferNs: 0, computeOutputNs: 0 });
      },
    })),
    unload: () => Promise.resolve(),
  };
}

describe('model warmup', () => {
  test('batch_size N runs N batch-1 requests in one execution, count times, on every instance', async () => {
    const cfg = config(`max_batch_size: 8${IO}
      model_warmup [ { name: "s" batch_size: 3 count: 2 inputs [
        { key: "A" value { data_type: TYPE_FP32 dims: [ 4 ] random_data: true } },
        { key: "S" value { data_type: TYPE_STRING dims: [ 2 ] zero_data: true } } ] } ]`);
    const samples = await buildWarmupSamples(cfg, await modelDir());
    const model = recordingModel(2);
    await warmUp(model, cfg, samples);
    assert.equal(model.batches.length, 4);
    assert.deepEqual(model.batches.map(([name]) => name).sort(), ['m_0', 'm_0', 'm_1', 'm_1']);
    for (const [, batch] of model.batches) {
      assert.equal(batch.length, 3);
      for (const r of batch) {
        const a = r.inputs.find((t) => t.name === 'A')!;
        assert.deepEqual(a.shape, [1, 4]);
        assert.equal(a.data.byteLength, 16);
        const floats = new Float32Array(a.data.slice().buffer);
        assert.ok(floats.every((f) => Number.isFinite(f) && f >= 0 && f <= 1));
        const s = r.inputs.find((t) => t.name === 'S')!;
        assert.deepEqual([...s.data], [0, 0, 0, 0, 0, 0, 0, 0], 'two empty BYTES elements');
        assert.deepEqual(r.requestedOutputs, ['O']);
      }
    }
  });

  test('batch_size 0 samples are skipped and count 0 runs once', async () => {
    const cfg = config(`max_batch_size: 8${IO}
      model_warmup [ { name: "skip" batch_size: 0 },
        { name: "once" batch_size: 1 inputs [ { key: "A" value { data_type: TYPE_FP32 dims: [ 4 ] zero_data: true } },
          { key: "S" value { data_type: TYPE_STRING dims: [ 2 ] zero_data: true } } ] } ]`);
    const samples = await buildWarmupSamples(cfg, await modelDir());
    assert.deepEqual(
      samples.map((s) => [s.name, s.count]),
      [['once', 1]],
    );
  });

  test('input_data_file is read from <model>/warmup and must hold enough bytes', async () => {
    const dir = await modelDir();
    await mkdir(join(dir, 'warmup'));
    await writeFile(join(dir, 'warmup', 'a.bin'), Buffer.from(new Float32Array([1, 2, 3, 4]).buffer));
    await writeFile(join(dir, 'warmup', 'short.bin'), Buffer.alloc(3));
    const sample = (file: string) =>
      config(`max_batch_size: 0${IO}
        model_warmup [ { name: "f" batch_size: 1 inputs [ { key: "A" value { data_type: TYPE_FP32 dims: [ 4 ] input_data_file: "${file}" } },
          { key: "S" value { data_type: TYPE_STRING dims: [ 2 ] zero_data: true } } ] } ]`);
    const [s] = await buildWarmupSamples(sample('a.bin'), dir);
    const a = s!.inputs.find((t) => t.name === 'A')!;
    assert.deepEqual(a.shape, [4], 'no batch dimension for a non-batching model');
    assert.deepEqual([...new Float32Array(a.data.slice().buffer)], [1, 2, 3, 4]);
    await assert.rejects(buildWarmupSamples(sample('short.bin'), dir), /needs 16 bytes but its data file has 3/);
    await assert.rejects(buildWarmupSamples(sample('../../etc/passwd'), dir), {
      code: 'INVALID_ARG',
      message: `input_data_file '../../etc/passwd' of model 'm' warmup sample 'f' input 'A' resolves outside the model folder '${dir}'`,
    });
    await assert.rejects(buildWarmupSamples(sample('/etc/passwd'), dir), /resolves outside the model folder/);
    await symlink('/etc/passwd', join(dir, 'warmup', 'link.bin'));
    await assert.rejects(
      buildWarmupSamples(sample('link.bin'), dir),
      /'link.bin' .* resolves outside the model folder/,
    );
    // Inside the model folder but beside the warmup folder: allowed, as every file the config names.
    await writeFile(join(dir, 'beside.bin'), Buffer.from(new Float32Array([5, 6, 7, 8]).buffer));
    const [beside] = await buildWarmupSamples(sample('../beside.bin'), dir);
    assert.deepEqual(
      [...new Float32Array(beside!.inputs.find((t) => t.name === 'A')!.data.slice().buffer)],
      [5, 6, 7, 8],
    );
    await assert.rejects(buildWarmupSamples(sample('missing.bin'), dir), /cannot read input_data_file/);
  });

  test('invalid samples name the sample and what is wrong', async () => {
    const dir = await modelDir();
    const bad = (warmup: string, mbs = 8) =>
      buildWarmupSamples(config(`max_batch_size: ${mbs}${IO}\nmodel_warmup [ ${warmup} ]`), dir);
    const a = `{ key: "A" value { data_type: TYPE_FP32 dims: [ 4 ] zero_data: true } }`;
    const s = `{ key: "S" value { data_type: TYPE_STRING dims: [ 2 ] zero_data: true } }`;
    await assert.rejects(
      bad(`{ name: "w" batch_size: 1 inputs [ ${a} ] }`),
      /warmup sample 'w': no data for input\(s\) 'S'/,
    );
    await assert.rejects(
      bad(
        `{ name: "w" batch_size: 1 inputs [ ${a}, ${s}, { key: "X" value { data_type: TYPE_FP32 dims: [ 1 ] zero_data: true } } ] }`,
      ),
      /the model has no input 'X'/,
    );
    await assert.rejects(
      bad(
        `{ name: "w" batch_size: 1 inputs [ { key: "A" value { data_type: TYPE_INT32 dims: [ 4 ] zero_data: true } }, ${s} ] }`,
      ),
      /input 'A' is TYPE_INT32 but the model expects TYPE_FP32/,
    );
    await assert.rejects(
      bad(
        `{ name: "w" batch_size: 1 inputs [ { key: "A" value { data_type: TYPE_FP32 dims: [ -1 ] zero_data: true } }, ${s} ] }`,
      ),
      /every variable-size dimension/,
    );
    await assert.rejects(
      bad(`{ name: "w" batch_size: 9 inputs [ ${a}, ${s} ] }`),
      /batch_size 9 exceeds max_batch_size 8/,
    );
    await assert.rejects(bad(`{ name: "w" batch_size: 2 inputs [ ${a}, ${s} ] }`, 0), /batch_size must be 1/);
    await assert.rejects(
      bad(`{ name: "w" batch_size: 1 inputs [ { key: "A" value { dims: [ 4 ] } }, ${s} ] }`),
      /needs zero_data/,
    );
  });

  test('a model that fails its warmup fails with the sample, instance and error', async () => {
    const cfg = config(`max_batch_size: 8${IO}
      model_warmup [ { name: "boom" batch_size: 1 inputs [ { key: "A" value { data_type: TYPE_FP32 dims: [ 4 ] zero_data: true } },
        { key: "S" value { data_type: TYPE_STRING dims: [ 2 ] zero_data: true } } ] } ]`);
    const samples = await buildWarmupSamples(cfg, await modelDir());
    await assert.rejects(
      warmUp(recordingModel(1, 'no weights'), cfg, samples),
      /model 'm' failed warmup sample 'boom' on instance m_0: no weights/,
    );
  });
});
