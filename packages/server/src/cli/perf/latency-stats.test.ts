import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SampleBuffer, percentileSorted, summarize } from './latency-stats.js';
import { isStable, withinBand } from './stability.js';

describe('percentiles', () => {
  test('nearest rank on 1..100', () => {
    const v = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentileSorted(v, 50), 50);
    assert.equal(percentileSorted(v, 90), 90);
    assert.equal(percentileSorted(v, 99), 99);
    assert.equal(percentileSorted(v, 100), 100);
    assert.equal(percentileSorted(v, 0.1), 1);
  });

  test('small sets and empty sets', () => {
    assert.equal(percentileSorted(Float64Array.of(7), 99), 7);
    assert.equal(percentileSorted(Float64Array.of(1, 2), 50), 1);
    assert.ok(Number.isNaN(percentileSorted(new Float64Array(0), 50)));
  });

  test('summarize sorts a copy, uses only the first `count` samples, and adds pN on request', () => {
    const buf = Float64Array.of(30, 10, 20, 40, 999);
    const s = summarize(buf, 4, 75);
    assert.deepEqual(
      { count: s.count, avg: s.avg, min: s.min, max: s.max, p50: s.p50, p99: s.p99, pN: s.pN },
      { count: 4, avg: 25, min: 10, max: 40, p50: 20, p99: 40, pN: 30 },
    );
    assert.deepEqual(Array.from(buf), [30, 10, 20, 40, 999]);
    assert.equal('pN' in summarize(buf, 4), false);
  });

  test('SampleBuffer grows and appends', () => {
    const a = new SampleBuffer(16);
    for (let i = 0; i < 100; i++) a.push(i);
    const b = new SampleBuffer(16);
    b.push(-1);
    b.append(a);
    assert.equal(b.length, 101);
    assert.equal(b.values()[100], 99);
  });
});

describe('stability (last 3 windows within the percentage, throughput and latency)', () => {
  const w = (throughput: number, latency: number) => ({ throughput, latency });

  test('needs three windows', () => {
    assert.equal(isStable([w(100, 10), w(100, 10)], 10), false);
    assert.equal(isStable([w(100, 10), w(100, 10), w(100, 10)], 10), true);
  });

  test('only the last three count', () => {
    assert.equal(isStable([w(10, 99), w(100, 10), w(105, 10.4), w(98, 10.2)], 10), true);
  });

  test('max / min above 1 + pct fails, on either figure', () => {
    assert.equal(isStable([w(100, 10), w(111, 10), w(100, 10)], 10), false);
    assert.equal(isStable([w(100, 10), w(110, 10), w(100, 10)], 10), true);
    assert.equal(isStable([w(100, 10), w(100, 12), w(100, 10)], 10), false);
    assert.equal(isStable([w(100, 10), w(100, 12), w(100, 10)], 25), true);
  });

  test('an empty window (no completions, NaN latency) is never stable', () => {
    assert.equal(isStable([w(0, NaN), w(0, NaN), w(0, NaN)], 100), false);
    assert.equal(withinBand([1, 1, 0], 50), false);
  });
});
