#!/usr/bin/env node
// Benchmark: what tracing costs (issue #14 item 8). Three copies of the `simple` example (JS,
// INT32 [16] + [16]): `simple_off` (tracing off), `simple_ts1` (TIMESTAMPS, trace_rate 1: every
// request traced and written to the trace file) and `simple_ts1000` (TIMESTAMPS, trace_rate 1000,
// Triton's default rate). Two measurements, each alternating the three models round by round
// (order reversed every other round), medians of the rounds, ratios against `simple_off` within
// each round:
//   1. in process: the core's `infer` driven in this process with a TraceManager sampling each
//      request as the frontends do (startTrace, ctx.trace, release), for requests/s and the event
//      loop's CPU per request (from /proc: steadier than throughput on a shared machine);
//   2. over gRPC: the server started through its CLI with `--trace-config triton,file=...`, the
//      settings made through the trace extension (POST /v2/models/{m}/trace/setting), driven by the
//      closed-loop generator (bench/lib/grpc-load.mjs, its own process).
// The trace files grow by ~1 KB per traced request; they are deleted at the end.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { main, parseCli, printCommand, ROOT } from './lib/cli.mjs';
import { assertModelsReady } from './lib/grpc-control.mjs';
import { failures, measureModel } from './lib/measure.mjs';
import { makeRepository } from './lib/model-repo.mjs';
import { startTensorgate } from './lib/server-process.mjs';
import { markdownTable, median, num } from './lib/stats.mjs';
import { threadCpuMs } from './lib/thread-cpu.mjs';
import { inferRequestBytes, inputData, workload } from './lib/workloads.mjs';

const opts = parseCli(
  import.meta.url,
  'Tracing overhead: tracing off vs TIMESTAMPS at trace_rate 1 and 1000, over gRPC.',
  {
    rounds: { default: 5, help: 'rounds; each measures the three models, alternating' },
    duration: { default: 2, help: 'seconds measured per model and round' },
    warmup: { default: 1, help: 'warm-up seconds before each measurement' },
    'in-flight': { default: 16, help: 'requests kept in flight' },
    'skip-grpc': { type: 'boolean', help: 'only the in-process measurement' },
  },
);

const OFF = 'simple_off';
const CASES = [
  { model: OFF, label: 'tracing off', setting: null },
  { model: 'simple_ts1', label: 'TIMESTAMPS, rate 1', setting: { trace_level: ['TIMESTAMPS'], trace_rate: '1' } },
  {
    model: 'simple_ts1000',
    label: 'TIMESTAMPS, rate 1000',
    setting: { trace_level: ['TIMESTAMPS'], trace_rate: '1000' },
  },
];

/**
 * Keeps `inFlight` core.infer calls going on `model` for `seconds`, each sampled by `traces` as a
 * frontend does; returns { rps, failed, firstError, mainUs } (event-loop CPU per request).
 */
async function inProcess(core, CancelSource, traces, model, inFlight, seconds) {
  const w = workload('simple');
  const inputs = w.inputs.map((i) => {
    const a = inputData(i, 1);
    return { name: i.name, datatype: i.datatype, shape: [1, ...i.dims], data: new Uint8Array(a.buffer) };
  });
  const request = { modelName: model, modelVersion: '', id: '', inputs, outputs: [], parameters: {} };
  let n = 0;
  let failed = 0;
  let firstError;
  const end = performance.now() + seconds * 1000;
  const one = async () => {
    while (performance.now() < end) {
      const trace = traces.startTrace(model, undefined);
      try {
        const ctx = { signal: new CancelSource(), protocol: 'grpc', allowDecoupled: false, trace };
        for await (const r of core.infer(request, ctx)) if (r.outputs.length !== 2) throw new Error('missing outputs');
        n++;
      } catch (e) {
        failed++;
        firstError ??= String(e);
      } finally {
        trace?.release();
      }
    }
  };
  const t0 = performance.now();
  const cpu0 = threadCpuMs();
  await Promise.all(Array.from({ length: inFlight }, one));
  const cpu1 = threadCpuMs();
  const elapsed = (performance.now() - t0) / 1000;
  return {
    rps: n / elapsed,
    failed,
    firstError,
    mainUs: cpu0 && cpu1 ? ((cpu1.main - cpu0.main) * 1000) / Math.max(1, n) : NaN,
  };
}

async function setTrace(httpPort, model, setting) {
  const res = await globalThis.fetch(`http://127.0.0.1:${httpPort}/v2/models/${model}/trace/setting`, {
    method: 'POST',
    body: JSON.stringify(setting),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`trace setting of ${model}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

main(async () => {
  printCommand();
  const w = workload('simple');
  const repo = makeRepository(
    w.dir,
    CASES.map((c) => ({ name: c.model })),
  );
  const dir = mkdtempSync(join(tmpdir(), 'tensorgate-trace-bench-'));
  const traceFile = join(dir, 'trace.json');
  const all = [];
  const rounds = [];
  const local = [];
  let localTraceBytes = 0;
  try {
    const { createServer, parseSettings } = await import(join(ROOT, 'packages/server/dist/index.js'));
    const { CancelSource } = await import(join(ROOT, 'packages/server/dist/core/cancel-signal.js'));
    const { DEFAULT_TRACE_STARTUP, TraceManager } = await import(
      join(ROOT, 'packages/server/dist/core/trace/trace-manager.js')
    );
    const localFile = join(dir, 'local-trace.json');
    const traces = new TraceManager(
      { ...DEFAULT_TRACE_STARTUP, file: localFile },
      { clock: { nowNs: () => Number(process.hrtime.bigint()), wallMs: () => Date.now() } },
    );
    traces.update('simple_ts1', { level: 1, rate: 1 });
    traces.update('simple_ts1000', { level: 1, rate: 1000 });
    const settings = parseSettings(
      ['--model-repository', repo.path, '--allow-http=false', '--allow-grpc=false', '--allow-metrics=false'],
      {},
    );
    const server = await createServer(settings, { logger: pino({ level: 'warn' }) });
    try {
      for (let round = 0; round < opts.rounds; round++) {
        const order = round % 2 === 0 ? CASES : [...CASES].reverse();
        const r = {};
        for (const c of order) {
          await inProcess(server.core, CancelSource, traces, c.model, opts['in-flight'], opts.warmup);
          r[c.model] = await inProcess(server.core, CancelSource, traces, c.model, opts['in-flight'], opts.duration);
          if (r[c.model].failed > 0) {
            throw new Error(`${c.model}: ${r[c.model].failed} failed requests; first: ${r[c.model].firstError}`);
          }
        }
        local.push(r);
        process.stderr.write(
          `in process, round ${round + 1}/${opts.rounds}: ` +
            CASES.map((c) => `${c.model} ${num(r[c.model].rps, 0)} req/s ${num(r[c.model].mainUs, 1)} µs`).join(', ') +
            '\n',
        );
      }
    } finally {
      await server.shutdown('benchmark done');
      await traces.shutdown();
    }
    localTraceBytes = statSync(localFile).size;
    const localRatio = (model, f) => median(local.map((r) => f(r[model]) / f(r[OFF])));
    console.log(
      `\nIn process (core \`infer\`, sampled as the frontends do), ${opts['in-flight']} in flight, ${opts.rounds} rounds ` +
        `of ${opts.duration} s per model (+${opts.warmup} s warm-up), medians of the rounds; ratios against tracing ` +
        `off within each round. Trace file written: ${num(localTraceBytes / 1e6, 1)} MB.\n`,
    );
    console.log(
      markdownTable(
        ['tracing', 'req/s', 'ratio', 'event loop µs/request', 'ratio', 'added µs'],
        CASES.map((c) => [
          c.label,
          num(median(local.map((r) => r[c.model].rps)), 0),
          num(
            localRatio(c.model, (x) => x.rps),
            3,
          ),
          num(median(local.map((r) => r[c.model].mainUs)), 1),
          num(
            localRatio(c.model, (x) => x.mainUs),
            3,
          ),
          num(median(local.map((r) => r[c.model].mainUs - r[OFF].mainUs)), 1),
        ]),
      ),
    );
    if (opts['skip-grpc']) return;
    const srv = await startTensorgate(repo.path, ['--trace-config', `triton,file=${traceFile}`]);
    try {
      await assertModelsReady(
        srv.port,
        CASES.map((c) => c.model),
      );
      for (const c of CASES) if (c.setting) await setTrace(srv.httpPort, c.model, c.setting);
      for (let round = 0; round < opts.rounds; round++) {
        const order = round % 2 === 0 ? CASES : [...CASES].reverse();
        const r = {};
        for (const c of order) {
          r[c.model] = await measureModel(srv, c.model, inferRequestBytes(w, c.model, 1), {
            concurrency: opts['in-flight'],
            durationSec: opts.duration,
            warmupSec: opts.warmup,
            expectOutputs: w.outputs,
          });
          r[c.model].label = `${c.model} round ${round}`;
          all.push(r[c.model]);
        }
        rounds.push(r);
        process.stderr.write(
          `round ${round + 1}/${opts.rounds}: ` +
            CASES.map((c) => `${c.model} ${num(r[c.model].rps, 0)} req/s`).join(', ') +
            '\n',
        );
      }
    } finally {
      await srv.stop();
    }
    const traceBytes = statSync(traceFile).size;
    const ratio = (model, f) => median(rounds.map((r) => f(r[model]) / f(r[OFF])));
    console.log(
      `\n\`simple\` over gRPC, ${opts['in-flight']} in flight, ${opts.rounds} rounds of ${opts.duration} s per model ` +
        `(+${opts.warmup} s warm-up), medians of the rounds; ratios are against tracing off within each round. ` +
        `Trace file written at rate 1: ${num(traceBytes / 1e6, 1)} MB.\n`,
    );
    console.log(
      markdownTable(
        ['tracing', 'req/s', 'ratio', 'p50 µs', 'p99 µs', 'p50 ratio'],
        CASES.map((c) => [
          c.label,
          num(median(rounds.map((r) => r[c.model].rps)), 0),
          num(
            ratio(c.model, (x) => x.rps),
            3,
          ),
          num(median(rounds.map((r) => r[c.model].latencyMs.p50 * 1000)), 0),
          num(median(rounds.map((r) => r[c.model].latencyMs.p99 * 1000)), 0),
          num(
            ratio(c.model, (x) => x.latencyMs.p50),
            3,
          ),
        ]),
      ),
    );
    console.log(
      '\nrounds (req/s): ' + rounds.map((r) => CASES.map((c) => num(r[c.model].rps, 0)).join('/')).join(', '),
    );
  } finally {
    repo.remove();
    rmSync(dir, { recursive: true, force: true });
  }
  const f = failures(all);
  if (f.total > 0) {
    console.log(`\nFAILED REQUESTS: ${f.total}\n${f.lines.join('\n')}`);
    process.exitCode = 1;
  }
});
