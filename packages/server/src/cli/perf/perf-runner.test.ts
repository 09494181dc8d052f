import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { captureIO } from '../tools/cli-io.js';
import { closedLoop, openLoop } from './load-generators.js';
import { runPerf, type PerfSettings } from './perf-runner.js';
import { ProgressDisplay } from './progress.js';
import type { RequestDriver } from './request-driver.js';
import { WindowRecorder, type RequestOutcome } from './window-recorder.js';

/** A driver that answers on the next turn of the event loop; every `failEvery`-th request fails. */
function fakeDriver(failEvery = 0): RequestDriver & { started: number; maxInFlight: number } {
  let inFlight = 0;
  const d = {
    started: 0,
    maxInFlight: 0,
    start(done: (o: RequestOutcome) => void) {
      const n = ++d.started;
      inFlight++;
      d.maxInFlight = Math.max(d.maxInFlight, inFlight);
      setImmediate(() => {
        inFlight--;
        const t = performance.now();
        if (failEvery > 0 && n % failEvery === 0) {
          done({ startMs: t - 1, endMs: t, errorCode: 'UNAVAILABLE', errorMessage: 'boom', responses: 0 });
        } else {
          done({ startMs: t - 2, endMs: t, responses: 3, firstMs: t - 1.5, gapsMs: [0.25, 0.25] });
        }
      });
    },
    close: () => Promise.resolve(),
  };
  return d;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => setTimeout(r, 1));
  assert.ok(check(), 'condition not reached');
}

describe('load generators', () => {
  test('closed loop keeps exactly N in flight and records every outcome', async () => {
    const driver = fakeDriver(3);
    const rec = new WindowRecorder();
    const gen = closedLoop(driver, 4, () => rec);
    assert.equal(gen.inFlight, 4);
    await until(() => rec.ok + rec.failed >= 60);
    await gen.stop();
    assert.equal(gen.inFlight, 0);
    assert.equal(driver.maxInFlight, 4);
    assert.equal(rec.ok + rec.failed, driver.started);
    assert.equal(rec.failed, Math.floor(driver.started / 3));
    assert.deepEqual(rec.errors, { UNAVAILABLE: rec.failed });
    assert.equal(rec.firstError, 'UNAVAILABLE: boom');
    assert.equal(rec.latencyUs.length, rec.ok);
    assert.equal(rec.responses, 3 * rec.ok);
    assert.equal(rec.interResponseUs.length, 2 * rec.ok);
  });

  test('open loop never exceeds maxInflight and counts the sends it skipped', async () => {
    const pending: ((o: RequestOutcome) => void)[] = [];
    const stuck: RequestDriver = { start: (done) => void pending.push(done), close: () => Promise.resolve() };
    const rec = new WindowRecorder();
    const gen = openLoop(stuck, { ratePerSec: 5000, distribution: 'constant', seed: 1, maxInflight: 5 }, () => rec);
    await until(() => rec.notSent > 0);
    assert.equal(rec.sent, 5);
    assert.equal(gen.inFlight, 5);
    const stopped = gen.stop();
    for (const done of pending) done({ startMs: 0, endMs: 1, responses: 1 });
    await stopped;
    assert.equal(rec.ok, 5);
  });
});

describe('runPerf with a fake driver and statistics', () => {
  const base: PerfSettings = {
    model: 'm',
    protocol: 'grpc',
    url: 'x:1',
    streaming: true,
    mode: 'concurrency',
    levels: [1, 3],
    distribution: 'constant',
    seed: 1,
    maxInflight: 100,
    measurementIntervalMs: 20,
    stabilityPercentage: 1e9,
    maxTrials: 5,
    batchSize: 2,
    inputData: 'random',
    warmupRequests: 10,
    warmupMs: 0,
  };

  test('steps stop at a stable triple, merge three windows and take the statistics delta', async () => {
    let calls = 0;
    const client = {
      // Every read is 10 more successful requests of 1 ms in queue each.
      getInferenceStatistics: () => {
        const n = 10 * calls++;
        const d = (ns: number) => ({ count: n, ns: n * ns });
        return Promise.resolve({
          model_stats: [
            {
              name: 'm',
              version: '1',
              last_inference: 0,
              inference_count: 2 * n,
              execution_count: n,
              inference_stats: {
                success: d(2e6),
                queue: d(1e6),
                compute_input: d(0),
                compute_infer: d(5e5),
                compute_output: d(0),
              },
            },
          ],
        });
      },
    };
    const io = captureIO();
    const report = await runPerf(base, {
      client: client as never,
      driver: fakeDriver(),
      progress: new ProgressDisplay(io, 'concurrency'),
      version: 't',
    });
    assert.equal(report.steps.length, 2);
    for (const step of report.steps) {
      // A huge band makes any three non-empty windows stable (a window starved by a busy machine
      // can still be empty, hence "at least").
      assert.equal(step.stable, true);
      assert.ok(step.trials >= 3 && step.trials <= 5);
      assert.equal(step.windowsUsed, 3);
      assert.equal(step.requests.failed, 0);
      assert.equal(step.throughput.inferencesPerSec, 2 * step.throughput.requestsPerSec);
      assert.deepEqual(step.server, {
        inferences: 60,
        executions: 30,
        avgBatchSize: 2,
        requestUs: 2000,
        queueUs: 1000,
        computeInputUs: 0,
        computeInferUs: 500,
        computeOutputUs: 0,
      });
      assert.equal(step.streaming!.responsesPerRequest, 3);
    }
    assert.deepEqual(
      report.steps.map((s) => s.concurrency),
      [1, 3],
    );
    // Not a terminal: one line per step (and the warm-up note), no redraws.
    assert.equal(io.err().split('\n').filter(Boolean).length, 3);
    assert.doesNotMatch(io.err(), /\r/);
  });

  test('a failing first request stops the run with its message', async () => {
    const failing: RequestDriver = {
      start: (done) =>
        setImmediate(() =>
          done({ startMs: 0, endMs: 1, errorCode: 'INVALID_ARG', errorMessage: 'bad input', responses: 0 }),
        ),
      close: () => Promise.resolve(),
    };
    await assert.rejects(
      runPerf(base, {
        client: { getInferenceStatistics: () => Promise.reject(new Error('none')) } as never,
        driver: failing,
        progress: new ProgressDisplay(captureIO(), 'concurrency', true),
        version: 't',
      }),
      /the first request failed: bad input \(INVALID_ARG\)/,
    );
  });

  test('on a terminal the progress line is redrawn in place', async () => {
    const io = captureIO(process.cwd(), true);
    await runPerf(
      { ...base, levels: [1], warmupRequests: 0 },
      {
        client: { getInferenceStatistics: () => Promise.reject(new Error('no stats')) } as never,
        driver: fakeDriver(),
        progress: new ProgressDisplay(io, 'concurrency'),
        version: 't',
      },
    ).then((r) => assert.equal(r.steps[0]!.server, null));
    const erase = '\r\x1b[K'; // carriage return + erase line
    assert.ok(io.err().includes(`${erase}concurrency 1: window 1/5`), JSON.stringify(io.err()));
    const lastLine = io.err().slice(io.err().lastIndexOf(erase) + erase.length);
    assert.match(lastLine, /^concurrency 1: [\d.]+ infer\/s, p99 \d+ µs\n$/);
  });
});
