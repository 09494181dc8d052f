import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelInstance } from '../../backend-api/backend.js';
import type { InstanceGroupConfig, ModelConfig } from '../config/model-config.js';
import { limitedInstances } from './rate-limit-instances.js';

const inst = (name: string): ModelInstance => ({ name, execute: () => Promise.reject(new Error('not run')) });
const config = (groups: Array<Partial<InstanceGroupConfig>>): ModelConfig =>
  ({
    name: 'm',
    instance_group: groups.map((g, i) => ({ name: `m_${i}`, kind: 'KIND_CPU', count: 1, gpus: [], ...g })),
  }) as unknown as ModelConfig;

test('each instance gets its group rate_limiter and device, in the order the backends create them', () => {
  const cfg = config([
    { count: 2, rate_limiter: { resources: [{ name: 'R', count: 2, global: false }], priority: 0 } },
    {
      kind: 'KIND_GPU',
      gpus: [1, 3],
      count: 1,
      rate_limiter: { resources: [{ name: 'G', count: 1, global: true }], priority: 2 },
    },
  ]);
  const instances = ['a', 'b', 'c', 'd'].map(inst);
  const limited = limitedInstances(cfg, instances);
  assert.deepEqual(
    limited.map((l) => [l.instance.name, l.device, l.priority, l.resources]),
    [
      ['a', 0, 0, [{ name: 'R', count: 2, global: false }]],
      ['b', 0, 0, [{ name: 'R', count: 2, global: false }]],
      ['c', 1, 2, [{ name: 'G', count: 1, global: true }]],
      ['d', 3, 2, [{ name: 'G', count: 1, global: true }]],
    ],
  );
});

test('a block at its defaults (as configs print it) means no resources', () => {
  const limited = limitedInstances(config([{ rate_limiter: { resources: [], priority: 0 } }, {}]), [
    inst('a'),
    inst('b'),
  ]);
  assert.deepEqual(
    limited.map((l) => l.resources),
    [[], []],
  );
});

test('empty or repeated names and bad counts fail the load naming the field', () => {
  const bad = (rl: unknown) => () => limitedInstances(config([{ rate_limiter: rl }]), [inst('a')]);
  assert.throws(
    bad({ resources: [{ name: '', count: 1 }] }),
    /model 'm': instance_group\[0\]\.rate_limiter\.resources\[0\]\.name must not be empty/,
  );
  assert.throws(
    bad({
      resources: [
        { name: 'R', count: 1 },
        { name: 'R', count: 2 },
      ],
    }),
    /instance_group\[0\]\.rate_limiter\.resources lists 'R' twice/,
  );
  assert.throws(bad({ resources: [{ name: 'R', count: -1 }] }), /resources\[0\]\.count must be a whole number/);
  assert.throws(bad({ priority: 1.5 }), /rate_limiter\.priority must be a whole number/);
});

test('a backend that makes other instances than planned: refused only when a group asks for resources', () => {
  assert.equal(limitedInstances(config([{ count: 2 }]), [inst('one')]).length, 1);
  assert.throws(
    () =>
      limitedInstances(config([{ count: 2, rate_limiter: { resources: [{ name: 'R', count: 1 }] } }]), [inst('one')]),
    /plan 2 instance\(s\) but the backend created 1/,
  );
});
