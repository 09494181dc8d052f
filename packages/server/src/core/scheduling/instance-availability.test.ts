/**
 * Both schedulers honour `ModelInstance.unavailable()`: an instance that is restarting takes no
 * work, the others keep serving, and while none is available requests (queued ones included) are
 * answered UNAVAILABLE at once instead of waiting out the restart.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExecutionRequest, ExecutionTimings, ModelInstance } from '../../backend-api/backend.js';
import { InferenceError } from '../errors.js';
import { DirectScheduler } from './direct-scheduler.js';
import { DynamicBatcher } from './dynamic-batcher.js';
import { ManualClock } from './manual-clock.test-helper.js';
import type { Scheduler } from './scheduler.js';
import { testJob } from './test-job.test-helper.js';

const T: ExecutionTimings = { computeInputNs: 1, computeInferNs: 2, computeOutputNs: 3 };
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** An instance whose executions finish when the test says so, and which can be marked down. */
function instance(name: string) {
  const runs: Array<{ ids: string[]; finish: () => void; fail: (e: Error) => void }> = [];
  let down: InferenceError | undefined;
  const listeners: Array<() => void> = [];
  const inst: ModelInstance = {
    name,
    concurrency: 2,
    execute(batch: readonly ExecutionRequest[]) {
      if (down) throw new Error(`the scheduler gave work to ${name} while it was down`);
      return new Promise<ExecutionTimings>((resolve, reject) => {
        runs.push({ ids: batch.map((b) => b.id), finish: () => resolve(T), fail: reject });
      });
    },
    unavailable: () => down,
    onAvailabilityChange: (l) => listeners.push(l),
  };
  const setDown = (why: string | undefined): void => {
    down = why === undefined ? undefined : new InferenceError('UNAVAILABLE', why);
    for (const l of listeners) l();
  };
  return { inst, runs, setDown, ids: () => runs.map((r) => r.ids.join(',')) };
}

type Make = (instances: ModelInstance[]) => Scheduler;

const direct: Make = (instances) => new DirectScheduler(instances, new ManualClock(), () => {}, 'm');
const batcher: Make = (instances) =>
  new DynamicBatcher(instances, new ManualClock(), () => {}, {
    name: 'm',
    max_batch_size: 4,
    input: [],
    dynamic_batching: {
      preferred_batch_size: [4],
      max_queue_delay_microseconds: 0,
      preserve_ordering: false,
      priority_levels: 0,
      default_priority_level: 0,
      priority_queue_policy: {},
    },
  });

for (const [kind, make] of [
  ['DirectScheduler', direct],
  ['DynamicBatcher', batcher],
] as const) {
  describe(`${kind}: instance availability`, () => {
    const setup = () => {
      const a = instance('m_0');
      const b = instance('m_1');
      const log: string[] = [];
      const s = make([a.inst, b.inst]);
      const add = (id: string): void =>
        s.enqueue(
          testJob(id, {
            onExecuted: (r) => log.push('error' in r ? `error ${id}` : `done ${id}`),
            onDropped: (e) => log.push(`dropped ${id} ${e.code}: ${e.message}`),
          }),
        );
      return { a, b, log, s, add };
    };

    test('work goes around an unavailable instance, and reaches it again once it is back', async () => {
      const { a, b, add } = setup();
      a.setDown('model instance m_0 is restarting');
      add('1');
      assert.deepEqual(a.ids(), []);
      assert.deepEqual(b.ids(), ['1']);
      a.setDown(undefined);
      add('2'); // m_0 is idle again, m_1 still busy: m_0 takes it
      await tick();
      assert.deepEqual(a.ids(), ['2']);
    });

    test('with every instance down, new and queued requests get UNAVAILABLE at once, naming each reason', async () => {
      const { a, b, log, add } = setup();
      // Fill both instances so the next requests wait in the queue.
      for (const id of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12']) add(id);
      const queued = log.length;
      assert.equal(queued, 0);
      a.setDown('model instance m_0 is restarting after it crashed: exit 3; next start attempt in 0.4 s');
      assert.equal(log.filter((l) => l.startsWith('dropped')).length, 0, 'one instance is still up');
      b.setDown('model instance m_1 is restarting after it crashed: exit 3; it is starting again now');
      const dropped = log.filter((l) => l.startsWith('dropped'));
      assert.ok(dropped.length > 0, 'queued requests are answered when the last instance goes down');
      add('new');
      const last = log.at(-1)!;
      assert.equal(
        last,
        "dropped new UNAVAILABLE: model 'm' has no instance that can serve the request now: " +
          'model instance m_0 is restarting after it crashed: exit 3; next start attempt in 0.4 s; ' +
          'model instance m_1 is restarting after it crashed: exit 3; it is starting again now',
      );
      // The executions that were running finish (here: fail) without giving work to a down instance.
      for (const r of [...a.runs, ...b.runs]) r.fail(new InferenceError('INTERNAL', 'crashed'));
      await tick();
      b.setDown(undefined);
      add('back');
      await tick();
      assert.ok(b.ids().some((ids) => ids.split(',').includes('back')));
      assert.deepEqual(
        a.ids().filter((ids) => ids.includes('back')),
        [],
      );
    });
  });
}
