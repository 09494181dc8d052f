import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Backend } from '../../backend-api/backend.js';
import { createJsBackend } from '../../backends/js/index.js';
import { createOnnxRuntimeBackend } from '../../backends/onnxruntime/index.js';
import type { ModelConfig } from '../config/model-config.js';
import { resolveModelConfig } from './resolve-config.js';

const roots: string[] = [];
after(() => Promise.all(roots.map((r) => rm(r, { recursive: true, force: true }))));

const GPU_HOST = [0, 1];
const CPU_HOST: number[] = [];
const withCuda = createOnnxRuntimeBackend({ cudaSupport: () => ({ available: true }) });
const withoutCuda = createOnnxRuntimeBackend({
  cudaSupport: () => ({ available: false, reason: 'the CUDA provider library is not installed in /x' }),
});
const js = createJsBackend();

/** Resolves model `m` (backend `backendName`, one FP32 input and output) with `groups` as its instance_group text. */
async function resolve(backend: Backend, gpus: readonly number[], groups = ''): Promise<ModelConfig['instance_group']> {
  const root = await mkdtemp(join(tmpdir(), 'tg-resolve-'));
  roots.push(root);
  await mkdir(join(root, 'm'));
  await writeFile(
    join(root, 'm', 'config.pbtxt'),
    `name: "m"\nbackend: "${backend.name}"\n` +
      'input [ { name: "I", data_type: TYPE_FP32, dims: [ 1 ] } ]\n' +
      'output [ { name: "O", data_type: TYPE_FP32, dims: [ 1 ] } ]\n' +
      groups,
  );
  const { config } = await resolveModelConfig({
    name: 'm',
    modelPath: join(root, 'm'),
    repositoryPath: root,
    configJson: undefined,
    backends: [backend],
    autoComplete: false,
    gpus,
    logger: pino({ level: 'silent' }),
  });
  return config.instance_group;
}

const placement = (groups: ModelConfig['instance_group']): string[] =>
  groups.map((g) => `${g.kind} x${g.count} [${g.gpus.join(',')}]`);

describe('resolveModelConfig: which GPUs a model may use', () => {
  test('GPU host, onnxruntime with CUDA: KIND_AUTO becomes KIND_GPU on every GPU (Triton)', async () => {
    assert.deepEqual(placement(await resolve(withCuda, GPU_HOST)), ['KIND_GPU x1 [0,1]']);
    assert.deepEqual(
      placement(await resolve(withCuda, GPU_HOST, 'instance_group [ { kind: KIND_GPU gpus: [ 1 ] } ]')),
      ['KIND_GPU x1 [1]'],
    );
  });

  test('GPU host, onnxruntime without CUDA: KIND_AUTO stays on CPU', async () => {
    assert.deepEqual(placement(await resolve(withoutCuda, GPU_HOST)), ['KIND_CPU x2 []']);
    assert.deepEqual(placement(await resolve(withoutCuda, GPU_HOST, 'instance_group [ { count: 3 } ]')), [
      'KIND_CPU x3 []',
    ]);
  });

  test('GPU host, onnxruntime without CUDA: KIND_GPU says how to install the CUDA binaries', async () => {
    await assert.rejects(
      resolve(withoutCuda, GPU_HOST, 'instance_group [ { kind: KIND_GPU } ]'),
      /instance group m_0 of model m has kind KIND_GPU, but the onnxruntime backend cannot use GPUs: the CUDA provider library is not installed in \/x; install the CUDA 12 binaries of onnxruntime-node/,
    );
    await assert.rejects(
      resolve(withoutCuda, GPU_HOST, 'instance_group [ { name: "g" gpus: [ 0 ] } ]'),
      /instance group g of model m has kind KIND_AUTO and lists GPUs, but the onnxruntime backend cannot use GPUs/,
    );
  });

  test('GPU host, onnxruntime with CUDA: a GPU id the host lacks is rejected in Triton words', async () => {
    await assert.rejects(
      resolve(withCuda, GPU_HOST, 'instance_group [ { kind: KIND_GPU gpus: [ 3 ] } ]'),
      /specifies invalid or unsupported gpu id 3. Available GPUs are: 0, 1/,
    );
  });

  test('host without GPUs: KIND_AUTO is CPU and KIND_GPU finds no GPUs, with or without CUDA', async () => {
    assert.deepEqual(placement(await resolve(withCuda, CPU_HOST)), ['KIND_CPU x2 []']);
    for (const backend of [withCuda, withoutCuda]) {
      await assert.rejects(
        resolve(backend, CPU_HOST, 'instance_group [ { kind: KIND_GPU } ]'),
        /has kind KIND_GPU but no GPUs are available/,
      );
    }
  });

  test('js backend on a GPU host: KIND_AUTO stays on CPU, KIND_GPU says the backend runs on CPU', async () => {
    assert.deepEqual(placement(await resolve(js, GPU_HOST)), ['KIND_CPU x1 []']);
    for (const gpus of [GPU_HOST, CPU_HOST]) {
      await assert.rejects(
        resolve(js, gpus, 'instance_group [ { kind: KIND_GPU count: 2 } ]'),
        /instance group m_0 of model m has kind KIND_GPU, but the js backend runs models on CPU only; use KIND_CPU/,
      );
    }
  });

  test('without a GPU in sight, the backend is not asked about GPUs', async () => {
    let asked = 0;
    const probe: Backend = {
      ...withCuda,
      gpuSupport: () => {
        asked++;
        return { available: true };
      },
    };
    assert.deepEqual(placement(await resolve(probe, CPU_HOST)), ['KIND_CPU x2 []']);
    assert.equal(asked, 0);
    await resolve(probe, GPU_HOST);
    assert.equal(asked, 1);
  });
});
