import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_DATATYPES, encodeElements, type DataType } from '@tensorgate/protocol';
import { InferenceError } from '../../core/errors.js';
import type { InferResponse, Tensor } from '../../core/types.js';
import { decodeInferRequest, encodeInferResponse, type OutputEncoding } from './infer-json-codec.js';

const TARGET = { modelName: 'm', modelVersion: '' };

/** Sample values per datatype, all exactly representable so round trips compare equal. */
const SAMPLES: Record<DataType, unknown[]> = {
  BOOL: [true, false, true, true],
  UINT8: [0, 255, 7, 128],
  UINT16: [0, 65535, 1, 300],
  UINT32: [0, 4294967295, 1, 70000],
  UINT64: [0, 2 ** 53 - 1, 1, 5],
  INT8: [-128, 127, 0, -1],
  INT16: [-32768, 32767, 0, -1],
  INT32: [-2147483648, 2147483647, 0, -1],
  INT64: [-(2 ** 53 - 1), 2 ** 53 - 1, 0, -1],
  FP16: [1.5, -2, 0.25, 65504],
  BF16: [1.5, -2, 0.25, 256],
  FP32: [1.5, -0.125, 3, 1e10],
  FP64: [0.1, -1e300, 3.5, 0],
  BYTES: ['a', 'héllo ✓', '', 'xyz'],
};

const echo = (inputs: readonly Tensor[], id = ''): InferResponse => ({
  modelName: 'm',
  modelVersion: '1',
  id,
  outputs: inputs.map((t) => ({
    name: t.name.replace('IN', 'OUT'),
    datatype: t.datatype,
    shape: t.shape,
    data: t.data,
  })),
  parameters: {},
  final: true,
});

const JSON_OUT: OutputEncoding = { defaultBinary: false, binaryByName: new Map() };
const BINARY_OUT: OutputEncoding = { defaultBinary: true, binaryByName: new Map() };

/** Builds a binary-extension request body. */
function binaryBody(header: unknown, chunks: Uint8Array[]): { body: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([json, ...chunks]), headerLength: json.byteLength };
}

/** Splits a binary-extension response into its JSON and tail. */
function parseEncoded(enc: { json: string; binaryChunks: readonly Uint8Array[] }) {
  return {
    doc: JSON.parse(enc.json) as { outputs: Array<Record<string, unknown>> } & Record<string, unknown>,
    chunks: enc.binaryChunks,
  };
}

describe('round trips for every datatype', () => {
  for (const dt of ALL_DATATYPES) {
    const values = SAMPLES[dt];
    test(`${dt}: JSON flat in, JSON out`, () => {
      const body = Buffer.from(JSON.stringify({ inputs: [{ name: 'IN0', shape: [4], datatype: dt, data: values }] }));
      const { request } = decodeInferRequest(body, undefined, TARGET);
      assert.deepEqual(Buffer.from(request.inputs[0]!.data), Buffer.from(encodeElements(dt, values)));
      const { doc, chunks } = parseEncoded(encodeInferResponse(echo(request.inputs), JSON_OUT));
      assert.equal(chunks.length, 0);
      assert.deepEqual(doc.outputs[0], { name: 'OUT0', datatype: dt, shape: [4], data: values });
    });

    test(`${dt}: JSON nested in (row-major)`, () => {
      const nested = [
        [values[0], values[1]],
        [values[2], values[3]],
      ];
      const body = Buffer.from(
        JSON.stringify({ inputs: [{ name: 'IN0', shape: [2, 2], datatype: dt, data: nested }] }),
      );
      const { request } = decodeInferRequest(body, undefined, TARGET);
      assert.deepEqual(Buffer.from(request.inputs[0]!.data), Buffer.from(encodeElements(dt, values)));
    });

    test(`${dt}: binary in (zero-copy view), binary out`, () => {
      const raw = encodeElements(dt, values);
      const { body, headerLength } = binaryBody(
        { inputs: [{ name: 'IN0', shape: [4], datatype: dt, parameters: { binary_data_size: raw.byteLength } }] },
        [raw],
      );
      const { request } = decodeInferRequest(body, headerLength, TARGET);
      const t = request.inputs[0]!;
      assert.equal(t.data.buffer, body.buffer, 'binary input must be a view of the body');
      assert.deepEqual(Buffer.from(t.data), Buffer.from(raw));
      assert.equal(t.parameters, undefined, 'binary_data_size is consumed by the frontend');
      const { doc, chunks } = parseEncoded(encodeInferResponse(echo(request.inputs), BINARY_OUT));
      assert.deepEqual(doc.outputs[0], {
        name: 'OUT0',
        datatype: dt,
        shape: [4],
        parameters: { binary_data_size: raw.byteLength },
      });
      assert.deepEqual(Buffer.from(chunks[0]!), Buffer.from(raw));
    });
  }
});

test('mixed: JSON and binary inputs, per-output binary_data overrides binary_data_output', () => {
  const raw = encodeElements('FP32', [1, 2]);
  const { body, headerLength } = binaryBody(
    {
      id: 'req-7',
      parameters: { binary_data_output: true, priority: 2, tag: 'x', flag: false },
      inputs: [
        { name: 'IN0', shape: [2], datatype: 'INT32', data: [5, 6] },
        { name: 'IN1', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 8, custom: 'k' } },
      ],
      outputs: [
        { name: 'OUT0', parameters: { binary_data: false } },
        { name: 'OUT1', parameters: { classification: 2 } },
      ],
    },
    [raw],
  );
  const { request, outputEncoding } = decodeInferRequest(body, headerLength, { modelName: 'm', modelVersion: '3' });
  assert.equal(request.id, 'req-7');
  assert.equal(request.modelVersion, '3');
  assert.deepEqual(request.parameters, { priority: 2, tag: 'x', flag: false });
  assert.deepEqual(request.inputs[1]!.parameters, { custom: 'k' });
  assert.deepEqual(request.outputs, [
    { name: 'OUT0', parameters: {} },
    { name: 'OUT1', parameters: { classification: 2 } },
  ]);
  const enc = encodeInferResponse(echo(request.inputs, 'req-7'), outputEncoding);
  assert.equal(enc.hasBinary, true);
  const { doc, chunks } = parseEncoded(enc);
  assert.equal(doc['id'], 'req-7');
  assert.equal(doc['model_name'], 'm');
  assert.equal(doc['model_version'], '1');
  assert.equal('parameters' in doc, false, 'empty response parameters are omitted');
  assert.deepEqual(doc.outputs[0], { name: 'OUT0', datatype: 'INT32', shape: [2], data: [5, 6] });
  assert.deepEqual(doc.outputs[1], {
    name: 'OUT1',
    datatype: 'FP32',
    shape: [1, 2],
    parameters: { binary_data_size: 8 },
  });
  assert.deepEqual(Buffer.from(chunks[0]!), Buffer.from(raw));
});

test('response parameters and tensor parameters are written; integers stay integers', () => {
  const response: InferResponse = {
    modelName: 'm',
    modelVersion: '2',
    id: '',
    outputs: [{ name: 'O', datatype: 'INT64', shape: [1], data: encodeElements('INT64', [7]), parameters: { p: 1 } }],
    parameters: { sequence_id: 12, note: 'ok', done: true },
    final: true,
  };
  const enc = encodeInferResponse(response, JSON_OUT);
  assert.equal(enc.json.includes('"sequence_id":12'), true);
  const doc = JSON.parse(enc.json) as Record<string, unknown>;
  assert.equal('id' in doc, false, 'an empty id is omitted');
  assert.deepEqual(doc['outputs'], [{ name: 'O', datatype: 'INT64', shape: [1], parameters: { p: 1 }, data: [7] }]);
});

test('zero-size binary input and output', () => {
  const { body, headerLength } = binaryBody(
    { inputs: [{ name: 'IN0', shape: [0], datatype: 'FP32', parameters: { binary_data_size: 0 } }] },
    [],
  );
  const { request } = decodeInferRequest(body, headerLength, TARGET);
  assert.equal(request.inputs[0]!.data.byteLength, 0);
  const enc = encodeInferResponse(echo(request.inputs), BINARY_OUT);
  assert.equal(enc.hasBinary, true);
  assert.equal(enc.binaryChunks.length, 0);
});

/** Each malformed body: [description, body, headerLength, code, message substring]. */
const ERROR_MATRIX: Array<[string, string | Buffer, number | undefined, string, string]> = [
  ['empty body', '', undefined, 'INVALID_ARG', 'body is empty'],
  ['bad JSON says where', '{"inputs": [}', undefined, 'INVALID_ARG', 'position'],
  ['not an object', '[1,2]', undefined, 'INVALID_ARG', 'must be a JSON object'],
  ['missing inputs', '{}', undefined, 'INVALID_ARG', "missing required field 'inputs'"],
  ['inputs not array', '{"inputs": 3}', undefined, 'INVALID_ARG', "'inputs' must be an array"],
  ['input not object', '{"inputs": [1]}', undefined, 'INVALID_ARG', 'inputs[0] must be an object'],
  [
    'missing name',
    '{"inputs": [{"shape":[1],"datatype":"FP32","data":[1]}]}',
    undefined,
    'INVALID_ARG',
    "missing required field 'name'",
  ],
  [
    'missing datatype',
    '{"inputs": [{"name":"A","shape":[1],"data":[1]}]}',
    undefined,
    'INVALID_ARG',
    "input 'A': missing required field 'datatype'",
  ],
  [
    'unknown datatype',
    '{"inputs": [{"name":"A","shape":[1],"datatype":"FLOAT","data":[1]}]}',
    undefined,
    'INVALID_ARG',
    "unknown datatype 'FLOAT'",
  ],
  [
    'missing shape',
    '{"inputs": [{"name":"A","datatype":"FP32","data":[1]}]}',
    undefined,
    'INVALID_ARG',
    "missing required field 'shape'",
  ],
  [
    'negative dim',
    '{"inputs": [{"name":"A","shape":[-1],"datatype":"FP32","data":[1]}]}',
    undefined,
    'INVALID_ARG',
    'shape[0] must be a non-negative integer',
  ],
  ['no data', '{"inputs": [{"name":"A","shape":[1],"datatype":"FP32"}]}', undefined, 'INVALID_ARG', 'none is set'],
  [
    'data not array',
    '{"inputs": [{"name":"A","shape":[1],"datatype":"FP32","data":1}]}',
    undefined,
    'INVALID_ARG',
    "'data' must be an array",
  ],
  [
    'count mismatch',
    '{"inputs": [{"name":"A","shape":[2,2],"datatype":"FP32","data":[1,2,3]}]}',
    undefined,
    'INVALID_ARG',
    "shape [2,2] has 4 element(s) but 'data' has 3",
  ],
  [
    'wrong element type',
    '{"inputs": [{"name":"A","shape":[2],"datatype":"INT32","data":[1,"x"]}]}',
    undefined,
    'INVALID_ARG',
    "input 'A' element 1",
  ],
  [
    'int out of range',
    '{"inputs": [{"name":"A","shape":[1],"datatype":"UINT8","data":[256]}]}',
    undefined,
    'INVALID_ARG',
    'out of range for UINT8',
  ],
  [
    'non-integer int',
    '{"inputs": [{"name":"A","shape":[1],"datatype":"INT16","data":[1.5]}]}',
    undefined,
    'INVALID_ARG',
    'expected an integer',
  ],
  [
    'non-finite float',
    '{"inputs": [{"name":"A","shape":[1],"datatype":"FP64","data":[1e999]}]}',
    undefined,
    'INVALID_ARG',
    'not a finite FP64',
  ],
  [
    'BYTES not string',
    '{"inputs": [{"name":"A","shape":[1],"datatype":"BYTES","data":[5]}]}',
    undefined,
    'INVALID_ARG',
    'expected a string for BYTES',
  ],
  [
    'duplicate input',
    '{"inputs": [{"name":"A","shape":[1],"datatype":"INT8","data":[1]},{"name":"A","shape":[1],"datatype":"INT8","data":[1]}]}',
    undefined,
    'INVALID_ARG',
    'more than once',
  ],
  ['id not string', '{"id": 5, "inputs": []}', undefined, 'INVALID_ARG', "Unable to parse 'id'"],
  [
    'bad parameter value',
    '{"parameters": {"a": [1]}, "inputs": []}',
    undefined,
    'INVALID_ARG',
    "parameter 'a' must be a string, number or boolean",
  ],
  ['reserved triton_ parameter', '{"parameters": {"triton_x": 1}, "inputs": []}', undefined, 'INVALID_ARG', 'reserved'],
  [
    'binary_data_output not bool',
    '{"parameters": {"binary_data_output": 1}, "inputs": []}',
    undefined,
    'INVALID_ARG',
    "'binary_data_output'",
  ],
  ['outputs not array', '{"inputs": [], "outputs": {}}', undefined, 'INVALID_ARG', "'outputs' must be an array"],
  [
    'output binary_data not bool',
    '{"inputs": [], "outputs": [{"name":"O","parameters":{"binary_data":"yes"}}]}',
    undefined,
    'INVALID_ARG',
    "'binary_data'",
  ],
  [
    'output classification bad',
    '{"inputs": [], "outputs": [{"name":"O","parameters":{"classification":-2}}]}',
    undefined,
    'INVALID_ARG',
    "'classification' must be a non-negative integer",
  ],
  [
    'shared memory output also asking for binary data',
    '{"inputs": [], "outputs": [{"name":"A","parameters":{"shared_memory_region":"r","binary_data":true}}]}',
    undefined,
    'INVALID_ARG',
    "Output can't set both 'shared_memory_region' and 'binary_data'",
  ],
  [
    'data and binary both',
    '{"inputs": [{"name":"A","shape":[1],"datatype":"INT8","data":[1],"parameters":{"binary_data_size":1}}]}',
    undefined,
    'INVALID_ARG',
    "sets 'data' and 'binary_data_size'",
  ],
  [
    'binary without header length',
    '{"inputs": [{"name":"A","shape":[1],"datatype":"INT8","parameters":{"binary_data_size":1}}]}',
    undefined,
    'INVALID_ARG',
    'no Inference-Header-Content-Length',
  ],
  ['raw binary request is not JSON', 'xxxx', 0, 'INVALID_ARG', 'raw binary requests'],
];

describe('error matrix', () => {
  for (const [what, body, headerLength, code, substring] of ERROR_MATRIX) {
    test(what, () => {
      assert.throws(
        () => decodeInferRequest(Buffer.from(body), headerLength, TARGET),
        (err: unknown) => {
          assert.ok(err instanceof InferenceError, `expected InferenceError, got ${String(err)}`);
          assert.equal(err.code, code);
          assert.ok(err.message.includes(substring), `message '${err.message}' lacks '${substring}'`);
          return true;
        },
      );
    });
  }

  const header = (size: number, dt = 'FP32', shape = [2]) => ({
    inputs: [{ name: 'A', shape, datatype: dt, parameters: { binary_data_size: size } }],
  });
  const binaryCases: Array<[string, unknown, Uint8Array[], string]> = [
    ['binary sizes short of the body', header(8), [new Uint8Array(12)], 'unexpected additional input data'],
    ['binary size beyond the body', header(8), [new Uint8Array(4)], "unexpected size for input 'A'"],
    ['binary size does not fit the shape', header(4), [new Uint8Array(4)], 'needs 8 byte(s)'],
    ['BYTES binary badly framed', header(6, 'BYTES', [1]), [Uint8Array.of(9, 0, 0, 0, 1, 2)], 'malformed BYTES'],
    ['BYTES binary wrong count', header(5, 'BYTES', [2]), [Uint8Array.of(1, 0, 0, 0, 65)], 'holds 1 element(s)'],
  ];
  for (const [what, h, chunks, substring] of binaryCases) {
    test(what, () => {
      const { body, headerLength } = binaryBody(h, chunks);
      assert.throws(
        () => decodeInferRequest(body, headerLength, TARGET),
        (err: unknown) => {
          assert.ok(err instanceof InferenceError);
          assert.equal(err.code, 'INVALID_ARG');
          assert.ok(err.message.includes(substring), `message '${err.message}' lacks '${substring}'`);
          return true;
        },
      );
    });
  }
});

test('malformed output bytes from a backend are INTERNAL, not the client’s fault', () => {
  const bad: InferResponse = {
    ...echo([]),
    outputs: [{ name: 'O', datatype: 'FP32', shape: [1], data: new Uint8Array(3) }],
  };
  assert.throws(
    () => encodeInferResponse(bad, JSON_OUT),
    (err: unknown) => err instanceof InferenceError && err.code === 'INTERNAL',
  );
});

test('negative zero survives the JSON encoding bit-exactly', () => {
  const data = new Uint8Array(new Float32Array([-0, 0, 1.5, -0]).buffer);
  const { json } = encodeInferResponse(
    {
      modelName: 'm',
      modelVersion: '1',
      id: '',
      outputs: [{ name: 'O', datatype: 'FP32', shape: [4], data }],
      parameters: {},
      final: true,
    },
    { defaultBinary: false, binaryByName: new Map() },
  );
  const parsed = JSON.parse(json) as { outputs: Array<{ data: number[] }> };
  assert.ok(Object.is(parsed.outputs[0]!.data[0], -0));
  assert.ok(Object.is(parsed.outputs[0]!.data[1], 0));
  assert.deepEqual(parsed.outputs[0]!.data.slice(2), [1.5, -0]);
});

test('a response too large for a JSON string is a clear error pointing to binary data', (t) => {
  t.mock.method(JSON, 'stringify', () => {
    throw new RangeError('Invalid string length');
  });
  const response: InferResponse = {
    modelName: 'm',
    modelVersion: '1',
    id: '',
    parameters: {},
    final: true,
    outputs: [{ name: 'BIG', datatype: 'FP32', shape: [1], data: new Uint8Array(4) }],
  };
  assert.throws(
    () => encodeInferResponse(response, { defaultBinary: false, binaryByName: new Map() }),
    (e: unknown) =>
      e instanceof InferenceError &&
      e.code === 'INVALID_ARG' &&
      /too large to send as JSON.*'BIG'.*binary/.test(e.message),
  );
});
