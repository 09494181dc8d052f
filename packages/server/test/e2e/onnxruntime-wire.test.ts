/**
 * ONNX models over the real wire: HTTP JSON, HTTP binary and gRPC against a server on port 0,
 * with a temp repository of GraphBuilder models; bad inputs get clear 400 / INVALID_ARGUMENT and
 * the server keeps serving.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBytesElements, encodeBytesElements } from '@tensorgate/protocol';
import { grpc, grpcClient, unary, unaryError } from '../helpers/grpc-client.js';
import { addSubOnnx, onnxRepository, stringIdentityOnnx } from '../helpers/onnx-models.js';
import { startServer, type TestServer } from '../helpers/servers.js';
import { raw, values } from '../helpers/tensors.js';

const ADD_SUB_CONFIG = `
name: "add_sub"
backend: "onnxruntime"
max_batch_size: 8
input [ { name: "A" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "B" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "SUM" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "DIFF" data_type: TYPE_FP32 dims: [ 4 ] } ]
instance_group [ { kind: KIND_CPU count: 1 } ]
`;

const STRING_CONFIG = `
platform: "onnxruntime_onnx"
max_batch_size: 2
input [ { name: "IN" data_type: TYPE_STRING dims: [ -1 ] } ]
output [ { name: "OUT" data_type: TYPE_STRING dims: [ -1 ] } ]
instance_group [ { kind: KIND_CPU count: 1 } ]
`;

let s: TestServer;
let client: ReturnType<typeof grpcClient>;
let repo: Awaited<ReturnType<typeof onnxRepository>>;

before(async () => {
  repo = await onnxRepository({
    add_sub: { bytes: addSubOnnx(), config: ADD_SUB_CONFIG },
    identity_string: { bytes: stringIdentityOnnx(), config: STRING_CONFIG },
  });
  s = await startServer([], repo.path);
  client = grpcClient(s.grpcPort);
});
after(async () => {
  client.close();
  await s.close();
  await repo.remove();
});

const A = [1, 2, 3, 4, 5, 6, 7, 8];
const B = [10, 20, 30, 40, 50, 60, 70, 80];
const infer = (model: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${s.http}/v2/models/${model}/infer`, {
    method: 'POST',
    body: Buffer.isBuffer(body) ? body : JSON.stringify(body),
    headers,
  });

async function stillServes(): Promise<void> {
  const r = await infer('add_sub', {
    inputs: [
      { name: 'A', shape: [1, 4], datatype: 'FP32', data: [1, 1, 1, 1] },
      { name: 'B', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] },
    ],
    outputs: [{ name: 'SUM' }],
  });
  assert.equal(r.status, 200, await r.clone().text());
  const body = (await r.json()) as { outputs: Array<{ data: number[] }> };
  assert.deepEqual(body.outputs[0]!.data, [2, 3, 4, 5]);
}

describe('onnxruntime over HTTP and gRPC', () => {
  test('HTTP JSON: batch 2, both outputs', async () => {
    const r = await infer('add_sub', {
      inputs: [
        { name: 'A', shape: [2, 4], datatype: 'FP32', data: A },
        { name: 'B', shape: [2, 4], datatype: 'FP32', data: B },
      ],
    });
    assert.equal(r.status, 200, await r.clone().text());
    const body = (await r.json()) as {
      model_name: string;
      outputs: Array<{ name: string; shape: number[]; data: number[] }>;
    };
    assert.equal(body.model_name, 'add_sub');
    const sum = body.outputs.find((o) => o.name === 'SUM')!;
    const diff = body.outputs.find((o) => o.name === 'DIFF')!;
    assert.deepEqual(sum.shape, [2, 4]);
    assert.deepEqual(
      sum.data,
      A.map((a, i) => a + B[i]!),
    );
    assert.deepEqual(
      diff.data,
      A.map((a, i) => a - B[i]!),
    );
  });

  test('HTTP binary: inputs and the requested output as raw bytes', async () => {
    const a = raw('FP32', A);
    const b = raw('FP32', B);
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'A', shape: [2, 4], datatype: 'FP32', parameters: { binary_data_size: a.length } },
          { name: 'B', shape: [2, 4], datatype: 'FP32', parameters: { binary_data_size: b.length } },
        ],
        outputs: [{ name: 'DIFF', parameters: { binary_data: true } }],
      }),
    );
    const r = await infer('add_sub', Buffer.concat([header, a, b]), {
      'inference-header-content-length': String(header.length),
      'content-type': 'application/octet-stream',
    });
    assert.equal(r.status, 200, await r.clone().text());
    const buf = Buffer.from(await r.arrayBuffer());
    const hlen = Number(r.headers.get('inference-header-content-length'));
    const json = JSON.parse(buf.subarray(0, hlen).toString()) as {
      outputs: Array<{ name: string; parameters: Record<string, number> }>;
    };
    assert.deepEqual(
      json.outputs.map((o) => o.name),
      ['DIFF'],
    );
    assert.equal(json.outputs[0]!.parameters['binary_data_size'], 32);
    assert.deepEqual(
      values('FP32', buf.subarray(hlen)),
      A.map((x, i) => x - B[i]!),
    );
  });

  test('gRPC ModelInfer: raw_input_contents in, raw_output_contents out', async () => {
    const res = await unary(client, 'ModelInfer', {
      model_name: 'add_sub',
      inputs: [
        { name: 'A', datatype: 'FP32', shape: [2, 4] },
        { name: 'B', datatype: 'FP32', shape: [2, 4] },
      ],
      outputs: [{ name: 'SUM' }],
      raw_input_contents: [raw('FP32', A), raw('FP32', B)],
    });
    assert.deepEqual(
      res['outputs'].map((o: { name: string }) => o.name),
      ['SUM'],
    );
    assert.deepEqual(res['outputs'][0].shape, [2, 4]);
    assert.deepEqual(
      values('FP32', res['raw_output_contents'][0]),
      A.map((a, i) => a + B[i]!),
    );
  });

  test('string tensors: HTTP JSON strings and gRPC BYTES round trip', async () => {
    const r = await infer('identity_string', {
      inputs: [{ name: 'IN', shape: [1, 3], datatype: 'BYTES', data: ['héllo', '', '日本'] }],
    });
    assert.equal(r.status, 200, await r.clone().text());
    const body = (await r.json()) as { outputs: Array<{ datatype: string; data: string[] }> };
    assert.equal(body.outputs[0]!.datatype, 'BYTES');
    assert.deepEqual(body.outputs[0]!.data, ['héllo', '', '日本']);
    const res = await unary(client, 'ModelInfer', {
      model_name: 'identity_string',
      inputs: [{ name: 'IN', datatype: 'BYTES', shape: [2, 1] }],
      raw_input_contents: [Buffer.from(encodeBytesElements(['a', 'bc']))],
    });
    assert.deepEqual(
      decodeBytesElements(res['raw_output_contents'][0]).map((e) => Buffer.from(e).toString()),
      ['a', 'bc'],
    );
  });

  test('non-UTF-8 BYTES for an ONNX string input: INVALID_ARGUMENT naming the element', async () => {
    const err = await unaryError(client, 'ModelInfer', {
      model_name: 'identity_string',
      inputs: [{ name: 'IN', datatype: 'BYTES', shape: [1, 1] }],
      raw_input_contents: [Buffer.from(encodeBytesElements([new Uint8Array([0xc3, 0x28])]))],
    });
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /element 0 is not valid UTF-8/);
    await stillServes();
  });
});

describe('onnxruntime: bad inputs get clear client errors, the server keeps serving', () => {
  test('HTTP: wrong shape → 400 naming the input', async () => {
    const r = await infer('add_sub', {
      inputs: [
        { name: 'A', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
        { name: 'B', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] },
      ],
    });
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { error: string }).error, /'A'.*shape|shape.*'A'|\bA\b/);
    await stillServes();
  });

  test('HTTP: wrong datatype → 400 naming the datatype', async () => {
    const r = await infer('add_sub', {
      inputs: [
        { name: 'A', shape: [1, 4], datatype: 'INT32', data: [1, 2, 3, 4] },
        { name: 'B', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] },
      ],
    });
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { error: string }).error, /INT32|FP32|datatype|data type/i);
    await stillServes();
  });

  test('HTTP: batch larger than max_batch_size → 400', async () => {
    const r = await infer('add_sub', {
      inputs: [
        { name: 'A', shape: [9, 4], datatype: 'FP32', data: new Array(36).fill(1) },
        { name: 'B', shape: [9, 4], datatype: 'FP32', data: new Array(36).fill(1) },
      ],
    });
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { error: string }).error, /batch/i);
    await stillServes();
  });

  test('gRPC: raw byte size that does not match the shape → INVALID_ARGUMENT', async () => {
    const err = await unaryError(client, 'ModelInfer', {
      model_name: 'add_sub',
      inputs: [
        { name: 'A', datatype: 'FP32', shape: [1, 4] },
        { name: 'B', datatype: 'FP32', shape: [1, 4] },
      ],
      raw_input_contents: [raw('FP32', [1, 2, 3]), raw('FP32', [1, 2, 3, 4])],
    });
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /\bA\b/);
    await stillServes();
  });

  test('gRPC: unknown input name → INVALID_ARGUMENT', async () => {
    const err = await unaryError(client, 'ModelInfer', {
      model_name: 'add_sub',
      inputs: [
        { name: 'A', datatype: 'FP32', shape: [1, 4] },
        { name: 'C', datatype: 'FP32', shape: [1, 4] },
      ],
      raw_input_contents: [raw('FP32', [1, 2, 3, 4]), raw('FP32', [1, 2, 3, 4])],
    });
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /\bC\b|\bB\b/);
    await stillServes();
  });
});
