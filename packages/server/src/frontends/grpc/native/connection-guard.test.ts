/**
 * Wire tests of the per-connection limits on the gRPC frontend (short limits in milliseconds,
 * over the fake core): the preface deadline, the idle timeout (and what never counts as idle),
 * keepalive pings and their watchdog, ping policing, and the maximum connection age. The native
 * transport is tested in full; grpc-js for what its server implements.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ClientHttp2Session, IncomingHttpHeaders } from 'node:http2';
import * as grpcJs from '@grpc/grpc-js';
import { encodeElements } from '@tensorgate/protocol';
import { pino } from 'pino';
import { FakeCore } from '../fake-core.test-helper.js';
import { connect, unary, unaryError, type Msg } from '../grpc-client.test-helper.js';
import { DEFAULT_GRPC_CONNECTION_LIMITS, type GrpcConnectionLimits } from '../connection-limits.js';
import { createGrpcFrontend, type GrpcFrontend } from '../grpc-server.js';
import { INFERENCE_SERVICE_NAME } from '../service-definition.js';
import type { GrpcTransportKind } from '../grpc-transport.js';
import { parseRestrictions, type ApiRestrictions } from '../../restricted-apis.js';
import { messagePrefix } from './grpc-framing.js';
import { framed, rawConnect } from './raw-h2-client.test-helper.js';
import {
  EMPTY_SETTINGS,
  FRAME,
  goawayOf,
  H2_ERROR,
  PREFACE,
  RawH2Connection,
  encodeFrame,
} from './raw-h2-frames.test-helper.js';

const logger = pino({ level: 'silent' });
const INFER = '/inference.GRPCInferenceService/ModelInfer';
const STREAM = '/inference.GRPCInferenceService/ModelStreamInfer';

/** Pings once `session` is connected (node cancels a ping sent before that). */
async function ping(session: ClientHttp2Session): Promise<void> {
  if (session.connecting) await once(session, 'connect');
  await new Promise<void>((resolve, reject) => session.ping((err) => (err ? reject(err) : resolve())));
}

/** Polls until `check` holds (no timing thresholds: only eventual state). */
async function eventually(check: () => boolean, what: string, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`never happened: ${what}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function started(
  limits: Partial<GrpcConnectionLimits>,
  transport: GrpcTransportKind = 'native',
  restrictions?: ApiRestrictions,
): Promise<{ frontend: GrpcFrontend; port: number }> {
  const frontend = createGrpcFrontend(new FakeCore(), {
    logger,
    transport,
    connectionLimits: { ...DEFAULT_GRPC_CONNECTION_LIMITS, ...limits },
    restrictions,
  });
  return { frontend, port: await frontend.listen(0, '127.0.0.1') };
}

const echoRequest: Msg = {
  model_name: 'echo',
  inputs: [{ name: 'A', datatype: 'INT32', shape: [4] }],
  raw_input_contents: [encodeElements('INT32', [1, 2, 3, 4])],
};

/** Watches a node client session: the first GOAWAY it got (node sends a second, bare one as it closes), and whether it closed. */
function watch(session: ClientHttp2Session): { goaway?: { code: number; data: string }; closed: boolean } {
  const state: { goaway?: { code: number; data: string }; closed: boolean } = { closed: false };
  session.on('goaway', (code: number, _last: number, data?: Buffer) => {
    state.goaway ??= { code, data: data?.toString('latin1') ?? '' };
  });
  session.on('close', () => (state.closed = true));
  return state;
}

describe('native transport: preface and idle timeouts', { concurrency: true }, () => {
  let frontend: GrpcFrontend;
  let port: number;
  before(async () => ({ frontend, port } = await started({ prefaceTimeoutMs: 300, idleTimeoutMs: 600 })));
  after(() => frontend.close(1000));

  test('a TCP connection that sends nothing is closed', async () => {
    const raw = await RawH2Connection.connect(port);
    await raw.closed;
  });

  test('half a preface is not enough', async () => {
    const raw = await RawH2Connection.connect(port);
    raw.send(PREFACE.subarray(0, 10));
    await raw.closed;
  });

  test('the preface without SETTINGS is not enough', async () => {
    const raw = await RawH2Connection.connect(port);
    raw.send(PREFACE);
    await raw.closed;
  });

  test('a connection with no call gets GOAWAY max_idle and is closed, also when the client keeps its side open', async () => {
    const raw = await RawH2Connection.connect(port);
    raw.send(Buffer.concat([PREFACE, EMPTY_SETTINGS]));
    await raw.closed;
    const goaway = raw.framesOf(FRAME.GOAWAY).map(goawayOf);
    assert.ok(goaway.length > 0, 'a GOAWAY came before the close');
    assert.deepEqual(
      { ...goaway[0], lastStreamId: 0 },
      { lastStreamId: 0, errorCode: H2_ERROR.NO_ERROR, debugData: 'max_idle' },
    );
    // Our side stayed open: the server drops the socket anyway.
    await raw.dropped();
  });

  test('a unary call whose request stalls does not keep the connection', async () => {
    const session = rawConnect(port);
    const state = watch(session);
    const req = session.request({
      ':method': 'POST',
      ':path': INFER,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    req.on('error', () => undefined);
    req.write(framed('inference.ModelInferRequest', echoRequest).subarray(0, 7));
    await eventually(() => state.closed, 'the connection closed');
    assert.deepEqual(state.goaway, { code: H2_ERROR.NO_ERROR, data: 'max_idle' });
  });

  test('a slow but steady unary upload is served', async () => {
    const session = rawConnect(port);
    const state = watch(session);
    const bytes = framed('inference.ModelInferRequest', echoRequest);
    const req = session.request({
      ':method': 'POST',
      ':path': INFER,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const trailers = new Promise<IncomingHttpHeaders>((resolve) => req.on('trailers', resolve));
    req.resume();
    // Well past the idle timeout in all, a byte a little more often than it.
    for (let i = 0; i < bytes.length; i++) {
      req.write(bytes.subarray(i, i + 1));
      if (i % Math.ceil(bytes.length / 8) === 0) await sleep(200);
    }
    req.end();
    assert.equal((await trailers)['grpc-status'], '0');
    assert.equal(state.closed, false);
    session.close();
  });

  test('a long call in flight keeps the connection past the idle timeout', async () => {
    const client = connect(port, INFERENCE_SERVICE_NAME);
    try {
      // `hang` never answers: the call ends by its deadline, well after the idle timeout. Were the
      // connection closed under it, the call would fail UNAVAILABLE instead.
      const err = await unaryError(
        client,
        'ModelInfer',
        { ...echoRequest, model_name: 'hang' },
        { deadline: Date.now() + 1800 },
      );
      assert.equal(err.code, grpcJs.status.DEADLINE_EXCEEDED);
      assert.equal((await unary(client, 'ModelInfer', echoRequest))['model_name'], 'echo');
    } finally {
      client.close();
    }
  });

  test('a quiet ModelStreamInfer stream keeps the connection, and answers when it speaks', async () => {
    const session = rawConnect(port);
    const state = watch(session);
    const req = session.request({
      ':method': 'POST',
      ':path': STREAM,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const data: Buffer[] = [];
    req.on('data', (chunk: Buffer) => data.push(chunk));
    await sleep(1800);
    assert.equal(state.closed, false, 'still open after three idle timeouts');
    req.write(framed('inference.ModelInferRequest', echoRequest));
    await eventually(() => data.length > 0, 'a stream response');
    req.end();
    await once(req, 'close');
    assert.equal(state.goaway, undefined);
    session.close();
  });
});

/**
 * Opens ModelStreamInfer on `session` and never half-closes it (a client that keeps its side of a
 * stream open however the server answers); resolves with the grpc-status the server ended it with.
 */
function openStreamForever(
  session: ClientHttp2Session,
  headers: Record<string, string> = {},
  ...frames: Buffer[]
): Promise<string | undefined> {
  const req = session.request({
    ':method': 'POST',
    ':path': STREAM,
    'content-type': 'application/grpc',
    te: 'trailers',
    ...headers,
  });
  req.on('error', () => undefined);
  req.resume();
  for (const frame of frames) req.write(frame);
  return new Promise((resolve) => {
    req.on('response', (h) => h['grpc-status'] !== undefined && resolve(String(h['grpc-status'])));
    req.on('trailers', (t) => resolve(String(t['grpc-status'])));
    req.on('close', () => resolve(undefined));
  });
}

describe('native transport: a call the server ended does not hold the connection', { concurrency: true }, () => {
  // Without this, a finished bidi call counted as in flight until its client let go of the stream.
  let frontend: GrpcFrontend;
  let port: number;
  let restricted: { frontend: GrpcFrontend; port: number };
  before(async () => {
    ({ frontend, port } = await started({ idleTimeoutMs: 600 }));
    restricted = await started({ idleTimeoutMs: 600 }, 'native', parseRestrictions('grpc', ['inference:x-key=s3cret']));
  });
  after(() => Promise.all([frontend.close(1000), restricted.frontend.close(1000)]));

  test('a ModelStreamInfer refused by --grpc-restricted-protocol, its client keeping the stream open', async () => {
    const session = rawConnect(restricted.port);
    const state = watch(session);
    assert.equal(await openStreamForever(session), String(grpcJs.status.UNAVAILABLE));
    await eventually(() => state.closed, 'the connection closed');
    assert.deepEqual(state.goaway, { code: H2_ERROR.NO_ERROR, data: 'max_idle' });
  });

  test('a ModelStreamInfer ended Trailers-Only (a bad grpc-timeout), its client keeping the stream open', async () => {
    const session = rawConnect(port);
    const state = watch(session);
    assert.equal(await openStreamForever(session, { 'grpc-timeout': 'bogus' }), String(grpcJs.status.INTERNAL));
    await eventually(() => state.closed, 'the connection closed');
    assert.deepEqual(state.goaway, { code: H2_ERROR.NO_ERROR, data: 'max_idle' });
  });

  test('a ModelStreamInfer ended after a response (an oversized message), its client keeping the stream open', async () => {
    const session = rawConnect(port);
    const state = watch(session);
    const status = openStreamForever(
      session,
      {},
      framed('inference.ModelInferRequest', echoRequest),
      messagePrefix(2 ** 31 - 1),
    );
    assert.equal(await status, String(grpcJs.status.RESOURCE_EXHAUSTED));
    await eventually(() => state.closed, 'the connection closed');
    assert.deepEqual(state.goaway, { code: H2_ERROR.NO_ERROR, data: 'max_idle' });
  });
});

describe('native transport: keepalive', { concurrency: true }, () => {
  let frontend: GrpcFrontend;
  let port: number;
  before(
    async () =>
      ({ frontend, port } = await started({
        keepaliveTimeMs: 150,
        keepaliveTimeoutMs: 300,
        keepalivePermitWithoutCalls: true,
        maxPingsWithoutData: 0,
        idleTimeoutMs: 60_000,
      })),
  );
  after(() => frontend.close(1000));

  test('the server pings; a client that never acknowledges is dropped', async () => {
    const raw = await RawH2Connection.connect(port);
    raw.send(Buffer.concat([PREFACE, EMPTY_SETTINGS]));
    await raw.closed;
    const pings = raw.framesOf(FRAME.PING).filter((f) => (f.flags & 1) === 0);
    assert.equal(pings.length, 1, 'one ping, then the watchdog');
  });

  test('a client that acknowledges stays connected and serves calls', async () => {
    const session = rawConnect(port);
    const state = watch(session);
    let pings = 0;
    session.on('ping', () => (pings += 1));
    await eventually(() => pings >= 4, 'four server pings');
    assert.equal(state.closed, false);
    const client = connect(port, INFERENCE_SERVICE_NAME);
    assert.equal((await unary(client, 'ModelInfer', echoRequest))['model_name'], 'echo');
    client.close();
    session.close();
  });
});

describe('native transport: keepalive pings need a call in flight unless permitted', () => {
  test('no pings on a connection with no call (the default)', async () => {
    const { frontend, port } = await started({ keepaliveTimeMs: 100, keepaliveTimeoutMs: 100, idleTimeoutMs: 60_000 });
    try {
      const raw = await RawH2Connection.connect(port);
      raw.send(Buffer.concat([PREFACE, EMPTY_SETTINGS]));
      await sleep(700);
      assert.equal(raw.framesOf(FRAME.PING).length, 0);
      assert.equal(raw.isClosed, false);
      raw.destroy();
    } finally {
      await frontend.close(1000);
    }
  });
});

describe('native transport: ping policing (gRPC core defaults: 5 min, 2 strikes)', () => {
  let frontend: GrpcFrontend;
  let port: number;
  before(async () => ({ frontend, port } = await started({})));
  after(() => frontend.close(1000));

  test('a ping flood gets GOAWAY ENHANCE_YOUR_CALM too_many_pings and the connection closes', async () => {
    const raw = await RawH2Connection.connect(port);
    raw.send(Buffer.concat([PREFACE, EMPTY_SETTINGS]));
    for (let i = 0; i < 10; i++) raw.send(encodeFrame(FRAME.PING, 0, 0, Buffer.alloc(8, i)));
    await raw.closed;
    const goaway = raw.framesOf(FRAME.GOAWAY).map(goawayOf)[0];
    assert.deepEqual(goaway, { lastStreamId: 0, errorCode: H2_ERROR.ENHANCE_YOUR_CALM, debugData: 'too_many_pings' });
  });

  test('one ping is fine, and a grpc-js client keeps working', async () => {
    const session = rawConnect(port);
    const state = watch(session);
    await ping(session);
    const client = connect(port, INFERENCE_SERVICE_NAME);
    assert.equal((await unary(client, 'ModelInfer', echoRequest))['model_name'], 'echo');
    client.close();
    assert.equal(state.goaway, undefined);
    session.close();
  });
});

describe('native transport: pings permitted at a shorter interval', () => {
  test('pings at the allowed interval, without calls, are no strikes', async () => {
    const { frontend, port } = await started({
      keepalivePermitWithoutCalls: true,
      minRecvPingIntervalWithoutDataMs: 50,
    });
    try {
      const session = rawConnect(port);
      const state = watch(session);
      for (let i = 0; i < 6; i++) {
        await ping(session);
        await sleep(80);
      }
      assert.equal(state.goaway, undefined);
      session.close();
    } finally {
      await frontend.close(1000);
    }
  });
});

describe('native transport: maximum connection age', () => {
  test('GOAWAY max_age; the call in flight finishes, then the grace ends the connection', async () => {
    const { frontend, port } = await started({ maxConnectionAgeMs: 300, maxConnectionAgeGraceMs: 5000 });
    try {
      const session = rawConnect(port);
      const state = watch(session);
      const req = session.request({
        ':method': 'POST',
        ':path': INFER,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      const trailers = new Promise<IncomingHttpHeaders>((resolve) => req.on('trailers', resolve));
      req.resume();
      await eventually(() => state.goaway !== undefined, 'the max-age GOAWAY');
      assert.deepEqual(state.goaway, { code: H2_ERROR.NO_ERROR, data: 'max_age' });
      req.end(framed('inference.ModelInferRequest', echoRequest));
      assert.equal((await trailers)['grpc-status'], '0');
      await eventually(() => state.closed, 'the connection closed');
    } finally {
      await frontend.close(1000);
    }
  });
});

describe('grpc-js transport: what its server implements', { concurrency: true }, () => {
  let frontend: GrpcFrontend;
  let port: number;
  before(
    async () =>
      ({ frontend, port } = await started(
        { prefaceTimeoutMs: 300, idleTimeoutMs: 500, keepaliveTimeMs: 150, keepaliveTimeoutMs: 1000 },
        'grpc-js',
      )),
  );
  after(() => frontend.close(1000));

  test('the preface deadline closes a silent connection', async () => {
    const raw = await RawH2Connection.connect(port);
    await raw.closed;
    assert.equal(raw.framesOf(FRAME.GOAWAY).length, 0, 'dropped before any HTTP/2');
  });

  test('the idle timeout closes a connection with no call, and the socket goes even if the client keeps its side', async () => {
    const raw = await RawH2Connection.connect(port);
    raw.send(Buffer.concat([PREFACE, EMPTY_SETTINGS]));
    await raw.closed;
    assert.ok(raw.framesOf(FRAME.GOAWAY).length > 0);
    await raw.dropped();
  });

  test('keepalive pings reach the client; a call in flight outlives the idle timeout', async () => {
    const session = rawConnect(port);
    let pings = 0;
    session.on('ping', () => (pings += 1));
    await eventually(() => pings >= 2, 'two server pings');
    session.close();
    const client = connect(port, INFERENCE_SERVICE_NAME);
    try {
      const err = await unaryError(
        client,
        'ModelInfer',
        { ...echoRequest, model_name: 'hang' },
        { deadline: Date.now() + 1500 },
      );
      assert.equal(err.code, grpcJs.status.DEADLINE_EXCEEDED);
    } finally {
      client.close();
    }
  });
});

describe('grpc-js transport: maximum connection age', () => {
  test('GOAWAY max_age from grpc-js; the call in flight finishes, then the connection closes', async () => {
    const { frontend, port } = await started({ maxConnectionAgeMs: 300, maxConnectionAgeGraceMs: 5000 }, 'grpc-js');
    try {
      const session = rawConnect(port);
      const state = watch(session);
      const req = session.request({
        ':method': 'POST',
        ':path': INFER,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      const trailers = new Promise<IncomingHttpHeaders>((resolve) => req.on('trailers', resolve));
      req.resume();
      await eventually(() => state.goaway !== undefined, 'the max-age GOAWAY');
      assert.deepEqual(state.goaway, { code: H2_ERROR.NO_ERROR, data: 'max_age' });
      req.end(framed('inference.ModelInferRequest', echoRequest));
      assert.equal((await trailers)['grpc-status'], '0');
      await eventually(() => state.closed, 'the connection closed');
    } finally {
      await frontend.close(1000);
    }
  });
});
