import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { batchRules, formBatch, type BatchCandidate } from './batch-former.js';

const US = 1000;
const c = (batchSize: number, enqueuedNs = 0, signature = ''): BatchCandidate => ({ batchSize, signature, enqueuedNs });
const ones = (n: number, enqueuedNs = 0): BatchCandidate[] => Array.from({ length: n }, () => c(1, enqueuedNs));

describe('formBatch', () => {
  test('an empty queue sends nothing and waits for nothing', () => {
    assert.deepEqual(formBatch([], batchRules(8, [], 100), 0), { count: 0 });
  });

  test('with no delay and no preferred size, everything queued goes at once', () => {
    assert.deepEqual(formBatch(ones(3), batchRules(8, [], 0), 0), { count: 3 });
  });

  test('each request counts with its own batch size, and the batch closes before max_batch_size would be passed', () => {
    // 4 + 3 = 7; adding 2 would make 9 > 8.
    assert.deepEqual(formBatch([c(4), c(3), c(2)], batchRules(8, [], 0), 0), { count: 2 });
    // A request that already fills the batch goes alone.
    assert.deepEqual(formBatch([c(8), c(1)], batchRules(8, [], 1000), 0), { count: 1 });
  });

  test('a preferred size goes at once, before the delay is over', () => {
    const rules = batchRules(8, [4], 1_000_000);
    assert.deepEqual(formBatch(ones(5), rules, 0), { count: 4 });
  });

  test('the largest preferred size that can be formed wins', () => {
    assert.deepEqual(formBatch(ones(5), batchRules(8, [2, 4], 1000), 0), { count: 4 });
    assert.deepEqual(formBatch(ones(3), batchRules(8, [2, 4], 1000), 0), { count: 2 });
    // As in Triton, also with no delay: a preferred size is taken over a larger odd size.
    assert.deepEqual(formBatch(ones(3), batchRules(8, [2, 4], 0), 0), { count: 2 });
  });

  test('without a preferred size the batcher waits up to the delay from the oldest request, then sends what it has', () => {
    const rules = batchRules(8, [4], 100);
    const queue = [c(1, 10 * US), c(1, 30 * US), c(1, 50 * US)];
    assert.deepEqual(formBatch(queue, rules, 60 * US), { count: 0, waitUntilNs: 110 * US });
    assert.deepEqual(formBatch(queue, rules, 110 * US), { count: 3 });
  });

  test('the oldest request of the batch sets the deadline, whatever its place in the queue', () => {
    const queue = [c(1, 50 * US), c(1, 20 * US)]; // a newer high-priority request first
    assert.deepEqual(formBatch(queue, batchRules(8, [], 100), 60 * US), { count: 0, waitUntilNs: 120 * US });
  });

  test('once the delay is over the largest batch goes, not the preferred one', () => {
    const rules = batchRules(8, [2], 100);
    assert.deepEqual(formBatch(ones(3, 0), rules, 50 * US), { count: 2 });
    assert.deepEqual(formBatch(ones(3, 0), rules, 100 * US), { count: 3 });
  });

  test('when the queue holds more than the largest preferred size, what fits in it goes at once', () => {
    // 3 + 3 > 4: waiting cannot make a preferred batch of these, so 3 goes now.
    assert.deepEqual(formBatch([c(3), c(3)], batchRules(8, [4], 1_000_000), 0), { count: 1 });
  });

  test('a batch at max_batch_size goes at once (max_batch_size is the default preferred size)', () => {
    assert.deepEqual(formBatch(ones(8), batchRules(8, [], 1_000_000), 0), { count: 8 });
  });

  test('the batch closes at the first request that cannot share it; that request starts the next batch', () => {
    const queue = [c(1, 0, 'a'), c(1, 0, 'a'), c(1, 0, 'b'), c(1, 0, 'a')];
    const rules = batchRules(8, [], 1_000_000);
    assert.deepEqual(formBatch(queue, rules, 0), { count: 2 });
    assert.deepEqual(formBatch(queue.slice(2), rules, 0), { count: 1 });
    assert.deepEqual(formBatch(queue.slice(3), rules, 0), { count: 0, waitUntilNs: 1_000_000 * US });
  });

  test('preferred sizes above max_batch_size are ignored', () => {
    const rules = batchRules(4, [2, 16], 0);
    assert.deepEqual([...rules.preferred], [2]);
    assert.equal(rules.maxPreferred, 2);
  });
});
