/**
 * The rate limiter with the real schedulers: resources held per execution, priorities and
 * fairness among instances of several models, release on failure, crash, cancel and unload, and
 * queue time that includes the wait for resources. Time runs on a manual clock.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExecutionRequest, ExecutionTimings, ModelInstance } from '../../backend-api/backend.js';
import { InferenceError } from '../errors.js';
import { DirectScheduler } from './direct-scheduler.js';
import { DynamicBatcher } from './dynamic-batcher.js';
import { ManualClock } from './manual-clock.test-helper.js';
import { RateLimiter } from './rate-limiter.js';
import type { ResourceNeed } from './rate-limit-resources.js';
import { testJob } from './test-job.test-helper.js';

const T: ExecutionTimings = { computeInputNs: 1, computeInferNs: 2, computeOutputNs: 3 };
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Executions of every instance of a test, in start order. */
type Log = string[];

/** An instance whose executions finish when the test says so; it logs starts, and can go down. */
function instance(name: string, log: Log) {
  const runs: Array<{ ids: string[]; finish: () => void; fail: (e: Error) => void }> = [];
  let down: InferenceError | undefined;
  const listeners: Array<() => void> = [];
  const inst: ModelInstance = {
    name,
    concurrency: 2, // may take a second execution early, when it can hold resources for it too
    execute(batch: readonly ExecutionRequest[]) {
      const ids = batch.map((b) => b.id);
      log.push(`${name}:${ids.join(',')}`);
      return new Promise<ExecutionTimings>((resolve, reject) => {
        runs.push({ ids, finish: () => resolve(T), fail: reject });
      });
    },
    unavailable: () => down,
    onAvailabilityChange: (l) => listeners.push(l),
  };
  const setDown = (why: string | undefined): void => {
    down = why === undefined ? undefined : new InferenceError('UNAVAILABLE', why);
    for (const l of listeners) l();
  };
  /** Finishes the oldest unfinished execution. */
  const finishNext = async (): Promise<void> => {
    const run = runs.find((r) => !('done' in r));
    assert.ok(run, `${name} has no execution to finish`);
    Object.assign(run, { done: true });
    run.finish();
    await tick();
  };
  return { inst, runs, setDown, finishNext };
}

const need = (name: string, count: number, global = false): ResourceNeed => ({ name, count, global });

function direct(limiter: RateLimiter, model: string, inst: ModelInstance, resources: ResourceNeed[], priority = 1) {
  const gate = limiter.register(model, [{ instance: inst, device: 0, resources, priority }]);
  return { scheduler: new DirectScheduler([inst], new ManualClock(), () => {}, model, gate), gate };
}

describe('RateLimiter with the direct scheduler', () => {
  test('two models sharing a resource of count 1 never execute at the same time', async () => {
    const log: Log = [];
    const limiter = new RateLimiter();
    const a = instance('a', log);
    const b = instance('b', log);
    const sa = direct(limiter, 'A', a.inst, [need('R', 1)]).scheduler;
    const sb = direct(limiter, 'B', b.inst, [need('R', 1)]).scheduler;
    sa.enqueue(testJob('a1'));
    sb.enqueue(testJob('b1'));
    sa.enqueue(testJob('a2'));
    assert.deepEqual(log, ['a:a1']);
    await a.finishNext();
    // B waited longest with equal executions x priority (A has 1 execution now, B none).
    assert.deepEqual(log, ['a:a1', 'b:b1']);
    await b.finishNext();
    assert.deepEqual(log, ['a:a1', 'b:b1', 'a:a2']);
    await a.finishNext();
    assert.equal(sa.queued + sb.queued, 0);
  });

  test('resources are sized by the largest need: instances that fit together run together', async () => {
    const log: Log = [];
    const limiter = new RateLimiter();
    const a = instance('a', log);
    const b = instance('b', log);
    const c = instance('c', log);
    direct(limiter, 'A', a.inst, [need('R', 4)]).scheduler.enqueue(testJob('a1'));
    const sb = direct(limiter, 'B', b.inst, [need('R', 2)]).scheduler;
    const sc = direct(limiter, 'C', c.inst, [need('R', 2)]).scheduler;
    assert.deepEqual(limiter.resources(), { 0: { R: 4 } });
    sb.enqueue(testJob('b1'));
    sc.enqueue(testJob('c1'));
    assert.deepEqual(log, ['a:a1']);
    await a.finishNext();
    assert.deepEqual(log, ['a:a1', 'b:b1', 'c:c1']);
  });

  test('priority 2 gets half the executions of priority 1 while both wait (lower executions x priority first)', async () => {
    const log: Log = [];
    const limiter = new RateLimiter();
    const a = instance('a', log);
    const b = instance('b', log);
    const sa = direct(limiter, 'A', a.inst, [need('R', 1)], 1).scheduler;
    const sb = direct(limiter, 'B', b.inst, [need('R', 1)], 2).scheduler;
    for (let i = 0; i < 12; i++) sa.enqueue(testJob(`a${i}`));
    for (let i = 0; i < 12; i++) sb.enqueue(testJob(`b${i}`));
    for (let i = 0; i < 12; i++) {
      const last = log.at(-1)!;
      await (last.startsWith('a:') ? a : b).finishNext();
    }
    const order = log.slice(0, 12).map((e) => e[0]);
    // Executions x priority decide; equal values go to the instance that waited longer. Once both
    // have run, A runs twice per run of B.
    assert.deepEqual(order.join(''), 'ababaabaabaa');
    const as = order.filter((x) => x === 'a').length;
    assert.equal(as, 8);
  });

  test('priority 0 counts as 1', async () => {
    const log: Log = [];
    const limiter = new RateLimiter();
    const a = instance('a', log);
    const b = instance('b', log);
    const sa = direct(limiter, 'A', a.inst, [need('R', 1)], 0).scheduler;
    const sb = direct(limiter, 'B', b.inst, [need('R', 1)], 1).scheduler;
    for (let i = 0; i < 3; i++) sa.enqueue(testJob(`a${i}`));
    for (let i = 0; i < 3; i++) sb.enqueue(testJob(`b${i}`));
    for (let i = 0; i < 5; i++) await (log.at(-1)!.startsWith('a:') ? a : b).finishNext();
    assert.deepEqual(log, ['a:a0', 'b:b0', 'a:a1', 'b:b1', 'a:a2', 'b:b2']);
  });

  test('the first waiting instance blocks the others, even those whose resources are free (no starvation)', async () => {
    const log: Log = [];
    const limiter = new RateLimiter();
    const small = instance('small', log);
    const big = instance('big', log);
    const other = instance('other', log);
    const sSmall = direct(limiter, 'S', small.inst, [need('R', 1)]).scheduler;
    const sBig = direct(limiter, 'B', big.inst, [need('R', 2)]).scheduler;
    const sOther = direct(limiter, 'O', other.inst, [need('R', 1)]).scheduler;
    sSmall.enqueue(testJob('s1')); // holds 1 of 2
    sBig.enqueue(testJob('b1')); // needs 2: waits, first in line
    sOther.enqueue(testJob('o1')); // 1 copy is free, but big is first
    assert.deepEqual(log, ['small:s1']);
    await small.finishNext();
    assert.deepEqual(log, ['small:s1', 'big:b1']);
    await big.finishNext();
    assert.deepEqual(log, ['small:s1', 'big:b1', 'other:o1']);
  });

  test('an instance that takes work early (concurrency 2) holds resources for each execution handed to it', async () => {
    const log: Log = [];
    const scarce = new RateLimiter();
    const a = instance('a', log);
    const s = direct(scarce, 'A', a.inst, [need('R', 1)]).scheduler;
    s.enqueue(testJob('1'));
    s.enqueue(testJob('2'));
    // One copy of R: the second request is not handed early; it waits for the copy.
    assert.deepEqual(log, ['a:1']);
    await a.finishNext();
    assert.deepEqual(log, ['a:1', 'a:2']);

    const ample = new RateLimiter([{ name: 'R', count: 2, device: -1 }]);
    const blog: Log = [];
    const b = instance('b', blog);
    const sb = direct(ample, 'B', b.inst, [need('R', 1)]).scheduler;
    for (const id of ['1', '2', '3']) sb.enqueue(testJob(id));
    // Two copies: two executions handed at once (the instance's capacity), the third waits.
    assert.deepEqual(blog, ['b:1', 'b:2']);
    await b.finishNext();
    assert.deepEqual(blog, ['b:1', 'b:2', 'b:3']);

    // No resources at all: the limiter never holds it back.
    const none = new RateLimiter();
    const clog: Log = [];
    const c = instance('c', clog);
    const sc = direct(none, 'C', c.inst, []).scheduler;
    for (const id of ['1', '2']) sc.enqueue(testJob(id));
    assert.deepEqual(clog, ['c:1', 'c:2']);
  });

  test('a failed execution gives its resources back', async () => {
    const log: Log = [];
    const results: string[] = [];
    const limiter = new RateLimiter();
    const a = instance('a', log);
    const b = instance('b', log);
    direct(limiter, 'A', a.inst, [need('R', 1)]).scheduler.enqueue(
      testJob('a1', { onExecuted: (r) => results.push('error' in r ? r.error.code : 'ok') }),
    );
    direct(limiter, 'B', b.inst, [need('R', 1)]).scheduler.enqueue(testJob('b1'));
    a.runs[0]!.fail(new InferenceError('INTERNAL', 'model threw'));
    await tick();
    assert.deepEqual(results, ['INTERNAL']);
    assert.deepEqual(log, ['a:a1', 'b:b1']);
  });

  test('a crash (the instance goes down, its execution fails) gives the resources back', async () => {
    const log: Log = [];
    const limiter = new RateLimiter();
    const a = instance('a', log);
    const b = instance('b', log);
    const sa = direct(limiter, 'A', a.inst, [need('R', 1)]).scheduler;
    sa.enqueue(testJob('a1'));
    sa.enqueue(testJob('a2', { onDropped: (e) => log.push(`dropped a2 ${e.code}`) }));
    direct(limiter, 'B', b.inst, [need('R', 1)]).scheduler.enqueue(testJob('b1'));
    a.setDown('worker crashed, restarting');
    a.runs[0]!.fail(new InferenceError('INTERNAL', 'worker crashed'));
    await tick();
    assert.deepEqual(log, ['a:a1', 'dropped a2 UNAVAILABLE', 'b:b1']);
  });

  test('a request cancelled while its instance waits for resources never runs; the grant is given back', async () => {
    const log: Log = [];
    const limiter = new RateLimiter();
    const a = instance('a', log);
    const b = instance('b', log);
    const c = instance('c', log);
    direct(limiter, 'A', a.inst, [need('R', 1)]).scheduler.enqueue(testJob('a1'));
    const cancel = new AbortController();
    const sb = direct(limiter, 'B', b.inst, [need('R', 1)]).scheduler;
    sb.enqueue(testJob('b1', { signal: cancel.signal, onDropped: (e) => log.push(`dropped b1 ${e.code}`) }));
    direct(limiter, 'C', c.inst, [need('R', 1)]).scheduler.enqueue(testJob('c1'));
    cancel.abort();
    assert.deepEqual(log, ['a:a1', 'dropped b1 CANCELLED']);
    await a.finishNext();
    // B's instance got the resource with nothing to run: it gave it back at once, to C.
    assert.deepEqual(log, ['a:a1', 'dropped b1 CANCELLED', 'c:c1']);
    assert.equal(sb.queued, 0);
  });

  test('unloading a model withdraws its waiting instance, which no longer blocks the others', async () => {
    const log: Log = [];
    const limiter = new RateLimiter();
    const a = instance('a', log);
    const big = instance('big', log);
    const c = instance('c', log);
    direct(limiter, 'A', a.inst, [need('R', 1)]).scheduler.enqueue(testJob('a1'));
    const { scheduler: sBig, gate } = direct(limiter, 'BIG', big.inst, [need('R', 2)]);
    sBig.enqueue(testJob('big1', { onDropped: (e) => log.push(`dropped big1 ${e.code}`) }));
    direct(limiter, 'C', c.inst, [need('R', 1)]).scheduler.enqueue(testJob('c1'));
    assert.deepEqual(log, ['a:a1']);
    assert.deepEqual(limiter.resources(), { 0: { R: 2 } });
    // The second copy of R was free all along: C only waited behind BIG.
    sBig.close(new InferenceError('UNAVAILABLE', 'unloading'));
    assert.deepEqual(log, ['a:a1', 'c:c1', 'dropped big1 UNAVAILABLE']);
    gate.unregister();
    // R shrinks back to the largest remaining need.
    assert.deepEqual(limiter.resources(), { 0: { R: 1 } });
    await a.finishNext();
    await c.finishNext();
  });

  test('queue time includes the wait for resources: a job starts when its instance holds them', async () => {
    const clock = new ManualClock();
    const log: Log = [];
    const limiter = new RateLimiter();
    const a = instance('a', log);
    const b = instance('b', log);
    const ga = limiter.register('A', [{ instance: a.inst, device: 0, resources: [need('R', 1)], priority: 1 }]);
    const gb = limiter.register('B', [{ instance: b.inst, device: 0, resources: [need('R', 1)], priority: 1 }]);
    const sa = new DirectScheduler([a.inst], clock, () => {}, 'A', ga);
    const sb = new DirectScheduler([b.inst], clock, () => {}, 'B', gb);
    const starts: number[] = [];
    sa.enqueue(testJob('a1', { onStart: (ns) => starts.push(ns) }));
    sb.enqueue(testJob('b1', { onStart: (ns) => starts.push(ns) }));
    clock.advanceMs(5);
    await a.finishNext();
    assert.deepEqual(starts, [0, 5_000_000]);
  });

  test('per-device resources are counted per device; a global one is shared by all devices', async () => {
    const log: Log = [];
    const limiter = new RateLimiter([{ name: 'R', count: 1, device: -1 }]);
    const g0 = instance('g0', log);
    const g1 = instance('g1', log);
    const ga = limiter.register('A', [{ instance: g0.inst, device: 0, resources: [need('R', 1)], priority: 1 }]);
    const gb = limiter.register('B', [{ instance: g1.inst, device: 1, resources: [need('R', 1)], priority: 1 }]);
    new DirectScheduler([g0.inst], new ManualClock(), () => {}, 'A', ga).enqueue(testJob('a1'));
    new DirectScheduler([g1.inst], new ManualClock(), () => {}, 'B', gb).enqueue(testJob('b1'));
    assert.deepEqual(log, ['g0:a1', 'g1:b1']);

    const glog: Log = [];
    const global = new RateLimiter([{ name: 'G', count: 1, device: 0 }]);
    const h0 = instance('h0', glog);
    const h1 = instance('h1', glog);
    const gc = global.register('C', [{ instance: h0.inst, device: 0, resources: [need('G', 1, true)], priority: 1 }]);
    const gd = global.register('D', [{ instance: h1.inst, device: 1, resources: [need('G', 1, true)], priority: 1 }]);
    new DirectScheduler([h0.inst], new ManualClock(), () => {}, 'C', gc).enqueue(testJob('c1'));
    new DirectScheduler([h1.inst], new ManualClock(), () => {}, 'D', gd).enqueue(testJob('d1'));
    assert.deepEqual(glog, ['h0:c1']);
    assert.deepEqual(global.resources(), { GLOBAL: { G: 1 } });
    await h0.finishNext();
    assert.deepEqual(glog, ['h0:c1', 'h1:d1']);
  });

  test('among instances of one model, the one with the fewest executions x priority is staged', async () => {
    const log: Log = [];
    const limiter = new RateLimiter();
    const x = instance('x', log);
    const y = instance('y', log);
    const gate = limiter.register('M', [
      { instance: x.inst, device: 0, resources: [need('R', 1)], priority: 1 },
      { instance: y.inst, device: 0, resources: [need('R', 1)], priority: 3 },
    ]);
    const s = new DirectScheduler([x.inst, y.inst], new ManualClock(), () => {}, 'M', gate);
    for (let i = 0; i < 6; i++) s.enqueue(testJob(String(i)));
    for (let i = 0; i < 5; i++) await (log.at(-1)!.startsWith('x:') ? x : y).finishNext();
    // x counts 0, 1, 2, 3 after each execution; y (priority 3) counts 0, then 3, then 6.
    assert.deepEqual(
      log.map((e) => e[0]),
      ['x', 'y', 'x', 'x', 'y', 'x'],
    );
  });
});

describe('RateLimiter with the dynamic batcher', () => {
  test('requests that queue while the instance waits for resources join its batch', async () => {
    const log: Log = [];
    const clock = new ManualClock();
    const limiter = new RateLimiter();
    const a = instance('a', log);
    const b = instance('b', log);
    direct(limiter, 'A', a.inst, [need('R', 1)]).scheduler.enqueue(testJob('a1'));
    const gb = limiter.register('B', [{ instance: b.inst, device: 0, resources: [need('R', 1)], priority: 1 }]);
    const batcher = new DynamicBatcher(
      [b.inst],
      clock,
      () => {},
      {
        name: 'B',
        max_batch_size: 4,
        input: [],
        dynamic_batching: {
          preferred_batch_size: [1, 2, 3, 4],
          max_queue_delay_microseconds: 0,
          preserve_ordering: false,
          priority_levels: 0,
          default_priority_level: 0,
          priority_queue_policy: {},
          default_queue_policy: {
            timeout_action: 'REJECT',
            default_timeout_microseconds: 0,
            allow_timeout_override: false,
            max_queue_size: 0,
          },
        },
      },
      gb,
    );
    for (let i = 1; i <= 5; i++) batcher.enqueue(testJob(`b${i}`));
    assert.deepEqual(log, ['a:a1']);
    await a.finishNext();
    assert.deepEqual(log, ['a:a1', 'b:b1,b2,b3,b4']);
    await b.finishNext();
    assert.deepEqual(log, ['a:a1', 'b:b1,b2,b3,b4', 'b:b5']);
  });
});

describe('resources and load errors', () => {
  const inst = (name: string): ModelInstance => ({ name, execute: () => Promise.resolve(T) });

  test('a need above --rate-limit-resource fails the load with Triton message; nothing stays registered', () => {
    const limiter = new RateLimiter([{ name: 'resource1', count: 1, device: -1 }]);
    assert.throws(
      () => limiter.register('m', [{ instance: inst('i'), device: 0, resources: [need('resource1', 4)], priority: 1 }]),
      (e: InferenceError) =>
        e.code === 'INVALID_ARG' &&
        e.message ===
          'failed to load \'m\': Resource count for "resource1" is limited to 1 which will prevent scheduling of ' +
            'one or more model instances, the minimum required count is 4',
    );
    assert.deepEqual(limiter.resources(), {});
  });

  test('once any resource is given, a resource not given has no copies', () => {
    const limiter = new RateLimiter([{ name: 'resource1', count: 10, device: 0 }]);
    assert.throws(
      () => limiter.register('m', [{ instance: inst('i'), device: 0, resources: [need('resource2', 2)], priority: 1 }]),
      /Resource count for "resource2" is limited to 0 which will prevent scheduling/,
    );
    // A count for another device does not serve device 0.
    const other = new RateLimiter([{ name: 'resource1', count: 10, device: 1 }]);
    assert.throws(
      () => other.register('m', [{ instance: inst('i'), device: 0, resources: [need('resource1', 4)], priority: 1 }]),
      /"resource1" is limited to 0/,
    );
    // A global resource takes the largest count given for it on any device.
    const global = new RateLimiter([{ name: 'G', count: 3, device: 1 }]);
    global.register('m', [{ instance: inst('i'), device: 0, resources: [need('G', 2, true)], priority: 1 }]);
    assert.deepEqual(global.resources(), { GLOBAL: { G: 3 } });
  });

  test('a device count and an every-device count: the larger one applies', () => {
    const limiter = new RateLimiter([
      { name: 'R', count: 2, device: -1 },
      { name: 'R', count: 5, device: 0 },
    ]);
    limiter.register('m', [
      { instance: inst('a'), device: 0, resources: [need('R', 1)], priority: 1 },
      { instance: inst('b'), device: 1, resources: [need('R', 1)], priority: 1 },
    ]);
    assert.deepEqual(limiter.resources(), { 0: { R: 5 }, 1: { R: 2 } });
  });

  test('a resource both global and per device is a load error (Triton message)', () => {
    const limiter = new RateLimiter();
    limiter.register('a', [{ instance: inst('a'), device: 0, resources: [need('resource2', 2, true)], priority: 1 }]);
    assert.throws(
      () => limiter.register('b', [{ instance: inst('b'), device: 0, resources: [need('resource2', 2)], priority: 1 }]),
      /Resource "resource2" is present as both global and device-specific resource in the model configuration\./,
    );
    assert.deepEqual(limiter.resources(), { GLOBAL: { resource2: 2 } });
  });
});
