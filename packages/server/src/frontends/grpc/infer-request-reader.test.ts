import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { loadProtoRoot } from '@tensorgate/protocol';
import { decodeCommonInferRequest } from './infer-request-reader.js';

const Request = loadProtoRoot().lookupType('inference.ModelInferRequest');
const encode = (m: object): Buffer => Buffer.from(Request.encode(Request.fromObject(m)).finish());

/** What the handlers read of a decoded request, as plain data. */
function view(m: object): unknown {
  const o = m as {
    model_name: string;
    model_version: string;
    id: string;
    parameters?: object;
    inputs: Array<{ name: string; datatype: string; shape: number[] }>;
    outputs?: Array<{ name: string }>;
    raw_input_contents?: Uint8Array[];
  };
  return {
    model_name: o.model_name,
    model_version: o.model_version,
    id: o.id,
    parameters: { ...o.parameters },
    inputs: o.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] })),
    outputs: (o.outputs ?? []).map((t) => ({ name: t.name })),
    raw: (o.raw_input_contents ?? []).map((b) => [...b]),
  };
}

const COMMON: Array<[string, object]> = [
  ['empty message', {}],
  [
    'the simple request',
    {
      model_name: 'simple',
      model_version: '1',
      id: 'r1',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
      ],
      outputs: [{ name: 'OUTPUT0' }],
      raw_input_contents: [new Uint8Array(64).fill(1), new Uint8Array(64).fill(2)],
    },
  ],
  [
    'long strings, multi-byte text, large dims, a zero dim, an empty raw entry',
    {
      model_name: 'm'.repeat(300),
      id: 'é✓😀'.repeat(40),
      inputs: [{ name: 'X', datatype: 'FP32', shape: [0, 127, 128, 2 ** 40] }],
      raw_input_contents: [new Uint8Array(0)],
    },
  ],
  ['an input with no shape', { model_name: 'x', inputs: [{ name: 'A', datatype: 'BYTES' }] }],
];

describe('decodeCommonInferRequest', () => {
  for (const [name, message] of COMMON) {
    test(`decodes like protobufjs: ${name}`, () => {
      const bytes = encode(message);
      const ours = decodeCommonInferRequest(bytes);
      assert.ok(ours, 'the fast path takes it');
      assert.deepEqual(view(ours), view(Request.decode(new protobuf.Reader(bytes))));
    });
  }

  test('raw_input_contents are views of the received buffer (no copy)', () => {
    const bytes = encode(COMMON[1]![1]);
    const ours = decodeCommonInferRequest(bytes)!;
    const raw = ours.raw_input_contents![0]!;
    assert.equal(raw.buffer, bytes.buffer);
  });

  test('tags and lengths longer than protobufjs reads them are left to protobufjs (found by fast-check)', () => {
    // model_version with its length 0 written in 6 bytes: legal protobuf, but protobufjs' uint32()
    // skips 5 bytes after a 5th continuation byte and runs past the end.
    const overlong = Buffer.from([18, 0x80, 0x80, 0x80, 0x80, 0x80, 0]);
    assert.equal(decodeCommonInferRequest(overlong), undefined);
    assert.throws(() => Request.decode(overlong));
    // A 5-byte length whose 5th byte has bits past 32: protobufjs keeps only its low 4 bits.
    assert.equal(decodeCommonInferRequest(Buffer.from([18, 0x80, 0x80, 0x80, 0x80, 0x10])), undefined);
    // A 5-byte length that protobufjs reads the same way still takes the fast path.
    const name = Buffer.from([10, 0x81, 0x80, 0x80, 0x80, 0x00, 0x61]);
    assert.deepEqual(view(decodeCommonInferRequest(name)!), view(Request.decode(name)));
  });

  test('an unpacked shape (one varint per dim) decodes too', () => {
    // inputs { name: "A" shape: 2 shape: 3 } written by hand: field 3 as wire type 0, twice.
    const input = Buffer.from([0x0a, 0x01, 0x41, 0x18, 0x02, 0x18, 0x03]);
    const bytes = Buffer.concat([Buffer.from([0x2a, input.length]), input]);
    const ours = decodeCommonInferRequest(bytes);
    assert.deepEqual(view(ours!), view(Request.decode(new protobuf.Reader(bytes))));
    assert.deepEqual(ours!.inputs[0]!.shape, [2, 3]);
  });

  const DECLINED: Array<[string, Buffer]> = [
    ['request parameters', encode({ model_name: 'x', parameters: { a: { bool_param: true } } })],
    ['input parameters', encode({ inputs: [{ name: 'A', parameters: { p: { int64_param: 1 } } }] })],
    ['typed contents', encode({ inputs: [{ name: 'A', shape: [1], contents: { int_contents: [1] } }] })],
    ['output parameters', encode({ outputs: [{ name: 'O', parameters: { classification: { int64_param: 2 } } }] })],
    ['a negative dim (10-byte varint)', encode({ inputs: [{ name: 'A', shape: [-1] }] })],
    ['an unknown field', Buffer.concat([encode({ model_name: 'x' }), Buffer.from([0x7a, 0x00])])],
    ['a truncated string', encode({ model_name: 'simple' }).subarray(0, 4)],
    ['a varint that never ends', Buffer.from([0x0a, 0xff, 0xff, 0xff])],
    ['garbage', Buffer.from('not a protobuf message at all')],
  ];
  for (const [name, bytes] of DECLINED) {
    test(`declines ${name}`, () => {
      assert.equal(decodeCommonInferRequest(bytes), undefined);
    });
  }
});
