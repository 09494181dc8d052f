import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceError } from '../../core/errors.js';
import { SequenceAdmission } from './sequence-admission.js';

const signal = (): AbortSignal => new AbortController().signal;
const code = (c: string) => (e: unknown) => e instanceof InferenceError && e.code === c;

test('capacity runs at once, then FIFO waiting, then RESOURCE_EXHAUSTED', async () => {
  const a = new SequenceAdmission(2, 2, 'llm');
  await a.enter(signal());
  await a.enter(signal());
  const order: number[] = [];
  const w1 = a.enter(signal()).then(() => order.push(1));
  const w2 = a.enter(signal()).then(() => order.push(2));
  assert.equal(a.queued, 2);
  await assert.rejects(a.enter(signal()), (e: unknown) => {
    assert.ok(e instanceof InferenceError && e.code === 'RESOURCE_EXHAUSTED');
    assert.match(
      e.message,
      /model 'llm' is busy: 2 requests generating and 2 queued \(max_parallel_sequences 2, max_queue_size 2\)/,
    );
    return true;
  });
  a.leave();
  await w1;
  a.leave();
  await w2;
  assert.deepEqual(order, [1, 2]);
  assert.equal(a.active, 2);
  a.leave();
  a.leave();
  assert.equal(a.active, 0);
});

test('an aborted waiter leaves the queue; an aborted signal never enters', async () => {
  const a = new SequenceAdmission(1, 1, 'llm');
  await a.enter(signal());
  const c = new AbortController();
  const waiting = a.enter(c.signal);
  c.abort();
  await assert.rejects(waiting, code('CANCELLED'));
  assert.equal(a.queued, 0);
  await assert.rejects(a.enter(c.signal), code('CANCELLED'));
  const next = a.enter(signal());
  a.leave();
  await next;
  assert.equal(a.active, 1);
});

test('close refuses the waiting and later requests', async () => {
  const a = new SequenceAdmission(1, 4, 'llm');
  await a.enter(signal());
  const waiting = a.enter(signal());
  a.close(new InferenceError('UNAVAILABLE', 'unloading'));
  await assert.rejects(waiting, code('UNAVAILABLE'));
  await assert.rejects(a.enter(signal()), code('UNAVAILABLE'));
});
