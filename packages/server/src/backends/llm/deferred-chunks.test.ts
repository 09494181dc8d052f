import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../../core/clock.js';
import { DeferredChunks, type StreamChunk } from './deferred-chunks.js';

const lp = (token: string) => ({ token, logprob: -1, bytes: [...Buffer.from(token)], top_logprobs: [] });

test('chunks wait for the next dispatch, then go out after it, coalesced per generation', async () => {
  const deferred = new DeferredChunks();
  const order: string[] = [];
  const a = {};
  const b = {};
  const sent: Array<[string, StreamChunk]> = [];
  deferred.push(a, { text: 'He', logprobs: [lp('He')] }, (c) => sent.push(['a', c]));
  deferred.push(b, { text: 'x' }, (c) => sent.push(['b', c]));
  deferred.push(a, { text: 'llo', logprobs: [lp('llo')] }, (c) => sent.push(['a', c]));
  assert.deepEqual(sent, []);
  deferred.schedule(() => order.push(`dispatch with ${sent.length} sent`));
  while (sent.length < 2) await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['dispatch with 0 sent']);
  assert.deepEqual(sent, [
    ['a', { text: 'Hello', logprobs: [lp('He'), lp('llo')] }],
    ['b', { text: 'x' }],
  ]);
});

test('flushOne delivers one generation at once; the end of the turn delivers what no dispatch follows', async () => {
  const deferred = new DeferredChunks();
  const sent: string[] = [];
  const a = {};
  deferred.push(a, { text: 'end' }, (c) => sent.push(c.text));
  deferred.flushOne(a);
  deferred.flushOne(a);
  assert.deepEqual(sent, ['end']);
  deferred.push(a, { text: 'late' }, (c) => sent.push(c.text));
  const deadline = Date.now() + 5000;
  while (sent.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(sent, ['end', 'late']);
});

test('a stream interval: the first chunk at once, then at most one per interval, the rest merged', () => {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void }> = [];
  const clock: Clock = {
    nowNs: () => now,
    wallMs: () => now / 1e6,
    setTimer: (fn, ms) => {
      const t = { at: now + ms * 1e6, fn };
      timers.push(t);
      return () => timers.splice(timers.indexOf(t), 1);
    },
  };
  const advance = (ms: number): void => {
    now += ms * 1e6;
    for (const t of timers.filter((x) => x.at <= now)) {
      timers.splice(timers.indexOf(t), 1);
      t.fn();
    }
  };
  const deferred = new DeferredChunks(10, clock);
  const sent: string[] = [];
  const key = {};
  const push = (text: string): void => deferred.push(key, { text }, (c) => sent.push(c.text));
  push('a');
  deferred.flush();
  assert.deepEqual(sent, ['a']); // the first chunk is never held
  advance(2);
  push('b');
  deferred.flush();
  advance(3);
  push('c');
  deferred.flush();
  assert.deepEqual(sent, ['a']);
  assert.equal(timers.length, 1);
  advance(5); // 10 ms after 'a'
  assert.deepEqual(sent, ['a', 'bc']);
  push('d');
  deferred.flushOne(key); // the generation ends: no waiting
  assert.deepEqual(sent, ['a', 'bc', 'd']);
});
