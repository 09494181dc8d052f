#!/usr/bin/env node
// Benchmark: what an ensemble adds (issue #13). The `simple` example (JS, INT32 [16] + [16] in, two
// outputs) served alone as `simple_step`, and wrapped in `simple_ens`, an ensemble of that one
// step (same inputs and outputs), in one server. Two measurements, each alternating the two models
// round by round (order flipped every other round), medians of the rounds:
//   1. in process: the core's `infer` driven directly in this process (no network, no protobuf),
//      `--in-flight` requests kept in flight, for requests/s and mean latency;
//   2. over gRPC: the closed-loop generator (bench/lib/grpc-load.mjs, its own process) against the
//      server started through its CLI, at 1 and `--in-flight` requests in flight.
// The ensemble runs the same `simple` execution plus its own request (validation, statistics, the
// run that sends the step through the core), so ensemble / step is the price of the wrapper.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { main, parseCli, printCommand, ROOT } from './lib/cli.mjs';
import { assertModelsReady } from './lib/grpc-control.mjs';
import { failures, measureModel } from './lib/measure.mjs';
import { makeRepository } from './lib/model-repo.mjs';
import { startTensorgate } from './lib/server-process.mjs';
import { markdownTable, median, num, summarize } from './lib/stats.mjs';
import { threadCpuMs } from './lib/thread-cpu.mjs';
import { inferRequestBytes, inputData, workload } from './lib/workloads.mjs';

const opts = parseCli(
  import.meta.url,
  'Ensemble overhead: `simple` alone vs an ensemble of one `simple` step, in process and over gRPC.',
  {
    rounds: { default: 5, help: 'rounds; each measures both models, alternating' },
    duration: { default: 2, help: 'seconds measured per model and round' },
    warmup: { default: 1, help: 'warm-up seconds before each measurement' },
    'in-flight': { default: 16, help: 'requests kept in flight (the gRPC part also runs 1 in flight)' },
    'skip-grpc': { type: 'boolean', help: 'only the in-process measurement' },
  },
);

const STEP = 'simple_step';
const ENS = 'simple_ens';

const ENSEMBLE_CONFIG = `name: "${ENS}"
platform: "ensemble"
max_batch_size: 8
input [
  { name: "INPUT0" data_type: TYPE_INT32 dims: [ 16 ] },
  { name: "INPUT1" data_type: TYPE_INT32 dims: [ 16 ] }
]
output [
  { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 16 ] },
  { name: "OUTPUT1" data_type: TYPE_INT32 dims: [ 16 ] }
]
ensemble_scheduling { step [ {
  model_name: "${STEP}" model_version: -1
  input_map { key: "INPUT0" value: "INPUT0" } input_map { key: "INPUT1" value: "INPUT1" }
  output_map { key: "OUTPUT0" value: "OUTPUT0" } output_map { key: "OUTPUT1" value: "OUTPUT1" }
} ] }
`;

/**
 * Keeps `inFlight` core.infer calls going on `model` for `seconds`; returns { rps, latencyMs,
 * failed, mainUs, otherUs } (CPU per request on the event loop and on the other threads, from /proc).
 */
async function inProcess(core, CancelSource, model, inFlight, seconds) {
  const w = workload('simple');
  const inputs = w.inputs.map((i) => {
    const a = inputData(i, 1);
    return { name: i.name, datatype: i.datatype, shape: [1, ...i.dims], data: new Uint8Array(a.buffer) };
  });
  const request = { modelName: model, modelVersion: '', id: '', inputs, outputs: [], parameters: {} };
  const samples = new Float64Array(2_000_000);
  let n = 0;
  let failed = 0;
  let firstError;
  const end = performance.now() + seconds * 1000;
  const one = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const ctx = { signal: new CancelSource(), protocol: 'grpc', allowDecoupled: false };
        for await (const r of core.infer(request, ctx)) if (r.outputs.length !== 2) throw new Error('missing outputs');
        if (n < samples.length) samples[n] = performance.now() - t0;
        n++;
      } catch (e) {
        failed++;
        firstError ??= String(e);
      }
    }
  };
  const t0 = performance.now();
  const cpu0 = threadCpuMs();
  await Promise.all(Array.from({ length: inFlight }, one));
  const cpu1 = threadCpuMs();
  const elapsed = (performance.now() - t0) / 1000;
  const perRequestUs = (ms) => (ms * 1000) / Math.max(1, n);
  return {
    rps: n / elapsed,
    latencyMs: summarize(samples, Math.min(n, samples.length)),
    failed,
    firstError,
    mainUs: cpu0 && cpu1 ? perRequestUs(cpu1.main - cpu0.main) : NaN,
    otherUs: cpu0 && cpu1 ? perRequestUs(cpu1.other - cpu0.other) : NaN,
  };
}

main(async () => {
  printCommand();
  const w = workload('simple');
  const repo = makeRepository(w.dir, [{ name: STEP }]);
  mkdirSync(join(repo.path, ENS, '1'), { recursive: true });
  writeFileSync(join(repo.path, ENS, 'config.pbtxt'), ENSEMBLE_CONFIG);
  const inFlight = opts['in-flight'];
  const ratio = (runs, f) => median(runs.map((r) => f(r[ENS]) / f(r[STEP])));
  try {
    // 1. In process.
    const { createServer, parseSettings } = await import(join(ROOT, 'packages/server/dist/index.js'));
    const { CancelSource } = await import(join(ROOT, 'packages/server/dist/core/cancel-signal.js'));
    const settings = parseSettings(
      ['--model-repository', repo.path, '--allow-http=false', '--allow-grpc=false', '--allow-metrics=false'],
      {},
    );
    const server = await createServer(settings, { logger: pino({ level: 'warn' }) });
    const local = [];
    try {
      for (let round = 0; round < opts.rounds; round++) {
        const order = round % 2 === 0 ? [STEP, ENS] : [ENS, STEP];
        const r = {};
        for (const m of order) {
          await inProcess(server.core, CancelSource, m, inFlight, opts.warmup);
          r[m] = await inProcess(server.core, CancelSource, m, inFlight, opts.duration);
          if (r[m].failed > 0) throw new Error(`${m}: ${r[m].failed} failed requests; first: ${r[m].firstError}`);
        }
        local.push(r);
        process.stderr.write(
          `in process, round ${round + 1}/${opts.rounds}: step ${num(r[STEP].rps, 0)} req/s ` +
            `(${num(r[STEP].mainUs, 1)} µs event loop/req), ensemble ${num(r[ENS].rps, 0)} req/s ` +
            `(${num(r[ENS].mainUs, 1)} µs event loop/req)\n`,
        );
      }
    } finally {
      await server.shutdown('benchmark done');
    }
    const cpu = (m, k) => median(local.map((r) => r[m][k]));
    const cpuTable = markdownTable(
      ['in process, CPU per request', 'step µs', 'ensemble µs', 'ratio', 'added µs'],
      [
        ['event loop (main thread)', 'mainUs'],
        ['other threads (the JS worker, GC helpers)', 'otherUs'],
      ].map(([label, k]) => [
        label,
        num(cpu(STEP, k), 1),
        num(cpu(ENS, k), 1),
        num(
          ratio(local, (x) => x[k]),
          3,
        ),
        num(cpu(ENS, k) - cpu(STEP, k), 1),
      ]),
    );
    const rows = [
      [
        `in process, ${inFlight} in flight`,
        num(median(local.map((r) => r[STEP].rps)), 0),
        num(median(local.map((r) => r[ENS].rps)), 0),
        num(
          ratio(local, (x) => x.rps),
          3,
        ),
        num(median(local.map((r) => r[STEP].latencyMs.mean * 1000)), 0),
        num(median(local.map((r) => r[ENS].latencyMs.mean * 1000)), 0),
        num(
          ratio(local, (x) => x.latencyMs.mean),
          3,
        ),
      ],
    ];
    // 2. Over gRPC.
    const grpcRuns = [];
    if (!opts['skip-grpc']) {
      const srv = await startTensorgate(repo.path);
      try {
        await assertModelsReady(srv.port, [STEP, ENS]);
        for (const concurrency of [1, inFlight]) {
          const runs = [];
          for (let round = 0; round < opts.rounds; round++) {
            const order = round % 2 === 0 ? [STEP, ENS] : [ENS, STEP];
            const r = {};
            for (const m of order) {
              r[m] = await measureModel(srv, m, inferRequestBytes(w, m, 1), {
                concurrency,
                durationSec: opts.duration,
                warmupSec: opts.warmup,
                expectOutputs: w.outputs,
              });
              r[m].label = `${m} c${concurrency} round ${round}`;
              grpcRuns.push(r[m]);
            }
            runs.push(r);
            process.stderr.write(
              `gRPC ${concurrency} in flight, round ${round + 1}/${opts.rounds}: step ${num(r[STEP].rps, 0)} req/s, ` +
                `ensemble ${num(r[ENS].rps, 0)} req/s\n`,
            );
          }
          rows.push([
            `gRPC, ${concurrency} in flight`,
            num(median(runs.map((r) => r[STEP].rps)), 0),
            num(median(runs.map((r) => r[ENS].rps)), 0),
            num(
              ratio(runs, (x) => x.rps),
              3,
            ),
            num(median(runs.map((r) => r[STEP].latencyMs.p50 * 1000)), 0),
            num(median(runs.map((r) => r[ENS].latencyMs.p50 * 1000)), 0),
            num(
              ratio(runs, (x) => x.latencyMs.p50),
              3,
            ),
          ]);
        }
      } finally {
        await srv.stop();
      }
    }
    console.log(
      `\n\`${STEP}\` alone vs \`${ENS}\` (an ensemble of that one step), ${opts.rounds} rounds of ${opts.duration} s per ` +
        `model (+${opts.warmup} s warm-up), medians of the rounds; ratios are ensemble / step within each round ` +
        `(in process: mean latency; gRPC: client-measured p50):\n`,
    );
    console.log(
      markdownTable(
        [
          'measurement',
          'step req/s',
          'ensemble req/s',
          'req/s ratio',
          'step latency µs',
          'ensemble latency µs',
          'latency ratio',
        ],
        rows,
      ),
    );
    console.log(`\n${cpuTable}`);
    const f = failures(grpcRuns);
    if (f.total > 0) {
      console.log(`\nFAILED REQUESTS: ${f.total}\n${f.lines.join('\n')}`);
      process.exitCode = 1;
    }
  } finally {
    repo.remove();
  }
});
