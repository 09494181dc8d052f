/**
 * Wire tests of the native gRPC transport (the frontend's default) with raw node:http2 requests
 * for what a good client never sends, and a grpc-js client for compression and deadlines.
 * Runs the real frontend over the fake core.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http2, { type ClientHttp2Session } from 'node:http2';
import { deflateSync, gzipSync } from 'node:zlib';
import { encodeElements, loadProtoRoot } from '@tensorgate/protocol';
import { pino } from 'pino';
import { InferenceError } from '../../../core/errors.js';
import { FakeCore } from '../fake-core.test-helper.js';
import { connect, grpc, unary, type Msg } from '../grpc-client.test-helper.js';
import { createGrpcFrontend, type GrpcFrontend } from '../grpc-server.js';
import { frameMessage, messagePrefix } from './grpc-framing.js';
import { decodeGrpcMessage } from './grpc-headers.js';
import { decoded, framed, rawCall, rawConnect } from './raw-h2-client.test-helper.js';

const logger = pino({ level: 'silent' });
const INFER = '/inference.GRPCInferenceService/ModelInfer';
const LIVE = '/inference.GRPCInferenceService/ServerLive';
let core: FakeCore;
let frontend: GrpcFrontend;
let port: number;
let session: ClientHttp2Session;

before(async () => {
  core = new FakeCore();
  frontend = createGrpcFrontend(core, { logger });
  port = await frontend.listen(0, '127.0.0.1');
  session = rawConnect(port);
});
after(async () => {
  session.close();
  await frontend.close(1000);
});

const echoRequest: Msg = {
  model_name: 'echo',
  id: 'raw-1',
  inputs: [{ name: 'A', datatype: 'INT32', shape: [4] }],
  raw_input_contents: [encodeElements('INT32', [1, 2, 3, -4])],
};
const echoBytes = (): Buffer => framed('inference.ModelInferRequest', echoRequest);
const unframed = (frame: Buffer): Buffer => frame.subarray(5);

async function stillServing(): Promise<void> {
  const r = await rawCall(session, LIVE, { chunks: [frameMessage(Buffer.alloc(0))] });
  assert.equal(r.grpcStatus, 0);
  assert.deepEqual(decoded('inference.ServerLiveResponse', r.messages[0]!), { live: true });
}

describe('request line', () => {
  test('a good call: headers, one message, OK trailers', async () => {
    const r = await rawCall(session, INFER, { chunks: [echoBytes()] });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/grpc+proto');
    assert.equal(r.headers['grpc-accept-encoding'], 'identity,deflate,gzip');
    assert.equal(r.trailers['grpc-status'], '0');
    assert.equal(r.trailers['grpc-message'], undefined, 'no grpc-message on OK, as gRPC C core');
    assert.equal(r.messages.length, 1);
    assert.equal(decoded('inference.ModelInferResponse', r.messages[0]!)['id'], 'raw-1');
  });

  for (const [name, options] of [
    ['a wrong content-type', { headers: { 'content-type': 'application/json' } }],
    ['no content-type', { headers: { 'content-type': undefined } }],
    ['GET', { method: 'GET' }],
  ] as const) {
    test(`${name} → HTTP 415`, async () => {
      const r = await rawCall(session, INFER, {
        ...options,
        ...(options.method === 'GET' ? {} : { chunks: [echoBytes()] }),
      });
      assert.equal(r.status, 415);
      assert.equal(r.grpcStatus, undefined);
      await stillServing();
    });
  }

  test('an unknown method → Trailers-Only UNIMPLEMENTED', async () => {
    const r = await rawCall(session, '/inference.GRPCInferenceService/Nope', { chunks: [echoBytes()] });
    assert.equal(r.status, 200);
    assert.equal(r.headers['grpc-status'], String(grpc.status.UNIMPLEMENTED), 'status in the headers');
    assert.deepEqual(r.trailers, {});
    assert.match(
      decodeGrpcMessage(r.grpcMessage!),
      /does not implement the method \/inference.GRPCInferenceService\/Nope/,
    );
  });
});

describe('messages', () => {
  test('a message split in 1-byte DATA frames is reassembled', async () => {
    const bytes = echoBytes();
    const r = await rawCall(session, INFER, { chunks: [...bytes].map((b) => Buffer.of(b)) });
    assert.equal(r.grpcStatus, 0);
    assert.equal(decoded('inference.ModelInferResponse', r.messages[0]!)['id'], 'raw-1');
  });

  const failures: Array<[string, Buffer[], number, RegExp]> = [
    [
      'two messages on a unary call',
      [Buffer.concat([echoBytes(), echoBytes()])],
      grpc.status.UNIMPLEMENTED,
      /second request message/,
    ],
    ['no message on a unary call', [], grpc.status.UNIMPLEMENTED, /no request message/],
    ['a request ending inside a message', [echoBytes().subarray(0, 9)], grpc.status.INTERNAL, /ended inside a message/],
    [
      'a compressed flag of 2',
      [Buffer.concat([Buffer.of(2), echoBytes().subarray(1)])],
      grpc.status.INTERNAL,
      /compressed flag 2/,
    ],
    [
      'the compressed flag without grpc-encoding',
      [Buffer.concat([Buffer.of(1), echoBytes().subarray(1)])],
      grpc.status.INTERNAL,
      /no grpc-encoding/,
    ],
    [
      'bytes that are not a ModelInferRequest',
      [frameMessage(Buffer.from([0x0a, 0xff, 0x01]))],
      grpc.status.INTERNAL,
      /Error deserializing request/,
    ],
  ];
  for (const [name, chunks, code, re] of failures) {
    test(`${name} → status ${code}`, async () => {
      const r = await rawCall(session, INFER, { chunks });
      assert.equal(r.grpcStatus, code, r.grpcMessage);
      assert.match(decodeGrpcMessage(r.grpcMessage ?? ''), re);
      await stillServing();
    });
  }

  for (const [encoding, compress] of [
    ['gzip', gzipSync],
    ['deflate', deflateSync],
  ] as const) {
    test(`a ${encoding}-compressed request is inflated`, async () => {
      const body = compress(unframed(echoBytes()));
      const frame = Buffer.concat([Buffer.of(1), messagePrefix(body.length).subarray(1), body]);
      const r = await rawCall(session, INFER, { headers: { 'grpc-encoding': encoding }, chunks: [frame] });
      assert.equal(r.grpcStatus, 0, r.grpcMessage);
      assert.equal(decoded('inference.ModelInferResponse', r.messages[0]!)['id'], 'raw-1');
    });
  }

  test('an unknown grpc-encoding on a compressed message → UNIMPLEMENTED', async () => {
    const frame = Buffer.concat([Buffer.of(1), echoBytes().subarray(1)]);
    const r = await rawCall(session, INFER, { headers: { 'grpc-encoding': 'br' }, chunks: [frame] });
    assert.equal(r.grpcStatus, grpc.status.UNIMPLEMENTED);
    assert.match(decodeGrpcMessage(r.grpcMessage!), /unsupported encoding "br"/);
  });

  test('corrupt gzip → INTERNAL', async () => {
    const frame = Buffer.concat([Buffer.of(1), echoBytes().subarray(1)]);
    const r = await rawCall(session, INFER, { headers: { 'grpc-encoding': 'gzip' }, chunks: [frame] });
    assert.equal(r.grpcStatus, grpc.status.INTERNAL);
    assert.match(decodeGrpcMessage(r.grpcMessage!), /decompress/);
  });

  test('error details are percent-encoded and decode back', async () => {
    const name = 'mödel 100% ✓';
    const r = await rawCall(session, '/inference.GRPCInferenceService/ModelConfig', {
      chunks: [framed('inference.ModelConfigRequest', { name })],
    });
    assert.equal(r.grpcStatus, grpc.status.NOT_FOUND);
    assert.match(r.grpcMessage!, /^[\x20-\x7e]*$/);
    assert.ok(decodeGrpcMessage(r.grpcMessage!).includes(`'${name}'`), r.grpcMessage);
  });
});

describe('limits', () => {
  let small: GrpcFrontend;
  let smallSession: ClientHttp2Session;
  before(async () => {
    small = createGrpcFrontend(core, { logger, maxMessageBytes: 64, maxSendMessageBytes: 64 });
    smallSession = rawConnect(await small.listen(0, '127.0.0.1'));
  });
  after(async () => {
    smallSession.close();
    await small.close(1000);
  });

  test('a length prefix over the limit → RESOURCE_EXHAUSTED before the body arrives', async () => {
    const r = await rawCall(smallSession, INFER, { chunks: [messagePrefix(2 ** 31 - 1)] });
    assert.equal(r.grpcStatus, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(decodeGrpcMessage(r.grpcMessage!), /Received message larger than max \(2147483647 vs\. 64\)/);
  });

  test('a message that decompresses past the limit → RESOURCE_EXHAUSTED', async () => {
    const body = gzipSync(Buffer.alloc(1000));
    const frame = Buffer.concat([Buffer.of(1), messagePrefix(body.length).subarray(1), body]);
    const r = await rawCall(smallSession, INFER, { headers: { 'grpc-encoding': 'gzip' }, chunks: [frame] });
    assert.equal(r.grpcStatus, grpc.status.RESOURCE_EXHAUSTED);
  });

  test('a response over the send limit → RESOURCE_EXHAUSTED', async () => {
    const r = await rawCall(smallSession, '/inference.GRPCInferenceService/ModelConfig', {
      chunks: [framed('inference.ModelConfigRequest', { name: 'echo' })],
    });
    assert.equal(r.grpcStatus, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(decodeGrpcMessage(r.grpcMessage!), /Sent message larger than max \(\d+ vs\. 64\)/);
  });
});

describe('deadlines and cancellation', () => {
  test('an invalid grpc-timeout → INTERNAL', async () => {
    const r = await rawCall(session, INFER, { headers: { 'grpc-timeout': '1.5S' }, chunks: [echoBytes()] });
    assert.equal(r.grpcStatus, grpc.status.INTERNAL);
    assert.match(decodeGrpcMessage(r.grpcMessage!), /Invalid grpc-timeout value "1.5S"/);
  });

  test('grpc-timeout becomes the call deadline: DEADLINE_EXCEEDED and the core request aborted', async () => {
    const started = once(core, 'request');
    const aborted = once(core, 'aborted');
    const hang = framed('inference.ModelInferRequest', { model_name: 'hang' });
    const reply = rawCall(session, INFER, { headers: { 'grpc-timeout': '100m' }, chunks: [hang] });
    const [, ctx] = (await started) as [unknown, { signal: { aborted: boolean } }];
    assert.equal(ctx.signal.aborted, false);
    const r = await reply;
    assert.equal(r.grpcStatus, grpc.status.DEADLINE_EXCEEDED);
    const [reason] = await aborted;
    assert.ok(reason instanceof InferenceError);
    await stillServing();
  });

  test('a client RST_STREAM mid-call cancels the core request; the server keeps serving', async () => {
    const started = once(core, 'request');
    const aborted = once(core, 'aborted');
    const req = session.request({ ':method': 'POST', ':path': INFER, 'content-type': 'application/grpc' });
    req.on('error', () => undefined);
    req.end(framed('inference.ModelInferRequest', { model_name: 'hang' }));
    await started;
    req.close(http2.constants.NGHTTP2_CANCEL);
    const [reason] = await aborted;
    assert.equal((reason as InferenceError).code, 'CANCELLED');
    await stillServing();
  });

  test('a client that disconnects mid-stream cancels; the server keeps serving', async () => {
    const other = rawConnect(port);
    const started = once(core, 'request');
    const aborted = once(core, 'aborted');
    const req = other.request({
      ':method': 'POST',
      ':path': '/inference.GRPCInferenceService/ModelStreamInfer',
      'content-type': 'application/grpc',
    });
    req.on('error', () => undefined);
    req.write(framed('inference.ModelInferRequest', { model_name: 'hang' }));
    await started;
    other.destroy();
    const [reason] = await aborted;
    assert.equal((reason as InferenceError).code, 'CANCELLED');
    await stillServing();
  });
});

describe('clients that go away mid-message', () => {
  // Regression: the stream's 'end' came after it had closed, and answering "ended inside a
  // message" threw ERR_HTTP2_INVALID_STREAM out of the event handler: the process crashed.
  for (const how of ['destroys the connection', 'resets the stream'] as const) {
    test(`a client that ${how} inside a message: no crash, the server keeps serving`, async () => {
      for (let round = 0; round < 5; round++) {
        const other = rawConnect(port);
        const requests = Array.from({ length: 100 }, (_, i) => {
          const req = other.request({ ':method': 'POST', ':path': INFER, 'content-type': 'application/grpc' });
          req.on('error', () => undefined);
          req.write(Buffer.concat([messagePrefix(1000), Buffer.alloc(10 + i)]));
          return req;
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (how === 'destroys the connection') other.destroy();
        else {
          for (const req of requests) req.close(http2.constants.NGHTTP2_CANCEL);
          other.close();
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      await stillServing();
    });
  }
});

describe('with a grpc-js client', () => {
  for (const [name, algorithm] of [
    ['deflate', 1],
    ['gzip', 2],
  ] as const) {
    test(`${name}-compressed requests (small and large) are served`, async () => {
      const client = connect(port, 'inference.GRPCInferenceService');
      const compressing = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
        'grpc.default_compression_algorithm': algorithm,
        'grpc.max_receive_message_length': -1,
      });
      const Request = loadProtoRoot().lookupType('inference.ModelInferRequest');
      try {
        for (const size of [16, 300_000]) {
          const data = Buffer.alloc(size, 3);
          const body = Buffer.from(
            Request.encode(
              Request.fromObject({
                model_name: 'echo',
                inputs: [{ name: 'X', datatype: 'UINT8', shape: [size] }],
                raw_input_contents: [data],
              }),
            ).finish(),
          );
          const reply = await new Promise<Buffer>((resolve, reject) =>
            compressing.makeUnaryRequest(
              INFER,
              (b: Buffer) => b,
              (b: Buffer) => b,
              body,
              (e, r) => (e ? reject(e) : resolve(r!)),
            ),
          );
          const response = decoded('inference.ModelInferResponse', reply) as { raw_output_contents: Buffer[] };
          assert.ok(Buffer.from(response.raw_output_contents[0]!).equals(data), `${size} bytes`);
        }
        assert.equal((await unary(client, 'ServerLive', {}))['live'], true);
      } finally {
        compressing.close();
        client.close();
      }
    });
  }

  test('a graceful close waits for a call in flight, then cancels it after the grace period', async () => {
    const own = createGrpcFrontend(core, { logger });
    const client = connect(await own.listen(0, '127.0.0.1'), 'inference.GRPCInferenceService');
    const started = once(core, 'request');
    const aborted = once(core, 'aborted');
    const call = new Promise<grpc.ServiceError | null>((resolve) =>
      client['ModelInfer']({ model_name: 'hang', inputs: [] }, (e: grpc.ServiceError | null) => resolve(e)),
    );
    await started;
    let closed = false;
    const closing = own.close(200).then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(closed, false, 'close waits while a call is in flight');
    await closing;
    const [reason] = await aborted;
    assert.equal((reason as InferenceError).code, 'CANCELLED');
    assert.ok((await call) !== null);
    client.close();
  });
});
