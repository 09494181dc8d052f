/**
 * GrpcInferenceClient.streamInfer against a real server: a decoupled model (several responses per
 * request, final flags), a failing request in the middle that does not end the stream, requests
 * produced lazily by an async generator, and the stream's own deadline.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { GrpcInferenceClient, InferInput, InferenceServerError, type StreamInferRequest } from '@tensorgate/client';
import { startServer, type TestServer } from '../helpers/servers.js';

let s: TestServer;
let c: GrpcInferenceClient;
before(async () => {
  s = await startServer();
  c = new GrpcInferenceClient(`127.0.0.1:${s.grpcPort}`);
});
after(async () => {
  await c.close();
  await s.close();
});

const repeat = (id: string, values: number[], wait = 0): StreamInferRequest => ({
  model: 'repeat_int32',
  requestId: id,
  enableEmptyFinalResponse: true,
  inputs: [
    new InferInput('IN', [values.length], 'INT32').setData(values),
    new InferInput('DELAY', [values.length], 'UINT32').setData(values.map(() => 0)),
    new InferInput('WAIT', [1], 'UINT32').setData([wait]),
  ],
});

test('repeat_int32: several responses per request, final flags, and an error in the middle', async () => {
  const bad: StreamInferRequest = {
    model: 'repeat_int32',
    requestId: 'bad',
    inputs: [new InferInput('IN', [1], 'INT32').setData([1])], // DELAY and WAIT missing
  };
  const got = new Map<string, Array<{ out?: number; idx?: number; final: boolean; error?: string; code?: string }>>();
  for await (const r of c.streamInfer([repeat('a', [10, 11, 12]), bad, repeat('b', [20])])) {
    const list = got.get(r.requestId) ?? [];
    got.set(r.requestId, list);
    if (r.error) {
      assert.ok(r.error instanceof InferenceServerError);
      list.push({ final: r.final, error: r.error.message, code: r.error.code });
    } else if (r.result.outputNames.length === 0) {
      list.push({ final: r.final });
    } else {
      assert.equal(r.result.modelName, 'repeat_int32');
      list.push({
        out: (r.result.asTypedArray('OUT') as Int32Array)[0]!,
        idx: (r.result.asTypedArray('IDX') as Uint32Array)[0]!,
        final: r.final,
      });
    }
  }
  assert.deepEqual(got.get('a'), [
    { out: 10, idx: 0, final: false },
    { out: 11, idx: 1, final: false },
    { out: 12, idx: 2, final: false },
    { final: true },
  ]);
  assert.deepEqual(got.get('b'), [{ out: 20, idx: 0, final: false }, { final: true }]);
  const errors = got.get('bad')!;
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.final, true);
  assert.match(errors[0]!.error!, /DELAY|WAIT|input/i);
  // The server gives a streamed error its code (tensorgate_error_code); it was UNKNOWN.
  assert.equal(errors[0]!.code, 'INVALID_ARG');
});

test('requests from an async generator; a non-decoupled model answers once, final', async () => {
  async function* requests(): AsyncGenerator<StreamInferRequest> {
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      yield {
        model: 'simple',
        requestId: `s${i}`,
        inputs: [
          new InferInput('INPUT0', [1, 16], 'INT32').setData(new Int32Array(16).fill(i)),
          new InferInput('INPUT1', [1, 16], 'INT32').setData(new Int32Array(16).fill(1)),
        ],
      };
    }
  }
  const sums = new Map<string, number>();
  for await (const r of c.streamInfer(requests())) {
    assert.equal(r.error, undefined);
    assert.equal(r.final, true);
    sums.set(r.requestId, (r.result!.asTypedArray('OUTPUT0') as Int32Array)[0]!);
  }
  assert.deepEqual(
    [...sums.entries()].sort(),
    [0, 1, 2, 3, 4].map((i) => [`s${i}`, i + 1]),
  );
});

test('the stream deadline ends the iteration with DEADLINE_EXCEEDED; breaking out early is clean', async () => {
  const slow: StreamInferRequest = {
    model: 'sleep_ms',
    requestId: 'z',
    inputs: [new InferInput('INPUT0', [1], 'UINT32').setData([60_000])],
  };
  await assert.rejects(
    (async () => {
      for await (const _ of c.streamInfer([slow], { timeoutMs: 50 })) void _;
    })(),
    { name: 'InferenceServerError', code: 'DEADLINE_EXCEEDED' },
  );
  for await (const r of c.streamInfer([repeat('x', [1, 2, 3])])) {
    assert.equal(r.requestId, 'x');
    break;
  }
  assert.equal(await c.isServerLive(), true);
});
