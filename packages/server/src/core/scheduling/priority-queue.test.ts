import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SchedulerJob } from './scheduler.js';
import { testJob } from './test-job.test-helper.js';
import { EntryState, PriorityQueue, QueueEntry, type AbortSink } from './priority-queue.js';

const sink: AbortSink = { cancelQueued: () => {} };
const job = (id: string): SchedulerJob => testJob(id);
const entry = (id: string, level = 0): QueueEntry => new QueueEntry(job(id), level, 0, 0, '', sink);
const ids = (q: PriorityQueue, limit = 100): string[] => {
  const out: QueueEntry[] = [];
  q.peek(limit, out);
  return out.map((e) => e.job.request.id);
};
/** Array slots held inside the queue (live or not): what memory the queue keeps. */
const slots = (q: PriorityQueue): number =>
  (q as unknown as { levels: Array<Record<'main' | 'delayed', { items: unknown[] }>> }).levels.reduce(
    (n, l) => n + l.main.items.length + l.delayed.items.length,
    0,
  );

describe('PriorityQueue', () => {
  test('higher priority first, FIFO within a level, delayed requests behind their level', () => {
    const q = new PriorityQueue(2);
    const a = entry('a', 1);
    const b = entry('b', 0);
    const c = entry('c', 1);
    const d = entry('d', 0);
    for (const e of [a, b, c, d]) q.push(e);
    assert.deepEqual(ids(q), ['b', 'd', 'a', 'c']);
    q.delay(b);
    assert.equal(b.state, EntryState.Delayed);
    // b stays ahead of level 1 but behind d.
    assert.deepEqual(ids(q), ['d', 'b', 'a', 'c']);
    assert.deepEqual(ids(q, 2), ['d', 'b']);
    assert.equal(q.sizeAt(0), 2);
    assert.equal(q.shift(), d);
    assert.equal(q.shift(), b);
    assert.equal(b.state, EntryState.Gone);
    assert.equal(q.size, 2);
  });

  test('removed entries are skipped and counted out', () => {
    const q = new PriorityQueue(1);
    const es = ['a', 'b', 'c'].map((id) => entry(id));
    for (const e of es) q.push(e);
    q.remove(es[1]!);
    q.remove(es[1]!); // twice is harmless
    assert.equal(q.size, 2);
    assert.deepEqual(ids(q), ['a', 'c']);
    assert.equal(q.shift(), es[0]);
    assert.equal(q.shift(), es[2]);
    assert.equal(q.shift(), undefined);
  });

  test('memory follows the live queue: removals in the middle and at the head are compacted', () => {
    const q = new PriorityQueue(1);
    const keep = entry('keep');
    q.push(keep);
    for (let i = 0; i < 10_000; i++) {
      const e = entry(String(i));
      q.push(e);
      q.remove(e);
    }
    assert.equal(q.size, 1);
    assert.ok(slots(q) < 64, `queue keeps ${slots(q)} slots for 1 live entry`);
    for (let i = 0; i < 10_000; i++) q.push(entry(String(i)));
    for (let i = 0; i < 9_990; i++) q.shift();
    assert.equal(q.size, 11);
    assert.ok(slots(q) < 200, `queue keeps ${slots(q)} slots for 11 live entries`);
  });

  test('drain empties every level in order', () => {
    const q = new PriorityQueue(2);
    q.push(entry('low', 1));
    q.push(entry('high', 0));
    const all = q.drain();
    assert.deepEqual(
      all.map((e) => e.job.request.id),
      ['high', 'low'],
    );
    assert.ok(all.every((e) => e.state === EntryState.Gone));
    assert.equal(q.size, 0);
    assert.deepEqual(ids(q), []);
  });
});
