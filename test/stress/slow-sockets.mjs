#!/usr/bin/env node
// Slow and silent sockets against all three ports under a file-descriptor limit (issue #12).
//
// Starts `tensorgate serve` with its DEFAULT timeouts under `prlimit --nofile=<nofile>` (1,024 by
// default), checks that a good client is served on each port, then opens <sockets> (2,000) attack
// connections spread over HTTP, metrics and gRPC, of ten kinds: sending nothing, dripping a request
// head one line every 5 s, stalling inside a request body, idling after one request (HTTP keep-alive),
// sending half an HTTP/2 preface, idling after the preface, stalling inside a gRPC request. Every
// attacker reads what it is sent but never closes its side (it ignores FIN and GOAWAY). It then
// waits until every attack connection has been shed and checks that a good client on a new
// connection is served on each port, that the server held at most a handful of descriptors more
// than before, that its log was not flooded, and that SIGTERM still stops it cleanly.
//
//   node test/stress/slow-sockets.mjs [--sockets 2000] [--nofile 1024] [--deadline-secs 90]
//
// Needs a built tree (npm run build) and Linux (/proc, prlimit). Exit status 0 when every check
// passed. Takes about 70 s with the defaults (the gRPC idle timeout is 60 s).
/* global fetch */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { clearInterval, setInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { InferenceClient, InferInput } from '@tensorgate/client';

const root = fileURLToPath(new URL('../..', import.meta.url));
const opt = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SOCKETS = opt('sockets', 2000);
const NOFILE = opt('nofile', 1024);
const DEADLINE_S = opt('deadline-secs', 90);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

// ---- the server -------------------------------------------------------------------------------
const repo = mkdtempSync(join(tmpdir(), 'tg-stress-'));
cpSync(join(root, 'examples/model_repository/simple'), join(repo, 'simple'), { recursive: true });
const serverArgs = [
  join(root, 'packages/server/dist/cli/main.js'),
  'serve',
  '--model-repository',
  repo,
  '--host',
  '127.0.0.1',
  '--http-port',
  '0',
  '--grpc-port',
  '0',
  '--metrics-port',
  '0',
];
// prlimit execs the command, so the child's pid is the server's.
const server = spawn('prlimit', [`--nofile=${NOFILE}:${NOFILE}`, process.execPath, ...serverArgs], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const logLevels = {};
let logLines = 0;
const ports = await new Promise((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`server exited early (${code})`)));
  createInterface({ input: server.stdout }).on('line', (line) => {
    logLines += 1;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      return;
    }
    logLevels[entry.level] = (logLevels[entry.level] ?? 0) + 1;
    if (entry.level >= 40) log('server log:', line.slice(0, 300));
    if (entry.msg === 'tensorgate started') resolve(entry.ports);
  });
});
const serverExit = new Promise((resolve) => server.once('exit', (code, signal) => resolve({ code, signal })));
const fds = () => readdirSync(`/proc/${server.pid}/fd`).length;
log(`server pid ${server.pid}, nofile ${NOFILE}, ports`, ports);

// ---- good clients ------------------------------------------------------------------------------
async function withTimeout(promise, ms, what) {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function simpleInputs() {
  return [
    new InferInput('INPUT0', [1, 16], 'INT32').setData(Int32Array.from({ length: 16 }, (_, i) => i)),
    new InferInput('INPUT1', [1, 16], 'INT32').setData(new Int32Array(16).fill(1)),
  ];
}

async function goodClients() {
  const results = {};
  const check = async (name, fn) => {
    try {
      await withTimeout(fn(), 5000, name);
      results[name] = 'ok';
    } catch (err) {
      results[name] = `FAILED: ${err.message}`;
    }
  };
  await check('http', async () => {
    const client = InferenceClient.http(`http://127.0.0.1:${ports.http}`);
    const r = await client.infer('simple', simpleInputs());
    if (r.asTypedArray('OUTPUT0')[15] !== 16) throw new Error('wrong answer');
    await client.close();
  });
  await check('grpc', async () => {
    const client = InferenceClient.grpc(`127.0.0.1:${ports.grpc}`);
    try {
      const r = await client.infer('simple', simpleInputs());
      if (r.asTypedArray('OUTPUT0')[15] !== 16) throw new Error('wrong answer');
    } finally {
      await client.close();
    }
  });
  await check('metrics', async () => {
    const r = await fetch(`http://127.0.0.1:${ports.metrics}/metrics`, { headers: { connection: 'close' } });
    if (r.status !== 200 || !(await r.text()).includes('nv_inference_request_success'))
      throw new Error(`status ${r.status}`);
  });
  return results;
}

// ---- attackers ---------------------------------------------------------------------------------
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const frame = (type, flags, stream, payload = Buffer.alloc(0)) => {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
};
// HPACK literal header fields without indexing, no Huffman (RFC 7541 §6.2.2); all lengths < 127.
const hpack = (headers) =>
  Buffer.concat(
    headers.flatMap(([n, v]) => [Buffer.from([0, n.length]), Buffer.from(n), Buffer.from([v.length]), Buffer.from(v)]),
  );
const grpcHeaders = hpack([
  [':method', 'POST'],
  [':scheme', 'http'],
  [':path', '/inference.GRPCInferenceService/ModelInfer'],
  [':authority', 'localhost'],
  ['content-type', 'application/grpc'],
  ['te', 'trailers'],
]);

const KINDS = {
  'http silent': { port: 'http', start() {} },
  'http drip head': {
    port: 'http',
    start(s) {
      s.write('GET /v2/health/live HTTP/1.1\r\nHost: x\r\n');
      let i = 0;
      const t = setInterval(() => (s.writable ? s.write(`X-Drip-${i++}: y\r\n`) : clearInterval(t)), 5000);
      s.once('close', () => clearInterval(t));
    },
  },
  'http stalled body': {
    port: 'http',
    start(s) {
      s.write(
        'POST /v2/models/simple/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"inputs"',
      );
    },
  },
  'http idle keep-alive': {
    port: 'http',
    start(s) {
      s.write('GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n');
    },
  },
  'metrics silent': { port: 'metrics', start() {} },
  'metrics drip head': {
    port: 'metrics',
    start(s) {
      KINDS['http drip head'].start(s);
    },
  },
  'grpc silent': { port: 'grpc', start() {} },
  'grpc half preface': {
    port: 'grpc',
    start(s) {
      s.write(PREFACE.subarray(0, 12));
    },
  },
  'grpc idle after preface': {
    port: 'grpc',
    start(s) {
      s.write(Buffer.concat([PREFACE, frame(4, 0, 0)]));
    },
  },
  'grpc stalled request': {
    port: 'grpc',
    start(s) {
      // HEADERS (END_HEADERS, no END_STREAM) and 3 bytes of a 5-byte message prefix, then silence.
      s.write(
        Buffer.concat([PREFACE, frame(4, 0, 0), frame(1, 4, 1, grpcHeaders), frame(0, 0, 1, Buffer.from([0, 0, 0]))]),
      );
    },
  },
};
const kindNames = Object.keys(KINDS);

const attackers = [];
function attack(kind) {
  const a = { kind, openedAt: 0, shedAt: undefined, refused: false };
  const s = net.connect({ port: ports[KINDS[kind].port], host: '127.0.0.1', allowHalfOpen: true });
  a.socket = s;
  s.on('error', () => undefined);
  s.resume(); // read what the server sends, so its FIN is seen
  const shed = () => {
    if (a.shedAt === undefined) a.shedAt = performance.now();
  };
  s.once('end', shed);
  s.once('close', shed);
  s.once('connect', () => {
    a.openedAt = performance.now();
    KINDS[kind].start(s);
  });
  attackers.push(a);
}

// ---- run ---------------------------------------------------------------------------------------
const failures = [];
const baselineFds = fds();
const before = await goodClients();
log('good clients before the flood:', before);
for (const [k, v] of Object.entries(before)) if (v !== 'ok') failures.push(`before the flood, ${k}: ${v}`);
const fdsIdle = fds();

const t0 = performance.now();
log(`opening ${SOCKETS} attack connections (${kindNames.length} kinds)`);
for (let i = 0; i < SOCKETS; i++) {
  attack(kindNames[i % kindNames.length]);
  if (i % 50 === 49) await sleep(20);
}
let peakFds = 0;
let during;
const open = () => attackers.filter((a) => a.shedAt === undefined).length;
while (open() > 0 && performance.now() - t0 < DEADLINE_S * 1000) {
  await sleep(1000);
  peakFds = Math.max(peakFds, fds());
  const s = Math.round((performance.now() - t0) / 1000);
  if (s === 5 && during === undefined) {
    during = await goodClients();
    log('good clients during the flood (informational):', during);
  }
  if (s % 5 === 0) log(`t=${s}s  attack connections open: ${open()}  server fds: ${fds()}`);
}
const allShedS = (performance.now() - t0) / 1000;
log(
  open() === 0
    ? `every attack connection was shed by t=${allShedS.toFixed(1)}s`
    : `${open()} still open at the deadline`,
);

// Per kind: refused at once (accepted and closed while out of descriptors), shed later (when).
const rows = [];
for (const kind of kindNames) {
  const mine = attackers.filter((a) => a.kind === kind);
  const shed = mine.filter((a) => a.shedAt !== undefined);
  // Refused: never connected, or closed within 1 s (accepted and closed while out of descriptors).
  const refused = shed.filter((a) => a.openedAt === 0 || a.shedAt - a.openedAt < 1000);
  const later = shed.filter((a) => !refused.includes(a)).map((a) => (a.shedAt - t0) / 1000);
  rows.push({
    kind,
    opened: mine.length,
    'closed <1 s': refused.length,
    'shed later': later.length,
    'first shed (s)': later.length ? Math.min(...later).toFixed(1) : '-',
    'last shed (s)': later.length ? Math.max(...later).toFixed(1) : '-',
    'still open': mine.length - shed.length,
  });
}
console.table(rows);
if (open() > 0) failures.push(`${open()} attack connections were never shed`);
if (allShedS > 65) failures.push(`shedding took ${allShedS.toFixed(1)} s (> 65 s)`);

await sleep(3000); // the linger limit (2 s) for peers that ignore FIN
const fdsAfter = fds();
const after = await goodClients();
log('good clients on new connections after the flood:', after);
for (const [k, v] of Object.entries(after)) if (v !== 'ok') failures.push(`after the flood, ${k}: ${v}`);
log(`server fds: at start ${baselineFds}, idle ${fdsIdle}, peak ${peakFds} (limit ${NOFILE}), after ${fdsAfter}`);
if (fdsAfter > fdsIdle + 10) failures.push(`the server still holds ${fdsAfter - fdsIdle} more descriptors than before`);
for (const a of attackers) a.socket.destroy();

log(`server log: ${logLines} lines, by level`, logLevels);
if (logLines > 200) failures.push(`the server wrote ${logLines} log lines (flood)`);
server.kill('SIGTERM');
const exit = await serverExit;
log('server exit after SIGTERM:', exit);
if (exit.code !== 0) failures.push(`server exit ${JSON.stringify(exit)}`);
rmSync(repo, { recursive: true, force: true });

if (failures.length > 0) {
  log('FAILED:\n  ' + failures.join('\n  '));
  process.exit(1);
}
log('PASSED');
