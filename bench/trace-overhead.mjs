#!/usr/bin/env node
// Benchmark: what tracing costs (issue #14 item 8). Three copies of the `simple` example (JS,
// INT32 [16] + [16]) in one server started with a trace file (`--trace-config triton,file=...`):
// `simple_off` (tracing off), `simple_ts1` (TIMESTAMPS, trace_rate 1: every request traced and
// written to the trace file) and `simple_ts1000` (TIMESTAMPS, trace_rate 1000, Triton's default
// rate), each set through the trace extension (POST /v2/models/{m}/trace/setting). The gRPC
// closed-loop generator (bench/lib/grpc-load.mjs, its own process) drives each model in turn,
// rounds alternating the order; medians of the rounds, ratios against `simple_off` within each
// round. The trace file at rate 1 grows by ~1 KB per request (it is deleted at the end).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, parseCli, printCommand } from './lib/cli.mjs';
import { assertModelsReady } from './lib/grpc-control.mjs';
import { failures, measureModel } from './lib/measure.mjs';
import { makeRepository } from './lib/model-repo.mjs';
import { startTensorgate } from './lib/server-process.mjs';
import { markdownTable, median, num } from './lib/stats.mjs';
import { inferRequestBytes, workload } from './lib/workloads.mjs';

const opts = parseCli(
  import.meta.url,
  'Tracing overhead: tracing off vs TIMESTAMPS at trace_rate 1 and 1000, over gRPC.',
  {
    rounds: { default: 5, help: 'rounds; each measures the three models, alternating' },
    duration: { default: 2, help: 'seconds measured per model and round' },
    warmup: { default: 1, help: 'warm-up seconds before each measurement' },
    'in-flight': { default: 16, help: 'requests kept in flight' },
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

async function setTrace(httpPort, model, setting) {
  const res = await fetch(`http://127.0.0.1:${httpPort}/v2/models/${model}/trace/setting`, {
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
  try {
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
