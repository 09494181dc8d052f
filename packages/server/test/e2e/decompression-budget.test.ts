/**
 * The server-wide decompression budget (`--decompression-budget-bytes`) and the JSON inflation
 * ratio (`--http-max-json-inflation-ratio`) over the real wire. Many concurrent bombs against a
 * small budget: every one is refused (RESOURCE_EXHAUSTED / 413 at the message limit, or
 * RESOURCE_EXHAUSTED / 503 "busy decompressing" past the budget), while good requests, compressed
 * ones included, are served meanwhile and afterwards. The memory it saves is measured by
 * test/stress/decompression-bombs.mjs (`--bombs 50`), on a server process of its own.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { loadProtoRoot } from '@tensorgate/protocol';
import { connectH2, gzipBomb, grpcFrame, rawGrpcCall, type RawGrpcEnd } from '../helpers/compression-bombs.js';
import { grpc } from '../helpers/grpc-client.js';
import { range, raw } from '../helpers/tensors.js';
import { startServer, tempRepository, type TestServer } from '../helpers/servers.js';

const MIB = 1024 * 1024;
const LIMIT = 32 * MIB;
const BUDGET = 64 * MIB;
const BOMBS = 16;
const INFER = '/inference.GRPCInferenceService/ModelInfer';
const SMALL_LIMITS = [
  '--grpc-max-message-bytes',
  String(LIMIT),
  '--http-max-body-bytes',
  String(LIMIT),
  '--decompression-budget-bytes',
  String(BUDGET),
];

const InferRequest = loadProtoRoot().lookupType('inference.ModelInferRequest');
const simpleBytes = Buffer.from(
  InferRequest.encode(
    InferRequest.fromObject({
      model_name: 'simple',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
      ],
      raw_input_contents: [raw('INT32', range(16)), raw('INT32', range(16))],
    }),
  ).finish(),
);
const simpleJson = JSON.stringify({
  inputs: [
    { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range(16) },
    { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) },
  ],
});

let repo: Awaited<ReturnType<typeof tempRepository>>;
before(async () => {
  repo = await tempRepository(['simple']);
});
after(async () => {
  await repo.remove();
});

const BUSY =
  /the server is busy decompressing other requests \(\d+ of its 67108864-byte decompression budget in use\); retry later/;

/** A gzip-compressed `simple` ModelInfer on a connection of its own: OK with two outputs. */
async function goodCompressedCall(port: number): Promise<RawGrpcEnd> {
  const session = connectH2(port);
  try {
    const call = rawGrpcCall(session, INFER, 'gzip');
    call.write(grpcFrame(gzipSync(simpleBytes), true));
    call.end();
    return await call.ended;
  } finally {
    session.close();
  }
}

for (const transport of ['native', 'grpc-js'] as const) {
  describe(`gRPC decompression budget (${transport} transport)`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(['--grpc-transport', transport, ...SMALL_LIMITS], repo.path);
    });
    after(async () => {
      await s.close();
    });

    test(`${BOMBS} concurrent 1 GiB bombs against a 64 MiB budget: each refused at the limit or as busy`, async () => {
      const bomb = gzipBomb(1024);
      const session = connectH2(s.grpcPort);
      const calls = Array.from({ length: BOMBS }, () => {
        const call = rawGrpcCall(session, INFER, 'gzip');
        call.write(grpcFrame(bomb, true));
        call.end();
        return call.ended;
      });
      const good = Array.from({ length: 4 }, () => goodCompressedCall(s.grpcPort));
      const ends = await Promise.all(calls);
      session.close();
      let overLimit = 0;
      let busy = 0;
      for (const end of ends) {
        assert.equal(end.grpcStatus, grpc.status.RESOURCE_EXHAUSTED, end.grpcMessage);
        if (BUSY.test(end.grpcMessage)) busy++;
        else if (end.grpcMessage.includes(`decompresses to a size larger than ${LIMIT}`)) overLimit++;
        else assert.fail(`unexpected message: ${end.grpcMessage}`);
      }
      // The first bomb always finds the budget free; at most two 32 MiB bombs fit in it at once.
      assert.ok(overLimit >= 1, `${overLimit} over the limit, ${busy} busy`);
      assert.ok(busy >= 1, `${overLimit} over the limit, ${busy} busy`);
      // Small compressed messages inflate outside the budget: served during the attack and after it.
      for (const end of [...(await Promise.all(good)), await goodCompressedCall(s.grpcPort)]) {
        assert.equal(end.grpcStatus, grpc.status.OK, end.grpcMessage);
        assert.equal(end.messages.length, 1);
      }
    });

    test('a compressed message the budget can take whole is served: 24 MiB inflates within 32 MiB', async () => {
      const big = Buffer.from(
        InferRequest.encode(
          InferRequest.fromObject({
            model_name: 'simple',
            inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [(24 * MIB) / 4] }],
            raw_input_contents: [Buffer.alloc(24 * MIB)],
          }),
        ).finish(),
      );
      const session = connectH2(s.grpcPort);
      const call = rawGrpcCall(session, INFER, 'gzip');
      call.write(grpcFrame(gzipSync(big), true));
      call.end();
      const end = await call.ended;
      session.close();
      // Inflated and decoded: the model refuses its shape (INVALID_ARGUMENT), not the transport.
      assert.equal(end.grpcStatus, grpc.status.INVALID_ARGUMENT, end.grpcMessage);
    });
  });
}

describe('HTTP decompression budget and JSON inflation ratio', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer([...SMALL_LIMITS, '--http-max-json-inflation-ratio', '0'], repo.path);
  });
  after(async () => {
    await s.close();
  });

  const post = (server: TestServer, body: Buffer, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${server.http}/v2/models/simple/infer`, {
      method: 'POST',
      headers: { 'content-encoding': 'gzip', ...headers },
      body,
    });

  test(`${BOMBS} concurrent bombs: 413 at the limit or 503 busy (Retry-After: 1); gzip JSON served meanwhile`, async () => {
    const bomb = gzipBomb(1024);
    const answers = Promise.all(Array.from({ length: BOMBS }, () => post(s, bomb)));
    const good = Array.from({ length: 4 }, () => post(s, gzipSync(simpleJson)));
    let overLimit = 0;
    let busy = 0;
    for (const r of await answers) {
      const { error } = (await r.json()) as { error: string };
      if (r.status === 503) {
        assert.match(error, BUSY);
        assert.equal(r.headers.get('retry-after'), '1');
        busy++;
      } else {
        assert.equal(r.status, 413, error);
        assert.equal(error, `the gzip-decompressed request body exceeds the limit of ${LIMIT} bytes`);
        overLimit++;
      }
    }
    assert.ok(overLimit >= 1 && busy >= 1, `${overLimit} over the limit, ${busy} busy`);
    for (const r of [...(await Promise.all(good)), await post(s, gzipSync(simpleJson))]) {
      assert.equal(r.status, 200, await r.clone().text());
      assert.equal(((await r.json()) as { outputs: unknown[] }).outputs.length, 2);
    }
  });

  test('JSON that gzip packs past the ratio is refused before it is parsed; binary data is not', async () => {
    const ratio = await startServer(['--http-max-json-inflation-ratio', '32'], repo.path);
    try {
      // 4 MiB of JSON numbers in ~4 KB of gzip (the attack probe sent 64 MiB in 65 KB).
      const count = 2 * MIB;
      const json = `{"inputs":[{"name":"INPUT0","shape":[1,${count}],"datatype":"INT32","data":[${'0,'.repeat(count - 1)}0]}]}`;
      const packed = gzipSync(json);
      const r = await post(ratio, packed);
      assert.equal(r.status, 413);
      assert.equal(
        ((await r.json()) as { error: string }).error,
        `the JSON of the gzip-compressed request body is more than 32 times the ${packed.length} bytes sent ` +
          '(--http-max-json-inflation-ratio 32, past 16384 bytes of JSON): send large tensors as binary data ' +
          '(Inference-Header-Content-Length) or the body uncompressed',
      );
      // The same zeros as binary tensor data: only the JSON header counts, and it is small.
      const header = JSON.stringify({
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', parameters: { binary_data_size: 64 } },
          { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', parameters: { binary_data_size: 64 } },
        ],
      });
      const body = Buffer.concat([Buffer.from(header), Buffer.alloc(128)]);
      const ok = await post(ratio, gzipSync(body), { 'inference-header-content-length': String(header.length) });
      assert.equal(ok.status, 200, await ok.clone().text());
      // Small JSON is never refused for its ratio.
      assert.equal((await post(ratio, gzipSync(simpleJson))).status, 200);
    } finally {
      await ratio.close();
    }
  });
});
