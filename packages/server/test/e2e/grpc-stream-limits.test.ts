/**
 * gRPC stream ceilings over the real wire, on both transports: the per-connection
 * SETTINGS_MAX_CONCURRENT_STREAMS (`--grpc-max-concurrent-streams`), past which a client queues its
 * streams as HTTP/2 asks, and the server-wide ceiling on open calls (`--grpc-max-concurrent-calls`),
 * past which a new stream is refused with RST_STREAM REFUSED_STREAM (grpc clients: UNAVAILABLE)
 * until one closes. Idle ModelStreamInfer streams count: they are what a flood of streams is made of.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2, { type ClientHttp2Session } from 'node:http2';
import { loadProtoRoot } from '@tensorgate/protocol';
import { connectH2, grpcFrame, rawGrpcCall, type RawGrpcCall } from '../helpers/compression-bombs.js';
import { grpc, grpcClient, unary, unaryError } from '../helpers/grpc-client.js';
import { range, raw } from '../helpers/tensors.js';
import { eventually, startServer, tempRepository, type TestServer } from '../helpers/servers.js';

const STREAM = '/inference.GRPCInferenceService/ModelStreamInfer';
const InferRequest = loadProtoRoot().lookupType('inference.ModelInferRequest');
const simpleRequest = {
  model_name: 'simple',
  inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
    { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
  ],
  raw_input_contents: [raw('INT32', range(16)), raw('INT32', range(16))],
};
const simpleFrame = grpcFrame(InferRequest.encode(InferRequest.fromObject(simpleRequest)).finish(), false);

let repo: Awaited<ReturnType<typeof tempRepository>>;
before(async () => {
  repo = await tempRepository(['simple']);
});
after(async () => {
  await repo.remove();
});

/** A ModelStreamInfer stream that has sent one request and got its response: open and counted. */
async function servedStream(session: ClientHttp2Session): Promise<RawGrpcCall> {
  const call = rawGrpcCall(session, STREAM, 'identity');
  call.write(simpleFrame);
  assert.ok(await call.nextMessage(), 'the stream is served');
  return call;
}

/** A new connection and the server's SETTINGS on it. */
async function connectWithSettings(port: number): Promise<[ClientHttp2Session, http2.Settings]> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  const settings = await new Promise<http2.Settings>((r) => session.once('remoteSettings', r));
  return [session, settings];
}

for (const transport of ['native', 'grpc-js'] as const) {
  describe(`gRPC stream ceilings (${transport} transport)`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(
        ['--grpc-transport', transport, '--grpc-max-concurrent-streams', '2', '--grpc-max-concurrent-calls', '3'],
        repo.path,
      );
    });
    after(async () => {
      await s.close();
    });

    test('the default per-connection limit is advertised: 1000 streams', async () => {
      const d = await startServer(['--grpc-transport', transport], repo.path);
      const [session, settings] = await connectWithSettings(d.grpcPort);
      try {
        assert.equal(settings.maxConcurrentStreams, 1000);
      } finally {
        session.close();
        await d.close();
      }
    });

    test('SETTINGS_MAX_CONCURRENT_STREAMS 2: a third stream waits in the client until one closes', async () => {
      const [session, settings] = await connectWithSettings(s.grpcPort);
      try {
        assert.equal(settings.maxConcurrentStreams, 2);
        const first = await servedStream(session);
        const second = await servedStream(session);
        const third = rawGrpcCall(session, STREAM, 'identity');
        third.write(simpleFrame);
        let answered = false;
        const reply = third.nextMessage().then((m) => {
          answered = true;
          return m;
        });
        // One round trip for anything the server could have sent: the third is still queued here.
        await new Promise((r) => session.ping(r));
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(answered, false, 'the third stream is not opened while two are');
        first.end();
        assert.equal((await first.ended).grpcStatus, grpc.status.OK);
        assert.ok(await reply, 'then it is opened and served');
        for (const call of [second, third]) call.end();
        await Promise.all([second.ended, third.ended]);
      } finally {
        session.close();
      }
    });

    test('--grpc-max-concurrent-calls 3 over all connections: the next stream is refused (REFUSED_STREAM) until one closes', async () => {
      const a = connectH2(s.grpcPort);
      const b = connectH2(s.grpcPort);
      const c = connectH2(s.grpcPort);
      const client = grpcClient(s.grpcPort);
      try {
        const open = [await servedStream(a), await servedStream(a), await servedStream(b)];
        const refused = c.request({
          ':method': 'POST',
          ':path': STREAM,
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        refused.on('error', () => undefined);
        await new Promise((r) => refused.once('close', r));
        assert.equal(refused.rstCode, http2.constants.NGHTTP2_REFUSED_STREAM);
        // A gRPC client retries a refused stream once by itself, then reports UNAVAILABLE.
        const err = await unaryError(client, 'ModelInfer', simpleRequest);
        assert.equal(err.code, grpc.status.UNAVAILABLE, err.details);
        // The refused calls took nothing: after one stream closes, calls are served again.
        open[0]!.end();
        assert.equal((await open[0]!.ended).grpcStatus, grpc.status.OK);
        await eventually(async () => {
          try {
            const r = await unary(client, 'ModelInfer', simpleRequest);
            return r['raw_output_contents'].length === 2;
          } catch {
            return false;
          }
        });
        for (const call of open.slice(1)) call.end();
        await Promise.all(open.map((call) => call.ended));
      } finally {
        client.close();
        for (const session of [a, b, c]) session.close();
      }
    });
  });
}
