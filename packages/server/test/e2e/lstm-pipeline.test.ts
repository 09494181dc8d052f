/**
 * examples/model_repository/ensemble_lstm (lstm_preprocess -> lstm_timeseries -> lstm_postprocess),
 * the seeds' forecasting pipeline, over the real wire: the same answer as calling its three steps
 * one by one, forecasts on the series' own scale that beat repeating the last value, horizons and
 * timestamps, batches, and errors naming the step.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceClient, InferenceServerError, InferInput, type InferResult } from '@tensorgate/client';
import { startServer, type TestServer } from '../helpers/servers.js';

let s: TestServer;
let clients: Record<'http' | 'grpc', InferenceClient>;
before(async () => {
  s = await startServer(['--model-control-mode', 'explicit', '--load-model', 'ensemble_lstm']);
  clients = { http: InferenceClient.http(s.http), grpc: InferenceClient.grpc(`127.0.0.1:${s.grpcPort}`) };
});
after(async () => {
  await clients.http.close();
  await clients.grpc.close();
  await s.close();
});

/** A period-12 seasonal series on its own scale (level 1000, amplitude 200), `n` values from t = 0. */
const seasonal = (n: number, from = 0): number[] =>
  Array.from(
    { length: n },
    (_, i) => 1000 + 200 * Math.sin((2 * Math.PI * (from + i)) / 12) + 40 * Math.cos((4 * Math.PI * (from + i)) / 12),
  );

function forecastInputs(series: number[][], start?: bigint[], interval?: bigint[]): InferInput[] {
  const n = series[0]!.length;
  const inputs = [new InferInput('SERIES', [series.length, n], 'FP32').setData(Float32Array.from(series.flat()))];
  if (start) inputs.push(new InferInput('START', [series.length, 1], 'INT64').setData(BigInt64Array.from(start)));
  if (interval)
    inputs.push(new InferInput('INTERVAL', [series.length, 1], 'INT64').setData(BigInt64Array.from(interval)));
  return inputs;
}

async function failure(p: Promise<InferResult>): Promise<InferenceServerError> {
  const e = await p.then(
    () => assert.fail('expected an error'),
    (err: unknown) => err,
  );
  assert.ok(e instanceof InferenceServerError, String(e));
  return e;
}

describe('ensemble_lstm', () => {
  test('gives what calling lstm_preprocess, lstm_timeseries and lstm_postprocess one by one gives', async () => {
    const series = seasonal(30);
    const c = clients.grpc;
    const pre = await c.infer('lstm_preprocess', forecastInputs([series]));
    const lstm = await c.infer('lstm_timeseries', [
      new InferInput('INPUT', [1, 10, 1], 'FP32').setData(pre.asTypedArray('WINDOW') as Float32Array),
    ]);
    const post = await c.infer('lstm_postprocess', [
      new InferInput('FORECAST', [1, 5], 'FP32').setData(lstm.asTypedArray('OUTPUT') as Float32Array),
      new InferInput('LOC', [1, 1], 'FP64').setData(pre.asTypedArray('LOC') as Float64Array),
      new InferInput('SCALE', [1, 1], 'FP64').setData(pre.asTypedArray('SCALE') as Float64Array),
      new InferInput('LENGTH', [1, 1], 'INT64').setData(pre.asTypedArray('LENGTH') as BigInt64Array),
    ]);
    for (const via of ['http', 'grpc'] as const) {
      const r = await clients[via].infer('ensemble_lstm', forecastInputs([series]));
      for (const name of ['FORECAST', 'HORIZON', 'TIMESTAMP']) {
        assert.deepEqual(r.asTypedArray(name), post.asTypedArray(name), `${name} over ${via}`);
      }
    }
  });

  test("forecasts on the series' own scale, better than repeating the last value", async () => {
    const r = await clients.grpc.infer('ensemble_lstm', forecastInputs([seasonal(40)]));
    const forecast = Array.from(r.asTypedArray('FORECAST') as Float32Array);
    const truth = seasonal(5, 40);
    const rmse = (ys: number[]): number => Math.sqrt(ys.reduce((a, y, i) => a + (y - truth[i]!) ** 2, 0) / ys.length);
    const last = seasonal(40)[39]!;
    assert.ok(
      rmse(forecast) < rmse(truth.map(() => last)) / 2,
      `model ${rmse(forecast)} vs naive ${rmse(truth.map(() => last))}`,
    );
    assert.ok(
      forecast.every((v) => v > 700 && v < 1300),
      String(forecast),
    );
  });

  test('HORIZON 1..5; TIMESTAMP from START and INTERVAL, or the positions after the series without them', async () => {
    const without = await clients.http.infer('ensemble_lstm', forecastInputs([seasonal(14)]));
    assert.deepEqual(Array.from(without.asTypedArray('HORIZON') as Int32Array), [1, 2, 3, 4, 5]);
    assert.deepEqual(Array.from(without.asTypedArray('TIMESTAMP') as BigInt64Array), [14n, 15n, 16n, 17n, 18n]);
    // Hourly values from 2026-01-01T00:00Z in epoch milliseconds: 24 values, the forecast from 24:00.
    const start = BigInt(Date.UTC(2026, 0, 1));
    const hourly = await clients.grpc.infer('ensemble_lstm', forecastInputs([seasonal(24)], [start], [3_600_000n]));
    const times = Array.from(hourly.asTypedArray('TIMESTAMP') as BigInt64Array, (t) =>
      new Date(Number(t)).toISOString(),
    );
    assert.deepEqual(times, [
      '2026-01-02T00:00:00.000Z',
      '2026-01-02T01:00:00.000Z',
      '2026-01-02T02:00:00.000Z',
      '2026-01-02T03:00:00.000Z',
      '2026-01-02T04:00:00.000Z',
    ]);
  });

  test('a batch of series: each row is forecast and timed on its own; a constant series forecasts itself', async () => {
    const a = seasonal(12);
    const b = Array(12).fill(42.5);
    const batch = await clients.grpc.infer('ensemble_lstm', forecastInputs([a, b], [0n, 100n], [1n, 10n]));
    const alone = await clients.grpc.infer('ensemble_lstm', forecastInputs([a], [0n], [1n]));
    const forecast = batch.asTypedArray('FORECAST') as Float32Array;
    assert.deepEqual(forecast.subarray(0, 5), alone.asTypedArray('FORECAST'));
    assert.deepEqual(Array.from(forecast.subarray(5)), [42.5, 42.5, 42.5, 42.5, 42.5]);
    assert.deepEqual(Array.from(batch.asTypedArray('TIMESTAMP') as BigInt64Array), [
      12n,
      13n,
      14n,
      15n,
      16n,
      220n,
      230n,
      240n,
      250n,
      260n,
    ]);
  });

  test('errors name the step: a short series, a NaN, timestamps beyond INT64', async () => {
    const short = await failure(clients.http.infer('ensemble_lstm', forecastInputs([[1, 2, 3]])));
    assert.equal(short.code, 'INVALID_ARG');
    assert.equal(
      short.message,
      "in ensemble 'ensemble_lstm', step 0 (model 'lstm_preprocess'): SERIES has 3 values; the forecast needs at least the last 10",
    );
    const withNaN = seasonal(12);
    withNaN[7] = NaN;
    const nan = await failure(clients.grpc.infer('ensemble_lstm', forecastInputs([withNaN])));
    assert.equal(nan.code, 'INVALID_ARG');
    assert.match(nan.message, /step 0 \(model 'lstm_preprocess'\): SERIES value 7 is NaN; values must be finite/);
    const far = await failure(
      clients.grpc.infer(
        'ensemble_lstm',
        forecastInputs([seasonal(12)], [9_200_000_000_000_000_000n], [100_000_000_000_000_000n]),
      ),
    );
    assert.equal(far.code, 'INVALID_ARG');
    assert.match(far.message, /step 2 \(model 'lstm_postprocess'\): TIMESTAMP \d+ of horizon 1 does not fit in INT64/);
  });
});
