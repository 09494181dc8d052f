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
import type { LoadedStateSpec } from './state-config.js';

const T: ExecutionTimings = { computeInputNs: 1, computeInferNs: 2, computeOutputNs: 3 };
const tick = () => new Promise((r) => setImmediate(r));
const i32 = (...v: number[]): Uint8Array => new Uint8Array(new Int32Array(v).buffer);
const int = (t: Tensor | undefined): number => new Int32Array(t!.data.slice().buffer)[0]!;

const SPEC: LoadedStateSpec = {
  inputName: 'S_IN',
  outputName: 'S_OUT',
  datatype: 'INT32',
  dims: [1],
  initialShape: [1, 1],
  initialData: i32(0),
};

/**
 * An accumulator instance: each real request gets OUT = S_OUT = X + S_IN; executions finish when
 * the test says so. Null requests (empty direct slots) are recorded too.
 */
function accumulator(up = { value: true }) {
  const runs: Array<{ batch: readonly ExecutionRequest[]; finish: () => void }> = [];
  let listener: (() => void) | undefined;
  const inst: ModelInstance = {
    name: 'acc_0',
    execute(batch) {
      return new Promise<ExecutionTimings>((resolve) =>
        runs.push({
          batch,
          finish: () => {
            for (const r of batch) {
              const sum = int(r.inputs.find((t) => t.name === 'X')) + int(r.inputs.find((t) => t.name === 'S_IN'));
              const out = (name: string): Tensor => ({ name, datatype: 'INT32', shape: [1, 1], data: i32(sum) });
              r.sender.send({ outputs: [out('OUT'), out('S_OUT')] }, { final: true });
            }
            resolve(T);
          },
        }),
      );
    },
    unavailable: () => (up.value ? undefined : new InferenceError('UNAVAILABLE', 'acc_0 is restarting')),
    onAvailabilityChange: (l) => (listener = l),
  };
  return { inst, runs, setUp: (v: boolean) => ((up.value = v), listener?.()) };
}

function setup(maxBatch: number, strategy: Record<string, unknown> = {}) {
  const clock = new ManualClock();
  const acc = accumulator();
  const cfg = {
    name: 'acc',
    max_batch_size: maxBatch,
    input: [{ name: 'X', data_type: 'TYPE_INT32', dims: [1] }],
    sequence_batching: { max_sequence_idle_microseconds: 1_000_000, control_input: [], ...strategy },
  } as unknown as ModelConfig;
  const s = new SequenceScheduler([acc.inst], clock, () => {}, cfg, sequenceSettings(cfg, 8), [SPEC]);
  return { clock, s, ...acc, store: s.states! };
}

function job(id: string, x: number, params: Parameters, results: Map<string, number | string>): SchedulerJob {
  const base = testJob(id, {
    inputs: [{ name: 'X', datatype: 'INT32', shape: [1, 1], data: i32(x) }],
    send: (r) => {
      if (r?.error) results.set(id, r.error.message);
      else if (r) results.set(id, int(r.outputs.find((t) => t.name === 'OUT')));
    },
    onDropped: (e) => results.set(id, `dropped: ${e.message}`),
  });
  return { ...base, request: { ...base.request, requestedOutputs: ['OUT'], parameters: params } };
}

describe('sequence scheduler with implicit state', () => {
  test('direct: states follow their sequences; empty slots get zero states; END frees', async () => {
    const { s, runs, store } = setup(2);
    const got = new Map<string, number | string>();
    s.enqueue(job('a1', 1, { sequence_id: 1, sequence_start: true }, got));
    s.enqueue(job('b1', 100, { sequence_id: 2, sequence_start: true }, got));
    runs[0]!.finish();
    await tick();
    assert.equal(store.size, 2, 'a and b hold state');
    // b1 runs in slot 1 with a null request in slot 0 carrying a zero state.
    const second = runs[1]!.batch;
    assert.equal(second.length, 2);
    assert.deepEqual(
      second[0]!.inputs.map((t) => t.name),
      ['X', 'S_IN'],
    );
    assert.equal(int(second[0]!.inputs[1]), 0);
    assert.deepEqual(second[1]!.requestedOutputs, ['OUT', 'S_OUT']);
    runs[1]!.finish();
    await tick();
    s.enqueue(job('a2', 2, { sequence_id: 1, sequence_end: true }, got));
    s.enqueue(job('b2', 5, { sequence_id: 2 }, got));
    for (const run of [2, 3]) {
      runs[run]!.finish();
      await tick();
    }
    assert.deepEqual(Object.fromEntries(got), { a1: 1, b1: 100, a2: 3, b2: 105 });
    assert.equal(store.size, 1, "a's END freed its states");
    assert.equal(store.bytes, 4);
  });

  test('oldest: a sequence restarted under its id starts from the initial state', async () => {
    const { s, runs, store } = setup(4, { oldest: { max_candidate_sequences: 4 } });
    const got = new Map<string, number | string>();
    const steps: Array<[string, number, Parameters]> = [
      ['1', 4, { sequence_id: 'x', sequence_start: true }],
      ['2', 4, { sequence_id: 'x' }],
      ['3', 4, { sequence_id: 'x', sequence_end: true }],
      ['4', 4, { sequence_id: 'x', sequence_start: true }],
    ];
    for (const [id, x, p] of steps) {
      s.enqueue(job(id, x, p, got));
      runs.at(-1)!.finish();
      await tick();
    }
    assert.deepEqual(Object.fromEntries(got), { '1': 4, '2': 8, '3': 12, '4': 4 });
    assert.equal(store.size, 1);
  });

  test('an idle release and a lost instance free the states', async () => {
    const { s, runs, store, clock, setUp } = setup(2);
    const got = new Map<string, number | string>();
    s.enqueue(job('a', 1, { sequence_id: 1, sequence_start: true }, got));
    s.enqueue(job('b', 1, { sequence_id: 2, sequence_start: true }, got));
    runs[0]!.finish();
    await tick();
    runs[1]!.finish();
    await tick();
    assert.equal(store.size, 2);
    clock.advanceUs(1_000_000);
    assert.equal(store.size, 0, 'both released as idle');
    s.enqueue(job('c', 1, { sequence_id: 3, sequence_start: true }, got));
    runs.at(-1)!.finish();
    await tick();
    assert.equal(store.size, 1);
    setUp(false);
    assert.equal(store.size, 0, 'the instance went away with its sequences');
    s.close(new InferenceError('UNAVAILABLE', 'unloading'));
    assert.equal(store.bytes, 0);
  });
});
