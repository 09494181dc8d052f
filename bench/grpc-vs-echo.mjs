#!/usr/bin/env node
// Benchmark: tensorgate gRPC ModelInfer (its native transport, the default, and --grpc-transport grpc-js)
// against a raw node:http2 echo, in one run, all driven by
// h2load (Debian's nghttp2-client) with the same gRPC-framed body.
//   1. `simple` (two INT32[1,16] inputs) throughput at the given connections/streams
//   2. a 19 MB `identity_fp32` round trip
// Usage: node bench/grpc-vs-echo.mjs [--requests 20000] [--clients 4] [--streams 16] [--rounds 3] [--h2load-cpu 1]
// --h2load-cpu N pins h2load to CPU N (taskset) so the load generator does not compete with the
// server under test for the same core; the servers themselves are never pinned.
// Prints a Markdown table and the ratios (median of the rounds), and the CPU per `simple` request of
// the raw echo and of tensorgate (event loop, other threads), read from /proc.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { identityBody, simpleBody } from './grpc-bodies.mjs';
import { cpuDelta, threadCpuMs } from './lib/thread-cpu.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
if (process.argv.includes('--help')) {
  console.log(
    [
      'Usage: node bench/grpc-vs-echo.mjs [--requests 20000] [--clients 4] [--streams 16] [--rounds 3]',
      '       [--big-requests 40] [--h2load-cpu N] [--experiments]',
      'gRPC `simple` and a 19 MB identity round trip through tensorgate (native gRPC transport and',
      '--grpc-transport grpc-js) against a raw node:http2 echo and a bare grpc-js echo, all driven by',
      'h2load with the same bytes in one run; prints medians of the rounds as a Markdown table, and',
      "the echo's and tensorgate's CPU per `simple` request (event loop, other threads) from /proc.",
      '--experiments adds the measurement-only servers of bench/experiments/.',
    ].join('\n'),
  );
  process.exit(0);
}
const REQUESTS = Number(args.requests ?? 20000);
const CLIENTS = Number(args.clients ?? 4);
const STREAMS = Number(args.streams ?? 16);
const ROUNDS = Number(args.rounds ?? 3);
const BIG_REQUESTS = Number(args['big-requests'] ?? 40);
const H2LOAD_CPU = args['h2load-cpu'];
// --experiments adds measurement-only servers to the `simple` rows: tensorgate's core behind a hand-written
// HTTP/2 handler instead of grpc-js, with and without the worker crossing, the product's grpc-js frontend with
// the model inline (bench/experiments/h2-core-server.mjs), and the raw echo plus a worker-thread round trip per
// request (bench/experiments/h2-worker-echo.mjs).
const EXPERIMENTS = process.argv.includes('--experiments');
const root = fileURLToPath(new URL('..', import.meta.url));

if (spawnSync('h2load', ['--version']).error) {
  console.error('h2load not found: apt-get install nghttp2-client');
  process.exit(2);
}

function startProcess(cmd, argv, ready) {
  const child = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const port = ready(line);
      if (port) resolve({ child, port });
    });
    child.once('exit', (code) => reject(new Error(`${cmd} exited with ${code}`)));
  });
}

const startEcho = (extra = []) =>
  startProcess(process.execPath, ['bench/echo-server.mjs', ...extra], (l) => Number(l.trim()) || undefined);
const startGrpcJsEcho = () =>
  startProcess(
    process.execPath,
    ['--max-old-space-size=4096', 'bench/grpcjs-echo-server.mjs'],
    (l) => Number(l.trim()) || undefined,
  );
const startTensorgate = (extra = []) =>
  startProcess(
    process.execPath,
    [
      'packages/server/bin/tensorgate.js',
      'serve',
      '--model-repository',
      'examples/model_repository',
      '--host',
      '127.0.0.1',
      '--http-port',
      '0',
      '--grpc-port',
      '0',
      // Metrics stay on, as in a real deployment (every request updates the Prometheus series).
      '--metrics-port',
      '0',
      '--log-level',
      'info',
      ...extra,
    ],
    (l) => {
      try {
        const rec = JSON.parse(l);
        return rec.msg === 'tensorgate started' ? rec.ports.grpc : undefined;
      } catch {
        return undefined;
      }
    },
  );

function h2load(port, path, bodyFile, n, c, m) {
  const cmd = H2LOAD_CPU === undefined ? ['h2load'] : ['taskset', '-c', String(H2LOAD_CPU), 'h2load'];
  const r = spawnSync(
    cmd[0],
    [
      ...cmd.slice(1),
      '-n',
      String(n),
      '-c',
      String(c),
      '-m',
      String(m),
      '-d',
      bodyFile,
      '-H',
      'content-type: application/grpc',
      '-H',
      'te: trailers',
      `http://127.0.0.1:${port}${path}`,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const out = r.stdout;
  const rps = Number(/finished in [^,]+, ([\d.]+) req\/s/.exec(out)?.[1]);
  const ok = Number(/(\d+) succeeded/.exec(out)?.[1]);
  const status2xx = Number(/status codes: (\d+) 2xx/.exec(out)?.[1]);
  if (!rps || ok !== n || status2xx !== n) throw new Error(`h2load failed:\n${out}\n${r.stderr}`);
  return rps;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * h2load against `server`, also recording the server's CPU per request (µs, from /proc: its main
 * thread, and all its other threads together) into `cpu` (nothing off Linux).
 */
function h2loadCpu(server, cpu, path, bodyFile, n, c, m) {
  const before = threadCpuMs(server.child.pid);
  const rps = h2load(server.port, path, bodyFile, n, c, m);
  const d = cpuDelta(before, threadCpuMs(server.child.pid));
  if (d) {
    cpu.main.push((d.main * 1000) / n);
    cpu.other.push((d.other * 1000) / n);
  }
  return rps;
}
const dir = mkdtempSync(join(tmpdir(), 'tg-bench-'));
const simpleFile = join(dir, 'simple.bin');
const bigFile = join(dir, 'identity19mb.bin');
writeFileSync(simpleFile, simpleBody());
writeFileSync(bigFile, identityBody(19 * 1024 * 1024));

const echo = await startEcho();
// The same echo with the flow-control windows tensorgate's native transport advertises (19 MB row only).
const echoTuned = await startEcho(['--tuned-windows']);
const gjs = await startGrpcJsEcho();
const tg = await startTensorgate();
// The same server on grpc-js, tensorgate's other gRPC transport.
const tgJs = await startTensorgate(['--grpc-transport', 'grpc-js']);
const startExperiment = (extra) =>
  startProcess(
    process.execPath,
    ['bench/experiments/h2-core-server.mjs', ...extra],
    (l) => Number(l.trim()) || undefined,
  );
const expWorker = EXPERIMENTS ? await startExperiment([]) : undefined;
const expInline = EXPERIMENTS ? await startExperiment(['--inline']) : undefined;
const expGrpcInline = EXPERIMENTS ? await startExperiment(['--inline', '--via-grpc-js']) : undefined;
const expFloor = EXPERIMENTS
  ? await startProcess(process.execPath, ['bench/experiments/h2-worker-echo.mjs'], (l) => Number(l.trim()) || undefined)
  : undefined;
const PATH = '/inference.GRPCInferenceService/ModelInfer';
try {
  // warm-up both
  h2load(echo.port, PATH, simpleFile, 2000, CLIENTS, STREAMS);
  h2load(gjs.port, PATH, simpleFile, 2000, CLIENTS, STREAMS);
  h2load(tg.port, PATH, simpleFile, 2000, CLIENTS, STREAMS);
  h2load(tg.port, PATH, bigFile, 5, 1, 1);
  h2load(tgJs.port, PATH, simpleFile, 2000, CLIENTS, STREAMS);
  h2load(tgJs.port, PATH, bigFile, 5, 1, 1);
  const rows = {
    echoSimple: [],
    grpcjsSimple: [],
    tgSimple: [],
    tgJsSimple: [],
    echoBig: [],
    echoTunedBig: [],
    grpcjsBig: [],
    tgBig: [],
    tgJsBig: [],
  };
  if (EXPERIMENTS) {
    rows.expWorkerSimple = [];
    rows.expInlineSimple = [];
    rows.expGrpcInlineSimple = [];
    rows.expFloorSimple = [];
    h2load(expWorker.port, PATH, simpleFile, 2000, CLIENTS, STREAMS);
    h2load(expInline.port, PATH, simpleFile, 2000, CLIENTS, STREAMS);
    h2load(expGrpcInline.port, PATH, simpleFile, 2000, CLIENTS, STREAMS);
    h2load(expFloor.port, PATH, simpleFile, 2000, CLIENTS, STREAMS);
  }
  // CPU per `simple` request of the raw echo and of tensorgate (native transport), per thread group.
  const cpu = { echo: { main: [], other: [] }, tg: { main: [], other: [] } };
  for (let i = 0; i < ROUNDS; i++) {
    rows.echoSimple.push(h2loadCpu(echo, cpu.echo, PATH, simpleFile, REQUESTS, CLIENTS, STREAMS));
    rows.grpcjsSimple.push(h2load(gjs.port, PATH, simpleFile, REQUESTS, CLIENTS, STREAMS));
    rows.tgSimple.push(h2loadCpu(tg, cpu.tg, PATH, simpleFile, REQUESTS, CLIENTS, STREAMS));
    rows.tgJsSimple.push(h2load(tgJs.port, PATH, simpleFile, REQUESTS, CLIENTS, STREAMS));
    if (EXPERIMENTS) {
      rows.expWorkerSimple.push(h2load(expWorker.port, PATH, simpleFile, REQUESTS, CLIENTS, STREAMS));
      rows.expInlineSimple.push(h2load(expInline.port, PATH, simpleFile, REQUESTS, CLIENTS, STREAMS));
      rows.expGrpcInlineSimple.push(h2load(expGrpcInline.port, PATH, simpleFile, REQUESTS, CLIENTS, STREAMS));
      rows.expFloorSimple.push(h2load(expFloor.port, PATH, simpleFile, REQUESTS, CLIENTS, STREAMS));
    }
    rows.echoBig.push(h2load(echo.port, PATH, bigFile, BIG_REQUESTS, 1, 1));
    rows.echoTunedBig.push(h2load(echoTuned.port, PATH, bigFile, BIG_REQUESTS, 1, 1));
    rows.grpcjsBig.push(h2load(gjs.port, PATH, bigFile, BIG_REQUESTS, 1, 1));
    rows.tgBig.push(h2load(tg.port, PATH, bigFile, BIG_REQUESTS, 1, 1));
    rows.tgJsBig.push(h2load(tgJs.port, PATH, bigFile, BIG_REQUESTS, 1, 1));
  }
  const m = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, median(v)]));
  const fmt = (x) => x.toFixed(1);
  const pct = (a, b) => `${((a / b) * 100).toFixed(1)}%`;
  console.log(
    `| workload | raw HTTP/2 echo | bare grpc-js echo | tensorgate (native gRPC, default) | tensorgate --grpc-transport grpc-js | native / raw echo | grpc-js transport / raw echo |`,
  );
  console.log(`|---|---|---|---|---|---|---|`);
  const row = (label, echo, gjsEcho, native, js) =>
    console.log(
      `| ${label} | ${fmt(echo)} | ${fmt(gjsEcho)} | ${fmt(native)} | ${fmt(js)} | ${pct(native, echo)} | ${pct(js, echo)} |`,
    );
  row(
    `simple (req/s), ${REQUESTS} req, -c ${CLIENTS} -m ${STREAMS}`,
    m.echoSimple,
    m.grpcjsSimple,
    m.tgSimple,
    m.tgJsSimple,
  );
  row(`identity_fp32 19 MB (req/s), ${BIG_REQUESTS} req, -c 1 -m 1`, m.echoBig, m.grpcjsBig, m.tgBig, m.tgJsBig);
  console.log(
    `\n19 MB against the raw echo with the same flow-control windows as the native transport ` +
      `(\`echo-server.mjs --tuned-windows\`): ${fmt(m.echoTunedBig)} req/s; native ${pct(m.tgBig, m.echoTunedBig)}, ` +
      `grpc-js transport ${pct(m.tgJsBig, m.echoTunedBig)}.`,
  );
  if (cpu.echo.main.length > 0) {
    const us = (xs) => median(xs).toFixed(1);
    console.log(
      `\nCPU per \`simple\` request (µs, /proc, medians; 10 ms clock ticks): raw echo event loop ${us(cpu.echo.main)}, ` +
        `other threads ${us(cpu.echo.other)}; tensorgate event loop ${us(cpu.tg.main)}, ` +
        `other threads ${us(cpu.tg.other)} (the model worker and V8's helpers).`,
    );
  }
  if (EXPERIMENTS) {
    console.log(`\nExperiments (measurement only), simple, same run:`);
    console.log(`| server | req/s | vs raw echo |`);
    console.log(`|---|---|---|`);
    console.log(
      `| core + JS worker behind a hand-written HTTP/2 handler (no grpc-js) | ${fmt(m.expWorkerSimple)} | ${pct(m.expWorkerSimple, m.echoSimple)} |`,
    );
    console.log(
      `| same, model computed inline on the event loop (no worker crossing) | ${fmt(m.expInlineSimple)} | ${pct(m.expInlineSimple, m.echoSimple)} |`,
    );
    console.log(
      `| tensorgate's grpc-js frontend, model inline (no worker crossing) | ${fmt(m.expGrpcInlineSimple)} | ${pct(m.expGrpcInlineSimple, m.echoSimple)} |`,
    );
    console.log(
      `| raw echo + a worker-thread round trip per request (no protobuf, no core) | ${fmt(m.expFloorSimple)} | ${pct(m.expFloorSimple, m.echoSimple)} |`,
    );
  }
  console.log(
    `\nrounds: ${ROUNDS} (medians)${H2LOAD_CPU === undefined ? '' : `, h2load pinned to CPU ${H2LOAD_CPU}`}; all rounds: ${JSON.stringify(rows)}`,
  );
} finally {
  echo.child.kill('SIGTERM');
  echoTuned.child.kill('SIGTERM');
  gjs.child.kill('SIGTERM');
  expWorker?.child.kill('SIGTERM');
  expInline?.child.kill('SIGTERM');
  expGrpcInline?.child.kill('SIGTERM');
  expFloor?.child.kill('SIGTERM');
  tg.child.kill('SIGTERM');
  tgJs.child.kill('SIGTERM');
}
