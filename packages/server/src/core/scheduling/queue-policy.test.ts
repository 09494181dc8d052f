import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DynamicBatchingConfig, ModelQueuePolicy } from '../config/model-config.js';
import { QueuePolicies } from './queue-policy.js';

const policy = (p: Partial<ModelQueuePolicy>): ModelQueuePolicy => ({
  timeout_action: 'REJECT',
  default_timeout_microseconds: 0,
  allow_timeout_override: false,
  max_queue_size: 0,
  ...p,
});
const db = (d: Partial<DynamicBatchingConfig>): DynamicBatchingConfig => ({
  preferred_batch_size: [],
  max_queue_delay_microseconds: 0,
  preserve_ordering: false,
  priority_levels: 0,
  default_priority_level: 0,
  priority_queue_policy: {},
  ...d,
});

describe('QueuePolicies', () => {
  test('without priority levels there is one queue, whatever the request asks', () => {
    const q = new QueuePolicies(db({ default_queue_policy: policy({ max_queue_size: 3 }) }));
    assert.equal(q.levelCount, 1);
    for (const p of [0, 1, 7]) assert.equal(q.levelOf(p), 0);
    assert.equal(q.policy(0).maxQueueSize, 3);
    assert.equal(q.label(0), undefined);
  });

  test('priority 0 or above priority_levels means the default level (as Triton); 1 is the highest', () => {
    const q = new QueuePolicies(db({ priority_levels: 3, default_priority_level: 2 }));
    assert.equal(q.levelCount, 3);
    assert.equal(q.levelOf(0), 1);
    assert.equal(q.levelOf(1), 0);
    assert.equal(q.levelOf(3), 2);
    assert.equal(q.levelOf(4), 1);
    assert.equal(q.label(0), 1);
  });

  test('a level without its own policy uses default_queue_policy, or the all-defaults policy', () => {
    const q = new QueuePolicies(
      db({
        priority_levels: 2,
        default_priority_level: 1,
        default_queue_policy: policy({ max_queue_size: 5 }),
        priority_queue_policy: { '2': policy({ timeout_action: 'DELAY', default_timeout_microseconds: 9 }) },
      }),
    );
    assert.equal(q.policy(0).maxQueueSize, 5);
    assert.deepEqual(q.policy(1), {
      timeoutAction: 'DELAY',
      defaultTimeoutUs: 9,
      allowTimeoutOverride: false,
      maxQueueSize: 0,
    });
    assert.equal(q.anyTimeouts, true);
    const none = new QueuePolicies(db({}));
    assert.deepEqual(none.policy(0), {
      timeoutAction: 'REJECT',
      defaultTimeoutUs: 0,
      allowTimeoutOverride: false,
      maxQueueSize: 0,
    });
    assert.equal(none.anyTimeouts, false);
  });

  test("a request's timeout shortens the default only when overrides are allowed and it is smaller", () => {
    const allow = new QueuePolicies(
      db({ default_queue_policy: policy({ default_timeout_microseconds: 1000, allow_timeout_override: true }) }),
    );
    assert.equal(allow.timeoutUs(0, 0), 1000);
    assert.equal(allow.timeoutUs(0, 200), 200);
    assert.equal(allow.timeoutUs(0, 5000), 1000);
    const deny = new QueuePolicies(db({ default_queue_policy: policy({ default_timeout_microseconds: 1000 }) }));
    assert.equal(deny.timeoutUs(0, 200), 1000);
    // A default of 0 (no timeout) ignores the request's value, as Triton's PolicyQueue does.
    const noDefault = new QueuePolicies(db({ default_queue_policy: policy({ allow_timeout_override: true }) }));
    assert.equal(noDefault.timeoutUs(0, 200), 0);
  });
});
