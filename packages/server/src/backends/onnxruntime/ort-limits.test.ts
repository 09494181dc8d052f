/**
 * The onnxruntime backend runs its sessions on the js backend's instances, so it honours
 * `execution_timeout_ms` and `memory_limit_mb` too. A run that overruns is native code that no
 * termination can interrupt (and a worker terminated inside it would abort the process): the
 * requests fail at once, and the worker is terminated as soon as the run returns.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '@tensorgate/onnx-gen';
import { decodeElements } from '@tensorgate/protocol';
import type { BackendModel, BackendModelContext, InstanceRestartReason } from '../../backend-api/backend.js';
import { InferenceError } from '../../core/errors.js';
import { makeContext, makeRequest, output, tensor } from '../js/js-backend.test-helper.js';
import { createOnnxRuntimeBackend } from './ort-backend.js';
import { ortConfig, removeOnnxRepos, writeOnnx } from './ort.test-helper.js';

const loaded: BackendModel[] = [];
after(async () => {
  await Promise.all(loaded.map((m) => m.unload()));
  await removeOnnxRepos();
});

const backend = createOnnxRuntimeBackend({
  restartDelayMs: () => 0,
  cudaSupport: () => ({ available: false, reason: 'no CUDA in this test' }),
});

/** `Y = X·X·X···X` (48 MatMuls) over FP32 `[n, n]`: microseconds at n = 2, seconds at n = 1024. */
function matmulChainOnnx(): Uint8Array {
  const g = new GraphBuilder('matmul_chain')
    .input({ name: 'X', type: 'float32', shape: ['n', 'n'] })
    .output({ name: 'Y', type: 'float32', shape: ['n', 'n'] });
  let prev = 'X';
  for (let i = 0; i < 48; i++) {
    const out = i === 47 ? 'Y' : `m${i}`;
    g.node('MatMul', [prev, 'X'], [out]);
    prev = out;
  }
  return g.toBytes();
}

const chainConfig = (name: string, parameters: Record<string, string>) =>
  ortConfig({
    name,
    inputs: [['X', 'TYPE_FP32', [-1, -1]]],
    outputs: [['Y', 'TYPE_FP32', [-1, -1]]],
    parameters,
  });

const square = (n: number, v: number) => tensor('X', 'FP32', [n, n], new Array<number>(n * n).fill(v));

async function load(
  name: string,
  parameters: Record<string, string>,
): Promise<{ model: BackendModel; restarts: InstanceRestartReason[] }> {
  const repo = await writeOnnx(name, matmulChainOnnx());
  const restarts: InstanceRestartReason[] = [];
  const ctx: BackendModelContext = {
    ...makeContext(repo, chainConfig(name, parameters)),
    reportRestart: (_instance, reason) => restarts.push(reason),
  };
  const model = await backend.loadModel(ctx);
  loaded.push(model);
  return { model, restarts };
}

describe('onnxruntime backend: instance limits', () => {
  test('a run that overruns execution_timeout_ms fails at once; the process survives; the instance serves again', async () => {
    const { model, restarts } = await load('slow_chain', { execution_timeout_ms: '150', memory_limit_mb: '256' });
    const inst = model.instances[0]!;
    const small = makeRequest([square(2, 1)], ['Y']);
    await inst.execute([small]);
    assert.equal(output(small.sender.single, 'Y').shape.join('x'), '2x2');

    const slow = makeRequest([square(1024, 0.001)], ['Y']);
    await assert.rejects(inst.execute([slow]), (e: unknown) => e instanceof InferenceError && e.code === 'INTERNAL');
    assert.equal(
      slow.sender.single.error?.message,
      "model 'slow_chain' instance slow_chain_0_0 exceeded execution_timeout_ms (150 ms); the instance is being restarted",
    );
    assert.deepEqual(restarts, ['timeout']);

    // The old worker ends once its run returns; a new one serves (this process did not abort).
    const again = makeRequest([square(2, 2)], ['Y']);
    await inst.execute([again]);
    const y = decodeElements('FP32', output(again.sender.single, 'Y').data) as number[];
    assert.ok(y.every((v) => v > 0));
  });

  test('invalid limits fail the load with INVALID_ARG naming the parameter', async () => {
    const repo = await writeOnnx('bad_limits', matmulChainOnnx());
    await assert.rejects(
      backend.loadModel(makeContext(repo, chainConfig('bad_limits', { memory_limit_mb: 'lots' }))),
      (e: unknown) =>
        e instanceof InferenceError &&
        e.code === 'INVALID_ARG' &&
        /parameter 'memory_limit_mb'.*got 'lots'/.test(e.message),
    );
  });
});
