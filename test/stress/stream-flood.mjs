#!/usr/bin/env node
// A flood of idle gRPC streams (issue #12 follow-up): --connections HTTP/2 connections each opening
// --streams ModelStreamInfer streams that never send a message (idle streams are legitimate and no
// timeout sheds them), on each gRPC transport. The per-connection SETTINGS_MAX_CONCURRENT_STREAMS
// (--grpc-max-concurrent-streams, 1,000) and the server-wide --grpc-max-concurrent-calls (10,000,
// past which streams are refused with REFUSED_STREAM) bound what they cost. First, one raw connection
// that ignores SETTINGS sends --raw-streams HEADERS frames: the server refuses what is over the
// per-connection limit (and drops such a connection). Reports the server's RSS growth with the streams open, how many
// were refused, an HTTP infer and a gRPC call meanwhile, and both once the flood is gone.
// Exits 1 if more streams stay open than the ceiling allows, the RSS growth reaches --max-growth-mib,
// the HTTP infer fails during the flood, or gRPC is not served once it is gone. See test/stress/README.md.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import http2 from 'node:http2';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { loadProtoRoot } from '@tensorgate/protocol';
import { parseCli, ROOT } from '../../bench/lib/cli.mjs';
import { procMemory } from '../../bench/lib/proc-status.mjs';
import { startTensorgate } from '../../bench/lib/server-process.mjs';

const opts = parseCli('test/stress/stream-flood.mjs', 'Memory cost of a flood of idle gRPC streams.', {
  connections: { default: 20, help: 'HTTP/2 connections of the flood' },
  streams: { default: 1000, help: 'idle ModelStreamInfer streams per connection' },
  'raw-streams': { default: 3000, help: 'HEADERS frames sent on one connection that ignores SETTINGS' },
  transports: { default: 'native,grpc-js', type: 'string', help: 'gRPC transports (comma-separated)' },
  'max-growth-mib': { default: 512, help: 'fail when the RSS growth with the flood open reaches this' },
  'extra-args': { default: '', type: 'string', help: 'more `tensorgate serve` flags, space-separated' },
});

const MIB = 1024 * 1024;
const STREAM = '/inference.GRPCInferenceService/ModelStreamInfer';
const INFER = '/inference.GRPCInferenceService/ModelInfer';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rss = (pid) => procMemory(pid).VmRSS / MIB;
const extra = opts['extra-args'].split(' ').filter((a) => a !== '');
const flag = (name, fallback) => {
  const i = extra.indexOf(name);
  return i >= 0 ? Number(extra[i + 1]) : fallback;
};
const maxCalls = flag('--grpc-max-concurrent-calls', 10_000);

/** Waits until `count()` stops changing for `quietMs` (or `maxMs` passes). */
async function settle(count, quietMs = 2000, maxMs = 60_000) {
  const t0 = performance.now();
  let last = count();
  let since = performance.now();
  while (performance.now() - t0 < maxMs) {
    await sleep(250);
    const now = count();
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) return;
  }
}

const InferRequest = loadProtoRoot().lookupType('inference.ModelInferRequest');
const int32s = Buffer.from(new Int32Array(16).map((_, i) => i).buffer);
const simpleMessage = Buffer.from(
  InferRequest.encode(
    InferRequest.fromObject({
      model_name: 'simple',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
      ],
      raw_input_contents: [int32s, int32s],
    }),
  ).finish(),
);
const simpleFrame = Buffer.concat([Buffer.of(0, 0, 0, 0, 0), simpleMessage]);
simpleFrame.writeUInt32BE(simpleMessage.length, 1);

/** One simple ModelInfer over a fresh connection: "grpc-status N", or the RST_STREAM code. */
function grpcCall(port) {
  return new Promise((resolve) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined);
    const s = session.request({
      ':method': 'POST',
      ':path': INFER,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let status;
    s.on('response', (h) => (status ??= h['grpc-status']));
    s.on('trailers', (t) => (status = t['grpc-status']));
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    s.on('close', () => {
      session.close();
      resolve(status !== undefined ? `grpc-status ${status}` : `RST_STREAM ${s.rstCode}`);
    });
    s.end(simpleFrame);
  });
}

async function httpInfer(port) {
  const t0 = performance.now();
  const data = [...Array(16).keys()];
  const r = await globalThis.fetch(`http://127.0.0.1:${port}/v2/models/simple/infer`, {
    method: 'POST',
    body: JSON.stringify({
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data },
      ],
    }),
  });
  await r.arrayBuffer();
  return { status: r.status, ms: performance.now() - t0 };
}

/** HPACK literal header fields without indexing or Huffman coding: enough for a raw client. */
function hpack(headers) {
  const int = (n, bits, first = 0) => {
    const max = (1 << bits) - 1;
    if (n < max) return [first | n];
    const out = [first | max];
    for (n -= max; n >= 128; n = Math.floor(n / 128)) out.push((n % 128) + 128);
    return [...out, n];
  };
  const str = (s) => Buffer.concat([Buffer.from(int(Buffer.byteLength(s), 7)), Buffer.from(s)]);
  return Buffer.concat(headers.map(([k, v]) => Buffer.concat([Buffer.of(0), str(k), str(v)])));
}

function frame(type, flags, streamId, payload = Buffer.alloc(0)) {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(streamId, 5);
  return Buffer.concat([h, payload]);
}

/** A connection that ignores SETTINGS: sends `n` HEADERS frames; counts RST_STREAMs and GOAWAY. */
async function rawFlood(port, n) {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const seen = { rst: 0, codes: new Set(), goaway: undefined };
  let buf = Buffer.alloc(0);
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3)) {
      const len = buf.readUIntBE(0, 3);
      const [type, flags] = [buf[3], buf[4]];
      const payload = buf.subarray(9, 9 + len);
      buf = buf.subarray(9 + len);
      if (type === 4 && !(flags & 1)) socket.write(frame(4, 1, 0));
      if (type === 3) {
        seen.rst++;
        seen.codes.add(payload.readUInt32BE(0));
      }
      if (type === 7) seen.goaway = payload.readUInt32BE(4);
    }
  });
  socket.write(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'));
  socket.write(frame(4, 0, 0));
  const block = hpack([
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', STREAM],
    [':authority', '127.0.0.1'],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
  ]);
  for (let i = 0; i < n; i++) {
    socket.write(frame(1, 0x4, 1 + 2 * i, block));
    if (i % 500 === 499) await sleep(5);
  }
  await settle(() => seen.rst + (seen.goaway === undefined ? 0 : 1));
  socket.destroy();
  return seen;
}

async function run(repo, transport) {
  const server = await startTensorgate(repo, ['--grpc-transport', transport, ...extra]);
  try {
    await httpInfer(server.httpPort);
    await grpcCall(server.grpcPort);
    // First, alone on the server: the per-connection limit against a client that ignores it.
    const raw = await rawFlood(server.grpcPort, opts['raw-streams']);
    const before = rss(server.pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rss(server.pid))), 20);
    const t0 = performance.now();
    const sessions = [];
    const streams = [];
    for (let c = 0; c < opts.connections; c++) {
      const session = http2.connect(`http://127.0.0.1:${server.grpcPort}`);
      session.on('error', () => undefined);
      sessions.push(session);
      for (let i = 0; i < opts.streams; i++) {
        const s = session.request({
          ':method': 'POST',
          ':path': STREAM,
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        s.on('error', () => undefined);
        streams.push(s);
        if (i % 500 === 499) await sleep(5);
      }
    }
    const closed = () => streams.filter((s) => s.closed || s.destroyed).length;
    await settle(closed);
    const openedMs = performance.now() - t0;
    const refused = streams.filter((s) => s.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM).length;
    // A client holds back the streams over a connection's SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 §5.1.2).
    const queued = sessions.reduce(
      (n, session) => n + Math.max(0, opts.streams - (session.remoteSettings.maxConcurrentStreams ?? Infinity)),
      0,
    );
    const open = streams.length - closed() - queued;
    const during = {
      http: await httpInfer(server.httpPort),
      grpc: await grpcCall(server.grpcPort),
      rss: rss(server.pid),
    };
    for (const session of sessions) session.destroy();
    clearInterval(sampler);
    let afterGrpc = 'not tried';
    for (let i = 0; i < 40 && afterGrpc !== 'grpc-status 0'; i++) {
      afterGrpc = await grpcCall(server.grpcPort);
      if (afterGrpc !== 'grpc-status 0') await sleep(250);
    }
    const after = { http: await httpInfer(server.httpPort), grpc: afterGrpc, rss: rss(server.pid) };
    const growth = peak - before;
    const ok =
      open <= maxCalls &&
      growth < opts['max-growth-mib'] &&
      during.http.status === 200 &&
      after.http.status === 200 &&
      after.grpc === 'grpc-status 0';
    return {
      transport,
      ok,
      before,
      growth,
      open,
      queued,
      refused,
      openedMs,
      during,
      raw,
      after,
      total: streams.length,
    };
  } finally {
    await server.stop();
  }
}

const repo = await mkdtemp(join(tmpdir(), 'tensorgate-streams-'));
await cp(join(ROOT, 'examples/model_repository/simple'), join(repo, 'simple'), { recursive: true });
console.log(`node test/stress/stream-flood.mjs ${process.argv.slice(2).join(' ')}`.trim());
const rows = [];
try {
  for (const transport of opts.transports.split(',').filter((t) => t !== '')) rows.push(await run(repo, transport));
} finally {
  await rm(repo, { recursive: true, force: true });
}
console.log(
  `\n${opts.connections} connections x ${opts.streams} idle ModelStreamInfer streams; before them, one connection ignoring SETTINGS sent ${opts['raw-streams']} HEADERS\n`,
);
console.log(
  '| transport | streams asked for: open / refused (REFUSED_STREAM) / held back by the client | time to settle | RSS before | peak growth | HTTP infer during | new gRPC call during | raw connection: streams reset (error codes) / GOAWAY code | after the flood: gRPC call, HTTP infer, RSS |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.transport} | ${r.total}: ${r.open} / ${r.refused} / ${r.queued} | ${(r.openedMs / 1000).toFixed(1)} s | ${r.before.toFixed(0)} MiB | ` +
      `${r.growth.toFixed(0)} MiB${r.growth >= opts['max-growth-mib'] ? ' (OVER)' : ''} | ${r.during.http.status}, ${r.during.http.ms.toFixed(0)} ms | ` +
      `${r.during.grpc} | ${r.raw.rst} (${[...r.raw.codes].join(', ')}) / ${r.raw.goaway ?? 'none'} | ${r.after.grpc}, ${r.after.http.status}, ${r.after.rss.toFixed(0)} MiB |`,
  );
}
console.log(`\nceiling ${maxCalls} open calls; peak growth from sampled VmRSS; limit ${opts['max-growth-mib']} MiB`);
process.exit(rows.every((r) => r.ok) ? 0 : 1);
