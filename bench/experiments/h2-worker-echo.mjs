#!/usr/bin/env node
// MEASUREMENT ONLY. The floor of any server that runs its models off the event loop: the raw
// node:http2 echo (bench/echo-server.mjs), except that every request body makes a round trip
// through one worker thread before it is sent back. Bodies are coalesced per event-loop turn into
// one transferred buffer each way, as tensorgate's JS backend does, and the worker does nothing
// but send them back. No protobuf, no validation, no model.
// Used by `node bench/grpc-vs-echo.mjs --experiments`. Prints its port on stdout.
import http2 from 'node:http2';
import { setImmediate } from 'node:timers';
import { Worker } from 'node:worker_threads';

const worker = new Worker(
  `const { parentPort } = require('node:worker_threads');
   parentPort.on('message', (m) => parentPort.postMessage(m, [m.bytes.buffer]));`,
  { eval: true },
);
worker.unref();

/** Bodies written this turn: [id, body]. */
let outgoing = [];
let flushScheduled = false;
let nextId = 0;
const waiting = new Map();

function flush() {
  flushScheduled = false;
  const list = outgoing;
  outgoing = [];
  let total = 0;
  for (const [, body] of list) total += body.length;
  const bytes = new Uint8Array(total);
  const lengths = new Uint32Array(list.length);
  const ids = new Uint32Array(list.length);
  let offset = 0;
  for (let i = 0; i < list.length; i++) {
    const [id, body] = list[i];
    bytes.set(body, offset);
    offset += body.length;
    lengths[i] = body.length;
    ids[i] = id;
  }
  worker.postMessage({ bytes, lengths, ids }, [bytes.buffer]);
}

worker.on('message', ({ bytes, lengths, ids }) => {
  let offset = 0;
  for (let i = 0; i < ids.length; i++) {
    const body = Buffer.from(bytes.buffer, bytes.byteOffset + offset, lengths[i]);
    offset += lengths[i];
    const stream = waiting.get(ids[i]);
    waiting.delete(ids[i]);
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(body);
  }
});

const server = http2.createServer({ settings: { maxConcurrentStreams: 1000 } });
server.on('stream', (stream) => {
  const chunks = [];
  stream.on('data', (c) => chunks.push(c));
  stream.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const id = nextId++ >>> 0;
    waiting.set(id, stream);
    outgoing.push([id, body]);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
