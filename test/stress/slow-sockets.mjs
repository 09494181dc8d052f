#!/usr/bin/env node
// Slow and silent sockets against all three ports under a file-descriptor limit (issue #12).
//
// Starts `tensorgate serve` with its DEFAULT timeouts under `prlimit --nofile=<nofile>` (1,024 by
// default), checks that a good client is served on each port, then opens <sockets> (2,000) attack
// connections spread over HTTP, metrics and gRPC, of fourteen kinds: sending nothing, dripping a
// request head one line every 5 s, stalling inside a request body, dripping a body or a gRPC
// request one byte every 10 s (below the idle timeouts), idling after one request (HTTP
// keep-alive), sending half an HTTP/2 preface, idling after the preface, stalling inside a gRPC
// request, and asking for a 4 MiB response that it never reads (HTTP: a paused socket; gRPC: no
// flow-control window). Every attacker but the paused one reads what it is sent, and none closes
// its side (it ignores FIN and GOAWAY). It then waits until every attack connection has been shed
// and checks that a good client on a new connection is served on each port, that the server held
// at most a handful of descriptors more than before, that the memory the unread responses held
// was given back, that its log (info and above) was not flooded, and that SIGTERM still stops it
// cleanly.
//
//   node test/stress/slow-sockets.mjs [--sockets 2000] [--nofile 1024] [--deadline-secs 90]
//                                     [--kinds 'http drip body,grpc drip request'] [--grpc-transport grpc-js]
//
// Needs a built tree (npm run build) and Linux (/proc, prlimit). Exit status 0 when every check
// passed. Takes about 70 s with the defaults (the gRPC idle and the send-stall timeouts are 60 s).
/* global fetch */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { clearInterval, setInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { InferenceClient, InferInput } from '@tensorgate/client';
import { loadProtoRoot } from '@tensorgate/protocol';

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
cpSync(join(root, 'examples/model_repository/identity_fp32'), join(repo, 'identity_fp32'), { recursive: true });
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
  // Debug lines say when an unread HTTP response was cut (that attacker cannot see it: it reads
  // nothing); the flood check counts info and above only.
  '--log-level',
  'debug',
];
const transportArg = process.argv.indexOf('--grpc-transport');
if (transportArg > 0) serverArgs.push('--grpc-transport', process.argv[transportArg + 1]);
// prlimit execs the command, so the child's pid is the server's.
const server = spawn('prlimit', [`--nofile=${NOFILE}:${NOFILE}`, process.execPath, ...serverArgs], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const logLevels = {};
let logLines = 0;
/** Local ports of HTTP connections the server closed for a response not read, and when. */
const unreadCut = new Map();
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
    if (entry.level < 30) logLines -= 1;
    if (entry.msg === 'HTTP response not read: connection closed') unreadCut.set(entry.port, performance.now());
    if (entry.level >= 40) log('server log:', line.slice(0, 300));
    if (entry.msg === 'tensorgate started') resolve(entry.ports);
  });
});
const serverExit = new Promise((resolve) => server.once('exit', (code, signal) => resolve({ code, signal })));
const fds = () => readdirSync(`/proc/${server.pid}/fd`).length;
const rssMiB = () =>
  Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]) / 1024);
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

// A gzip'd (~4 KB) request for a 4 MiB identity_fp32 response, over HTTP (binary extension) and gRPC.
const UNREAD_FLOATS = 1 << 20;
const unreadHttp = (() => {
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        {
          name: 'INPUT0',
          shape: [UNREAD_FLOATS],
          datatype: 'FP32',
          parameters: { binary_data_size: UNREAD_FLOATS * 4 },
        },
      ],
      outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
    }),
  );
  const body = zlib.gzipSync(Buffer.concat([header, Buffer.alloc(UNREAD_FLOATS * 4)]));
  const request = Buffer.concat([
    Buffer.from(
      'POST /v2/models/identity_fp32/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n' +
        `Content-Encoding: gzip\r\nInference-Header-Content-Length: ${header.length}\r\nContent-Length: ${body.length}\r\n\r\n`,
    ),
    body,
  ]);
  return { headerLength: header.length, body, request };
})();
const unreadGrpcMessage = (() => {
  const type = loadProtoRoot().lookupType('inference.ModelInferRequest');
  const message = type
    .encode(
      type.fromObject({
        model_name: 'identity_fp32',
        inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [UNREAD_FLOATS] }],
        raw_input_contents: [Buffer.alloc(UNREAD_FLOATS * 4)],
      }),
    )
    .finish();
  const gzipped = zlib.gzipSync(message);
  const prefix = Buffer.from([1, 0, 0, 0, 0]);
  prefix.writeUInt32BE(gzipped.length, 1);
  return Buffer.concat([prefix, gzipped]);
})();
const grpcGzipHeaders = Buffer.concat([grpcHeaders, hpack([['grpc-encoding', 'gzip']])]);
/** SETTINGS with SETTINGS_INITIAL_WINDOW_SIZE (4) = 0: the server may send nothing on any stream. */
const windowZeroSettings = (() => {
  const payload = Buffer.alloc(6);
  payload.writeUInt16BE(4, 0);
  payload.writeUInt32BE(0, 2);
  return frame(4, 0, 0, payload);
})();

/** Writes one byte every 10 s (below the 30 s body-idle and 60 s gRPC idle timeouts) while it can. */
function dripEvery10s(s, byte) {
  const t = setInterval(() => (s.writable ? s.write(byte) : clearInterval(t)), 10_000);
  s.once('close', () => clearInterval(t));
}

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
  'http drip body': {
    port: 'http',
    start(s) {
      s.write(
        'POST /v2/models/simple/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000000\r\n\r\n{',
      );
      dripEvery10s(s, ' ');
    },
  },
  'http unread response': {
    port: 'http',
    unread: true,
    start(s) {
      s.pause();
      s.write(unreadHttp.request);
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
  'grpc drip request': {
    port: 'grpc',
    start(s) {
      // A message prefix declaring 1,000 bytes, then one byte every 10 s.
      s.write(
        Buffer.concat([
          PREFACE,
          frame(4, 0, 0),
          frame(1, 4, 1, grpcHeaders),
          frame(0, 0, 1, Buffer.from([0, 0, 0, 0x03, 0xe8])),
        ]),
      );
      dripEvery10s(s, frame(0, 0, 1, Buffer.from([0])));
    },
  },
  'grpc window 0': {
    port: 'grpc',
    start(s) {
      const data = [];
      for (let at = 0; at < unreadGrpcMessage.length; at += 16384) {
        const end = at + 16384 >= unreadGrpcMessage.length;
        data.push(frame(0, end ? 1 : 0, 1, unreadGrpcMessage.subarray(at, at + 16384)));
      }
      s.write(Buffer.concat([PREFACE, windowZeroSettings, frame(1, 4, 1, grpcGzipHeaders), ...data]));
    },
  },
};
const kindsArg = process.argv.indexOf('--kinds');
const kindNames = kindsArg > 0 ? process.argv[kindsArg + 1].split(',').map((k) => k.trim()) : Object.keys(KINDS);
for (const k of kindNames)
  if (!(k in KINDS)) throw new Error(`unknown kind '${k}'; kinds: ${Object.keys(KINDS).join(', ')}`);

const attackers = [];
function attack(kind) {
  const a = { kind, openedAt: 0, shedAt: undefined, refused: false };
  const s = net.connect({ port: ports[KINDS[kind].port], host: '127.0.0.1', allowHalfOpen: true });
  a.socket = s;
  s.on('error', () => undefined);
  s.resume(); // read what the server sends, so its FIN is seen (the unread kind pauses again)
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
const rssIdle = rssMiB();
let peakRss = rssIdle;
/** An unread HTTP response's connection is shed when the server's log says it cut it. */
const markUnreadShed = () => {
  for (const a of attackers) {
    if (a.shedAt !== undefined || !KINDS[a.kind].unread) continue;
    const at = unreadCut.get(a.socket.localPort);
    if (at !== undefined) a.shedAt = at;
  }
};
const open = () => {
  markUnreadShed();
  return attackers.filter((a) => a.shedAt === undefined).length;
};
while (open() > 0 && performance.now() - t0 < DEADLINE_S * 1000) {
  await sleep(1000);
  peakFds = Math.max(peakFds, fds());
  peakRss = Math.max(peakRss, rssMiB());
  const s = Math.round((performance.now() - t0) / 1000);
  if (s === 5 && during === undefined) {
    during = await goodClients();
    log('good clients during the flood (informational):', during);
  }
  if (s % 5 === 0) log(`t=${s}s  attack connections open: ${open()}  server fds: ${fds()}  rss: ${rssMiB()} MiB`);
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
// The send-stall kinds start counting once their response is ready (the inference ran late under the flood).
if (allShedS > 75) failures.push(`shedding took ${allShedS.toFixed(1)} s (> 75 s)`);

await sleep(3000); // the linger limit (2 s) for peers that ignore FIN
const fdsAfter = fds();
const after = await goodClients();
log('good clients on new connections after the flood:', after);
for (const [k, v] of Object.entries(after)) if (v !== 'ok') failures.push(`after the flood, ${k}: ${v}`);
log(`server fds: at start ${baselineFds}, idle ${fdsIdle}, peak ${peakFds} (limit ${NOFILE}), after ${fdsAfter}`);
// The unread responses (4 MiB each) are garbage now; V8 gives their memory back at its next full
// collection, which a serving server soon runs: ten good 4 MiB identity_fp32 requests.
const rssShed = rssMiB();
for (let i = 0; i < 10; i++) {
  const r = await fetch(`http://127.0.0.1:${ports.http}/v2/models/identity_fp32/infer`, {
    method: 'POST',
    headers: {
      'content-type': 'application/octet-stream',
      'content-encoding': 'gzip',
      'inference-header-content-length': String(unreadHttp.headerLength),
    },
    body: unreadHttp.body,
  });
  if (r.status !== 200) failures.push(`a 4 MiB identity_fp32 request after the flood got ${r.status}`);
  await r.arrayBuffer();
}
await sleep(1000);
const rssAfter = rssMiB();
log(
  `server RSS: idle ${rssIdle} MiB, peak ${peakRss} MiB, all shed ${rssShed} MiB, after 10 more requests ${rssAfter} MiB`,
);
// RSS falls back most of the way (V8 and the allocator keep some of what they had).
if (rssAfter - rssIdle > Math.max(200, (peakRss - rssIdle) / 2)) {
  failures.push(`the server kept ${rssAfter - rssIdle} MiB of its ${peakRss - rssIdle} MiB peak growth`);
}
if (fdsAfter > fdsIdle + 10) failures.push(`the server still holds ${fdsAfter - fdsIdle} more descriptors than before`);
for (const a of attackers) a.socket.destroy();

log(`server log: ${logLines} lines at info and above; by level`, logLevels);
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
