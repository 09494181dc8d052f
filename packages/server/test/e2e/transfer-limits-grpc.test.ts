/**
 * The gRPC port's transfer limits on the real wire, on both transports (issue #12, after the
 * attack probe), set by flag to a 2 s send-stall timeout and 1,000 bytes/s after 1 s: a client
 * that grants no flow-control window has its call's stream reset (RST_STREAM CANCEL), while a
 * client reading slowly and a long inference are served (per-stream and connection-window cases
 * with raw frames: src/frontends/grpc/native/transfer-stall.test.ts); a unary request (or, native, a streamed
 * message) dripped in gets DEADLINE_EXCEEDED, an upload at five times the minimum is served, and a
 * ModelStreamInfer stream quiet between messages is not cut.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import zlib from 'node:zlib';
import { loadProtoRoot } from '@tensorgate/protocol';
import { grpc, grpcClient, unary, type Msg } from '../helpers/grpc-client.js';
import { startServer, tempRepository, type TestServer } from '../helpers/servers.js';

const FLAGS = [
  '--grpc-send-stall-timeout-secs=2',
  '--grpc-min-message-rate=1000',
  '--grpc-min-message-rate-grace-secs=1',
  '--allow-http=false',
  '--allow-metrics=false',
];
const MODEL_INFER = '/inference.GRPCInferenceService/ModelInfer';
const MODEL_STREAM_INFER = '/inference.GRPCInferenceService/ModelStreamInfer';

let repo: { path: string; remove(): Promise<void> };
let native: TestServer;
let grpcJs: TestServer;
before(async () => {
  repo = await tempRepository(['identity_fp32', 'sleep_ms']);
  native = await startServer(FLAGS, repo.path);
  grpcJs = await startServer([...FLAGS, '--grpc-transport=grpc-js'], repo.path);
});
after(async () => {
  await native.close();
  await grpcJs.close();
  await repo.remove();
});

const InferRequest = loadProtoRoot().lookupType('inference.ModelInferRequest');
const StreamRequest = loadProtoRoot().lookupType('inference.ModelInferRequest');

/** A serialized ModelInferRequest of `floats` FP32 zeros for identity_fp32 (its response is as large). */
function identityRequest(floats: number): Buffer {
  return Buffer.from(
    InferRequest.encode(
      InferRequest.fromObject({
        model_name: 'identity_fp32',
        inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [floats] }],
        raw_input_contents: [Buffer.alloc(floats * 4)],
      }),
    ).finish(),
  );
}

/** A gRPC length-prefixed message, gzip'd when `gzip`. */
function framed(message: Buffer, gzip = false): Buffer {
  const payload = gzip ? zlib.gzipSync(message) : message;
  const prefix = Buffer.alloc(5);
  prefix[0] = gzip ? 1 : 0;
  prefix.writeUInt32BE(payload.length, 1);
  return Buffer.concat([prefix, payload]);
}

function open(port: number, settings: http2.Settings = {}): ClientHttp2Session {
  const session = http2.connect(`http://127.0.0.1:${port}`, { settings });
  session.on('error', () => undefined);
  return session;
}

function call(session: ClientHttp2Session, path: string, gzip = false): ClientHttp2Stream {
  const req = session.request({
    ':method': 'POST',
    ':path': path,
    'content-type': 'application/grpc',
    te: 'trailers',
    ...(gzip ? { 'grpc-encoding': 'gzip' } : {}),
  });
  req.on('error', () => undefined);
  return req;
}

/** The call's `grpc-status` and `grpc-message`, from its trailers or a Trailers-Only response. */
async function statusOf(req: ClientHttp2Stream): Promise<{ code: number; message: string }> {
  let headers: IncomingHttpHeaders = {};
  req.on('response', (h) => (headers = { ...headers, ...h }));
  req.on('trailers', (t) => (headers = { ...headers, ...t }));
  // The stream closes only once its data has been read.
  if (req.listenerCount('data') === 0) req.resume();
  await once(req, 'close');
  return {
    code: Number(headers['grpc-status']),
    message: decodeURIComponent(String(headers['grpc-message'] ?? '')),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Writes `bytes` in `chunk`-byte pieces every `everyMs`, then ends the request (unless it closed). */
async function drip(req: ClientHttp2Stream, bytes: Buffer, chunk: number, everyMs: number): Promise<void> {
  for (let i = 0; i < bytes.length && !req.closed; i += chunk) {
    req.write(bytes.subarray(i, i + chunk));
    await sleep(everyMs);
  }
  if (!req.closed) req.end();
}

for (const [transport, server] of [
  ['native', (): TestServer => native],
  ['grpc-js', (): TestServer => grpcJs],
] as const) {
  describe(`gRPC send-stall timeout (${transport})`, { concurrency: true }, () => {
    test('a client granting no flow-control window (SETTINGS_INITIAL_WINDOW_SIZE 0) has the stream reset, and the connection, whose only call it was, closed', async () => {
      const session = open(server().grpcPort, { initialWindowSize: 0 });
      try {
        const goaway = new Promise<[number, string]>((resolve) =>
          session.once('goaway', (code: number, _last: number, data?: Buffer) => resolve([code, String(data ?? '')])),
        );
        const req = call(session, MODEL_INFER, true);
        req.end(framed(identityRequest(1 << 20), true));
        await once(req, 'close');
        assert.equal(req.rstCode, http2.constants.NGHTTP2_CANCEL);
        assert.deepEqual(await goaway, [http2.constants.NGHTTP2_NO_ERROR, 'send_stall']);
      } finally {
        session.destroy();
      }
    });

    test('a client reading a 4 MiB response slowly (~1.6 MB/s, for longer than the timeout) gets all of it', async () => {
      const session = open(server().grpcPort);
      try {
        const req = call(session, MODEL_INFER, true);
        req.end(framed(identityRequest(1 << 20), true));
        req.pause();
        let received = 0;
        let quota = 64 * 1024;
        req.on('data', (chunk: Buffer) => {
          received += chunk.length;
          quota -= chunk.length;
          if (quota <= 0) req.pause();
        });
        const timer = setInterval(() => {
          quota = 64 * 1024;
          req.resume();
        }, 40);
        const status = await statusOf(req);
        clearInterval(timer);
        assert.equal(status.code, 0, status.message);
        assert.ok(received > 4 << 20, `received ${received} bytes`);
      } finally {
        session.destroy();
      }
    });

    test('a long unary inference (nothing to send for 2.5 s) is answered', async () => {
      const client = grpcClient(server().grpcPort);
      try {
        const res = await unary(client, 'ModelInfer', {
          model_name: 'sleep_ms',
          inputs: [{ name: 'INPUT0', datatype: 'UINT32', shape: [1] }],
          raw_input_contents: [Buffer.from(new Uint32Array([2500]).buffer)],
        });
        assert.equal(Buffer.from(res['raw_output_contents'][0]).readUInt32LE(0), 2500);
      } finally {
        client.close();
      }
    });
  });

  describe(`gRPC minimum message rate (${transport})`, { concurrency: true }, () => {
    test('a unary request dripping in 5 bytes every 250 ms ends with DEADLINE_EXCEEDED, then its connection closes', async () => {
      const session = open(server().grpcPort);
      try {
        const goaway = new Promise<[number, string]>((resolve) =>
          session.once('goaway', (code: number, _last: number, data?: Buffer) => resolve([code, String(data ?? '')])),
        );
        const req = call(session, MODEL_INFER);
        const status = statusOf(req);
        await drip(req, framed(identityRequest(1000)), 5, 250);
        assert.deepEqual(await status, {
          code: grpc.status.DEADLINE_EXCEEDED,
          message: 'The request message arrived slower than 1000 bytes/s',
        });
        // It was the connection's only call.
        assert.deepEqual(await goaway, [http2.constants.NGHTTP2_NO_ERROR, 'too_slow']);
      } finally {
        session.destroy();
      }
    });

    test('a unary request at 5 kB/s (five times the minimum) for longer than the grace period is served', async () => {
      const session = open(server().grpcPort);
      try {
        const req = call(session, MODEL_INFER);
        const status = statusOf(req);
        await drip(req, framed(identityRequest(3000)), 1000, 200);
        const { code, message } = await status;
        assert.equal(code, 0, message);
      } finally {
        session.destroy();
      }
    });

    test('a ModelStreamInfer stream quiet for 2.5 s between messages is not cut', async () => {
      const client = grpcClient(server().grpcPort);
      try {
        const stream = client['ModelStreamInfer']() as grpc.ClientDuplexStream<Msg, Msg>;
        const got: Msg[] = [];
        const ended = new Promise<void>((resolve, reject) => {
          stream.on('data', (m: Msg) => got.push(m));
          stream.on('end', () => resolve());
          stream.on('error', reject);
        });
        const message = {
          model_name: 'identity_fp32',
          inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [4] }],
          raw_input_contents: [Buffer.alloc(16)],
        };
        stream.write(message);
        await sleep(2500);
        stream.write(message);
        stream.end();
        await ended;
        assert.equal(got.length, 2);
        assert.deepEqual(
          got.map((m) => m['error_message']),
          ['', ''],
        );
      } finally {
        client.close();
      }
    });
  });
}

describe('gRPC minimum message rate (native only)', { concurrency: true }, () => {
  test('a ModelStreamInfer message dripped in ends the stream with DEADLINE_EXCEEDED', async () => {
    const session = open(native.grpcPort);
    try {
      const req = call(session, MODEL_STREAM_INFER);
      const status = statusOf(req);
      const message = Buffer.from(
        StreamRequest.encode(
          StreamRequest.fromObject({
            model_name: 'identity_fp32',
            inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1000] }],
            raw_input_contents: [Buffer.alloc(4000)],
          }),
        ).finish(),
      );
      await drip(req, framed(message), 5, 250);
      assert.deepEqual(await status, {
        code: grpc.status.DEADLINE_EXCEEDED,
        message: 'The request message arrived slower than 1000 bytes/s',
      });
    } finally {
      session.destroy();
    }
  });
});
