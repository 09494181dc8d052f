#!/usr/bin/env node
// Decompression bombs against a tensorgate server process (issue #12 item 3): N concurrent
// requests of ~1 MB that would inflate to 1 GiB each (gRPC gzip and deflate on both transports,
// HTTP gzip and deflate bodies), while a good client keeps sending `simple` inferences over gRPC
// and HTTP. For each attack it reports the server's peak RSS growth over its RSS before the attack
// (Linux VmHWM, reset through /proc/<pid>/clear_refs; sampled VmRSS where that is refused), its
// RSS 2 s later, how the bombs were answered, and the good client's requests (served, failed, slowest).
// Exits 1 if a bomb is not refused (RESOURCE_EXHAUSTED, over the message limit or as "busy" past the
// server-wide decompression budget; HTTP 413, or 503 "busy"), a good request fails, or the peak
// growth reaches --max-growth-mib. With --bombs 50 the peak is bounded by --decompression-budget-bytes
// (320 MiB), not by 50 x the message limit. See test/stress/README.md.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import * as grpc from '@grpc/grpc-js';
import { loadProtoRoot } from '@tensorgate/protocol';
import { parseCli, ROOT } from '../../bench/lib/cli.mjs';
import { procMemory, resetPeakRss } from '../../bench/lib/proc-status.mjs';
import { startTensorgate } from '../../bench/lib/server-process.mjs';
import {
  connectH2,
  deflateBomb,
  gzipBomb,
  grpcFrame,
  rawGrpcCall,
} from '../../packages/server/dist-test/helpers/compression-bombs.js';

const opts = parseCli('test/stress/decompression-bombs.mjs', 'RSS cost of concurrent decompression bombs.', {
  bombs: { default: 4, help: 'concurrent bombs per attack' },
  'bomb-mib': { default: 1024, help: 'what each bomb would inflate to, in MiB' },
  transports: { default: 'native,grpc-js', type: 'string', help: 'gRPC transports to attack (comma-separated)' },
  'one-connection': { type: 'boolean', help: 'send every gRPC bomb on one connection (default: one each)' },
  'max-growth-mib': { default: 512, help: 'fail when the peak RSS growth of an attack reaches this' },
  'extra-args': { default: '', type: 'string', help: 'more `tensorgate serve` flags, space-separated' },
});

const MIB = 1024 * 1024;
const root = loadProtoRoot();
const InferRequest = root.lookupType('inference.ModelInferRequest');
const int32s = Buffer.from(new Int32Array(16).map((_, i) => i).buffer);
const simple = {
  model_name: 'simple',
  inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
    { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
  ],
  raw_input_contents: [int32s, int32s],
};
const simpleBytes = Buffer.from(InferRequest.encode(InferRequest.fromObject(simple)).finish());
const httpBody = JSON.stringify({
  inputs: [
    { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: [...new Array(16).keys()] },
    { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: [...new Array(16).keys()] },
  ],
});

function grpcJsClient(port) {
  const identity = (b) => b;
  const Ctor = grpc.makeGenericClientConstructor(
    {
      ModelInfer: {
        path: '/inference.GRPCInferenceService/ModelInfer',
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    'GRPCInferenceService',
  );
  return new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

/** Peak RSS of `pid` from now on: VmHWM after resetting it, else the largest sampled VmRSS. */
function peakTracker(pid) {
  let resettable = true;
  try {
    resetPeakRss(pid);
  } catch {
    resettable = false;
  }
  let sampled = procMemory(pid).VmRSS;
  const timer = setInterval(() => {
    try {
      sampled = Math.max(sampled, procMemory(pid).VmRSS);
    } catch {
      // The server is gone: the next stop() says so.
    }
  }, 5);
  return {
    method: resettable ? 'VmHWM' : 'sampled VmRSS',
    stop() {
      clearInterval(timer);
      const s = procMemory(pid);
      return Math.max(sampled, s.VmRSS, resettable ? s.VmHWM : 0);
    },
  };
}

/** Good requests, gRPC and HTTP in turn, until `until` settles. */
async function goodClient(server, until) {
  const client = grpcJsClient(server.grpcPort);
  let done = false;
  void until.finally(() => (done = true));
  const result = { served: 0, failed: 0, slowestMs: 0, errors: new Set() };
  const timed = async (run) => {
    const t0 = performance.now();
    try {
      await run();
      result.served++;
    } catch (e) {
      result.failed++;
      result.errors.add(e.message);
    }
    result.slowestMs = Math.max(result.slowestMs, performance.now() - t0);
  };
  while (!done) {
    await timed(
      () =>
        new Promise((resolve, reject) =>
          client.ModelInfer(simpleBytes, (err, reply) => (err ? reject(err) : reply.length > 0 ? resolve() : reject())),
        ),
    );
    await timed(async () => {
      const r = await globalThis.fetch(`http://127.0.0.1:${server.httpPort}/v2/models/simple/infer`, {
        method: 'POST',
        body: httpBody,
      });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    });
  }
  client.close();
  return result;
}

const BUSY = /the server is busy decompressing other requests/;

/** How a bomb was answered: one of the allowed answers below, or what came instead. */
async function grpcBomb(port, bomb, encoding, shared) {
  const session = shared ?? connectH2(port);
  const call = rawGrpcCall(session, '/inference.GRPCInferenceService/ModelInfer', encoding);
  call.write(grpcFrame(bomb, true));
  call.end();
  const end = await call.ended;
  if (shared === undefined) session.close();
  if (end.grpcStatus !== grpc.status.RESOURCE_EXHAUSTED) return `${end.grpcStatus} ${end.grpcMessage}`;
  return BUSY.test(end.grpcMessage) ? 'RESOURCE_EXHAUSTED busy' : 'RESOURCE_EXHAUSTED';
}

async function httpBomb(port, bomb, encoding) {
  const r = await globalThis.fetch(`http://127.0.0.1:${port}/v2/models/simple/infer`, {
    method: 'POST',
    headers: { 'content-encoding': encoding },
    body: bomb,
  });
  const text = await r.text();
  if (r.status === 503 && BUSY.test(text)) return '503 busy';
  return r.status === 413 ? '413' : `HTTP ${r.status} ${text.slice(0, 200)}`;
}

/** "3 x 413, 47 x 503 busy". */
function tally(answers) {
  const counts = new Map();
  for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  return [...counts].map(([a, n]) => `${n} x ${a}`).join(', ');
}

async function attack(server, name, allowed, send) {
  for (let i = 0; i < 20; i++) await goodClient(server, Promise.resolve());
  const before = procMemory(server.pid).VmRSS;
  const peak = peakTracker(server.pid);
  const t0 = performance.now();
  const shared = opts['one-connection'] ? connectH2(server.grpcPort) : undefined;
  const bombs = Promise.all(Array.from({ length: opts.bombs }, () => send(shared)));
  const [answers, good] = await Promise.all([bombs, goodClient(server, bombs)]);
  const ms = performance.now() - t0;
  shared?.close();
  const top = peak.stop();
  await new Promise((r) => setTimeout(r, 2000));
  const after = procMemory(server.pid).VmRSS;
  const wrong = answers.filter((a) => !allowed.includes(a));
  return {
    name,
    answers: tally(answers),
    ok: wrong.length === 0 && good.failed === 0,
    ms,
    before,
    growth: top - before,
    settled: after - before,
    method: peak.method,
    good,
  };
}

const repo = await mkdtemp(join(tmpdir(), 'tensorgate-bombs-'));
await cp(join(ROOT, 'examples/model_repository/simple'), join(repo, 'simple'), { recursive: true });
const gzip = gzipBomb(opts['bomb-mib']);
const deflate = deflateBomb(opts['bomb-mib']);
const extra = opts['extra-args'].split(' ').filter((a) => a !== '');
console.log(`node test/stress/decompression-bombs.mjs ${process.argv.slice(2).join(' ')}`.trim());
console.log(
  `bombs: ${opts.bombs} concurrent, gzip ${(gzip.length / 1e6).toFixed(2)} MB / deflate ${(deflate.length / 1e6).toFixed(2)} MB -> ${opts['bomb-mib']} MiB each\n`,
);

const rows = [];
let failed = false;
const transports = opts.transports.split(',').filter((t) => t !== '');
// Every attack on a fresh server, so each peak is measured from the same starting point (freed
// memory stays in the process for reuse, which would hide the cost of later attacks).
const attacks = [
  ...transports.flatMap((transport) =>
    ['gzip', 'deflate'].map((coding) => ({
      name: `gRPC ${transport} ${coding}`,
      args: ['--grpc-transport', transport],
      allowed: ['RESOURCE_EXHAUSTED', 'RESOURCE_EXHAUSTED busy'],
      send: (server, shared) => grpcBomb(server.grpcPort, coding === 'gzip' ? gzip : deflate, coding, shared),
    })),
  ),
  ...['gzip', 'deflate'].map((coding) => ({
    name: `HTTP ${coding}`,
    args: [],
    allowed: ['413', '503 busy'],
    send: (server) => httpBomb(server.httpPort, coding === 'gzip' ? gzip : deflate, coding),
  })),
];
for (const a of attacks) {
  const server = await startTensorgate(repo, [...a.args, ...extra]);
  try {
    rows.push(await attack(server, a.name, a.allowed, (shared) => a.send(server, shared)));
  } finally {
    await server.stop();
  }
}
await rm(repo, { recursive: true, force: true });

const mib = (b) => `${(b / MIB).toFixed(0)} MiB`;
console.log(
  '| attack | bombs answered | time | RSS before | peak growth | growth 2 s later | good requests served / failed | slowest good request |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const over = r.growth >= opts['max-growth-mib'] * MIB;
  if (!r.ok || over) failed = true;
  console.log(
    `| ${r.name} | ${r.answers} | ${(r.ms / 1000).toFixed(2)} s | ${mib(r.before)} | ${mib(r.growth)}${over ? ' (OVER)' : ''} | ${mib(r.settled)} | ${r.good.served} / ${r.good.failed} | ${r.good.slowestMs.toFixed(0)} ms |`,
  );
  for (const e of r.good.errors) console.log(`  good request error: ${e}`);
}
console.log(`\npeak growth from ${rows[0]?.method ?? 'VmHWM'}; limit ${opts['max-growth-mib']} MiB`);
process.exit(failed ? 1 : 0);
