/**
 * Wire-level gRPC tests against a real server serving the bundled example repository.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { grpc, grpcClient, streamAll, unary, unaryError, type Msg } from '../helpers/grpc-client.js';
import { range, raw, values } from '../helpers/tensors.js';
import { startServer, type TestServer } from '../helpers/servers.js';

let s: TestServer;
let client: ReturnType<typeof grpcClient>;
before(async () => {
  s = await startServer();
  client = grpcClient(s.grpcPort);
});
after(async () => {
  client.close();
  await s.close();
});

const simpleRequest = (a: number[], b: number[], extra: Msg = {}): Msg => ({
  model_name: 'simple',
  inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
    { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
  ],
  raw_input_contents: [raw('INT32', a), raw('INT32', b)],
  ...extra,
});

const stillServing = async (): Promise<void> => {
  const r = await unary(client, 'ModelInfer', simpleRequest(range(16), range(16)));
  assert.equal(r['raw_output_contents'].length, 2);
};

const repeatRequest = (ins: number[], delays: number[], wait: number, id: string, params: Msg = {}): Msg => ({
  model_name: 'repeat_int32',
  id,
  inputs: [
    { name: 'IN', datatype: 'INT32', shape: [ins.length] },
    { name: 'DELAY', datatype: 'UINT32', shape: [delays.length] },
    { name: 'WAIT', datatype: 'UINT32', shape: [1] },
  ],
  raw_input_contents: [raw('INT32', ins), raw('UINT32', delays), raw('UINT32', [wait])],
  parameters: params,
});

describe('gRPC: server and model RPCs', () => {
  test('live, ready, metadata', async () => {
    assert.equal((await unary(client, 'ServerLive', {}))['live'], true);
    assert.equal((await unary(client, 'ServerReady', {}))['ready'], true);
    assert.equal((await unary(client, 'ModelReady', { name: 'simple' }))['ready'], true);
    assert.equal((await unary(client, 'ModelReady', { name: 'nope' }))['ready'], false);
    const md = await unary(client, 'ServerMetadata', {});
    assert.equal(md['name'], 'tensorgate');
    const mm = await unary(client, 'ModelMetadata', { name: 'simple' });
    assert.deepEqual(mm['inputs'][0], { name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] });
  });

  test('ModelConfig returns the parsed config', async () => {
    const r = await unary(client, 'ModelConfig', { name: 'simple' });
    assert.equal(r['config'].name, 'simple');
    assert.equal(r['config'].max_batch_size, 8);
    assert.equal(r['config'].input[0].data_type, 'TYPE_INT32');
  });

  test('RepositoryIndex and ModelStatistics', async () => {
    const idx = await unary(client, 'RepositoryIndex', {});
    assert.ok(idx['models'].some((m: Msg) => m['name'] === 'simple' && m['state'] === 'READY'));
    await stillServing();
    const st = await unary(client, 'ModelStatistics', { name: 'simple' });
    assert.ok(st['model_stats'][0].inference_stats.success.count >= 1);
  });

  test('unknown model → NOT_FOUND; unknown shared-memory region → NOT_FOUND', async () => {
    const e = await unaryError(client, 'ModelMetadata', { name: 'nope' });
    assert.equal(e.code, grpc.status.NOT_FOUND);
    const sm = await unaryError(client, 'SystemSharedMemoryStatus', { name: 'nope' });
    assert.equal(sm.code, grpc.status.NOT_FOUND);
    assert.equal(sm.details, "Unable to find system shared memory region: 'nope'");
    await stillServing();
  });
});

describe('gRPC: inference', () => {
  test('simple with raw_input_contents', async () => {
    const r = await unary(client, 'ModelInfer', simpleRequest(range(16), range(16, 1), { id: 'abc' }));
    assert.equal(r['id'], 'abc');
    assert.equal(r['model_version'], '1');
    const names = r['outputs'].map((o: Msg) => o['name']);
    const out0 = r['raw_output_contents'][names.indexOf('OUTPUT0')];
    assert.deepEqual(
      values('INT32', out0),
      range(16).map((i) => 2 * i + 1),
    );
  });

  test('simple with typed contents', async () => {
    const r = await unary(client, 'ModelInfer', {
      model_name: 'simple',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], contents: { int_contents: range(16) } },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], contents: { int_contents: range(16) } },
      ],
      outputs: [{ name: 'OUTPUT1' }],
    });
    assert.equal(r['outputs'].length, 1);
    assert.deepEqual(
      values('INT32', r['raw_output_contents'][0]),
      range(16).map(() => 0),
    );
  });

  test('identity_fp32 round-trips 19 MB bit-exactly', async () => {
    const n = (19 * 1024 * 1024) / 4;
    const data = Buffer.alloc(n * 4);
    for (let i = 0; i < n; i++) data.writeFloatLE(Math.cos(i), i * 4);
    const r = await unary(client, 'ModelInfer', {
      model_name: 'identity_fp32',
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [n] }],
      raw_input_contents: [data],
    });
    assert.ok(Buffer.from(r['raw_output_contents'][0]).equals(data));
  });

  test('deadline exceeded on sleep_ms, and the server keeps serving', async () => {
    const e = await unaryError(
      client,
      'ModelInfer',
      {
        model_name: 'sleep_ms',
        inputs: [{ name: 'INPUT0', datatype: 'UINT32', shape: [1] }],
        raw_input_contents: [raw('UINT32', [3000])],
      },
      { deadline: Date.now() + 200 },
    );
    assert.equal(e.code, grpc.status.DEADLINE_EXCEEDED);
    await stillServing();
  });

  test('decoupled model on ModelInfer → clear error', async () => {
    const e = await unaryError(client, 'ModelInfer', repeatRequest([1], [0], 0, 'x'));
    assert.match(e.details, /decoupled/);
  });

  const badCases: Array<[string, Msg, number, RegExp]> = [
    ['unknown model', { ...simpleRequest(range(16), range(16)), model_name: 'nope' }, grpc.status.NOT_FOUND, /nope/],
    [
      'wrong shape',
      simpleRequest(range(15), range(16), {
        inputs: [
          { name: 'INPUT0', datatype: 'INT32', shape: [1, 15] },
          { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
        ],
      }),
      grpc.status.INVALID_ARGUMENT,
      /unexpected shape/,
    ],
    ['byte size', simpleRequest(range(15), range(16)), grpc.status.INVALID_ARGUMENT, /byte size/],
    [
      'raw count mismatch',
      { ...simpleRequest(range(16), range(16)), raw_input_contents: [raw('INT32', range(16))] },
      grpc.status.INVALID_ARGUMENT,
      /raw/,
    ],
    [
      'unknown output',
      simpleRequest(range(16), range(16), { outputs: [{ name: 'NOPE' }] }),
      grpc.status.INVALID_ARGUMENT,
      /NOPE/,
    ],
    [
      'bad version',
      simpleRequest(range(16), range(16), { model_version: 'x1' }),
      grpc.status.INVALID_ARGUMENT,
      /version/,
    ],
  ];
  for (const [name, req, code, re] of badCases) {
    test(`bad request: ${name}`, async () => {
      const e = await unaryError(client, 'ModelInfer', req);
      assert.equal(e.code, code, e.details);
      assert.match(e.details, re);
      await stillServing();
    });
  }

  test('garbage protobuf bytes get an error status and the server keeps serving', async () => {
    const rawClient = new grpc.Client(`127.0.0.1:${s.grpcPort}`, grpc.credentials.createInsecure());
    const err = await new Promise<grpc.ServiceError | null>((resolve) => {
      rawClient.makeUnaryRequest(
        '/inference.GRPCInferenceService/ModelInfer',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
        (e) => resolve(e),
      );
    });
    rawClient.close();
    assert.ok(err);
    assert.notEqual(err.code, grpc.status.OK);
    await stillServing();
  });
});

describe('gRPC: ModelStreamInfer', () => {
  test('decoupled repeat_int32: one response per element, errors keep the stream open', async () => {
    const got = await streamAll(client, [
      repeatRequest([10, 20, 30], [5, 5, 5], 0, 'r1'),
      { ...simpleRequest(range(16), range(16)), model_name: 'nope', id: 'bad' },
      simpleRequest(range(16), range(16), { id: 's1' }),
    ]);
    const errors = got.filter((m) => m['error_message']);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!['error_message'], /nope/);
    const r1 = got.filter((m) => !m['error_message'] && m['infer_response'].id === 'r1');
    assert.deepEqual(
      r1
        .filter((m) => m['infer_response'].raw_output_contents.length > 0)
        .map(
          (m) =>
            values(
              'INT32',
              m['infer_response'].raw_output_contents[
                m['infer_response'].outputs.findIndex((o: Msg) => o['name'] === 'OUT')
              ],
            )[0],
        ),
      [10, 20, 30],
    );
    assert.ok(got.some((m) => !m['error_message'] && m['infer_response'].id === 's1'));
  });

  test('empty final response when enabled', async () => {
    const got = await streamAll(client, [
      repeatRequest([1, 2], [0, 0], 0, 'e1', { triton_enable_empty_final_response: { bool_param: true } }),
    ]);
    assert.equal(got.length, 3);
    const last = got[2]!['infer_response'];
    assert.equal(last.outputs.length, 0);
    assert.equal(last.parameters.triton_final_response.bool_param, true);
    assert.equal(got[0]!['infer_response'].parameters.triton_final_response.bool_param, false);
  });
});
