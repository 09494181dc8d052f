/**
 * The HTTP port's transfer limits on the real wire (issue #12, after the attack probe), set by
 * flag to a 2 s send-stall timeout and 1,000 bytes/s after 1 s: a client that never reads a large
 * response has its connection closed (the response cut short), while a client reading slowly, a
 * long inference and an SSE stream to a slow reader are served in full; a body dripped a few bytes
 * at a time gets 408, an upload at five times the minimum rate is served.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import net from 'node:net';
import zlib from 'node:zlib';
import { eventually, startLoggedServer, tempRepository, type TestServer } from '../helpers/servers.js';

const FLAGS = [
  '--http-send-stall-timeout-secs=2',
  '--http-min-body-rate=1000',
  '--http-min-body-rate-grace-secs=1',
  '--allow-grpc=false',
];

let repo: { path: string; remove(): Promise<void> };
let s: TestServer & { readonly logs: Array<Record<string, unknown>> };
let port: number;

/** A decoupled model sending COUNT responses of 32,768 FP32 zeros each (~64 KB of JSON per SSE event). */
async function addBulkStreamModel(dir: string): Promise<void> {
  await mkdir(join(dir, 'bulk_stream', '1'), { recursive: true });
  await writeFile(
    join(dir, 'bulk_stream', 'config.pbtxt'),
    `name: "bulk_stream"
backend: "js"
max_batch_size: 0
model_transaction_policy { decoupled: true }
input [ { name: "COUNT" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "OUT" data_type: TYPE_FP32 dims: [ -1 ] } ]
`,
  );
  await writeFile(
    join(dir, 'bulk_stream', '1', 'model.js'),
    `export default class {
  execute(requests) {
    for (const r of requests) {
      const sender = r.getResponseSender();
      const count = r.input('COUNT').data[0];
      for (let i = 0; i < count; i++) sender.send({ outputs: [{ name: 'OUT', data: new Float32Array(32768) }] });
      sender.send(undefined, { final: true });
    }
  }
}
`,
  );
}

before(async () => {
  repo = await tempRepository(['identity_fp32', 'sleep_ms']);
  await addBulkStreamModel(repo.path);
  s = await startLoggedServer(FLAGS, repo.path);
  port = Number(new URL(s.http).port);
});
after(async () => {
  await s.close();
  await repo.remove();
});

/** A gzip'd binary-extension infer of `floats` FP32 zeros to identity_fp32 (its response is as large, unencoded). */
function identityRequest(floats: number): Buffer {
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'INPUT0', shape: [floats], datatype: 'FP32', parameters: { binary_data_size: floats * 4 } }],
      outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
    }),
  );
  const body = zlib.gzipSync(Buffer.concat([header, Buffer.alloc(floats * 4)]));
  return Buffer.concat([
    Buffer.from(
      'POST /v2/models/identity_fp32/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n' +
        `Content-Encoding: gzip\r\nInference-Header-Content-Length: ${header.length}\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    ),
    body,
  ]);
}

async function connect(): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

/**
 * Reads about `bytesPerTick` every `everyMs` (flowing until the tick's quota is used, then paused)
 * until the server ends the connection, or until `complete(lastChunk)`; returns everything.
 */
async function readSlowly(
  socket: net.Socket,
  bytesPerTick: number,
  everyMs: number,
  complete: (last: Buffer) => boolean = () => false,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let quota = bytesPerTick;
  const done = new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      quota -= chunk.length;
      if (quota <= 0) socket.pause();
      if (complete(chunk)) resolve();
    });
  });
  const timer = setInterval(() => {
    quota = bytesPerTick;
    socket.resume();
  }, everyMs);
  await done;
  clearInterval(timer);
  socket.destroy();
  return Buffer.concat(chunks);
}

function head(response: Buffer): { status: number; contentLength: number; headLength: number } {
  const end = response.indexOf('\r\n\r\n');
  const text = response.subarray(0, end).toString('latin1');
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]),
    contentLength: Number(/\r\ncontent-length: (\d+)/i.exec(text)?.[1]),
    headLength: end + 4,
  };
}

/** Sends `head` and then `body` in `chunk`-byte pieces every `everyMs`; returns what the server sent back. */
async function upload(headText: string, body: string, chunk: number, everyMs: number): Promise<string> {
  const socket = await connect();
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  const closed = once(socket, 'close');
  socket.write(headText);
  for (let i = 0; i < body.length && !socket.destroyed; i += chunk) {
    await new Promise((r) => setTimeout(r, everyMs));
    if (!socket.destroyed) socket.write(body.slice(i, i + chunk));
  }
  await closed;
  return received;
}

describe('HTTP send-stall timeout', { concurrency: true }, () => {
  test('a client that never reads a 24 MiB response has its connection closed, the response cut short', async () => {
    const socket = await connect();
    const localPort = socket.localPort;
    socket.pause();
    socket.write(identityRequest(6 << 20));
    await eventually(
      () => s.logs.some((l) => l['msg'] === 'HTTP response not read: connection closed' && l['port'] === localPort),
      150,
    );
    // What the kernel already held still arrives, then the server's FIN: far from all of it.
    const response = await readSlowly(socket, Infinity, 10);
    const { status, contentLength, headLength } = head(response);
    assert.equal(status, 200);
    assert.ok(contentLength > (6 << 20) * 4);
    assert.ok(response.length - headLength < contentLength, `got ${response.length} bytes of ${contentLength}`);
  });

  test('a client reading a 16 MiB response slowly (~3 MB/s, for longer than the timeout) gets all of it', async () => {
    const socket = await connect();
    socket.pause();
    socket.write(identityRequest(4 << 20));
    const response = await readSlowly(socket, 64 * 1024, 20);
    const { status, contentLength, headLength } = head(response);
    assert.equal(status, 200);
    assert.equal(response.length - headLength, contentLength);
  });

  test('a long inference (nothing to send for 2.5 s) is answered', async () => {
    const body = JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'UINT32', shape: [1], data: [2500] }] });
    const r = await fetch(`${s.http}/v2/models/sleep_ms/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    assert.equal(r.status, 200);
    assert.match(await r.text(), /"data":\[2500\]/);
  });

  test('an SSE stream of ~6 MB to a slow reader (~1.5 MB/s) is streamed in full', async () => {
    const socket = await connect();
    const body = JSON.stringify({ COUNT: [96] });
    socket.write(
      'POST /v2/models/bulk_stream/generate_stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    socket.pause();
    // The SSE reply keeps the connection alive: it is over at the chunked body's last chunk.
    const lastChunk = (chunk: Buffer): boolean => chunk.toString('latin1').endsWith('\r\n0\r\n\r\n');
    const response = (await readSlowly(socket, 32 * 1024, 20, lastChunk)).toString('latin1');
    assert.match(response, /^HTTP\/1\.1 200/);
    assert.equal(response.match(/^data: .*"OUT"/gm)?.length, 96);
  });
});

describe('HTTP minimum body rate', { concurrency: true }, () => {
  const inferHead = (length: number): string =>
    `POST /v2/models/identity_fp32/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;
  const identityJson = (n: number): string =>
    JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [n], data: new Array<number>(n).fill(1) }] });

  test('a body dripping in 5 bytes at a time every 250 ms gets 408 and the connection closes', async () => {
    const body = identityJson(2000);
    const response = await upload(inferHead(body.length), body, 5, 250);
    assert.match(response, /^HTTP\/1\.1 408/);
    const json = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { error: string };
    assert.equal(json.error, '408 Request Timeout: the request body arrived slower than 1000 bytes/s');
  });

  test('an upload at 5 kB/s (five times the minimum) for longer than the grace period is served', async () => {
    const body = identityJson(6000);
    const response = await upload(inferHead(body.length), body, 1000, 200);
    assert.match(response, /^HTTP\/1\.1 200/, response.slice(0, 300));
  });
});
