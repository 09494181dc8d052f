import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeElements } from '@tensorgate/protocol';
import type { BackendModel } from '../../backend-api/backend.js';
import { InferenceError } from '../../core/errors.js';
import { makeContext, makeRequest, output, tensor } from '../js/js-backend.test-helper.js';
import { createOnnxRuntimeBackend } from './ort-backend.js';
import { addSubOnnx, identityOnnx } from '@tensorgate/onnx-gen';
import { ortConfig, removeOnnxRepos, writeOnnx } from './ort.test-helper.js';

after(removeOnnxRepos);

const backend = createOnnxRuntimeBackend({
  restartDelayMs: () => 0,
  drainTimeoutMs: 2000,
  cudaSupport: () => ({ available: false, reason: 'no CUDA in this test' }),
});
const floats = (t: { data: Uint8Array }): number[] => decodeElements('FP32', t.data) as number[];

const addSubConfig = (name = 'add_sub', extra: Partial<Parameters<typeof ortConfig>[0]> = {}) =>
  ortConfig({
    name,
    maxBatchSize: 8,
    inputs: [
      ['A', 'TYPE_FP32', [4]],
      ['B', 'TYPE_FP32', [4]],
    ],
    outputs: [
      ['SUM', 'TYPE_FP32', [4]],
      ['DIFF', 'TYPE_FP32', [4]],
    ],
    ...extra,
  });

/** Rows 0..batch-1 of A hold `base + row*10 + col`, B holds 1s: SUM = A + 1, DIFF = A - 1. */
function rows(batch: number, base: number): number[] {
  const v: number[] = [];
  for (let r = 0; r < batch; r++) for (let c = 0; c < 4; c++) v.push(base + r * 10 + c);
  return v;
}

async function load(config = addSubConfig(), bytes: Uint8Array = addSubOnnx()): Promise<BackendModel> {
  const repo = await writeOnnx(config.name, bytes);
  return backend.loadModel(makeContext(repo, config));
}

describe('onnxruntime backend: execution', () => {
  test('a single request gets A+B and A-B', async () => {
    const model = await load();
    try {
      const req = makeRequest(
        [tensor('A', 'FP32', [1, 4], [1, 2, 3, 4]), tensor('B', 'FP32', [1, 4], [10, 20, 30, 40])],
        ['SUM', 'DIFF'],
      );
      await model.instances[0]!.execute([req]);
      const res = req.sender.single;
      assert.deepEqual(floats(output(res, 'SUM')), [11, 22, 33, 44]);
      assert.deepEqual(floats(output(res, 'DIFF')), [-9, -18, -27, -36]);
      assert.deepEqual(output(res, 'SUM').shape, [1, 4]);
    } finally {
      await model.unload();
    }
  });

  test('one execute call with requests of batch sizes 1, 3 and 2: each gets exactly its own rows', async () => {
    const model = await load();
    try {
      const sizes = [1, 3, 2];
      const reqs = sizes.map((b, i) =>
        makeRequest(
          [tensor('A', 'FP32', [b, 4], rows(b, (i + 1) * 100)), tensor('B', 'FP32', [b, 4], new Array(b * 4).fill(1))],
          i === 1 ? ['DIFF'] : ['SUM', 'DIFF'],
          { batchSize: b },
        ),
      );
      await model.instances[0]!.execute(reqs);
      reqs.forEach((req, i) => {
        const res = req.sender.single;
        const a = rows(sizes[i]!, (i + 1) * 100);
        assert.deepEqual(output(res, 'DIFF').shape, [sizes[i], 4]);
        assert.deepEqual(
          floats(output(res, 'DIFF')),
          a.map((x) => x - 1),
        );
        if (i === 1)
          assert.deepEqual(
            res.outputs.map((o) => o.name),
            ['DIFF'],
            'only the requested output',
          );
        else
          assert.deepEqual(
            floats(output(res, 'SUM')),
            a.map((x) => x + 1),
          );
      });
    } finally {
      await model.unload();
    }
  });

  test('requests whose non-batch dims differ run separately in one execute call', async () => {
    const config = ortConfig({
      name: 'add_sub_var',
      maxBatchSize: 8,
      inputs: [
        ['A', 'TYPE_FP32', [-1]],
        ['B', 'TYPE_FP32', [-1]],
      ],
      outputs: [
        ['SUM', 'TYPE_FP32', [-1]],
        ['DIFF', 'TYPE_FP32', [-1]],
      ],
    });
    const model = await load(config, addSubOnnx('n'));
    try {
      const r1 = makeRequest([tensor('A', 'FP32', [1, 2], [1, 2]), tensor('B', 'FP32', [1, 2], [1, 1])], ['SUM']);
      const r2 = makeRequest(
        [tensor('A', 'FP32', [2, 3], [1, 2, 3, 4, 5, 6]), tensor('B', 'FP32', [2, 3], [1, 1, 1, 1, 1, 1])],
        ['SUM'],
        { batchSize: 2 },
      );
      await model.instances[0]!.execute([r1, r2]);
      assert.deepEqual(floats(output(r1.sender.single, 'SUM')), [2, 3]);
      assert.deepEqual(output(r2.sender.single, 'SUM').shape, [2, 3]);
      assert.deepEqual(floats(output(r2.sender.single, 'SUM')), [2, 3, 4, 5, 6, 7]);
    } finally {
      await model.unload();
    }
  });

  test('a request cancelled before execution is answered CANCELLED, the others run', async () => {
    const model = await load();
    try {
      const ac = new AbortController();
      ac.abort();
      const a = makeRequest(
        [tensor('A', 'FP32', [1, 4], [1, 1, 1, 1]), tensor('B', 'FP32', [1, 4], [1, 1, 1, 1])],
        ['SUM'],
      );
      const b = makeRequest(
        [tensor('A', 'FP32', [1, 4], [1, 1, 1, 1]), tensor('B', 'FP32', [1, 4], [1, 1, 1, 1])],
        ['SUM'],
        {
          signal: ac.signal,
        },
      );
      await model.instances[0]!.execute([a, b]);
      assert.deepEqual(floats(output(a.sender.single, 'SUM')), [2, 2, 2, 2]);
      assert.equal(b.sender.single.error?.code, 'CANCELLED');
    } finally {
      await model.unload();
    }
  });

  test('two instances of one group each run the model', async () => {
    const model = await load(addSubConfig('add_sub_two', { instanceGroups: [{ kind: 'KIND_CPU', count: 2 }] }));
    try {
      assert.deepEqual(
        model.instances.map((i) => i.name),
        ['add_sub_two_0_0', 'add_sub_two_0_1'],
      );
      for (const inst of model.instances) {
        const req = makeRequest(
          [tensor('A', 'FP32', [1, 4], [1, 2, 3, 4]), tensor('B', 'FP32', [1, 4], [1, 1, 1, 1])],
          ['SUM'],
        );
        await inst.execute([req]);
        assert.deepEqual(floats(output(req.sender.single, 'SUM')), [2, 3, 4, 5]);
      }
    } finally {
      await model.unload();
    }
  });
});

describe('onnxruntime backend: load errors', () => {
  const loadError = async (
    config: ReturnType<typeof ortConfig>,
    bytes: Uint8Array | string | undefined,
  ): Promise<InferenceError> => {
    const repo =
      bytes === undefined
        ? await writeOnnx(config.name, 'x', { file: 'other.bin' })
        : await writeOnnx(config.name, bytes);
    try {
      const model = await backend.loadModel(makeContext(repo, config));
      await model.unload();
    } catch (err) {
      assert.ok(err instanceof InferenceError, String(err));
      return err;
    }
    throw new Error('load unexpectedly succeeded');
  };

  test('a missing model file names the expected path', async () => {
    const err = await loadError(addSubConfig('missing'), undefined);
    assert.equal(err.code, 'INVALID_ARG');
    assert.match(
      err.message,
      /failed to load model 'missing' version 1: .*no ONNX model file, expected .*missing\/1\/model\.onnx/,
    );
  });

  test('a corrupt model file fails the load before ORT opens it: protobuf parsing failed', async () => {
    // The external-data scan (external-data.ts) parses the file first and refuses what is not protobuf.
    const err = await loadError(addSubConfig('corrupt'), 'this is not protobuf');
    assert.equal(err.code, 'INVALID_ARG');
    assert.match(
      err.message,
      /failed to load model 'corrupt': .*model\.onnx is not a valid ONNX model: protobuf parsing failed \(wire type 4\)/,
    );
  });

  test('default_model_filename is honoured', async () => {
    const config = addSubConfig('named', { defaultModelFilename: 'net.onnx' });
    const repo = await writeOnnx('named', addSubOnnx(), { file: 'net.onnx' });
    const model = await backend.loadModel(makeContext(repo, config));
    await model.unload();
    const missing = await loadError(addSubConfig('named2', { defaultModelFilename: 'net.onnx' }), addSubOnnx());
    assert.match(missing.message, /expected .*named2\/1\/net\.onnx \(default_model_filename\)/);
  });

  test('KIND_GPU without the CUDA provider says how to install it', async () => {
    const err = await loadError(
      addSubConfig('gpu', { instanceGroups: [{ kind: 'KIND_GPU', count: 1, gpus: [0] }] }),
      addSubOnnx(),
    );
    assert.equal(err.code, 'INVALID_ARG');
    assert.match(
      err.message,
      /KIND_GPU.*CUDA execution provider is not available.*ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install.js/,
    );
  });

  test('KIND_AUTO falls back to CPU without CUDA', async () => {
    const model = await load(addSubConfig('auto', { instanceGroups: [{ kind: 'KIND_AUTO', count: 1 }] }));
    try {
      const req = makeRequest(
        [tensor('A', 'FP32', [1, 4], [1, 2, 3, 4]), tensor('B', 'FP32', [1, 4], [0, 0, 0, 0])],
        ['SUM'],
      );
      await model.instances[0]!.execute([req]);
      assert.deepEqual(floats(output(req.sender.single, 'SUM')), [1, 2, 3, 4]);
    } finally {
      await model.unload();
    }
  });

  test('KIND_MODEL is not supported', async () => {
    const err = await loadError(
      addSubConfig('kmodel', { instanceGroups: [{ kind: 'KIND_MODEL', count: 1 }] }),
      addSubOnnx(),
    );
    assert.match(err.message, /kind KIND_MODEL, which the onnxruntime backend does not support/);
  });

  test('a config datatype that differs from the model is a load error naming both', async () => {
    const config = ortConfig({ name: 'dt', inputs: [['IN', 'TYPE_FP32', [2]]], outputs: [['OUT', 'TYPE_FP16', [2]]] });
    const err = await loadError({ ...config, input: [{ ...config.input[0]! }] }, identityOnnx('float16', [2]));
    assert.match(
      err.message,
      /failed to load model 'dt': input 'IN' has datatype TYPE_FP32 in config\.pbtxt but float16 \(TYPE_FP16\) in model\.onnx/,
    );
  });

  test('an input the model does not have is a load error listing the model inputs', async () => {
    const config = ortConfig({
      name: 'nm',
      inputs: [['INPUT0', 'TYPE_FP32', [2]]],
      outputs: [['OUT', 'TYPE_FP32', [2]]],
    });
    const err = await loadError(config, identityOnnx('float32', [2]));
    assert.match(err.message, /input 'INPUT0' of config\.pbtxt is not an input of model\.onnx \(its inputs: 'IN'\)/);
  });

  test('dims that differ from the model are a load error', async () => {
    const config = ortConfig({
      name: 'dims',
      inputs: [['IN', 'TYPE_FP32', [3]]],
      outputs: [['OUT', 'TYPE_FP32', [3]]],
    });
    const err = await loadError(config, identityOnnx('float32', [2]));
    assert.match(err.message, /input 'IN' has dims \[3\] in config\.pbtxt but shape \[2\] in model\.onnx/);
  });

  test('max_batch_size > 0 on a model with a fixed first dim is a load error', async () => {
    const config = ortConfig({
      name: 'fixed',
      maxBatchSize: 4,
      inputs: [['IN', 'TYPE_FP32', [2]]],
      outputs: [['OUT', 'TYPE_FP32', [2]]],
    });
    const err = await loadError(config, identityOnnx('float32', [1, 2]));
    assert.match(err.message, /first dimension is fixed.*max_batch_size 4.*set max_batch_size: 0/);
  });

  test('a BFLOAT16 model input names the type onnxruntime-node cannot exchange', async () => {
    const config = ortConfig({
      name: 'bf16',
      inputs: [['IN', 'TYPE_BF16', [2]]],
      outputs: [['OUT', 'TYPE_BF16', [2]]],
    });
    const err = await loadError(config, identityOnnx('bfloat16', [2]));
    assert.match(err.message, /ONNX element type BFLOAT16 \(16\), which onnxruntime-node cannot pass/);
  });

  test('every Triton session parameter is accepted by ONNX Runtime', async () => {
    const model = await load(
      addSubConfig('all_params', {
        parameters: {
          intra_op_thread_count: '1',
          inter_op_thread_count: '1',
          execution_mode: '1',
          enable_mem_arena: '0',
          enable_mem_pattern: '0',
          'session.use_device_allocator_for_initializers': '1',
        },
      }),
    );
    try {
      const req = makeRequest(
        [tensor('A', 'FP32', [1, 4], [1, 2, 3, 4]), tensor('B', 'FP32', [1, 4], [1, 1, 1, 1])],
        ['SUM'],
      );
      await model.instances[0]!.execute([req]);
      assert.deepEqual(floats(output(req.sender.single, 'SUM')), [2, 3, 4, 5]);
    } finally {
      await model.unload();
    }
  });

  test('KIND_GPU whose CUDA provider cannot start fails the load with ORT’s reason and the install hint', async () => {
    const withCuda = createOnnxRuntimeBackend({ cudaSupport: () => ({ available: true }) });
    const config = addSubConfig('gpu_try', { instanceGroups: [{ kind: 'KIND_GPU', count: 1, gpus: [0] }] });
    const repo = await writeOnnx(config.name, addSubOnnx());
    // On a host with the CUDA binaries and a GPU this loads; elsewhere it must fail clearly.
    try {
      const model = await withCuda.loadModel(makeContext(repo, config));
      await model.unload();
    } catch (err) {
      assert.match(
        (err as Error).message,
        /failed to load model 'gpu_try': the CUDA execution provider could not open .* on GPU 0: .*ONNXRUNTIME_NODE_INSTALL=cuda12/,
      );
    }
  });

  test('an invalid parameter value is a load error naming it', async () => {
    const err = await loadError(addSubConfig('param', { parameters: { intra_op_thread_count: 'many' } }), addSubOnnx());
    assert.match(err.message, /parameter 'intra_op_thread_count' must be a non-negative integer, got 'many'/);
  });
});
