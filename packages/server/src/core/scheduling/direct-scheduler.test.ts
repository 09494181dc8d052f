import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExecutionRequest, ExecutionTimings, ModelInstance } from '../../backend-api/backend.js';
import type { Clock } from '../clock.js';
import { InferenceError } from '../errors.js';
import { DirectScheduler } from './direct-scheduler.js';
import type { SchedulerJob } from './scheduler.js';
import { testJob } from './test-job.test-helper.js';

const clock: Clock = { nowNs: () => 42, wallMs: () => 0, setTimer: () => () => {} };
const T: ExecutionTimings = { computeInputNs: 1, computeInferNs: 2, computeOutputNs: 3 };

/** An instance whose executions finish only when the test says so. */
function manualInstance(name: string) {
  const pending: Array<{ ids: string[]; finish: () => void; fail: (e: Error) => void }> = [];
  const inst: ModelInstance = {
    name,
    execute(batch: readonly ExecutionRequest[]) {
      return new Promise<ExecutionTimings>((resolve, reject) => {
        pending.push({ ids: batch.map((b) => b.id), finish: () => resolve(T), fail: reject });
      });
    },
  };
  return { inst, pending };
}

function job(id: string, log: string[], signal = new AbortController().signal): SchedulerJob {
  return testJob(id, {
    signal,
    onStart: () => log.push(`start ${id}`),
    onExecuted: (r) => log.push('error' in r ? `error ${id} ${r.error.code}` : `done ${id}`),
    onDropped: (e) => log.push(`dropped ${id} ${e.code}`),
  });
}

const tick = () => new Promise((r) => setImmediate(r));

describe('DirectScheduler', () => {
  test('one request per execution, FIFO, on free instances', async () => {
    const a = manualInstance('a');
    const b = manualInstance('b');
    const execs: number[] = [];
    const s = new DirectScheduler([a.inst, b.inst], clock, (n) => execs.push(n));
    const log: string[] = [];
    for (const id of ['1', '2', '3']) s.enqueue(job(id, log));
    assert.deepEqual(log, ['start 1', 'start 2']);
    assert.equal(s.queued, 1);
    assert.deepEqual(
      a.pending.map((p) => p.ids),
      [['1']],
    );
    assert.deepEqual(
      b.pending.map((p) => p.ids),
      [['2']],
    );
    a.pending[0]!.finish();
    await tick();
    assert.deepEqual(log, ['start 1', 'start 2', 'done 1', 'start 3']);
    assert.deepEqual(a.pending[1]!.ids, ['3']);
    assert.deepEqual(execs, [1]);
  });

  test('a request cancelled in the queue never executes', async () => {
    const a = manualInstance('a');
    const s = new DirectScheduler([a.inst], clock, () => {});
    const log: string[] = [];
    const ac = new AbortController();
    s.enqueue(job('1', log));
    s.enqueue(job('2', log, ac.signal));
    s.enqueue(job('3', log));
    ac.abort();
    assert.ok(log.includes('dropped 2 CANCELLED'));
    a.pending[0]!.finish();
    await tick();
    assert.deepEqual(
      a.pending.map((p) => p.ids),
      [['1'], ['3']],
    );
  });

  test('an execution failure reaches the job and frees the instance', async () => {
    const a = manualInstance('a');
    const s = new DirectScheduler([a.inst], clock, () => {});
    const log: string[] = [];
    s.enqueue(job('1', log));
    s.enqueue(job('2', log));
    a.pending[0]!.fail(new InferenceError('INTERNAL', 'boom'));
    await tick();
    assert.deepEqual(log, ['start 1', 'error 1 INTERNAL', 'start 2']);
  });

  test('close drops queued jobs and rejects new ones', () => {
    const a = manualInstance('a');
    const s = new DirectScheduler([a.inst], clock, () => {});
    const log: string[] = [];
    s.enqueue(job('1', log));
    s.enqueue(job('2', log));
    s.close(new InferenceError('UNAVAILABLE', 'unloading'));
    s.enqueue(job('3', log));
    assert.deepEqual(log, ['start 1', 'dropped 2 UNAVAILABLE', 'dropped 3 UNAVAILABLE']);
  });
});

describe('DirectScheduler with instance concurrency', () => {
  test('an instance accepting two batches ahead gets two; instances are filled breadth-first', () => {
    const a = manualInstance('a');
    const b = manualInstance('b');
    const s = new DirectScheduler(
      [
        { ...a.inst, concurrency: 2 },
        { ...b.inst, concurrency: 2 },
      ],
      clock,
      () => {},
    );
    const log: string[] = [];
    for (const id of ['1', '2', '3', '4', '5']) s.enqueue(job(id, log));
    assert.deepEqual(
      a.pending.map((p) => p.ids[0]),
      ['1', '3'],
    );
    assert.deepEqual(
      b.pending.map((p) => p.ids[0]),
      ['2', '4'],
    );
    assert.equal(s.queued, 1);
  });
});

describe('DirectScheduler picks the least busy instance', () => {
  test('work queued behind a long execution goes to the instance that became idle', async () => {
    const a = manualInstance('a');
    const b = manualInstance('b');
    const s = new DirectScheduler(
      [
        { ...a.inst, concurrency: 4 },
        { ...b.inst, concurrency: 4 },
      ],
      clock,
      () => {},
    );
    const log: string[] = [];
    s.enqueue(job('long', log)); // → a (both idle)
    s.enqueue(job('short', log)); // → b (idle beats a's look-ahead)
    b.pending[0]!.finish();
    await tick();
    // b is idle again while a is busy with 'long': n1 goes to b, then ties alternate.
    s.enqueue(job('n1', log));
    assert.deepEqual(
      b.pending.map((p) => p.ids[0]),
      ['short', 'n1'],
    );
    s.enqueue(job('n2', log));
    s.enqueue(job('n3', log));
    // Outstanding work stays balanced: a holds 'long' + one, b holds n1 + one ('short' finished).
    assert.equal(a.pending.length, 2);
    assert.equal(b.pending.length - 1, 2);
  });
});
