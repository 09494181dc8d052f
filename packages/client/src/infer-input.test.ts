import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_DATATYPES, type DataType } from '@tensorgate/protocol/datatypes';
import { InferenceServerError } from './errors.js';
import { InferInput } from './infer-input.js';
import { InferResult } from './infer-result.js';

/** One row per datatype: plain values, the expected raw bytes, and what asArray() gives back. */
const ROWS: Array<{ dt: DataType; values: unknown[]; raw: number[]; back: unknown[] }> = [
  { dt: 'BOOL', values: [true, false], raw: [1, 0], back: [true, false] },
  { dt: 'UINT8', values: [0, 255], raw: [0, 255], back: [0, 255] },
  { dt: 'UINT16', values: [1, 65535], raw: [1, 0, 255, 255], back: [1, 65535] },
  { dt: 'UINT32', values: [1, 4294967295], raw: [1, 0, 0, 0, 255, 255, 255, 255], back: [1, 4294967295] },
  { dt: 'UINT64', values: [1n, 2], raw: [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0], back: [1, 2] },
  { dt: 'INT8', values: [-1, 127], raw: [255, 127], back: [-1, 127] },
  { dt: 'INT16', values: [-2, 3], raw: [254, 255, 3, 0], back: [-2, 3] },
  { dt: 'INT32', values: [-1, 2], raw: [255, 255, 255, 255, 2, 0, 0, 0], back: [-1, 2] },
  {
    dt: 'INT64',
    values: [-1n, 3],
    raw: [255, 255, 255, 255, 255, 255, 255, 255, 3, 0, 0, 0, 0, 0, 0, 0],
    back: [-1, 3],
  },
  { dt: 'FP16', values: [1, -2], raw: [0x00, 0x3c, 0x00, 0xc0], back: [1, -2] },
  { dt: 'BF16', values: [1, -2], raw: [0x80, 0x3f, 0x00, 0xc0], back: [1, -2] },
  { dt: 'FP32', values: [1.5, -0.25], raw: [0, 0, 0xc0, 0x3f, 0, 0, 0x80, 0xbe], back: [1.5, -0.25] },
  { dt: 'FP64', values: [1, 2], raw: [0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40], back: [1, 2] },
  { dt: 'BYTES', values: ['a', 'bc'], raw: [1, 0, 0, 0, 97, 2, 0, 0, 0, 98, 99], back: ['a', 'bc'] },
];

const resultOf = (dt: DataType, raw: Uint8Array, shape: number[]): InferResult =>
  new InferResult({
    modelName: 'm',
    modelVersion: '1',
    id: 'i',
    parameters: {},
    outputs: [{ name: 'OUT', datatype: dt, shape, parameters: {}, raw }],
  });

describe('InferInput.setData and InferResult decoding, every datatype', () => {
  test('the table covers every datatype', () => {
    assert.deepEqual(ROWS.map((r) => r.dt).sort(), [...ALL_DATATYPES].sort());
  });
  for (const row of ROWS) {
    test(`${row.dt}: plain values encode to little-endian bytes and decode back`, () => {
      const input = new InferInput('X', [2], row.dt).setData(row.values);
      assert.deepEqual([...input.raw], row.raw);
      const result = resultOf(row.dt, input.raw, [2]);
      assert.deepEqual(result.asArray('OUT'), row.back);
      if (row.dt === 'BYTES') {
        assert.deepEqual(result.asStrings('OUT'), row.back);
        assert.throws(() => result.asTypedArray('OUT'), InferenceServerError);
      } else {
        const typed = result.asTypedArray('OUT');
        assert.equal(typed.length, 2);
        // The datatype's own typed array is sent as is (no copy) and reads back equal.
        const again = new InferInput('X', [2], row.dt).setData(typed);
        assert.equal(again.raw.buffer, typed.buffer);
        assert.deepEqual([...again.raw], row.raw);
      }
    });
  }

  test('other typed arrays are converted element by element', () => {
    const input = new InferInput('X', [3], 'FP16').setData(new Float32Array([1, -2, 0.5]));
    assert.deepEqual(resultOf('FP16', input.raw, [3]).asArray('OUT'), [1, -2, 0.5]);
    const i64 = new InferInput('X', [2], 'INT64').setData(new Int32Array([-5, 7]));
    assert.deepEqual(resultOf('INT64', i64.raw, [2]).asTypedArray('OUT'), new BigInt64Array([-5n, 7n]));
  });

  test('nested arrays are flattened; Uint8Array elements are BYTES elements', () => {
    const input = new InferInput('X', [2, 2], 'INT32').setData([
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual(resultOf('INT32', input.raw, [2, 2]).asTypedArray('OUT'), new Int32Array([1, 2, 3, 4]));
    const bytes = new InferInput('B', [2], 'BYTES').setData([new Uint8Array([0, 255]), 'x']);
    assert.deepEqual(
      resultOf('BYTES', bytes.raw, [2])
        .asBytes('OUT')
        .map((b) => [...b]),
      [[0, 255], [120]],
    );
  });

  test('wrong element counts, values and datatypes are INVALID_ARG errors naming the input', () => {
    const isInvalid = (re: RegExp) => (e: unknown) =>
      e instanceof InferenceServerError && e.code === 'INVALID_ARG' && e.status === undefined && re.test(e.message);
    assert.throws(() => new InferInput('A', [3], 'INT32').setData([1, 2]), isInvalid(/input 'A'.*2 element.*needs 3/));
    assert.throws(() => new InferInput('A', [2], 'BYTES').setData(['x']), isInvalid(/needs 2/));
    assert.throws(() => new InferInput('A', [1], 'UINT8').setData([256]), isInvalid(/out of range/));
    assert.throws(() => new InferInput('A', [1], 'INT32').setData(['1']), isInvalid(/expected an integer/));
    assert.throws(() => new InferInput('A', [1], 'FLOAT'), isInvalid(/unknown datatype 'FLOAT'/));
    assert.throws(() => new InferInput('A', [-1], 'INT32'), isInvalid(/invalid dimension -1/));
    assert.throws(() => new InferInput('A', [1], 'INT32').raw, isInvalid(/no data/));
  });

  test('result accessors: shape, datatype, names, unknown outputs, final flag', () => {
    const r = new InferResult({
      modelName: 'm',
      modelVersion: '2',
      id: 'req',
      parameters: { triton_final_response: false },
      outputs: [
        { name: 'A', datatype: 'INT32', shape: [1, 2], parameters: {}, raw: new Uint8Array(8) },
        { name: 'B', datatype: 'BYTES', shape: [0], parameters: {}, raw: new Uint8Array(0) },
      ],
    });
    assert.deepEqual(r.outputNames, ['A', 'B']);
    assert.deepEqual(r.shape('A'), [1, 2]);
    assert.equal(r.datatype('B'), 'BYTES');
    assert.deepEqual(r.asStrings('B'), []);
    assert.equal(r.final, false);
    assert.equal(r.output('C'), undefined);
    assert.throws(() => r.asTypedArray('C'), /no output 'C' \(outputs: 'A', 'B'\)/);
    assert.throws(() => r.asStrings('A'), /is INT32, not BYTES/);
  });

  test('an unaligned raw output is copied once into an aligned typed array', () => {
    const buf = new Uint8Array(9);
    buf.set([1, 0, 0, 0, 2, 0, 0, 0], 1);
    assert.deepEqual(resultOf('INT32', buf.subarray(1), [2]).asTypedArray('OUT'), new Int32Array([1, 2]));
  });
});
