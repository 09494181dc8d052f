/**
 * Decompression bombs over the real wire (issue #12 item 3): gzip and deflate request bodies and
 * gRPC messages of ~1 MB that would inflate to 1 GiB stop inflating at the limit (65 MiB by
 * default) and get 413 / RESOURCE_EXHAUSTED, on both gRPC transports, while other clients keep
 * being served. The RSS bound here is loose (this process is also the client); the stress script
 * test/stress/decompression-bombs.mjs measures the server process alone.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientHttp2Session } from 'node:http2';
import { loadProtoRoot } from '@tensorgate/protocol';
import {
  connectH2,
  deflateBomb,
  gzipBomb,
  grpcFrame,
  rawGrpcCall,
  sampleRssGrowth,
  type RawGrpcEnd,
} from '../helpers/compression-bombs.js';
import { grpc, grpcClient, unary } from '../helpers/grpc-client.js';
import { range, raw } from '../helpers/tensors.js';
import { startServer, tempRepository, type TestServer } from '../helpers/servers.js';

const LIMIT = 65 * 1024 * 1024;
const GIB_IN_MIB = 1024;
const INFER = '/inference.GRPCInferenceService/ModelInfer';
const STREAM = '/inference.GRPCInferenceService/ModelStreamInfer';
/** Far above the ~4 x 65 MiB the bombs may cost, far below the 4-8 GiB of inflating them whole. */
const RSS_BOUND = 1024 * 1024 * 1024;

const root = loadProtoRoot();
const InferRequest = root.lookupType('inference.ModelInferRequest');
const StreamResponse = root.lookupType('inference.ModelStreamInferResponse');

const simpleRequest = {
  model_name: 'simple',
  inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
    { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
  ],
  raw_input_contents: [raw('INT32', range(16)), raw('INT32', range(16))],
};
const simpleBytes = (): Uint8Array => InferRequest.encode(InferRequest.fromObject(simpleRequest)).finish();

let repo: Awaited<ReturnType<typeof tempRepository>>;
before(async () => {
  repo = await tempRepository(['simple']);
});
after(async () => {
  await repo.remove();
});

/** Keeps good gRPC and HTTP requests going until `until` settles; resolves with how many succeeded. */
async function goodTraffic(s: TestServer, until: Promise<unknown>): Promise<number> {
  const client = grpcClient(s.grpcPort);
  let done = false;
  void until.finally(() => (done = true));
  let served = 0;
  try {
    do {
      const r = await unary(client, 'ModelInfer', simpleRequest);
      assert.equal(r['raw_output_contents'].length, 2);
      const h = await fetch(`${s.http}/v2/models/simple/infer`, {
        method: 'POST',
        body: JSON.stringify({
          inputs: [
            { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range(16) },
            { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) },
          ],
        }),
      });
      assert.equal(h.status, 200);
      served += 2;
    } while (!done);
  } finally {
    client.close();
  }
  return served;
}

function assertRefused(end: RawGrpcEnd): void {
  assert.equal(end.grpcStatus, grpc.status.RESOURCE_EXHAUSTED, end.grpcMessage);
  assert.match(end.grpcMessage, new RegExp(`decompresses to a size larger than ${LIMIT}`));
}

for (const transport of ['native', 'grpc-js'] as const) {
  describe(`gRPC bombs (${transport} transport, default limit)`, () => {
    let s: TestServer;
    let session: ClientHttp2Session;
    before(async () => {
      s = await startServer(['--grpc-transport', transport], repo.path);
      session = connectH2(s.grpcPort);
    });
    after(async () => {
      session.close();
      await s.close();
    });

    test('four concurrent 1 MB -> 1 GiB gzip bombs: RESOURCE_EXHAUSTED, bounded memory, others served', async () => {
      const bomb = gzipBomb(GIB_IN_MIB);
      assert.ok(bomb.length < 1.1e6);
      const rss = sampleRssGrowth();
      const calls = Array.from({ length: 4 }, () => {
        const call = rawGrpcCall(session, INFER, 'gzip');
        call.write(grpcFrame(bomb, true));
        call.end();
        return call.ended;
      });
      const [ends, served] = await Promise.all([Promise.all(calls), goodTraffic(s, Promise.all(calls))]);
      const growth = rss.stop();
      for (const end of ends) assertRefused(end);
      assert.ok(served >= 2);
      assert.ok(growth < RSS_BOUND, `RSS grew by ${(growth / 2 ** 20).toFixed(0)} MiB`);
    });

    test('a deflate bomb: RESOURCE_EXHAUSTED, and the connection keeps serving', async () => {
      const call = rawGrpcCall(session, INFER, 'deflate');
      call.write(grpcFrame(deflateBomb(GIB_IN_MIB), true));
      call.end();
      assertRefused(await call.ended);
      const ok = rawGrpcCall(session, INFER, 'identity');
      ok.write(grpcFrame(simpleBytes(), false));
      ok.end();
      const end = await ok.ended;
      assert.equal(end.grpcStatus, grpc.status.OK, end.grpcMessage);
      assert.equal(end.messages.length, 1);
    });

    test('a bomb in the middle of a ModelStreamInfer stream ends the stream with RESOURCE_EXHAUSTED', async () => {
      const call = rawGrpcCall(session, STREAM, 'gzip');
      call.write(grpcFrame(simpleBytes(), false));
      const first = await call.nextMessage();
      assert.ok(first, 'the request before the bomb is answered');
      const response = StreamResponse.toObject(StreamResponse.decode(first)) as { error_message?: string };
      assert.equal(response.error_message ?? '', '');
      call.write(grpcFrame(gzipBomb(GIB_IN_MIB), true));
      call.write(grpcFrame(simpleBytes(), false));
      const end = await call.ended;
      assertRefused(end);
      assert.equal(end.messages.length, 1, 'nothing after the bomb is answered');
      const r = await unary(grpcClient(s.grpcPort), 'ModelInfer', simpleRequest);
      assert.equal(r['raw_output_contents'].length, 2);
    });

    test('a compressed message larger than the limit on the wire is refused before it is read', async () => {
      const call = rawGrpcCall(session, INFER, 'gzip');
      const prefix = Buffer.alloc(5);
      prefix[0] = 1;
      prefix.writeUInt32BE(LIMIT + 1, 1);
      call.write(prefix);
      call.end();
      const end = await call.ended;
      assert.equal(end.grpcStatus, grpc.status.RESOURCE_EXHAUSTED, end.grpcMessage);
      assert.match(end.grpcMessage, /Received message larger than max/);
    });
  });
}

describe('HTTP bombs (default limit, no JSON inflation ratio)', () => {
  let s: TestServer;
  before(async () => {
    // With the default ratio a bomb is refused by it, sooner (see decompression-budget.test.ts).
    s = await startServer(['--http-max-json-inflation-ratio', '0'], repo.path);
  });
  after(async () => {
    await s.close();
  });

  const post = (body: Buffer, coding: string): Promise<Response> =>
    fetch(`${s.http}/v2/models/simple/infer`, { method: 'POST', headers: { 'content-encoding': coding }, body });

  test('four concurrent gzip and deflate 1 MB -> 1 GiB bodies: 413, bounded memory, others served', async () => {
    const gzip = gzipBomb(GIB_IN_MIB);
    const deflate = deflateBomb(GIB_IN_MIB);
    const rss = sampleRssGrowth();
    const bombs = [post(gzip, 'gzip'), post(deflate, 'deflate'), post(gzip, 'gzip'), post(deflate, 'deflate')];
    const [answers, served] = await Promise.all([Promise.all(bombs), goodTraffic(s, Promise.all(bombs))]);
    const growth = rss.stop();
    for (const [i, r] of answers.entries()) {
      assert.equal(r.status, 413);
      const coding = i % 2 === 0 ? 'gzip' : 'deflate';
      assert.deepEqual(await r.json(), {
        error: `the ${coding}-decompressed request body exceeds the limit of ${LIMIT} bytes`,
      });
    }
    assert.ok(served >= 2);
    assert.ok(growth < RSS_BOUND, `RSS grew by ${(growth / 2 ** 20).toFixed(0)} MiB`);
  });
});
