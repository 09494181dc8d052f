import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LiveSeries } from '../live-stats.js';
import { mergeLiveStats, ratesPerSecond } from './live-series.js';

function series(t: number[], version = '1'): LiveSeries {
  return {
    model: 'm',
    version,
    llm: false,
    t,
    requests: t.map((x) => x / 1000),
    failures: t.map(() => 0),
    p50_ms: t.map(() => null),
    p99_ms: t.map(() => 1),
    queue_ms: t.map(() => null),
    tokens: t.map(() => 0),
    ttft_ms: t.map(() => null),
  };
}

test('new rows are appended, repeated ones skipped, the oldest dropped past the limit', () => {
  let held = mergeLiveStats(new Map(), { interval_ms: 1000, last: 2000, models: [series([1000, 2000])] }, 3);
  held = mergeLiveStats(held, { interval_ms: 1000, last: 4000, models: [series([2000, 3000, 4000])] }, 3);
  const m = held.get('m/1')!;
  assert.deepEqual(m.t, [2000, 3000, 4000]);
  assert.deepEqual(m.requests, [2, 3, 4]);
  assert.deepEqual(m.p99_ms, [1, 1, 1]);
  // A version the server no longer reports (unloaded) is dropped.
  held = mergeLiveStats(held, { interval_ms: 1000, last: 5000, models: [series([5000], '2')] }, 3);
  assert.deepEqual([...held.keys()], ['m/2']);
});

test('counts per row become per-second rates', () => {
  assert.deepEqual(ratesPerSecond([2, 4], 500), [4, 8]);
});
