#!/usr/bin/env node
// Ensemble overhead on the seeds' pipeline (issue #13): one forecast of a 30-value series
//   ensemble  one gRPC call to ensemble_lstm (lstm_preprocess -> lstm_timeseries -> lstm_postprocess
//             inside the server)
//   client    the same three models called by the gRPC client one after another, decoding each
//             reply (protobufjs) to build the next request
//   lstm      lstm_timeseries alone on the already normalized window (one gRPC call): what the
//             model costs without its two JS steps
// One tensorgate serves all three (a copy of the example models, configs as shipped); each variant's
// client runs in its own child process, closed loop with N forecasts in flight, interleaved rounds
// (order rotated). Reports forecasts/s, latency, the client's CPU and the server's CPU per forecast
// (event loop / other threads, from /proc), and the added cost per JS step.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, parseCli, printCommand, ROOT } from './lib/cli.mjs';
import { assertModelsReady } from './lib/grpc-control.mjs';
import { startTensorgate } from './lib/server-process.mjs';
import { closedLoop, reportToParent, runChild } from './lib/closed-loop.mjs';
import { rawGrpcClient } from './lib/raw-grpc.mjs';
import { median, markdownTable, num } from './lib/stats.mjs';
import { cpuDelta, threadCpuMs } from './lib/thread-cpu.mjs';

const VARIANTS = ['ensemble', 'client', 'lstm'];
const MODELS = ['ensemble_lstm', 'lstm_preprocess', 'lstm_timeseries', 'lstm_postprocess'];

async function child(variant, port, concurrency, durationSec, warmupSec) {
  const c = rawGrpcClient(port);
  const bytes = (arr) => Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
  const series = Float32Array.from({ length: 30 }, (_, t) => 1000 + 200 * Math.sin((2 * Math.PI * t) / 12) + 3 * t);
  // inputs: [name, datatype, shape, typed array]; resolves with { name: raw bytes } of the reply.
  const infer = async (model, inputs) => {
    const res = await c.infer({
      model_name: model,
      inputs: inputs.map(([name, datatype, shape]) => ({ name, datatype, shape })),
      raw_input_contents: inputs.map((i) => bytes(i[3])),
    });
    return Object.fromEntries(res.outputs.map((o, i) => [o.name, res.raw_output_contents[i]]));
  };
  const f32 = (b) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const f64 = (b) => new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const i64 = (b) => new BigInt64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const seriesInput = ['SERIES', 'FP32', [1, series.length], series];
  const pre = await infer('lstm_preprocess', [seriesInput]);
  const window = f32(pre.WINDOW);
  const forecast = {
    ensemble: async () => f32((await infer('ensemble_lstm', [seriesInput])).FORECAST),
    client: async () => {
      const p = await infer('lstm_preprocess', [seriesInput]);
      const l = await infer('lstm_timeseries', [['INPUT', 'FP32', [1, 10, 1], f32(p.WINDOW)]]);
      const out = await infer('lstm_postprocess', [
        ['FORECAST', 'FP32', [1, 5], f32(l.OUTPUT)],
        ['LOC', 'FP64', [1, 1], f64(p.LOC)],
        ['SCALE', 'FP64', [1, 1], f64(p.SCALE)],
        ['LENGTH', 'INT64', [1, 1], i64(p.LENGTH)],
      ]);
      return f32(out.FORECAST);
    },
    lstm: async () => f32((await infer('lstm_timeseries', [['INPUT', 'FP32', [1, 10, 1], window]])).OUTPUT),
  }[variant];
  const first = await forecast();
  if (first.length !== 5 || !first.every(Number.isFinite)) throw new Error(`${variant}: bad forecast ${first}`);
  const r = await closedLoop(forecast, { concurrency, warmupSec, durationSec });
  c.close();
  reportToParent({ perSec: r.perSec, p50: r.p50, p99: r.p99, clientCpuUs: r.cpuUsPerCall | 0, total: r.total + 2 });
}

main(async () => {
  const opts = parseCli(
    import.meta.url,
    'ensemble_lstm end to end vs its three steps called by the client vs lstm_timeseries alone (gRPC).',
    {
      child: { type: 'string', help: '(internal) run one variant' },
      port: { type: 'number', help: '(internal) server port' },
      concurrency: { type: 'list', default: '1,8', help: 'forecasts in flight; one table per value' },
      duration: { default: 3, help: 'seconds measured per variant and round' },
      warmup: { default: 1, help: 'warm-up seconds per variant and round' },
      rounds: { default: 3, help: 'interleaved rounds (medians reported)' },
    },
  );
  if (opts.child) return child(opts.child, opts.port, opts.concurrency[0], opts.duration, opts.warmup);
  printCommand();
  const base = mkdtempSync(join(tmpdir(), 'tg-bench-lstm-'));
  for (const m of MODELS) cpSync(join(ROOT, 'examples/model_repository', m), join(base, m), { recursive: true });
  const server = await startTensorgate(base);
  const tables = [];
  try {
    await assertModelsReady(server.port, MODELS);
    for (const concurrency of opts.concurrency) {
      const results = Object.fromEntries(VARIANTS.map((v) => [v, []]));
      const args = ['--concurrency', concurrency, '--duration', opts.duration, '--warmup', opts.warmup].map(String);
      for (let r = 0; r < opts.rounds; r++) {
        for (let k = 0; k < VARIANTS.length; k++) {
          const v = VARIANTS[(k + r) % VARIANTS.length];
          const before = threadCpuMs(server.pid);
          const res = await runChild(import.meta.url, v, server.port, args);
          const cpu = before ? cpuDelta(before, threadCpuMs(server.pid)) : undefined;
          // Server CPU over the whole child run (warm-up included) per forecast it served.
          if (cpu) {
            res.serverMainUs = (cpu.main * 1000) / res.total;
            res.serverOtherUs = (cpu.other * 1000) / res.total;
          }
          results[v].push(res);
        }
        process.stderr.write(`${concurrency} in flight, round ${r + 1}/${opts.rounds}\n`);
      }
      tables.push(render(concurrency, results, opts));
    }
  } finally {
    await server.stop();
    rmSync(base, { recursive: true, force: true });
  }
  console.log(tables.join('\n'));
});

function render(concurrency, results, opts) {
  const med = (v, k) => median(results[v].map((x) => x[k]));
  const label = {
    ensemble: 'ensemble_lstm (1 gRPC call, 3 steps in the server)',
    client: 'client: lstm_preprocess, lstm_timeseries, lstm_postprocess (3 gRPC calls)',
    lstm: 'lstm_timeseries alone (1 gRPC call)',
  };
  const lines = [
    `\n${concurrency} forecast(s) in flight, ${opts.rounds} interleaved rounds of ${opts.duration} s, medians:\n`,
    markdownTable(
      [
        'variant',
        'forecasts/s',
        'p50 ms',
        'p99 ms',
        'client CPU µs / forecast',
        'server event loop µs',
        'server other threads µs',
      ],
      VARIANTS.map((v) => [
        label[v],
        num(med(v, 'perSec')),
        num(med(v, 'p50'), 3),
        num(med(v, 'p99'), 3),
        num(med(v, 'clientCpuUs'), 0),
        num(med(v, 'serverMainUs'), 0),
        num(med(v, 'serverOtherUs'), 0),
      ]),
    ),
  ];
  const perStep = (med('ensemble', 'p50') - med('lstm', 'p50')) / 2;
  const cpuPerStep =
    (med('ensemble', 'serverMainUs') +
      med('ensemble', 'serverOtherUs') -
      med('lstm', 'serverMainUs') -
      med('lstm', 'serverOtherUs')) /
    2;
  lines.push(
    `\nensemble / client forecasts/s: ${num(med('ensemble', 'perSec') / med('client', 'perSec'), 2)}x; ` +
      `ensemble / lstm_timeseries alone: ${num(med('ensemble', 'perSec') / med('lstm', 'perSec'), 2)}x; ` +
      `added per JS step: ${num(perStep * 1000, 0)} µs of p50 latency, ${num(cpuPerStep, 0)} µs of server CPU`,
  );
  lines.push(`\nall rounds: ${JSON.stringify(results)}`);
  return lines.join('\n');
}
