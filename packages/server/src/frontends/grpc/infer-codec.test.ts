import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALL_DATATYPES,
  decodeElements,
  encodeElements,
  loadProtoRoot,
  type DataType,
  type ModelInferRequestMessage,
  type ModelInferResponseMessage,
} from '@tensorgate/protocol';
import { InferenceError } from '../../core/errors.js';
import type { InferResponse } from '../../core/types.js';
import { decodeInferRequest, emptyFinalRequested, encodeInferResponse } from './infer-codec.js';
import { decodeParameters, encodeParameters } from './infer-parameters.js';
import { CONTENTS_FIELD_OF, contentsToRaw } from './tensor-contents.js';

const root = loadProtoRoot();
const RequestType = root.lookupType('inference.ModelInferRequest');
const ResponseType = root.lookupType('inference.ModelInferResponse');

/** Sample values per datatype, including each type's extremes. */
const SAMPLES: Record<DataType, unknown[]> = {
  BOOL: [true, false, true],
  UINT8: [0, 255, 7],
  UINT16: [0, 65535, 3],
  UINT32: [0, 4294967295, 9],
  UINT64: [0, 2 ** 53 - 1, 5],
  INT8: [-128, 127, 0],
  INT16: [-32768, 32767, 1],
  INT32: [-2147483648, 2147483647, 2],
  INT64: [-(2 ** 53 - 1), 2 ** 53 - 1, 0],
  FP16: [1.5, -2, 0.25],
  BF16: [1, -2, 0.5],
  FP32: [1.5, -2.25, 3],
  FP64: [Math.PI, -1e300, 0],
  BYTES: ['a', '', 'héllo'],
};

/** What decodeElements returns for SAMPLES (BYTES come back as strings). */
const expected = (dt: DataType): unknown[] => SAMPLES[dt];

/** Encodes then decodes a request through protobufjs, as grpc-js would hand it to the handler. */
function wire(msg: object): ModelInferRequestMessage {
  return RequestType.decode(
    RequestType.encode(RequestType.fromObject(msg)).finish(),
  ) as unknown as ModelInferRequestMessage;
}

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InferenceError, String(e));
    return `${e.code}: ${e.message}`;
  }
  return 'no error';
};

describe('decodeInferRequest: raw_input_contents', () => {
  for (const dt of ALL_DATATYPES) {
    test(`${dt} raw bytes pass through unchanged and zero-copy`, () => {
      const bytes = encodeElements(dt, SAMPLES[dt]);
      const msg = wire({
        model_name: 'm',
        inputs: [{ name: 'X', datatype: dt, shape: [3] }],
        raw_input_contents: [bytes],
      });
      const req = decodeInferRequest(msg);
      const t = req.inputs[0]!;
      assert.equal(t.datatype, dt);
      assert.deepEqual(t.shape, [3]);
      assert.equal(t.data, msg.raw_input_contents![0], 'the tensor data is the decoded view itself');
      assert.deepEqual(Buffer.from(t.data), Buffer.from(bytes));
      assert.deepEqual(decodeElements(dt, t.data), expected(dt));
    });
  }
});

describe('decodeInferRequest: typed contents', () => {
  for (const dt of ALL_DATATYPES) {
    const field = CONTENTS_FIELD_OF[dt];
    if (field === undefined) {
      test(`${dt} has no contents field and is rejected with a clear message`, () => {
        const msg = wire({
          model_name: 'm',
          inputs: [{ name: 'X', datatype: dt, shape: [3], contents: { fp32_contents: [1, 2, 3] } }],
        });
        assert.match(
          codeOf(() => decodeInferRequest(msg)),
          /^INVALID_ARG: .*X.*raw_input_contents/,
        );
      });
      continue;
    }
    test(`${dt} via ${field} converts to the same raw bytes as the codec`, () => {
      const values = dt === 'BYTES' ? (SAMPLES.BYTES as string[]).map((s) => Buffer.from(s)) : SAMPLES[dt];
      const msg = wire({
        model_name: 'm',
        inputs: [{ name: 'X', datatype: dt, shape: [3], contents: { [field]: values } }],
      });
      const data = decodeInferRequest(msg).inputs[0]!.data;
      assert.deepEqual(Buffer.from(data), Buffer.from(encodeElements(dt, SAMPLES[dt])));
      assert.deepEqual(decodeElements(dt, data), expected(dt));
      assert.deepEqual(decodeElements(dt, contentsToRaw(dt, [3], { [field]: values }, 'x')), expected(dt));
    });
  }

  test('contents of another datatype are rejected', () => {
    const msg = wire({
      model_name: 'm',
      inputs: [{ name: 'X', datatype: 'INT32', shape: [2], contents: { fp32_contents: [1, 2] } }],
    });
    assert.match(
      codeOf(() => decodeInferRequest(msg)),
      /^INVALID_ARG: .*'X'.*fp32_contents.*int_contents/,
    );
  });

  test('element count must match the shape', () => {
    const msg = wire({
      model_name: 'm',
      inputs: [{ name: 'X', datatype: 'INT32', shape: [2, 2], contents: { int_contents: [1, 2, 3] } }],
    });
    assert.match(
      codeOf(() => decodeInferRequest(msg)),
      /^INVALID_ARG: .*3 element.*\[2,2\].*4/,
    );
  });

  test('out-of-range values are rejected with the codec message', () => {
    const msg = wire({
      model_name: 'm',
      inputs: [{ name: 'X', datatype: 'UINT8', shape: [1], contents: { uint_contents: [300] } }],
    });
    assert.match(
      codeOf(() => decodeInferRequest(msg)),
      /^INVALID_ARG: input 'X'.*300 is out of range for UINT8/,
    );
  });
});

describe('decodeInferRequest: malformed requests', () => {
  const input = (name: string, extra: object = {}) => ({ name, datatype: 'INT32', shape: [1], ...extra });
  const one = encodeElements('INT32', [1]);
  const cases: Array<[string, object, RegExp]> = [
    [
      'raw and contents mixed',
      {
        model_name: 'm',
        inputs: [input('A'), input('B', { contents: { int_contents: [1] } })],
        raw_input_contents: [one, one],
      },
      /'B'.*contents.*raw_input_contents/,
    ],
    ['no data at all', { model_name: 'm', inputs: [input('A')] }, /'A'.*no data/],
    [
      'raw count mismatch',
      { model_name: 'm', inputs: [input('A'), input('B')], raw_input_contents: [one] },
      /2 input\(s\) but 1 raw_input_contents/,
    ],
    [
      'unknown datatype',
      { model_name: 'm', inputs: [{ name: 'A', datatype: 'FLOAT', shape: [1] }], raw_input_contents: [one] },
      /invalid datatype 'FLOAT'/,
    ],
    [
      'reserved triton_ parameter',
      { model_name: 'm', inputs: [], parameters: { triton_foo: { bool_param: true } } },
      /reserved/,
    ],
    [
      'non-bool empty-final flag',
      { model_name: 'm', inputs: [], parameters: { triton_enable_empty_final_response: { int64_param: 1 } } },
      /expected bool_param/,
    ],
    ['parameter without value', { model_name: 'm', inputs: [], parameters: { p: {} } }, /'p'.*no value/],
  ];
  for (const [name, msg, re] of cases) {
    test(name, () => {
      const result = codeOf(() => decodeInferRequest(wire(msg)));
      assert.match(result, /^INVALID_ARG: /);
      assert.match(result, re);
    });
  }

  test('a zero-element input needs no data', () => {
    const req = decodeInferRequest(wire({ model_name: 'm', inputs: [{ name: 'A', datatype: 'FP32', shape: [0, 4] }] }));
    assert.equal(req.inputs[0]!.data.byteLength, 0);
  });
});

describe('decodeInferRequest: metadata and parameters', () => {
  test('names, version, id, outputs and every parameter kind', () => {
    const msg = wire({
      model_name: 'm',
      model_version: '3',
      id: 'req-1',
      parameters: {
        b: { bool_param: false },
        i: { int64_param: -7 },
        s: { string_param: 'x' },
        d: { double_param: 0.5 },
        u: { uint64_param: 42 },
        triton_enable_empty_final_response: { bool_param: true },
      },
      inputs: [{ name: 'A', datatype: 'INT32', shape: [1], parameters: { tp: { string_param: 'v' } } }],
      outputs: [{ name: 'O', parameters: { classification: { int64_param: 2 } } }],
      raw_input_contents: [encodeElements('INT32', [5])],
    });
    const req = decodeInferRequest(msg);
    assert.equal(req.modelName, 'm');
    assert.equal(req.modelVersion, '3');
    assert.equal(req.id, 'req-1');
    assert.deepEqual(req.parameters, { b: false, i: -7, s: 'x', d: 0.5, u: 42 });
    assert.deepEqual(req.inputs[0]!.parameters, { tp: 'v' });
    assert.deepEqual(req.outputs, [{ name: 'O', parameters: { classification: 2 } }]);
    assert.equal(emptyFinalRequested(msg), true);
    assert.equal(emptyFinalRequested(wire({ model_name: 'm', inputs: [] })), false);
  });

  test("parameters named like Object.prototype members are kept ('__proto__' was dropped silently)", () => {
    const msg = wire({
      model_name: 'm',
      parameters: { __proto__x: { string_param: 'p' }, constructor: { int64_param: 1 } },
      inputs: [{ name: 'A', datatype: 'INT32', shape: [0], parameters: { toString: { bool_param: true } } }],
    });
    // protobufjs' fromObject cannot take a '__proto__' key from a literal; rename it after decoding.
    const params = msg.parameters as Record<string, unknown>;
    Object.defineProperty(params, '__proto__', { value: params['__proto__x'], enumerable: true, configurable: true });
    delete params['__proto__x'];
    const req = decodeInferRequest(msg);
    assert.deepEqual(Object.keys(req.parameters).sort(), ['__proto__', 'constructor']);
    assert.equal(Object.getPrototypeOf(req.parameters), Object.prototype);
    assert.equal(req.parameters['__proto__' as string], 'p');
    assert.deepEqual(Object.keys(req.inputs[0]!.parameters ?? {}), ['toString']);
  });

  test('a parameter map entry without its value is INVALID_ARG, not a TypeError', () => {
    // Regression: protobufjs decodes `parameters { key: "" }` (an entry with no value field) as
    // null, and reading its oneof threw "Cannot read properties of null".
    const type = root.lookupType('inference.ModelInferRequest');
    const bytes = Buffer.from([10, 1, 0x6d, 0x22, 0x03, 0x0a, 0x01, 0x70]); // model_name "m", parameters { key: "p" }
    const msg = type.decode(bytes) as unknown as ModelInferRequestMessage;
    assert.equal((msg.parameters as Record<string, unknown>)['p'], null);
    assert.throws(
      () => decodeInferRequest(msg),
      (e: unknown) =>
        e instanceof InferenceError &&
        e.code === 'INVALID_ARG' &&
        /parameter 'p' of request has no value/.test(e.message),
    );
  });

  test('parameters round-trip through encode and decode', () => {
    const params = { b: true, f: false, i: -9, big: 2 ** 53 - 1, d: 1.25, s: 'héllo', e: '' };
    const encoded = encodeParameters(params);
    const type = root.lookupType('inference.ModelInferResponse');
    const back = type.decode(type.encode({ parameters: encoded }).finish()) as unknown as ModelInferResponseMessage;
    assert.deepEqual(decodeParameters(back.parameters, 'response'), params);
    assert.deepEqual(encoded['d'], { double_param: 1.25 });
    assert.deepEqual(encoded['i'], { int64_param: -9 });
  });
});

describe('encodeInferResponse', () => {
  test('outputs go to raw_output_contents, in order, with empty contents', () => {
    const response: InferResponse = {
      modelName: 'm',
      modelVersion: '1',
      id: 'abc',
      final: true,
      parameters: { sequence_end: true },
      outputs: ALL_DATATYPES.map((dt) => ({
        name: `OUT_${dt}`,
        datatype: dt,
        shape: [3],
        data: encodeElements(dt, SAMPLES[dt]),
      })),
    };
    const bytes = ResponseType.encode(encodeInferResponse(response)).finish();
    const back = ResponseType.decode(bytes) as unknown as ModelInferResponseMessage;
    assert.equal(back.model_name, 'm');
    assert.equal(back.model_version, '1');
    assert.equal(back.id, 'abc');
    assert.equal(back.parameters!['sequence_end']!.bool_param, true);
    assert.equal(back.outputs!.length, ALL_DATATYPES.length);
    ALL_DATATYPES.forEach((dt, i) => {
      const out = back.outputs![i]!;
      assert.equal(out.name, `OUT_${dt}`);
      assert.equal(out.datatype, dt);
      assert.deepEqual(out.shape, [3]);
      assert.equal(out.contents, null);
      assert.deepEqual(decodeElements(dt, back.raw_output_contents![i]!), expected(dt));
    });
  });
});
