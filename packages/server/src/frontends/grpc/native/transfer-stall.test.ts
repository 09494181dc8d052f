/**
 * Wire tests of the native transport's send-stall timeout (500 ms here) with raw HTTP/2 frames,
 * over the fake core's `echo` model: the unit is the stream (a stream granted no window is reset
 * while another on the same connection, granted its window slowly, completes), a client that
 * starves the connection window gets GOAWAY `send_stall`, and one that reads nothing at all from
 * its socket has the connection closed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { loadProtoRoot } from '@tensorgate/protocol';
import { pino } from 'pino';
import { FakeCore } from '../fake-core.test-helper.js';
import { createGrpcFrontend, type GrpcFrontend } from '../grpc-server.js';
import {
  encodeFrame,
  FLAG,
  FRAME,
  goawayOf,
  grpcRequestHeaders,
  H2_ERROR,
  PREFACE,
  RawH2Connection,
  settingsFrame,
} from './raw-h2-frames.test-helper.js';

const INFER = '/inference.GRPCInferenceService/ModelInfer';
const SETTINGS_INITIAL_WINDOW_SIZE = 4;
const CANCEL = 0x8;
const logs: Array<Record<string, unknown>> = [];
const logger = pino(
  { level: 'debug' },
  { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
);

/** A gzip'd, framed ModelInferRequest to `echo` of `bytes` zero bytes (its response is as large). */
function echoRequest(bytes: number): Buffer {
  const type = loadProtoRoot().lookupType('inference.ModelInferRequest');
  const message = type
    .encode(
      type.fromObject({
        model_name: 'echo',
        inputs: [{ name: 'A', datatype: 'INT32', shape: [bytes / 4] }],
        raw_input_contents: [Buffer.alloc(bytes)],
      }),
    )
    .finish();
  const gzipped = zlib.gzipSync(message);
  const prefix = Buffer.from([1, 0, 0, 0, 0]);
  prefix.writeUInt32BE(gzipped.length, 1);
  return Buffer.concat([prefix, gzipped]);
}

/** The frames opening and sending one gzip'd echo call on `streamId` (DATA frames of at most 16 KiB). */
function echoCall(streamId: number, bytes: number): Buffer {
  const body = echoRequest(bytes);
  const frames = [grpcRequestHeaders(streamId, INFER, [['grpc-encoding', 'gzip']])];
  for (let at = 0; at < body.length; at += 16384) {
    const last = at + 16384 >= body.length;
    frames.push(encodeFrame(FRAME.DATA, last ? FLAG.END_STREAM : 0, streamId, body.subarray(at, at + 16384)));
  }
  return Buffer.concat(frames);
}

function windowUpdate(streamId: number, increment: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(increment, 0);
  return encodeFrame(FRAME.WINDOW_UPDATE, 0, streamId, payload);
}

function dataBytes(raw: RawH2Connection, streamId: number): number {
  return raw
    .framesOf(FRAME.DATA)
    .filter((f) => f.streamId === streamId)
    .reduce((sum, f) => sum + f.payload.length, 0);
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`never happened: ${what}`);
}

describe('native transport: send-stall timeout', { concurrency: true }, () => {
  let frontend: GrpcFrontend;
  let port: number;
  before(async () => {
    frontend = createGrpcFrontend(new FakeCore(), {
      logger,
      transport: 'native',
      transferLimits: { sendStallTimeoutMs: 500, minReceiveBytesPerSec: 0, receiveRateGraceMs: 0 },
    });
    port = await frontend.listen(0, '127.0.0.1');
  });
  after(() => frontend.close(1000));

  test('a stream granted no window is reset (CANCEL); another on the connection, granted its window slowly, completes', async () => {
    const raw = await RawH2Connection.connect(port);
    try {
      raw.send(
        Buffer.concat([
          PREFACE,
          settingsFrame([[SETTINGS_INITIAL_WINDOW_SIZE, 0]]),
          windowUpdate(0, 16 << 20),
          echoCall(1, 1 << 20),
          echoCall(3, 1 << 20),
        ]),
      );
      // Stream 3 gets 64 KiB of window every 100 ms: 1 MiB takes ~1.6 s, three times the timeout.
      const grant = setInterval(() => raw.send(windowUpdate(3, 64 * 1024)), 100);
      try {
        await eventually(
          () => raw.framesOf(FRAME.HEADERS).some((f) => f.streamId === 3 && (f.flags & FLAG.END_STREAM) !== 0),
          'stream 3 ends with its trailers',
        );
      } finally {
        clearInterval(grant);
      }
      const resets = raw.framesOf(FRAME.RST_STREAM).map((f) => [f.streamId, f.payload.readUInt32BE(0)]);
      assert.deepEqual(resets, [[1, CANCEL]]);
      assert.equal(dataBytes(raw, 1), 0);
      assert.ok(dataBytes(raw, 3) > 1 << 20);
      assert.equal(raw.isClosed, false);
    } finally {
      raw.destroy();
    }
  });

  test('a client that starves the connection window gets GOAWAY send_stall and is closed', async () => {
    const raw = await RawH2Connection.connect(port);
    try {
      // Streams may take 8 MiB, the connection keeps its initial 64 KiB - 1, never updated.
      raw.send(
        Buffer.concat([PREFACE, settingsFrame([[SETTINGS_INITIAL_WINDOW_SIZE, 8 << 20]]), echoCall(1, 1 << 20)]),
      );
      await raw.closed;
      assert.equal(dataBytes(raw, 1), 65535);
      // The first GOAWAY (node sends a second, bare one as it closes).
      const goaway = raw.framesOf(FRAME.GOAWAY).map(goawayOf)[0];
      assert.deepEqual([goaway?.errorCode, goaway?.debugData], [H2_ERROR.NO_ERROR, 'send_stall']);
    } finally {
      raw.destroy();
    }
  });

  test('a client that reads nothing from its socket has the connection closed', async () => {
    const raw = await RawH2Connection.connect(port);
    try {
      raw.send(
        Buffer.concat([
          PREFACE,
          settingsFrame([[SETTINGS_INITIAL_WINDOW_SIZE, 32 << 20]]),
          windowUpdate(0, 64 << 20),
          echoCall(1, 24 << 20),
        ]),
      );
      raw.socket.pause();
      const port = raw.socket.localPort;
      await eventually(
        () => logs.some((l) => l['reason'] === 'send stall' && String(l['peer']).endsWith(`:${port}`)),
        'the server closed the connection',
      );
      raw.socket.resume();
      await raw.closed;
      assert.ok(dataBytes(raw, 1) < 24 << 20);
    } finally {
      raw.destroy();
    }
  });
});
