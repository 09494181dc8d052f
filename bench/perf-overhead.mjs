#!/usr/bin/env node
// Benchmark: the client overhead of `tensorgate perf`. The same `simple` request (two INT32 [1,16]
// inputs holding 0..15) is sent to one tensorgate server at the same concurrency over one HTTP/2
// connection, by `tensorgate perf -i grpc` and by h2load (nghttp2's C load generator, with the
// gRPC-framed body). Both run in their own process; the server is never pinned. The throughput
// ratio perf / h2load shows what perf's Node client costs when it shares 2 cores with the server;
// perf also reports its own CPU time per request.
// When h2load is not installed, the bare grpc-js generator bench/lib/grpc-load.mjs is the baseline.
// --baseline grpc-load uses that generator even when h2load is there.
// Usage: node bench/perf-overhead.mjs [--concurrency 1,8] [--seconds 3] [--rounds 3] [--baseline h2load|grpc-load]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleBody } from './grpc-bodies.mjs';
import { runLoadInChild } from './lib/grpc-load.mjs';
import { startTensorgate } from './lib/server-process.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
if (process.argv.includes('--help')) {
  console.log(
    'Usage: node bench/perf-overhead.mjs [--concurrency 1,8] [--seconds 3] [--rounds 3] [--baseline h2load|grpc-load]',
  );
  process.exit(0);
}
const LEVELS = String(args.concurrency ?? '1,8')
  .split(',')
  .map(Number);
const SECONDS = Number(args.seconds ?? 3);
const ROUNDS = Number(args.rounds ?? 3);
const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(root, 'packages/server/bin/tensorgate.js');
const HAVE_H2LOAD = args.baseline !== 'grpc-load' && !spawnSync('h2load', ['--version']).error;
const PATH = '/inference.GRPCInferenceService/ModelInfer';

function h2load(port, bodyFile, concurrency) {
  const r = spawnSync(
    'h2load',
    ['-c', '1', '-m', String(concurrency), '-D', String(SECONDS), '--warm-up-time', '1', '-d', bodyFile].concat([
      '-H',
      'content-type: application/grpc',
      '-H',
      'te: trailers',
      `http://127.0.0.1:${port}${PATH}`,
    ]),
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const rps = Number(/finished in [^,]+, ([\d.]+) req\/s/.exec(r.stdout)?.[1]);
  const failed = Number(/(\d+) failed/.exec(r.stdout)?.[1] ?? 0);
  const meanMatch = /time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  const scale = { us: 1, ms: 1000, s: 1e6 };
  if (!rps || failed) throw new Error(`h2load failed:\n${r.stdout}\n${r.stderr}`);
  return { rps, meanUs: meanMatch ? Number(meanMatch[1]) * scale[meanMatch[2]] : NaN, cpuUs: NaN };
}

async function grpcLoad(port, body, concurrency) {
  const res = await runLoadInChild({ port, body: body.subarray(5), concurrency, durationSec: SECONDS, warmupSec: 1 });
  if (res.failed) throw new Error(`grpc-load: ${res.failed} failed; first: ${res.firstError}`);
  return { rps: res.rps, meanUs: res.latencyMs.mean * 1000, cpuUs: res.clientCpuUsPerRequest };
}

function perf(port, dataFile, concurrency) {
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      'perf',
      '-q',
      '-m',
      'simple',
      '-i',
      'grpc',
      '-u',
      `127.0.0.1:${port}`,
      '--concurrency-range',
      String(concurrency),
    ]
      .concat([
        '-p',
        String(Math.round((SECONDS * 1000) / 3)),
        '-r',
        '3',
        '--warmup-ms',
        '1000',
        '--input-data',
        dataFile,
      ])
      .concat(['--format', 'json']),
    { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  if (r.status !== 0) throw new Error(`tensorgate perf exited with ${r.status}:\n${r.stderr}`);
  const step = JSON.parse(r.stdout).steps[0];
  return { rps: step.throughput.requestsPerSec, meanUs: step.latencyUs.avg, cpuUs: step.clientCpuUsPerRequest };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = mkdtempSync(join(tmpdir(), 'tg-perf-overhead-'));
const body = simpleBody();
const bodyFile = join(dir, 'simple.bin');
const dataFile = join(dir, 'simple.json');
writeFileSync(bodyFile, body);
const values = Array.from({ length: 16 }, (_, i) => i);
writeFileSync(dataFile, JSON.stringify({ data: [{ INPUT0: values, INPUT1: values }] }));

const baselineName = HAVE_H2LOAD ? 'h2load' : 'grpc-load.mjs';
console.log(
  `# node bench/perf-overhead.mjs --concurrency ${LEVELS.join(',')} --seconds ${SECONDS} --rounds ${ROUNDS}` +
    `${args.baseline ? ` --baseline ${args.baseline}` : ''} (baseline: ${baselineName})`,
);
const tg = await startTensorgate(join(root, 'examples/model_repository'));
try {
  const rows = [];
  for (const c of LEVELS) {
    const base = [];
    const ours = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order so neither side always runs on a warmer server.
      const runBase = () => (HAVE_H2LOAD ? h2load(tg.port, bodyFile, c) : grpcLoad(tg.port, body, c));
      if (round % 2 === 0) {
        base.push(await runBase());
        ours.push(perf(tg.port, dataFile, c));
      } else {
        ours.push(perf(tg.port, dataFile, c));
        base.push(await runBase());
      }
    }
    rows.push({ c, base, ours });
  }
  console.log(
    `\n| concurrency | ${baselineName} req/s | perf req/s | perf / ${baselineName} | ${baselineName} mean µs | perf mean µs | perf client CPU µs/req |`,
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const { c, base, ours } of rows) {
    const b = median(base.map((x) => x.rps));
    const o = median(ours.map((x) => x.rps));
    console.log(
      `| ${c} | ${b.toFixed(0)} | ${o.toFixed(0)} | ${(o / b).toFixed(2)} | ${median(base.map((x) => x.meanUs)).toFixed(0)} | ` +
        `${median(ours.map((x) => x.meanUs)).toFixed(0)} | ${median(ours.map((x) => x.cpuUs)).toFixed(0)} |`,
    );
  }
  console.log('\nrounds (req/s):');
  for (const { c, base, ours } of rows) {
    console.log(
      `  c=${c}: ${baselineName} ${base.map((x) => x.rps.toFixed(0)).join(', ')}; perf ${ours.map((x) => x.rps.toFixed(0)).join(', ')}`,
    );
  }
} finally {
  await tg.stop();
  rmSync(dir, { recursive: true, force: true });
}
