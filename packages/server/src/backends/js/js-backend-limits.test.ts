/**
 * The per-instance limits of the js backend with real worker threads: `execution_timeout_ms`
 * terminates a wedged worker, `memory_limit_mb` caps its heap and its ArrayBuffers, and an
 * instance in restart back-off says so through `unavailable()`.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeElements } from '@tensorgate/protocol';
import type { BackendModel, BackendModelContext, InstanceRestartReason } from '../../backend-api/backend.js';
import { InferenceError } from '../../core/errors.js';
import { ManualClock } from '../../core/scheduling/manual-clock.test-helper.js';
import { createJsBackend, type JsBackendOptions } from './js-backend.js';
import {
  makeConfig,
  makeContext,
  makeRequest,
  output,
  removeTempRepos,
  tensor,
  writeModel,
  type ConfigSpec,
} from './js-backend.test-helper.js';

const loaded: BackendModel[] = [];
after(async () => {
  await Promise.all(loaded.map((m) => m.unload()));
  await removeTempRepos();
});

const spec = (name: string, parameters: Record<string, string>, extra: Partial<ConfigSpec> = {}): ConfigSpec => ({
  name,
  inputs: [['IN', 'TYPE_INT32', [-1]]],
  outputs: [['OUT', 'TYPE_INT32', [-1]]],
  parameters,
  ...extra,
});

const inInt = (values: number[]): ReturnType<typeof tensor> => tensor('IN', 'INT32', [values.length], values);

/** Loads `source` with `options`; `restarts` records every restart the backend reports. */
async function load(
  s: ConfigSpec,
  source: string,
  options: JsBackendOptions = { restartDelayMs: () => 0 },
): Promise<{ model: BackendModel; restarts: Array<[string, InstanceRestartReason]> }> {
  const repo = await writeModel(s.name, source);
  const restarts: Array<[string, InstanceRestartReason]> = [];
  const ctx: BackendModelContext = {
    ...makeContext(repo, makeConfig(s)),
    reportRestart: (instance, reason) => restarts.push([instance, reason]),
  };
  const model = await createJsBackend(options).loadModel(ctx);
  loaded.push(model);
  return { model, restarts };
}

/** Echoes IN; IN[0] = -1 loops forever, synchronously. */
const LOOPER = `export default class { execute(requests) {
  if (requests[0].input('IN').data[0] === -1) for (;;) {}
  return requests.map((r) => ({ outputs: [{ name: 'OUT', data: r.input('IN').data }] }));
} }`;

const isInternal = (e: unknown): boolean => e instanceof InferenceError && e.code === 'INTERNAL';

describe('execution_timeout_ms', () => {
  test('a synchronous endless loop is terminated; what waited behind it gets UNAVAILABLE; the instance serves again', async () => {
    const { model, restarts } = await load(spec('looper', { execution_timeout_ms: '300' }), LOOPER);
    const inst = model.instances[0]!;
    const wedged = makeRequest([inInt([-1])], ['OUT']);
    const behind = makeRequest([inInt([7])], ['OUT']);
    const first = inst.execute([wedged]);
    const second = inst.execute([behind]);
    await assert.rejects(first, isInternal);
    await assert.rejects(second, (e: unknown) => e instanceof InferenceError && e.code === 'UNAVAILABLE');
    assert.equal(
      wedged.sender.single.error?.message,
      "model 'looper' instance looper_0_0 exceeded execution_timeout_ms (300 ms); the instance is being restarted",
    );
    assert.equal(behind.sender.single.error?.code, 'UNAVAILABLE');
    assert.match(
      behind.sender.single.error!.message,
      /^model instance looper_0_0 was restarted before this request could execute \(it exceeded execution_timeout_ms \(300 ms\)\); the request may be retried$/,
    );
    assert.deepEqual(restarts, [['looper_0_0', 'timeout']]);

    const ok = makeRequest([inInt([5])], ['OUT']);
    await inst.execute([ok]); // waits for the restarted worker
    assert.deepEqual(decodeElements('INT32', output(ok.sender.single, 'OUT').data), [5]);
  });

  test('a decoupled model that stops responding is terminated after the timeout without a response', async () => {
    const { model, restarts } = await load(
      spec('silent', { execution_timeout_ms: '200' }, { decoupled: true }),
      `export default class { execute(requests) {
         const sender = requests[0].getResponseSender();
         sender.send({ outputs: [{ name: 'OUT', data: [1] }] });
         // returns, and never answers again: nothing loops, the request is simply forgotten
       } }`,
    );
    const req = makeRequest([inInt([0])], ['OUT']);
    // execute() returned normally, so the execution settles; its request ends with the error.
    await model.instances[0]!.execute([req]);
    assert.deepEqual(
      req.sender.sent.map((s) => s.final),
      [false, true],
    );
    assert.equal(
      req.sender.sent[1]!.response?.error?.message,
      "model 'silent' instance silent_0_0 sent no response for execution_timeout_ms (200 ms); the instance is being restarted",
    );
    assert.deepEqual(restarts, [['silent_0_0', 'timeout']]);
  });

  test('a slow model that keeps finishing executions is never cut off', async () => {
    // Each execution takes about half the timeout: the watchdog measures time without progress.
    const { model, restarts } = await load(
      spec('steady', { execution_timeout_ms: '400' }),
      `export default class { execute(requests) {
         const until = Date.now() + 150; while (Date.now() < until) {}
         return requests.map((r) => ({ outputs: [{ name: 'OUT', data: r.input('IN').data }] }));
       } }`,
    );
    const reqs = [1, 2, 3, 4, 5, 6].map((v) => makeRequest([inInt([v])], ['OUT']));
    await Promise.all(reqs.map((r) => model.instances[0]!.execute([r])));
    assert.deepEqual(
      reqs.map((r) => decodeElements('INT32', output(r.sender.single, 'OUT').data)[0]),
      [1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual(restarts, []);
  });
});

describe('memory_limit_mb', () => {
  test('a heap that outgrows the cap: the worker dies out of memory, the request gets the memory error', async () => {
    const { model, restarts } = await load(
      spec('heaphog', { memory_limit_mb: '64' }),
      `const keep = [];
       export default class { execute(requests) {
         if (requests[0].input('IN').data[0] === -1) for (;;) keep.push({ filler: new Array(64).fill(keep.length) });
         return requests.map((r) => ({ outputs: [{ name: 'OUT', data: r.input('IN').data }] }));
       } }`,
    );
    const req = makeRequest([inInt([-1])], ['OUT']);
    await assert.rejects(model.instances[0]!.execute([req]), isInternal);
    assert.equal(
      req.sender.single.error?.message,
      "model 'heaphog' instance heaphog_0_0 exceeded memory_limit_mb (64 MB): its JavaScript heap ran out of memory; " +
        'the instance is being restarted',
    );
    assert.deepEqual(restarts, [['heaphog_0_0', 'memory']]);
    const ok = makeRequest([inInt([3])], ['OUT']);
    await model.instances[0]!.execute([ok]);
    assert.deepEqual(decodeElements('INT32', output(ok.sender.single, 'OUT').data), [3]);
  });

  test('ArrayBuffers allocated inside one synchronous execute are caught while it runs', async () => {
    // 2 GB in 16 MB typed arrays, each filled (so it is really resident), without ever yielding.
    const { model, restarts } = await load(
      spec('abhog', { memory_limit_mb: '128' }),
      `export default class { execute(requests) {
         if (requests[0].input('IN').data[0] === -1) {
           const keep = [];
           for (let i = 0; i < 128; i++) keep.push(new Float64Array(2 * 1024 * 1024).fill(i));
           return requests.map(() => ({ error: 'the memory cap did not stop the model' }));
         }
         return requests.map((r) => ({ outputs: [{ name: 'OUT', data: r.input('IN').data }] }));
       } }`,
    );
    const req = makeRequest([inInt([-1])], ['OUT']);
    await assert.rejects(model.instances[0]!.execute([req]), isInternal);
    assert.match(
      req.sender.single.error!.message,
      /^model 'abhog' instance abhog_0_0 exceeded memory_limit_mb \(128 MB\): it held \d+ MB of JavaScript heap and ArrayBuffers; the instance is being restarted$/,
    );
    assert.deepEqual(restarts, [['abhog_0_0', 'memory']]);
    const ok = makeRequest([inInt([4])], ['OUT']);
    await model.instances[0]!.execute([ok]);
    assert.deepEqual(decodeElements('INT32', output(ok.sender.single, 'OUT').data), [4]);
  });
});

describe('parameter values', () => {
  const refused = async (parameters: Record<string, string>, re: RegExp): Promise<void> => {
    const repo = await writeModel('badlimits', LOOPER);
    await assert.rejects(
      createJsBackend().loadModel(makeContext(repo, makeConfig(spec('badlimits', parameters)))),
      (e: unknown) => e instanceof InferenceError && e.code === 'INVALID_ARG' && re.test(e.message),
    );
  };

  test('invalid values fail the load with INVALID_ARG naming the parameter', async () => {
    await refused(
      { execution_timeout_ms: '2s' },
      /^failed to load model 'badlimits': parameter 'execution_timeout_ms' must be a whole number of milliseconds from 0 \(no timeout\) to 86400000, got '2s'$/,
    );
    await refused({ execution_timeout_ms: '-1' }, /parameter 'execution_timeout_ms' .* got '-1'$/);
    await refused({ execution_timeout_ms: '86400001' }, /parameter 'execution_timeout_ms' .* got '86400001'$/);
    await refused(
      { memory_limit_mb: '10' },
      /^failed to load model 'badlimits': parameter 'memory_limit_mb' must be 0 \(no limit\) or a whole number of megabytes from 64 to 1048576, got '10'$/,
    );
    await refused({ memory_limit_mb: '1.5e3' }, /parameter 'memory_limit_mb' .* got '1\.5e3'$/);
  });
});

describe('availability', () => {
  test('an instance in restart back-off is unavailable, says why and when, and tells its listener', async () => {
    const clock = new ManualClock();
    const { model } = await load(
      spec('backoff', {}),
      `export default class { execute(requests) {
         if (requests[0].input('IN').data[0] < 0) process.exit(3);
         return requests.map((r) => ({ outputs: [{ name: 'OUT', data: r.input('IN').data }] }));
       } }`,
      { restartDelayMs: () => 60_000, clock },
    );
    const inst = model.instances[0]!;
    const changes: Array<string | undefined> = [];
    inst.onAvailabilityChange!(() => changes.push(inst.unavailable!()?.message));
    assert.equal(inst.unavailable!(), undefined);
    await assert.rejects(inst.execute([makeRequest([inInt([-1])], ['OUT'])]), isInternal);
    const why = inst.unavailable!();
    assert.equal(why?.code, 'UNAVAILABLE');
    assert.equal(
      why?.message,
      'model instance backoff_0_0 is restarting after it crashed: its worker exited with code 3; next start attempt in 60.0 s',
    );
    assert.equal(changes.length, 1);
    clock.advanceMs(60_000);
    const ok = makeRequest([inInt([8])], ['OUT']);
    await inst.execute([ok]);
    assert.deepEqual(decodeElements('INT32', output(ok.sender.single, 'OUT').data), [8]);
    assert.equal(inst.unavailable!(), undefined);
    assert.deepEqual(changes, [why?.message, undefined]);
  });
});

describe('initialize_timeout_ms', () => {
  test('an initialize() that never settles, or loops, fails the load with the limit named; the worker is ended', async () => {
    for (const [name, body] of [
      ['hangs', 'return new Promise(() => {});'],
      ['spins', 'for (;;) {}'],
    ] as const) {
      const source = `export default class { initialize() { ${body} } execute(requests) { return []; } }`;
      await assert.rejects(
        load(spec(name, { initialize_timeout_ms: '300' }), source),
        (e: unknown) =>
          e instanceof InferenceError &&
          e.code === 'INTERNAL' &&
          e.message ===
            `failed to load model '${name}': instance ${name}_0_0 did not finish loading (import and ` +
              'initialize()) within initialize_timeout_ms (300 ms)',
      );
    }
  });

  test('a slow initialize() within the limit loads', async () => {
    const source = `export default class {
      async initialize() { await new Promise((r) => setTimeout(r, 50)); }
      execute(requests) { return requests.map((r) => ({ outputs: [{ name: 'OUT', data: r.input('IN').data }] })); }
    }`;
    const { model } = await load(spec('patient', { initialize_timeout_ms: '60000' }), source);
    const ok = makeRequest([inInt([7])], ['OUT']);
    await model.instances[0]!.execute([ok]);
    assert.deepEqual(decodeElements('INT32', output(ok.sender.single, 'OUT').data), [7]);
  });
});
