import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExecutionRequest, ExecutionTimings, ModelInstance } from '../../backend-api/backend.js';
import type { DynamicBatchingConfig, ModelInputConfig, ModelQueuePolicy } from '../config/model-config.js';
import { InferenceError } from '../errors.js';
import type { Tensor } from '../types.js';
import { DynamicBatcher } from './dynamic-batcher.js';
import { ManualClock } from './manual-clock.test-helper.js';
import type { SchedulerJob } from './scheduler.js';
import { testJob } from './test-job.test-helper.js';

const T: ExecutionTimings = { computeInputNs: 1, computeInferNs: 2, computeOutputNs: 3 };
const tick = () => new Promise((r) => setImmediate(r));

/** An instance whose executions finish only when the test says so. */
function manualInstance(name: string) {
  const runs: Array<{ batch: readonly ExecutionRequest[]; finish: () => void; fail: (e: Error) => void }> = [];
  const inst: ModelInstance = {
    name,
    concurrency: 4, // ignored by the batcher: only idle instances take a batch
    execute(batch) {
      return new Promise<ExecutionTimings>((resolve, reject) => {
        runs.push({ batch, finish: () => resolve(T), fail: reject });
      });
    },
  };
  const ids = () => runs.map((r) => r.batch.map((b) => b.id).join(','));
  return { inst, runs, ids };
}

interface JobOptions {
  batch?: number;
  priority?: number;
  timeoutUs?: number;
  signal?: AbortSignal;
  /** Non-batch dims of input X (variable in the test config). */
  dims?: number[];
}

function job(id: string, log: string[], o: JobOptions = {}): SchedulerJob {
  const batch = o.batch ?? 1;
  const x: Tensor = { name: 'X', datatype: 'INT32', shape: [batch, ...(o.dims ?? [2])], data: new Uint8Array(0) };
  return testJob(id, {
    batch,
    inputs: [x],
    ...(o.priority !== undefined ? { priority: o.priority } : {}),
    ...(o.timeoutUs !== undefined ? { timeoutUs: o.timeoutUs } : {}),
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
    send: (_r, f) => log.push(`send ${id}${f.final ? ' final' : ''}`),
    onStart: () => log.push(`start ${id}`),
    onExecuted: (r) => log.push('error' in r ? `error ${id} ${r.error.code}` : `done ${id}`),
    onDropped: (e) => log.push(`dropped ${id} ${e.code}: ${e.message}`),
  });
}

const policy = (p: Partial<ModelQueuePolicy>): ModelQueuePolicy => ({
  timeout_action: 'REJECT',
  default_timeout_microseconds: 0,
  allow_timeout_override: false,
  max_queue_size: 0,
  ...p,
});

const X: ModelInputConfig = {
  name: 'X',
  data_type: 'TYPE_INT32',
  format: 'FORMAT_NONE',
  dims: [-1],
  is_shape_tensor: false,
  allow_ragged_batch: false,
  optional: false,
};

function setup(db: Partial<DynamicBatchingConfig> = {}, instances = 1, maxBatch = 8) {
  const clock = new ManualClock();
  const insts = Array.from({ length: instances }, (_, i) => manualInstance(`m_${i}`));
  const execs: number[] = [];
  const log: string[] = [];
  const batcher = new DynamicBatcher(
    insts.map((i) => i.inst),
    clock,
    (n) => execs.push(n),
    {
      name: 'm',
      max_batch_size: maxBatch,
      input: [X],
      dynamic_batching: {
        preferred_batch_size: [maxBatch],
        max_queue_delay_microseconds: 0,
        preserve_ordering: false,
        priority_levels: 0,
        default_priority_level: 0,
        priority_queue_policy: {},
        ...db,
      },
    },
  );
  const add = (id: string, o: JobOptions = {}) => batcher.enqueue(job(id, log, o));
  return { clock, insts, execs, log, batcher, add, a: insts[0]! };
}

describe('DynamicBatcher: forming batches', () => {
  test('max_batch_size 0 (as Triton): one request per execution, and the queue policy still applies', async () => {
    const { add, a, execs, log } = setup(
      { preferred_batch_size: [], default_queue_policy: policy({ max_queue_size: 2 }) },
      1,
      0,
    );
    add('1');
    add('2');
    add('3');
    add('4');
    assert.ok(
      log.includes(
        "dropped 4 RESOURCE_EXHAUSTED: inference request for model 'm' rejected: Exceeds maximum queue size (max_queue_size 2)",
      ),
      log.join('\n'),
    );
    a.runs[0]!.finish();
    await tick();
    a.runs[1]!.finish();
    await tick();
    assert.deepEqual(a.ids(), ['1', '2', '3']);
    assert.deepEqual(execs, [1, 1]);
  });

  test('with no delay a free instance takes what is queued at once; the rest batch up while it is busy', async () => {
    const { add, a, execs } = setup();
    add('1');
    add('2');
    add('3');
    assert.deepEqual(a.ids(), ['1']);
    a.runs[0]!.finish();
    await tick();
    assert.deepEqual(a.ids(), ['1', '2,3']);
    assert.deepEqual(execs, [1]);
  });

  test('each request counts with its own batch size, up to max_batch_size', async () => {
    const { add, a, execs, batcher } = setup();
    add('busy');
    add('b4', { batch: 4 });
    add('b3', { batch: 3 });
    add('b2', { batch: 2 });
    add('b1', { batch: 1 });
    a.runs[0]!.finish();
    await tick();
    assert.deepEqual(a.ids(), ['busy', 'b4,b3']);
    a.runs[1]!.finish();
    await tick();
    assert.deepEqual(a.ids(), ['busy', 'b4,b3', 'b2,b1']);
    a.runs[2]!.finish();
    await tick();
    // The listener gets each execution's total batch size once.
    assert.deepEqual(execs, [1, 7, 3]);
    assert.equal(batcher.queued, 0);
  });

  test('a preferred size goes at once; otherwise the batcher waits up to the delay, then sends what it has', () => {
    const { add, a, log } = setup({ preferred_batch_size: [4], max_queue_delay_microseconds: 500 });
    add('1');
    add('2');
    add('3');
    assert.deepEqual(a.ids(), []);
    add('4');
    assert.deepEqual(a.ids(), ['1,2,3,4']);
    assert.ok(log.includes('start 4'));
    const b = setup({ preferred_batch_size: [4], max_queue_delay_microseconds: 500 });
    b.add('1');
    b.clock.advanceUs(200);
    b.add('2');
    b.clock.advanceUs(299);
    assert.deepEqual(b.a.ids(), []);
    b.clock.advanceUs(1); // 500 µs after the oldest request
    assert.deepEqual(b.a.ids(), ['1,2']);
    assert.equal(b.clock.pendingTimers, 0);
  });

  test('requests with different non-batch shapes never share a batch: it closes at the first one', async () => {
    const { add, a } = setup({ max_queue_delay_microseconds: 1_000_000 });
    add('busy', { batch: 8 });
    add('x1', { dims: [2] });
    add('x2', { dims: [2] });
    add('y1', { dims: [3] });
    add('x3', { dims: [2] });
    a.runs[0]!.finish();
    await tick();
    assert.deepEqual(a.ids(), ['busy', 'x1,x2']);
    a.runs[1]!.finish();
    await tick();
    assert.deepEqual(a.ids(), ['busy', 'x1,x2', 'y1']);
  });

  test('instances share one queue; only idle instances take a batch (concurrency is ignored)', async () => {
    const { add, insts } = setup({}, 2);
    const [a, b] = insts as [ReturnType<typeof manualInstance>, ReturnType<typeof manualInstance>];
    add('1');
    add('2');
    add('3');
    add('4');
    assert.deepEqual([a.ids(), b.ids()], [['1'], ['2']]);
    b.runs[0]!.finish();
    await tick();
    assert.deepEqual([a.ids(), b.ids()], [['1'], ['2', '3,4']]);
  });

  test('a failed execution fails its requests and frees the instance', async () => {
    const { add, a, log, execs } = setup();
    add('1');
    add('2');
    a.runs[0]!.fail(new InferenceError('INTERNAL', 'boom'));
    await tick();
    assert.ok(log.includes('error 1 INTERNAL'));
    assert.deepEqual(a.ids(), ['1', '2']);
    assert.deepEqual(execs, []);
  });
});

describe('DynamicBatcher: priorities and queue policies', () => {
  const levels = { priority_levels: 3, default_priority_level: 2 };

  test('higher priority requests are batched first; 0 and out-of-range priorities use the default level', async () => {
    const { add, a } = setup(levels, 1, 2);
    add('busy');
    add('low', { priority: 3 });
    add('default', { priority: 0 });
    add('clamped', { priority: 9 });
    add('high', { priority: 1 });
    a.runs[0]!.finish();
    await tick();
    a.runs[1]!.finish();
    await tick();
    assert.deepEqual(a.ids(), ['busy', 'high,default', 'clamped,low']);
  });

  test('a full level answers at once with RESOURCE_EXHAUSTED naming the model and the limit', () => {
    const { add, log, batcher } = setup({
      ...levels,
      priority_queue_policy: { '1': policy({ max_queue_size: 1 }) },
    });
    add('busy');
    add('h1', { priority: 1 });
    add('h2', { priority: 1 });
    add('low', { priority: 3 }); // other levels have no limit
    assert.ok(
      log.includes(
        "dropped h2 RESOURCE_EXHAUSTED: inference request for model 'm' rejected: Exceeds maximum queue size (max_queue_size 1 at priority level 1)",
      ),
      log.join('\n'),
    );
    assert.equal(batcher.queued, 2);
  });

  test('REJECT: a request that times out in the queue fails with UNAVAILABLE and never executes', async () => {
    const { add, a, clock, log } = setup({ default_queue_policy: policy({ default_timeout_microseconds: 1000 }) });
    add('busy');
    add('late');
    clock.advanceUs(999);
    assert.equal(log.filter((l) => l.startsWith('dropped')).length, 0);
    clock.advanceUs(1);
    assert.ok(
      log.some((l) => l.startsWith('dropped late UNAVAILABLE: Request timeout expired')),
      log.join('\n'),
    );
    a.runs[0]!.finish();
    await tick();
    assert.deepEqual(a.ids(), ['busy']);
  });

  test("a request's timeout overrides a longer default when the policy allows it", () => {
    const { add, clock, log } = setup({
      default_queue_policy: policy({ default_timeout_microseconds: 10_000, allow_timeout_override: true }),
    });
    add('busy');
    add('short', { timeoutUs: 2000 });
    add('long', { timeoutUs: 50_000 });
    clock.advanceUs(2000);
    assert.deepEqual(
      log.filter((l) => l.startsWith('dropped')).map((l) => l.split(':')[0]),
      ['dropped short UNAVAILABLE'],
    );
    clock.advanceUs(8000);
    assert.ok(log.some((l) => l.startsWith('dropped long UNAVAILABLE')));
  });

  test('DELAY: a timed-out request stays queued but goes after the requests still within their timeout', async () => {
    const { add, a, clock, log } = setup(
      { default_queue_policy: policy({ timeout_action: 'DELAY', default_timeout_microseconds: 1000 }) },
      1,
      1,
    );
    add('busy');
    add('old');
    clock.advanceUs(1000);
    add('new');
    a.runs[0]!.finish();
    await tick();
    a.runs[1]!.finish();
    await tick();
    assert.deepEqual(a.ids(), ['busy', 'new', 'old']);
    assert.equal(log.filter((l) => l.startsWith('dropped')).length, 0);
  });
});

describe('DynamicBatcher: cancellation, close, ordering, memory', () => {
  test('a cancelled request leaves the queue at once and never executes', async () => {
    const { add, a, log, batcher } = setup({ max_queue_delay_microseconds: 1_000_000 });
    const ac = new AbortController();
    add('busy', { batch: 8 });
    add('1');
    add('2', { signal: ac.signal });
    add('3');
    ac.abort();
    assert.ok(log.includes('dropped 2 CANCELLED: request cancelled while waiting in the queue'));
    assert.equal(batcher.queued, 2);
    a.runs[0]!.finish();
    await tick();
    assert.deepEqual(a.ids(), ['busy']); // 1 and 3 wait for the delay: the cancelled one is not counted
  });

  test('an aborted request is refused; close drops every queued request and refuses new ones', () => {
    const { add, log, batcher, clock } = setup({ max_queue_delay_microseconds: 1000 });
    const ac = new AbortController();
    ac.abort();
    add('gone', { signal: ac.signal });
    add('1');
    add('2');
    batcher.close(new InferenceError('UNAVAILABLE', 'unloading'));
    add('3');
    assert.deepEqual(
      log.filter((l) => l.startsWith('dropped')).map((l) => l.split(':')[0]),
      ['dropped gone CANCELLED', 'dropped 1 UNAVAILABLE', 'dropped 2 UNAVAILABLE', 'dropped 3 UNAVAILABLE'],
    );
    assert.equal(batcher.queued, 0);
    clock.advanceMs(10);
    assert.equal(log.filter((l) => l.startsWith('start')).length, 0);
  });

  test('preserve_ordering: responses follow arrival order even when a later batch finishes first', async () => {
    const { add, insts, log } = setup({ preserve_ordering: true }, 2, 1);
    const [a, b] = insts as [ReturnType<typeof manualInstance>, ReturnType<typeof manualInstance>];
    add('1');
    add('2');
    b.runs[0]!.batch[0]!.sender.send({ outputs: [] }, { final: true });
    b.runs[0]!.finish();
    await tick();
    assert.deepEqual(
      log.filter((l) => !l.startsWith('start')),
      [],
    );
    a.runs[0]!.batch[0]!.sender.send({ outputs: [] }, { final: true });
    a.runs[0]!.finish();
    await tick();
    assert.deepEqual(
      log.filter((l) => !l.startsWith('start')),
      ['send 1 final', 'done 1', 'send 2 final', 'done 2'],
    );
  });

  test('without preserve_ordering each request is answered as soon as its batch is', async () => {
    const { add, insts, log } = setup({}, 2, 1);
    add('1');
    add('2');
    insts[1]!.runs[0]!.batch[0]!.sender.send({ outputs: [] }, { final: true });
    insts[1]!.runs[0]!.finish();
    await tick();
    assert.deepEqual(
      log.filter((l) => !l.startsWith('start')),
      ['send 2 final', 'done 2'],
    );
  });

  test('memory stays bounded under churn: cancelled and timed-out requests do not pile up', () => {
    const { add, batcher, clock } = setup({ default_queue_policy: policy({ default_timeout_microseconds: 10 }) });
    add('busy');
    for (let i = 0; i < 5000; i++) {
      const ac = new AbortController();
      add(`c${i}`, { signal: ac.signal });
      ac.abort();
      add(`t${i}`);
      clock.advanceUs(10);
    }
    assert.equal(batcher.queued, 0);
    const q = (batcher as unknown as { queue: { levels: Array<Record<'main' | 'delayed', { items: unknown[] }>> } })
      .queue;
    const slots = q.levels.reduce((n, l) => n + l.main.items.length + l.delayed.items.length, 0);
    assert.ok(slots < 64, `queue keeps ${slots} slots while empty`);
    assert.ok(clock.pendingTimers <= 1);
  });
});
