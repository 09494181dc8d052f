import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../../core/clock.js';
import type { RequestEvent, ResponseEvent } from '../../core/observer.js';
import { LiveStats } from './live-stats.js';

/** A clock whose wall time the test sets. */
function manualClock(start: number): Clock & { ms: number } {
  const clock = {
    ms: start,
    nowNs: () => clock.ms * 1e6,
    wallMs: () => clock.ms,
    setTimer: () => () => {},
  };
  return clock;
}

function request(ms: number, fields: Partial<RequestEvent> = {}): RequestEvent {
  return {
    model: 'm',
    version: '1',
    success: true,
    batchSize: 1,
    requestNs: ms * 1e6,
    queueNs: 0,
    computeInputNs: 0,
    computeInferNs: 0,
    computeOutputNs: 0,
    ...fields,
  };
}

function response(fields: Partial<ResponseEvent>): ResponseEvent {
  return {
    model: 'llm',
    version: '1',
    llm: true,
    hasOutputs: true,
    final: false,
    sinceArrivalNs: 0,
    sincePreviousNs: -1,
    parameters: {},
    ...fields,
  };
}

describe('LiveStats', () => {
  test('one row per closed second: requests, failures, percentiles, queue time', () => {
    const clock = manualClock(10_000);
    const live = new LiveStats(clock);
    for (let i = 1; i <= 100; i++) live.onRequest(request(i, { queueNs: 2e6 }));
    live.onRequest(request(500, { success: false, reason: 'BACKEND', queueNs: 2e6 }));
    // The open second is not reported.
    assert.equal(live.snapshot().models[0]!.t.length, 0);
    clock.ms = 11_200;
    live.onRequest(request(7));
    clock.ms = 13_000;
    const snap = live.snapshot();
    assert.equal(snap.interval_ms, 1000);
    assert.equal(snap.last, 12_000);
    const m = snap.models[0]!;
    assert.deepEqual(m.t, [10_000, 11_000, 12_000]);
    assert.deepEqual(m.requests, [101, 1, 0]);
    assert.deepEqual(m.failures, [1, 0, 0]);
    // Within the histogram's ~9% bin of the exact 51 ms and 100 ms.
    assert.ok(m.p50_ms[0]! >= 51 && m.p50_ms[0]! < 51 * 1.1, String(m.p50_ms[0]));
    assert.ok(m.p99_ms[0]! >= 100 && m.p99_ms[0]! < 110, String(m.p99_ms[0]));
    assert.ok(m.p50_ms[1]! >= 7 && m.p50_ms[1]! < 7.7);
    assert.equal(m.p50_ms[2], null);
    assert.equal(m.queue_ms[0], 2);
    assert.equal(m.queue_ms[1], 0);
    assert.equal(m.queue_ms[2], null);
    assert.equal(m.llm, false);
  });

  test('since returns only newer rows; the window bounds what is kept', () => {
    const clock = manualClock(0);
    const live = new LiveStats(clock, { windowSeconds: 5 });
    for (let s = 0; s < 20; s++) {
      clock.ms = s * 1000;
      live.onRequest(request(1));
    }
    clock.ms = 20_000;
    const all = live.snapshot(0).models[0]!;
    assert.deepEqual(all.t, [15_000, 16_000, 17_000, 18_000, 19_000]);
    assert.deepEqual(live.snapshot(18_000).models[0]!.t, [19_000]);
    assert.deepEqual(live.snapshot(19_000).models[0]!.t, []);
  });

  test('LLM versions: tokens from final responses, median time to first token', () => {
    const clock = manualClock(5_000);
    const live = new LiveStats(clock);
    live.onVersionReady('llm', '1', { decoupled: true, llm: true });
    live.onResponse(response({ sinceArrivalNs: 40e6 }));
    live.onResponse(response({ sinceArrivalNs: 60e6, sincePreviousNs: 20e6 }));
    live.onResponse(response({ final: true, hasOutputs: false, parameters: { num_output_tokens: 8 } }));
    live.onResponse(response({ final: true, sinceArrivalNs: 30e6, parameters: { num_output_tokens: 4 } }));
    // Not an LLM: ignored.
    live.onResponse(response({ model: 'other', llm: false, final: true, parameters: { num_output_tokens: 99 } }));
    clock.ms = 6_000;
    const [m] = live.snapshot().models;
    assert.equal(m!.model, 'llm');
    assert.equal(m!.llm, true);
    assert.deepEqual(m!.tokens, [12]);
    // Two first tokens (40 ms, 30 ms): the median is the lower one's bin.
    assert.ok(m!.ttft_ms[0]! >= 30 && m!.ttft_ms[0]! < 33, String(m!.ttft_ms[0]));
  });

  test('an unloaded version is dropped; versions are listed by model, then version', () => {
    const clock = manualClock(0);
    const live = new LiveStats(clock);
    live.onRequest(request(1, { model: 'b' }));
    live.onRequest(request(1, { model: 'a', version: '2' }));
    live.onRequest(request(1, { model: 'a', version: '1' }));
    clock.ms = 1000;
    assert.deepEqual(
      live.snapshot().models.map((m) => `${m.model}/${m.version}`),
      ['a/1', 'a/2', 'b/1'],
    );
    live.onVersionUnloaded('a', '2');
    assert.deepEqual(
      live.snapshot().models.map((m) => `${m.model}/${m.version}`),
      ['a/1', 'b/1'],
    );
  });
});
