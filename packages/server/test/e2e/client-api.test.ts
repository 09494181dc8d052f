/**
 * @tensorgate/client against a real server, over both transports with the same table of checks:
 * every information method, inference on the example models, errors, timeouts, aborts and
 * concurrency.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  InferenceClient,
  InferenceServerError,
  InferInput,
  InferRequestedOutput,
  type ErrorCode,
} from '@tensorgate/client';
import { range } from '../helpers/tensors.js';
import { startServer, type TestServer } from '../helpers/servers.js';

let s: TestServer;
before(async () => {
  s = await startServer();
});
after(async () => {
  await s.close();
});

const TRANSPORTS = [
  { name: 'grpc', make: () => InferenceClient.grpc(`127.0.0.1:${s.grpcPort}`) },
  { name: 'http', make: () => InferenceClient.http(s.http) },
] as const;

const simpleInputs = (a: number[], b: number[], batch = 1) => [
  new InferInput('INPUT0', [batch, 16], 'INT32').setData(Int32Array.from(a)),
  new InferInput('INPUT1', [batch, 16], 'INT32').setData(Int32Array.from(b)),
];

const rejectsWith = async (
  p: Promise<unknown>,
  code: ErrorCode,
  message: RegExp,
  extra: Partial<Pick<InferenceServerError, 'status' | 'requestId'>> = {},
) => {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof InferenceServerError, `not an InferenceServerError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    for (const [k, v] of Object.entries(extra)) assert.equal(e[k as keyof typeof extra], v, k);
    return true;
  });
};

for (const t of TRANSPORTS) {
  describe(`client over ${t.name}`, () => {
    let c: ReturnType<(typeof TRANSPORTS)[number]['make']>;
    before(() => {
      c = t.make();
    });
    after(() => c.close());

    test('health, metadata, config, index, statistics', async () => {
      assert.equal(c.transport, t.name);
      assert.equal(await c.isServerLive(), true);
      assert.equal(await c.isServerReady(), true);
      assert.equal(await c.isModelReady('simple'), true);
      assert.equal(await c.isModelReady('simple', 1), true);
      assert.equal(await c.isModelReady('no_such_model'), false);
      const md = await c.getServerMetadata();
      assert.equal(md.name, 'tensorgate');
      assert.ok(md.extensions.includes('binary_tensor_data'));
      const mm = await c.getModelMetadata('simple', '1');
      assert.deepEqual(
        { name: mm.name, versions: mm.versions, inputs: mm.inputs, outputs: mm.outputs.map((o) => o.name) },
        {
          name: 'simple',
          versions: ['1'],
          inputs: [
            { name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] },
            { name: 'INPUT1', datatype: 'INT32', shape: [-1, 16] },
          ],
          outputs: ['OUTPUT0', 'OUTPUT1'],
        },
      );
      const cfg = await c.getModelConfig('simple');
      assert.equal(cfg.name, 'simple');
      assert.equal(cfg.max_batch_size, 8);
      assert.deepEqual(cfg.input?.[0]?.['dims'], [16]);
      assert.equal(cfg.input?.[0]?.['data_type'], 'TYPE_INT32');
      const index = await c.getModelRepositoryIndex();
      assert.deepEqual(
        index.find((m) => m.name === 'simple'),
        { name: 'simple', version: '1', state: 'READY', reason: '' },
      );
      assert.ok((await c.getModelRepositoryIndex({ readyOnly: true })).length >= 8);

      await c.infer('simple', simpleInputs(range(16), range(16)));
      const one = await c.getInferenceStatistics('simple', 1);
      assert.equal(one.model_stats.length, 1);
      assert.equal(one.model_stats[0]!.name, 'simple');
      assert.ok(one.model_stats[0]!.inference_count >= 1);
      assert.ok(Number(one.model_stats[0]!.inference_stats['success']!.count) >= 1);
      const all = await c.getInferenceStatistics();
      assert.ok(all.model_stats.some((m) => m.name === 'lstm_timeseries'));
    });

    test('simple (INT32, batch 2): sums and differences, request id, model name and version', async () => {
      const a = range(32);
      const b = range(32).map((x) => 2 * x);
      const r = await c.infer('simple', simpleInputs(a, b, 2), { requestId: `${t.name}-1`, modelVersion: 1 });
      assert.equal(r.id, `${t.name}-1`);
      assert.equal(r.modelName, 'simple');
      assert.equal(r.modelVersion, '1');
      assert.deepEqual([...r.outputNames].sort(), ['OUTPUT0', 'OUTPUT1']);
      assert.deepEqual(r.shape('OUTPUT0'), [2, 16]);
      assert.equal(r.datatype('OUTPUT1'), 'INT32');
      assert.deepEqual(r.asTypedArray('OUTPUT0'), Int32Array.from(a.map((x, i) => x + b[i]!)));
      assert.deepEqual(r.asTypedArray('OUTPUT1'), Int32Array.from(a.map((x, i) => x - b[i]!)));
      assert.equal(r.final, true);
    });

    test('simple_string (BYTES), and JSON (non-binary) tensors over HTTP', async () => {
      const a = range(16).map(String);
      const b = range(16).map((x) => String(x * 10));
      const inputs = [
        new InferInput('INPUT0', [1, 16], 'BYTES').setData(a, { binary: false }),
        new InferInput('INPUT1', [1, 16], 'BYTES').setData(b),
      ];
      const r = await c.infer('simple_string', inputs, {
        outputs: [new InferRequestedOutput('OUTPUT0', { binary: false }), new InferRequestedOutput('OUTPUT1')],
      });
      assert.deepEqual(
        r.asStrings('OUTPUT0'),
        range(16).map((x) => String(x * 11)),
      );
      assert.deepEqual(
        r.asStrings('OUTPUT1'),
        range(16).map((x) => String(-9 * x)),
      );
      assert.deepEqual(r.shape('OUTPUT0'), [1, 16]);
    });

    test('identity_fp32 with an 8 MB tensor comes back bit for bit (NaN payloads and -0 included)', async () => {
      const n = 2 * 1024 * 1024;
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = Math.sin(i) * 1e6;
      const bits = new Uint32Array(data.buffer);
      bits[0] = 0x7fc00123; // a NaN with a payload
      bits[1] = 0x80000000; // -0
      const r = await c.infer('identity_fp32', [new InferInput('INPUT0', [n], 'FP32').setData(data)]);
      const back = r.asTypedArray('OUTPUT0') as Float32Array;
      assert.equal(back.length, n);
      assert.ok(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(data.buffer)));
    });

    test('lstm_timeseries: a batch of 4 FP32 series gives 4 forecasts of 5', async () => {
      const series = range(40).map((i) => Math.sin((2 * Math.PI * i) / 12));
      const r = await c.infer('lstm_timeseries', [new InferInput('INPUT', [4, 10, 1], 'FP32').setData(series)]);
      assert.deepEqual(r.shape('OUTPUT'), [4, 5]);
      const out = r.asTypedArray('OUTPUT') as Float32Array;
      assert.ok(out.every((v) => Number.isFinite(v) && Math.abs(v) < 5));
      // Batching does not change a series' forecast.
      const single = await c.infer('lstm_timeseries', [
        new InferInput('INPUT', [1, 10, 1], 'FP32').setData(series.slice(0, 10)),
      ]);
      const first = single.asTypedArray('OUTPUT') as Float32Array;
      for (let i = 0; i < 5; i++) assert.ok(Math.abs(first[i]! - out[i]!) < 1e-5);
    });

    test('classification via classCount', async () => {
      const r = await c.infer('simple', simpleInputs(range(16), range(16)), {
        outputs: [new InferRequestedOutput('OUTPUT0', { classCount: 3 })],
      });
      assert.deepEqual(r.outputNames, ['OUTPUT0']);
      assert.equal(r.datatype('OUTPUT0'), 'BYTES');
      assert.deepEqual(r.shape('OUTPUT0'), [1, 3]);
      assert.deepEqual(r.asStrings('OUTPUT0'), ['30:15', '28:14', '26:13']);
    });

    test('errors: unknown model → NOT_FOUND, bad shape → INVALID_ARG, with status and request id', async () => {
      const notFound = t.name === 'grpc' ? 5 : 404;
      await rejectsWith(
        c.infer('no_such_model', simpleInputs(range(16), range(16)), { requestId: 'e1' }),
        'NOT_FOUND',
        /no_such_model/,
        {
          status: notFound,
          requestId: 'e1',
        },
      );
      await rejectsWith(c.getModelMetadata('no_such_model'), 'NOT_FOUND', /no_such_model/, { status: notFound });
      const bad = [
        new InferInput('INPUT0', [1, 8], 'INT32').setData(range(8)),
        new InferInput('INPUT1', [1, 8], 'INT32').setData(range(8)),
      ];
      await rejectsWith(c.infer('simple', bad, { requestId: 'e2' }), 'INVALID_ARG', /INPUT0.*shape|shape.*INPUT0/i, {
        status: t.name === 'grpc' ? 3 : 400,
        requestId: 'e2',
      });
    });

    test('timeoutMs on a slow model → DEADLINE_EXCEEDED; the client stays usable', async () => {
      const slow = [new InferInput('INPUT0', [1], 'UINT32').setData([60_000])];
      await rejectsWith(
        c.infer('sleep_ms', slow, { timeoutMs: 50, requestId: 'slow' }),
        'DEADLINE_EXCEEDED',
        /deadline/i,
        {
          requestId: 'slow',
        },
      );
      const quick = await c.infer('sleep_ms', [new InferInput('INPUT0', [1], 'UINT32').setData([1])]);
      assert.deepEqual(quick.asTypedArray('OUTPUT0'), new Uint32Array([1]));
    });

    test('an AbortSignal cancels a call in flight (CANCELLED) and an aborted one before it starts', async () => {
      const controller = new AbortController();
      const slow = [new InferInput('INPUT0', [1], 'UINT32').setData([60_000])];
      const pending = c.infer('sleep_ms', slow, { signal: controller.signal });
      setTimeout(() => controller.abort(), 20);
      await rejectsWith(pending, 'CANCELLED', /cancel/i);
      await rejectsWith(c.isServerLive({ signal: AbortSignal.abort() }), 'CANCELLED', /cancel/i);
    });

    test('200 concurrent calls all succeed with their own answers', async () => {
      const results = await Promise.all(
        range(200).map((i) =>
          c.infer('simple', simpleInputs(range(16, i), range(16)), { requestId: String(i) }).then((r) => {
            assert.equal(r.id, String(i));
            return (r.asTypedArray('OUTPUT1') as Int32Array)[0];
          }),
        ),
      );
      assert.deepEqual(results, range(200));
    });
  });
}

test('a closed client refuses calls', async () => {
  for (const t of TRANSPORTS) {
    const c = t.make();
    await c.close();
    await rejectsWith(c.isServerLive(), 'INVALID_ARG', /closed/);
  }
});
