import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CancelSignal } from '../cancel-signal.js';
import { InferenceError } from '../errors.js';
import { ManualClock } from '../scheduling/manual-clock.test-helper.js';
import { MemoryJobStore } from './memory-job-store.js';
import { JobsBusyError, type JobEvents, type JobRecord, type JobRequest, type JobResult } from './job-types.js';

const request = (tag: string): JobRequest => ({
  model: 'm',
  version: '',
  body: Buffer.from(tag),
  headerLength: undefined,
});

/** An executor whose runs the test settles by hand. */
function manualExecutor(): {
  executor: (r: JobRequest, s: CancelSignal) => Promise<JobResult>;
  runs: Array<{ tag: string; signal: CancelSignal; resolve(r: JobResult): void; reject(e: unknown): void }>;
} {
  const runs: Array<{ tag: string; signal: CancelSignal; resolve(r: JobResult): void; reject(e: unknown): void }> = [];
  return {
    runs,
    executor: (r, signal) =>
      new Promise((resolve, reject) => {
        runs.push({ tag: r.body.toString(), signal, resolve, reject });
        signal.addEventListener('abort', () => reject(new InferenceError('CANCELLED', 'cancelled')));
      }),
  };
}

function recorder(): JobEvents & { started: JobRecord[]; finished: JobRecord[] } {
  const started: JobRecord[] = [];
  const finished: JobRecord[] = [];
  return { started, finished, onStarted: (r) => started.push(r), onFinished: (r) => finished.push(r) };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const limits = { maxQueued: 2, maxPerClient: 3, resultTtlMs: 60_000, concurrency: 1 };

test('jobs run in submission order, one per worker, and keep their results until the TTL passes', async () => {
  const clock = new ManualClock();
  const { executor, runs } = manualExecutor();
  const store = new MemoryJobStore(executor, limits, clock);
  const events = recorder();
  await store.start(events);
  const a = await store.submit({ request: request('a'), client: 'c' });
  const b = await store.submit({ request: request('b'), client: 'c' });
  assert.deepEqual(
    runs.map((r) => r.tag),
    ['a'],
  );
  assert.equal((await store.get(a.id))?.status, 'running');
  assert.equal((await store.get(b.id))?.status, 'queued');
  assert.deepEqual(await store.counts(), { queued: 1, running: 1 });
  runs[0]!.resolve({ body: Buffer.from('{"outputs":[]}'), headerLength: undefined });
  await flush();
  assert.equal((await store.get(a.id))?.status, 'succeeded');
  assert.equal((await store.result(a.id))?.body.toString(), '{"outputs":[]}');
  assert.equal(runs[1]?.tag, 'b');
  runs[1]!.reject(new InferenceError('INVALID_ARG', 'bad input'));
  await flush();
  const failed = await store.get(b.id);
  assert.equal(failed?.status, 'failed');
  assert.deepEqual(failed?.error, { code: 'INVALID_ARG', message: 'bad input' });
  assert.deepEqual(
    events.finished.map((r) => r.status),
    ['succeeded', 'failed'],
  );
  clock.advanceNs(59_999 * 1e6);
  assert.ok(await store.get(a.id), 'kept until the TTL');
  clock.advanceNs(2 * 1e6);
  assert.equal(await store.get(a.id), undefined, 'gone after the TTL');
  assert.equal(await store.result(a.id), undefined);
  await store.close();
});

test('a cancelled queued job never runs; a cancelled running job has its inference cancelled', async () => {
  const { executor, runs } = manualExecutor();
  const store = new MemoryJobStore(executor, limits, new ManualClock());
  await store.start(recorder());
  const a = await store.submit({ request: request('a'), client: 'c' });
  const b = await store.submit({ request: request('b'), client: 'c' });
  assert.equal((await store.cancel(b.id))?.status, 'cancelled');
  assert.equal((await store.cancel(a.id))?.status, 'cancelled');
  assert.equal(runs[0]!.signal.aborted, true);
  await flush();
  assert.deepEqual(
    runs.map((r) => r.tag),
    ['a'],
    'b never ran',
  );
  const cancelledA = await store.get(a.id);
  assert.equal(cancelledA?.status, 'cancelled');
  assert.equal(cancelledA?.error?.code, 'CANCELLED');
  assert.deepEqual(await store.counts(), { queued: 0, running: 0 });
  assert.equal(await store.cancel('nope'), undefined);
  await store.close();
});

test('the backlog and the per-client quota refuse submissions with JobsBusyError, and free up as jobs finish', async () => {
  const { executor, runs } = manualExecutor();
  const store = new MemoryJobStore(executor, { ...limits, maxQueued: 3 }, new ManualClock());
  await store.start(recorder());
  await store.submit({ request: request('1'), client: 'c' }); // running
  await store.submit({ request: request('2'), client: 'c' });
  await store.submit({ request: request('3'), client: 'c' });
  // client c has 3 live jobs: its quota is full, the backlog (2 queued of 3) is not.
  await assert.rejects(store.submit({ request: request('4'), client: 'c' }), (e: unknown) => {
    assert.ok(e instanceof JobsBusyError);
    assert.equal(e.code, 'RESOURCE_EXHAUSTED');
    assert.match(e.message, /--jobs-max-per-client/);
    return true;
  });
  await store.submit({ request: request('5'), client: 'd' });
  await assert.rejects(store.submit({ request: request('6'), client: 'd' }), /--jobs-max-queued/);
  runs[0]!.resolve({ body: Buffer.from('{}'), headerLength: undefined });
  await flush();
  // Job 1 finished and job 2 started: a queued slot and one of c's quota slots are free again.
  await store.submit({ request: request('7'), client: 'c' });
  assert.deepEqual(await store.counts(), { queued: 3, running: 1 });
  await store.close();
});
