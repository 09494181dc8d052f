import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExecutionRequest, ExecutionTimings, ModelInstance } from '../../../backend-api/backend.js';
import type { ModelConfig } from '../../config/model-config.js';
import { InferenceError } from '../../errors.js';
import type { Parameters, Tensor } from '../../types.js';
import { ManualClock } from '../manual-clock.test-helper.js';
import type { SchedulerJob } from '../scheduler.js';
import { testJob } from '../test-job.test-helper.js';
import { SequenceScheduler } from './sequence-scheduler.js';
import { sequenceSettings } from './sequence-settings.js';

const T: ExecutionTimings = { computeInputNs: 1, computeInferNs: 2, computeOutputNs: 3 };
const tick = () => new Promise((r) => setImmediate(r));

/** An instance whose executions finish only when the test says so. */
function manualInstance(name: string) {
  const runs: Array<{ batch: readonly ExecutionRequest[]; finish: () => void }> = [];
  const inst: ModelInstance = {
    name,
    execute(batch) {
      return new Promise<ExecutionTimings>((resolve) => runs.push({ batch, finish: () => resolve(T) }));
    },
  };
  return { inst, runs };
}

const CONTROLS = [
  { name: 'START', control: [{ kind: 'CONTROL_SEQUENCE_START', int32_false_true: [0, 1] }] },
  { name: 'END', control: [{ kind: 'CONTROL_SEQUENCE_END', fp32_false_true: [0, 1] }] },
  { name: 'READY', control: [{ kind: 'CONTROL_SEQUENCE_READY', bool_false_true: [false, true] }] },
  { name: 'CORRID', control: [{ kind: 'CONTROL_SEQUENCE_CORRID', data_type: 'TYPE_UINT64' }] },
];

function config(maxBatch: number, sb: Record<string, unknown>): ModelConfig {
  return {
    name: 'seq',
    max_batch_size: maxBatch,
    input: [{ name: 'X', data_type: 'TYPE_INT32', dims: [1] }],
    sequence_batching: { max_sequence_idle_microseconds: 1_000_000, control_input: CONTROLS, ...sb },
  } as unknown as ModelConfig;
}

function setup(maxBatch: number, sb: Record<string, unknown> = {}, instances = 1, backlog = 8) {
  const clock = new ManualClock();
  const lanes = Array.from({ length: instances }, (_, i) => manualInstance(`seq_${i}`));
  const executions: number[] = [];
  const cfg = config(maxBatch, sb);
  const s = new SequenceScheduler(
    lanes.map((l) => l.inst),
    clock,
    (n) => executions.push(n),
    cfg,
    sequenceSettings(cfg, backlog),
  );
  return { clock, lanes, runs: lanes[0]!.runs, s, executions };
}

function job(id: string, log: string[], params: Parameters, o: { signal?: AbortSignal; timeoutUs?: number } = {}) {
  const x: Tensor = { name: 'X', datatype: 'INT32', shape: [1, 1], data: new Uint8Array(new Int32Array([7]).buffer) };
  const base = testJob(id, {
    inputs: [x],
    ...(o.signal && { signal: o.signal }),
    ...(o.timeoutUs !== undefined && { timeoutUs: o.timeoutUs }),
    onStart: () => log.push(`start ${id}`),
    onExecuted: (r) => log.push('error' in r ? `error ${id}` : `done ${id}`),
    onDropped: (e) => log.push(`dropped ${id} ${e.code}: ${e.message}`),
  });
  const j: SchedulerJob = { ...base, request: { ...base.request, parameters: params } };
  return j;
}

/** The control values a request carries: START, END, READY, CORRID. */
function controls(r: ExecutionRequest): [number, number, number, bigint] {
  const get = (n: string) => r.inputs.find((t) => t.name === n)!;
  const start = new Int32Array(get('START').data.slice().buffer)[0]!;
  const end = new Float32Array(get('END').data.slice().buffer)[0]!;
  const ready = get('READY').data[0]!;
  const corrid = new BigUint64Array(get('CORRID').data.slice().buffer)[0]!;
  return [start, end, ready, corrid];
}

describe('sequence scheduler: direct', () => {
  test('each sequence keeps its slot; empty slots below the last used one are null requests, READY false', async () => {
    const { s, runs, executions } = setup(4);
    const log: string[] = [];
    s.enqueue(job('a1', log, { sequence_id: 10, sequence_start: true }));
    assert.equal(runs.length, 1);
    assert.deepEqual(controls(runs[0]!.batch[0]!), [1, 0, 1, 10n]);
    assert.deepEqual(runs[0]!.batch[0]!.inputs.at(-1)!.shape, [1, 1], 'batching model: [1, 1]');
    s.enqueue(job('b1', log, { sequence_id: 11, sequence_start: true }));
    runs[0]!.finish();
    await tick();
    // a is idle, b (slot 1) has a request: slot 0 is a null request.
    assert.equal(runs.length, 2);
    const batch = runs[1]!.batch;
    assert.equal(batch.length, 2);
    assert.deepEqual(controls(batch[0]!), [0, 0, 0, 0n]);
    assert.deepEqual(new Int32Array(batch[0]!.inputs[0]!.data.slice().buffer), new Int32Array([0]));
    assert.equal(batch[1]!.id, 'b1');
    assert.deepEqual(controls(batch[1]!), [1, 0, 1, 11n]);
    s.enqueue(job('a2', log, { sequence_id: 10, sequence_end: true }));
    s.enqueue(job('b2', log, { sequence_id: 11 }));
    runs[1]!.finish();
    await tick();
    assert.deepEqual(
      runs[2]!.batch.map((r) => r.id),
      ['a2', 'b2'],
    );
    assert.deepEqual(controls(runs[2]!.batch[0]!), [0, 1, 1, 10n]);
    runs[2]!.finish();
    await tick();
    assert.deepEqual(executions, [1, 1, 2], 'statistics count the real requests');
    assert.deepEqual(s.sequences, { active: 1, backlogged: 0 }, "a's END freed its slot");
  });

  test("a sequence's requests execute one per batch, in arrival order", async () => {
    const { s, runs } = setup(2);
    const log: string[] = [];
    s.enqueue(job('1', log, { sequence_id: 3, sequence_start: true }));
    s.enqueue(job('2', log, { sequence_id: 3 }));
    s.enqueue(job('3', log, { sequence_id: 3, sequence_end: true }));
    for (let i = 0; i < 3; i++) {
      assert.equal(runs.length, i + 1, log.join('; '));
      assert.deepEqual(
        runs[i]!.batch.map((r) => r.id),
        [String(i + 1)],
      );
      runs[i]!.finish();
      await tick();
    }
    assert.deepEqual(log, ['start 1', 'done 1', 'start 2', 'done 2', 'start 3', 'done 3']);
  });

  test('errors: no id, not started, wrong id kind, batch > 1, unsafe integer', () => {
    const { s } = setup(2);
    const log: string[] = [];
    s.enqueue(job('a', log, {}));
    s.enqueue(job('b', log, { sequence_id: 5 }));
    s.enqueue(job('c', log, { sequence_id: 'x', sequence_start: true }));
    const big = job('d', log, { sequence_id: 5, sequence_start: true });
    s.enqueue({ ...big, batchSize: 2 });
    s.enqueue(job('e', log, { sequence_id: 2 ** 60, sequence_start: true }));
    assert.deepEqual(log, [
      "dropped a INVALID_ARG: inference request to model 'seq' must specify a non-zero or non-empty correlation ID",
      "dropped b INVALID_ARG: inference request for sequence 5 to model 'seq' must specify the START flag on the first request of the sequence",
      "dropped c INVALID_ARG: sequence batching control 'CORRID' data-type is 'BYTES', but model 'seq' expects 'UINT64'",
      "dropped d INVALID_ARG: inference request to model 'seq' must specify batch-size 1 due to requirements of sequence batcher",
      `dropped e INVALID_ARG: sequence_id ${2 ** 60} of a request to model 'seq' is above 9007199254740991, the largest integer tensorgate keeps exact; use a smaller id or a string id`,
    ]);
  });

  test('an idle sequence is released: its next request without START fails, its slot goes to a waiting one', async () => {
    const { s, runs, clock } = setup(0); // one slot
    const log: string[] = [];
    s.enqueue(job('a1', log, { sequence_id: 1, sequence_start: true }));
    s.enqueue(job('b1', log, { sequence_id: 2, sequence_start: true }));
    assert.deepEqual(s.sequences, { active: 1, backlogged: 1 });
    runs[0]!.finish();
    await tick();
    assert.equal(runs.length, 1, 'b waits for the slot');
    clock.advanceUs(999_999);
    assert.equal(runs.length, 1);
    clock.advanceUs(1);
    assert.equal(runs.length, 2, 'a was released; b got its slot');
    assert.equal(runs[1]!.batch[0]!.id, 'b1');
    assert.deepEqual(controls(runs[1]!.batch[0]!), [1, 0, 1, 2n]);
    assert.deepEqual(runs[1]!.batch[0]!.inputs.at(-1)!.shape, [1], 'max_batch_size 0: [1]');
    s.enqueue(job('a2', log, { sequence_id: 1 }));
    assert.match(
      log.at(-1)!,
      /^dropped a2 INVALID_ARG: inference request for sequence 1 to model 'seq' must specify the START/,
    );
  });

  test('a request waiting or executing keeps its sequence from going idle', async () => {
    const { s, runs, clock } = setup(0);
    const log: string[] = [];
    s.enqueue(job('a1', log, { sequence_id: 1, sequence_start: true }));
    clock.advanceUs(5_000_000);
    runs[0]!.finish();
    await tick();
    clock.advanceUs(500_000);
    s.enqueue(job('a2', log, { sequence_id: 1 }));
    assert.equal(runs.length, 2, 'still live');
  });

  test('the backlog is bounded; a full one refuses new sequences with RESOURCE_EXHAUSTED', () => {
    const { s } = setup(0, {}, 1, 1);
    const log: string[] = [];
    s.enqueue(job('a', log, { sequence_id: 1, sequence_start: true }));
    s.enqueue(job('b', log, { sequence_id: 2, sequence_start: true }));
    s.enqueue(job('c', log, { sequence_id: 3, sequence_start: true }));
    s.enqueue(job('b2', log, { sequence_id: 2 }));
    assert.deepEqual(log, [
      'start a',
      "dropped c RESOURCE_EXHAUSTED: inference request for sequence 3 to model 'seq' rejected: all 1 sequence slots are taken and 1 sequences already wait for one (--max-sequence-backlog)",
    ]);
    assert.equal(s.queued, 2);
  });

  test("a backlogged sequence's request timeout expires it with UNAVAILABLE", () => {
    const { s, clock } = setup(0);
    const log: string[] = [];
    s.enqueue(job('a', log, { sequence_id: 1, sequence_start: true }));
    s.enqueue(job('b', log, { sequence_id: 2, sequence_start: true }, { timeoutUs: 1000 }));
    clock.advanceUs(1000);
    assert.equal(log.at(-1), 'dropped b UNAVAILABLE: timeout of the corresponding sequence has been expired');
    assert.deepEqual(s.sequences, { active: 1, backlogged: 0 });
  });

  test('a cancelled waiting request cancels its sequence; its slot goes on', async () => {
    const { s, runs } = setup(0);
    const log: string[] = [];
    const ac = new AbortController();
    s.enqueue(job('a1', log, { sequence_id: 1, sequence_start: true }));
    s.enqueue(job('a2', log, { sequence_id: 1 }, { signal: ac.signal }));
    s.enqueue(job('a3', log, { sequence_id: 1 }));
    s.enqueue(job('b1', log, { sequence_id: 2, sequence_start: true }));
    ac.abort();
    assert.deepEqual(log.slice(1), [
      'dropped a2 CANCELLED: request cancelled while waiting in the queue',
      "dropped a3 CANCELLED: sequence 1 of model 'seq' was cancelled: an earlier request of it was cancelled",
    ]);
    runs[0]!.finish();
    await tick();
    assert.equal(runs[1]!.batch[0]!.id, 'b1');
  });

  test('START for a live sequence continues it in its slot', async () => {
    const { s, runs } = setup(2);
    const log: string[] = [];
    s.enqueue(job('a1', log, { sequence_id: 1, sequence_start: true }));
    s.enqueue(job('a2', log, { sequence_id: 1, sequence_start: true }));
    runs[0]!.finish();
    await tick();
    assert.equal(runs[1]!.batch.length, 1, 'same slot 0');
    assert.deepEqual(controls(runs[1]!.batch[0]!), [1, 0, 1, 1n]);
  });

  test('direct delay with minimum_slot_utilization waits for a fuller batch, up to the delay', () => {
    const { s, runs, clock } = setup(4, {
      direct: { max_queue_delay_microseconds: 100, minimum_slot_utilization: 0.5 },
    });
    const log: string[] = [];
    s.enqueue(job('a', log, { sequence_id: 1, sequence_start: true }));
    assert.equal(runs.length, 0, '1 of 4 slots < 0.5');
    clock.advanceUs(100);
    assert.equal(runs.length, 1, 'the delay is over');
  });

  test('retire (unload): backlogged sequences fail, queued requests of live ones still run, new sequences are refused', async () => {
    const { s, runs } = setup(0);
    const log: string[] = [];
    s.enqueue(job('a1', log, { sequence_id: 1, sequence_start: true }));
    s.enqueue(job('a2', log, { sequence_id: 1 }));
    s.enqueue(job('b1', log, { sequence_id: 2, sequence_start: true }));
    s.retire(new InferenceError('UNAVAILABLE', "model 'seq' version 1 is unloading"));
    s.enqueue(job('c1', log, { sequence_id: 3, sequence_start: true }));
    runs[0]!.finish();
    await tick();
    runs[1]!.finish();
    await tick();
    assert.deepEqual(log, [
      'start a1',
      "dropped b1 UNAVAILABLE: model 'seq' version 1 is unloading",
      "dropped c1 UNAVAILABLE: model 'seq' version 1 is unloading",
      'done a1',
      'start a2',
      'done a2',
    ]);
    assert.deepEqual(s.sequences, { active: 0, backlogged: 0 });
  });

  test('an instance that becomes unavailable ends its sequences; others take the new ones', async () => {
    const clock = new ManualClock();
    const listeners: Array<() => void> = [];
    let down: InferenceError | undefined;
    const runs: ExecutionRequest[][] = [];
    const flaky: ModelInstance = {
      name: 'flaky',
      execute: (batch) => {
        runs.push([...batch]);
        return new Promise<ExecutionTimings>(() => {});
      },
      unavailable: () => down,
      onAvailabilityChange: (l) => listeners.push(l),
    };
    const cfg = config(0, {});
    const s = new SequenceScheduler([flaky], clock, () => {}, cfg, sequenceSettings(cfg, 4));
    const log: string[] = [];
    s.enqueue(job('a1', log, { sequence_id: 1, sequence_start: true }));
    s.enqueue(job('a2', log, { sequence_id: 1 }));
    down = new InferenceError('UNAVAILABLE', 'instance flaky is restarting');
    for (const l of listeners) l();
    assert.match(
      log.at(-1)!,
      /^dropped a2 UNAVAILABLE: model 'seq' has no instance that can serve the request now: instance flaky is restarting/,
    );
    s.enqueue(job('b1', log, { sequence_id: 2, sequence_start: true }));
    assert.match(log.at(-1)!, /^dropped b1 UNAVAILABLE/);
    down = undefined;
    for (const l of listeners) l();
    s.enqueue(job('a3', log, { sequence_id: 1 }));
    assert.match(log.at(-1)!, /^dropped a3 INVALID_ARG: .*must specify the START flag/);
  });

  test('close fails waiting requests and refuses new ones', () => {
    const { s } = setup(0);
    const log: string[] = [];
    s.enqueue(job('a', log, { sequence_id: 1, sequence_start: true }));
    s.enqueue(job('b', log, { sequence_id: 2, sequence_start: true }));
    s.close(new InferenceError('UNAVAILABLE', 'closed'));
    s.enqueue(job('c', log, { sequence_id: 1 }));
    assert.deepEqual(log, ['start a', 'dropped b UNAVAILABLE: closed', 'dropped c UNAVAILABLE: closed']);
  });
});

describe('sequence scheduler: oldest', () => {
  test('requests of different sequences batch together, at most one per sequence, after the delay', async () => {
    const { s, runs, clock } = setup(4, {
      oldest: { max_candidate_sequences: 8, preferred_batch_size: [3], max_queue_delay_microseconds: 50 },
    });
    const log: string[] = [];
    s.enqueue(job('a1', log, { sequence_id: 1, sequence_start: true }));
    s.enqueue(job('a2', log, { sequence_id: 1 }));
    s.enqueue(job('b1', log, { sequence_id: 2, sequence_start: true }));
    assert.equal(runs.length, 0, 'two candidates, preferred 3: waits');
    clock.advanceUs(50);
    assert.deepEqual(
      runs[0]!.batch.map((r) => r.id),
      ['a1', 'b1'],
    );
    clock.advanceUs(1);
    s.enqueue(job('c1', log, { sequence_id: 3, sequence_start: true }));
    clock.advanceUs(1);
    s.enqueue(job('b2', log, { sequence_id: 2, sequence_end: true }));
    runs[0]!.finish();
    await tick();
    assert.deepEqual(
      runs[1]!.batch.map((r) => r.id),
      ['a2', 'c1', 'b2'],
      'oldest first; a preferred size goes at once',
    );
    assert.deepEqual(controls(runs[1]!.batch[2]!), [0, 1, 1, 2n]);
  });

  test('sequences spread over instances and stay on theirs', async () => {
    const { s, lanes } = setup(2, { oldest: { max_candidate_sequences: 2 } }, 2);
    const log: string[] = [];
    s.enqueue(job('a1', log, { sequence_id: 1, sequence_start: true }));
    s.enqueue(job('b1', log, { sequence_id: 2, sequence_start: true }));
    assert.equal(lanes[0]!.runs.length, 1);
    assert.equal(lanes[1]!.runs.length, 1);
    lanes[1]!.runs[0]!.finish();
    await tick();
    s.enqueue(job('a2', log, { sequence_id: 1 }));
    assert.equal(lanes[1]!.runs.length, 1, 'a stays on instance 0, busy');
    lanes[0]!.runs[0]!.finish();
    await tick();
    assert.equal(lanes[0]!.runs[1]!.batch[0]!.id, 'a2');
  });
});

describe('sequence batcher with the rate limiter', () => {
  test('a ready lane waits for its grant, runs what is queued then, and gives the resources back', async () => {
    const clock = new ManualClock();
    const lane = manualInstance('seq_0');
    const cfg = config(2, { direct: {} });
    const calls: string[] = [];
    let grant: (() => void) | undefined;
    const gate = {
      pick: (c: readonly ModelInstance[]) => c[0]!,
      request: (i: ModelInstance, onGrant: () => void) => {
        calls.push(`request ${i.name}`);
        grant = onGrant;
      },
      withdraw: (i: ModelInstance) => calls.push(`withdraw ${i.name}`),
      release: (i: ModelInstance, executed: boolean) => calls.push(`release ${i.name} ${executed}`),
    };
    const s = new SequenceScheduler([lane.inst], clock, () => {}, cfg, sequenceSettings(cfg, 8), [], undefined, gate);
    const log: string[] = [];
    s.enqueue(job('a', log, { sequence_id: 1, sequence_start: true }));
    await tick();
    assert.deepEqual(calls, ['request seq_0']);
    assert.equal(lane.runs.length, 0, 'nothing runs before the grant');
    s.enqueue(job('b', log, { sequence_id: 2, sequence_start: true }));
    await tick();
    assert.deepEqual(calls, ['request seq_0'], 'one request per lane while it waits');
    grant!();
    await tick();
    assert.equal(lane.runs.length, 1);
    assert.equal(lane.runs[0]!.batch.length, 2, 'the sequence that arrived while waiting joined the batch');
    lane.runs[0]!.finish();
    await tick();
    assert.deepEqual(calls, ['request seq_0', 'release seq_0 true']);
    s.enqueue(job('c', log, { sequence_id: 1 }));
    await tick();
    assert.deepEqual(calls.slice(2), ['request seq_0']);
    s.close(new InferenceError('UNAVAILABLE', 'closed'));
    assert.deepEqual(calls.slice(3), ['withdraw seq_0']);
  });
});
