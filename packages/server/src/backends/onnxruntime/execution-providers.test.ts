import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InstanceGroupConfig } from '../../core/config/model-config.js';
import { createOnnxRuntimeBackend } from './ort-backend.js';
import { CUDA_INSTALL_HINT, gpuSupportFrom, planInstances } from './execution-providers.js';

const group = (g: Partial<InstanceGroupConfig>): InstanceGroupConfig => ({
  name: '',
  kind: 'KIND_CPU',
  count: 1,
  gpus: [],
  ...g,
});
const yes = () => ({ available: true });
const no = () => ({ available: false, reason: 'not installed' });

describe('planInstances', () => {
  test('CPU groups: Triton names, <group>_<index> for every instance', () => {
    const warnings: string[] = [];
    const planned = planInstances('m', [group({ name: 'a', count: 2 }), group({ count: 1 })], no, (w) =>
      warnings.push(w),
    );
    assert.deepEqual(planned, [
      { name: 'a_0', kind: 'CPU', deviceId: 0 },
      { name: 'a_1', kind: 'CPU', deviceId: 0 },
      { name: 'm_1_0', kind: 'CPU', deviceId: 0 },
    ]);
    assert.deepEqual(warnings, []);
    // No instance_group: one group named after the model, whose instance is m_0 (as Triton).
    assert.deepEqual(
      planInstances('m', [], no, () => {}),
      [{ name: 'm_0', kind: 'CPU', deviceId: 0 }],
    );
  });

  test('KIND_GPU: count instances per listed GPU when CUDA is available, a clear error otherwise', () => {
    const planned = planInstances('m', [group({ name: 'g', kind: 'KIND_GPU', count: 2, gpus: [0, 3] })], yes, () => {});
    assert.deepEqual(
      planned.map((p) => `${p.name}@${p.kind}${p.deviceId}`),
      ['g_0_gpu0@GPU0', 'g_0_gpu3@GPU3', 'g_1_gpu0@GPU0', 'g_1_gpu3@GPU3'],
    );
    assert.throws(
      () => planInstances('m', [group({ name: 'g', kind: 'KIND_GPU', gpus: [0] })], no, () => {}),
      /instance group 'g' has kind KIND_GPU, but the CUDA execution provider is not available \(not installed\); install .*ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install.js/,
    );
  });

  test('KIND_AUTO: GPU with CUDA, else CPU and a warning', () => {
    assert.equal(planInstances('m', [group({ kind: 'KIND_AUTO' })], yes, () => {})[0]!.kind, 'GPU');
    const warnings: string[] = [];
    assert.equal(planInstances('m', [group({ kind: 'KIND_AUTO' })], no, (w) => warnings.push(w))[0]!.kind, 'CPU');
    assert.match(warnings[0]!, /KIND_AUTO\) runs on CPU: not installed/);
  });
});

describe('gpu support (Backend.gpuSupport)', () => {
  test('available with CUDA; otherwise the reason and how to install CUDA', () => {
    assert.deepEqual(gpuSupportFrom(yes()), { available: true });
    assert.deepEqual(gpuSupportFrom(no()), { available: false, reason: `not installed; ${CUDA_INSTALL_HINT}` });
  });

  test('the backend answers from its CUDA detection', () => {
    assert.equal(createOnnxRuntimeBackend({ cudaSupport: yes }).gpuSupport?.().available, true);
    assert.match(createOnnxRuntimeBackend({ cudaSupport: no }).gpuSupport?.().reason ?? '', /^not installed; install/);
  });
});
