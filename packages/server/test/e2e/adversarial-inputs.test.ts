/**
 * Hostile or absurd requests over the real wire: each gets a clear 4xx / INVALID_ARGUMENT-class
 * error quickly (no huge allocation, no hang, no crash), and the server keeps serving.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { grpc, grpcClient, unary, unaryError, type Msg } from '../helpers/grpc-client.js';
import { range, raw } from '../helpers/tensors.js';
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

const goodHttp = async (): Promise<void> => {
  const r = await fetch(`${s.http}/v2/models/simple/infer`, {
    method: 'POST',
    body: JSON.stringify({
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range(16) },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) },
      ],
    }),
  });
  assert.equal(r.status, 200);
};
const goodGrpc = async (): Promise<void> => {
  const r = await unary(client, 'ModelInfer', {
    model_name: 'simple',
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
    ],
    raw_input_contents: [raw('INT32', range(16)), raw('INT32', range(16))],
  });
  assert.equal(r['raw_output_contents'].length, 2);
};

describe('HTTP: absurd shapes and sizes', () => {
  const identity = (input: Record<string, unknown>) => ({ inputs: [{ name: 'INPUT0', datatype: 'FP32', ...input }] });
  const cases: Array<[string, unknown, RegExp]> = [
    ['shape with 2^40 elements, no data', identity({ shape: [2 ** 40], data: [] }), /INPUT0/],
    ['shape with overflowing product', identity({ shape: [2 ** 31, 2 ** 31, 2 ** 31], data: [1] }), /INPUT0/],
    ['negative dim', identity({ shape: [-5], data: [1] }), /INPUT0|shape/],
    ['fractional dim', identity({ shape: [1.5], data: [1] }), /INPUT0|shape/],
    ['string dim', identity({ shape: ['3'], data: [1, 2, 3] }), /INPUT0|shape/],
    ['shape not an array', identity({ shape: 3, data: [1, 2, 3] }), /shape/],
    ['data of objects', identity({ shape: [1], data: [{}] }), /INPUT0|element/],
    // An element with its own toString / valueOf made the error message throw: 500 "Cannot convert object to primitive value".
    [
      'data of an object with its own toString',
      identity({ shape: [1], data: [{ toString: 0 }] }),
      /INPUT0.*got object/,
    ],
    [
      'BOOL data of an object with its own toString and valueOf',
      { inputs: [{ name: 'INPUT0', datatype: 'BOOL', shape: [1], data: [{ toString: 0, valueOf: 0 }] }] },
      /INPUT0.*got object/,
    ],
    ['NaN as a string', identity({ shape: [1], data: ['NaN'] }), /INPUT0|element/],
    [
      'binary size larger than the shape needs',
      { inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1], parameters: { binary_data_size: 2 ** 40 } }] },
      /binary|size|INPUT0/,
    ],
    ['inputs not an array', { inputs: { name: 'INPUT0' } }, /inputs/],
    ['body is a JSON array', [], /object|inputs/],
    ['body is a JSON string', 'hello', /object|inputs|JSON/],
  ];
  for (const [name, body, re] of cases) {
    test(name, async () => {
      const r = await fetch(`${s.http}/v2/models/identity_fp32/infer`, {
        method: 'POST',
        body: typeof body === 'string' ? JSON.stringify(body) : JSON.stringify(body),
      });
      assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
      const err = ((await r.json()) as { error: string }).error;
      assert.match(err, re);
      await goodHttp();
    });
  }

  test('a huge Inference-Header-Content-Length', async () => {
    const r = await fetch(`${s.http}/v2/models/identity_fp32/infer`, {
      method: 'POST',
      headers: { 'inference-header-content-length': String(2 ** 53) },
      body: '{}',
    });
    assert.equal(r.status, 400);
    await goodHttp();
  });

  test('a client that disconnects mid-body leaves the server serving', async () => {
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${s.http}/v2/models/identity_fp32/infer`, {
        method: 'POST',
        headers: { 'content-length': '1000000' },
      });
      req.on('error', () => resolve());
      req.write('{"inputs": [');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    await goodHttp();
  });
});

describe('gRPC: absurd shapes, sizes and contents', () => {
  const identityReq = (input: Msg, rawContents?: Buffer[]): Msg => ({
    model_name: 'identity_fp32',
    inputs: [{ name: 'INPUT0', datatype: 'FP32', ...input }],
    ...(rawContents ? { raw_input_contents: rawContents } : {}),
  });
  const cases: Array<[string, Msg, RegExp]> = [
    [
      'shape with 2^40 elements, 4 bytes of data',
      identityReq({ shape: [2 ** 40] }, [raw('FP32', [1])]),
      /INPUT0|byte size/,
    ],
    [
      'overflowing shape product',
      identityReq({ shape: [2 ** 31, 2 ** 31, 2 ** 31] }, [raw('FP32', [1])]),
      /INPUT0|byte size|shape/,
    ],
    ['negative dim', identityReq({ shape: [-1] }, [raw('FP32', [1])]), /INPUT0|shape/],
    [
      'typed contents count mismatch',
      identityReq({ shape: [3], contents: { fp32_contents: [1, 2] } }),
      /INPUT0|element|contents/,
    ],
    [
      'typed contents of the wrong type',
      identityReq({ shape: [2], contents: { int_contents: [1, 2] } }),
      /INPUT0|FP32|contents/,
    ],
    [
      'huge typed-contents shape',
      identityReq({ shape: [2 ** 40], contents: { fp32_contents: [1] } }),
      /INPUT0|element|contents/,
    ],
    [
      'empty datatype',
      {
        model_name: 'identity_fp32',
        inputs: [{ name: 'INPUT0', datatype: '', shape: [1] }],
        raw_input_contents: [raw('FP32', [1])],
      },
      /datatype|INPUT0/,
    ],
    [
      'BYTES framing past the end',
      {
        model_name: 'simple_string',
        inputs: [
          { name: 'INPUT0', datatype: 'BYTES', shape: [1, 16] },
          { name: 'INPUT1', datatype: 'BYTES', shape: [1, 16] },
        ],
        raw_input_contents: [Buffer.from([255, 255, 255, 127, 1]), Buffer.from([0, 0, 0, 0])],
      },
      /BYTES|INPUT0/,
    ],
  ];
  for (const [name, req, re] of cases) {
    test(name, async () => {
      const e = await unaryError(client, 'ModelInfer', req);
      assert.equal(e.code, grpc.status.INVALID_ARGUMENT, `${e.code} ${e.details}`);
      assert.match(e.details, re);
      await goodGrpc();
    });
  }

  test('a message over the size limit is refused and the server keeps serving', async () => {
    const small = await startServer(['--grpc-max-message-bytes', '1024']);
    const c = grpcClient(small.grpcPort);
    try {
      const e = await unaryError(c, 'ModelInfer', identityReq({ shape: [4096] }, [raw('FP32', range(4096))]));
      assert.equal(e.code, grpc.status.RESOURCE_EXHAUSTED);
      const ok = await unary(c, 'ModelInfer', identityReq({ shape: [4] }, [raw('FP32', range(4))]));
      assert.equal(ok['raw_output_contents'].length, 1);
    } finally {
      c.close();
      await small.close();
    }
  });
});
