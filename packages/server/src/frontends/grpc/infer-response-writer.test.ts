import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadProtoRoot, type ModelInferResponseMessage } from '@tensorgate/protocol';
import { encodeCommonInferResponse } from './infer-response-writer.js';

const Response = loadProtoRoot().lookupType('inference.ModelInferResponse');
const protobufjs = (m: ModelInferResponseMessage): Buffer => Buffer.from(Response.encode(m).finish());
const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

/** Messages the fast path takes: it must write exactly protobufjs' bytes. */
const COMMON: Array<[string, ModelInferResponseMessage]> = [
  ['empty strings, no outputs', { model_name: '', model_version: '', id: '' }],
  [
    'the simple model',
    {
      model_name: 'simple',
      model_version: '1',
      id: 'req-7',
      parameters: {},
      outputs: [
        { name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16], parameters: {} },
        { name: 'OUTPUT1', datatype: 'INT32', shape: [1, 16], parameters: {} },
      ],
      raw_output_contents: [new Uint8Array(64).fill(3), new Uint8Array(64).fill(250)],
    },
  ],
  [
    'multi-byte varints: long strings, large dims, a 300-byte output',
    {
      model_name: 'm'.repeat(200),
      model_version: '12345',
      id: 'é✓😀'.repeat(50),
      outputs: [{ name: 'OUT', datatype: 'FP32', shape: [0, 127, 128, 16384, 2 ** 40, Number.MAX_SAFE_INTEGER] }],
      raw_output_contents: [new Uint8Array(300).map((_, i) => i)],
    },
  ],
  [
    'an output without shape, an empty tensor',
    {
      model_name: 'x',
      model_version: '',
      id: '',
      outputs: [
        { name: 'A', datatype: 'BYTES', shape: [] },
        { name: 'B', datatype: 'BOOL', shape: [0] },
      ],
      raw_output_contents: [bytes(), bytes()],
    },
  ],
  ['a missing id (property absent)', { model_name: 'x', model_version: '1' } as ModelInferResponseMessage],
];

/** Messages outside the common case: the fast path declines them. */
const DECLINED: Array<[string, ModelInferResponseMessage]> = [
  ['response parameters', { model_name: 'x', model_version: '1', id: '', parameters: { a: { bool_param: true } } }],
  [
    'output parameters',
    {
      model_name: 'x',
      model_version: '1',
      id: '',
      outputs: [{ name: 'o', datatype: 'INT32', shape: [1], parameters: { p: { int64_param: 3 } } }],
    },
  ],
  [
    'typed contents',
    {
      model_name: 'x',
      model_version: '1',
      id: '',
      outputs: [{ name: 'o', datatype: 'INT32', shape: [1], contents: { int_contents: [1] } }],
    },
  ],
  [
    'a negative dim',
    { model_name: 'x', model_version: '1', id: '', outputs: [{ name: 'o', datatype: 'INT32', shape: [-1] }] },
  ],
  [
    'a fractional dim',
    { model_name: 'x', model_version: '1', id: '', outputs: [{ name: 'o', datatype: 'INT32', shape: [1.5] }] },
  ],
];

describe('encodeCommonInferResponse', () => {
  for (const [name, message] of COMMON) {
    test(`writes protobufjs' bytes: ${name}`, () => {
      const ours = encodeCommonInferResponse(message);
      assert.ok(ours, 'the fast path takes it');
      assert.deepEqual(ours, protobufjs(message));
      const back = Response.toObject(Response.decode(ours), { defaults: true, bytes: Array }) as {
        model_name: string;
        outputs: Array<{ name: string; shape: number[] }>;
        raw_output_contents: number[][];
      };
      assert.equal(back.model_name, message.model_name);
      assert.deepEqual(
        back.outputs.map((o) => o.name),
        (message.outputs ?? []).map((o) => o.name),
      );
      assert.deepEqual(
        back.raw_output_contents,
        (message.raw_output_contents ?? []).map((b) => [...b]),
      );
    });
  }

  for (const [name, message] of DECLINED) {
    test(`declines ${name}`, () => {
      assert.equal(encodeCommonInferResponse(message), undefined);
    });
  }
});
