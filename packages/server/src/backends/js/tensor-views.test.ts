import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeElements, encodeBytesElements } from '@tensorgate/protocol';
import { defaultRestartDelayMs } from './js-instance.js';
import { OutputValidator } from './output-validation.js';
import { createInputTensor, encodeOutputTensor, outputSpecs, TRANSFER_THRESHOLD_BYTES } from './tensor-views.js';
import { makeConfig } from './js-backend.test-helper.js';

const config = makeConfig({
  name: 'm',
  maxBatchSize: 4,
  inputs: [],
  outputs: [
    ['F', 'TYPE_FP32', [-1]],
    ['G', 'TYPE_INT32', [2, -1]],
    ['S', 'TYPE_STRING', [2]],
    ['W', 'TYPE_FP32', [-1, -1]],
  ],
});
const specs = outputSpecs(config);

describe('tensor views', () => {
  test('inputs are zero-copy typed views; BYTES inputs are element views with strings()', () => {
    const raw = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    const t = createInputTensor({ name: 'X', datatype: 'FP32', shape: [3], data: raw });
    assert.ok(t.data instanceof Float32Array);
    assert.equal(t.data.buffer, raw.buffer);
    assert.deepEqual(t.toArray(), [1, 2, 3]);
    assert.throws(() => t.strings(), /not BYTES/);
    const b = createInputTensor({ name: 'S', datatype: 'BYTES', shape: [2], data: encodeBytesElements(['a', 'ü']) });
    assert.deepEqual(b.strings(), ['a', 'ü']);
    assert.ok(Array.isArray(b.data) && b.data[1] instanceof Uint8Array);
  });

  test('large whole-buffer outputs are transferred, small or partial ones copied, reuse explained', () => {
    const big = new Float32Array(TRANSFER_THRESHOLD_BYTES / 4);
    const enc = encodeOutputTensor({ name: 'F', data: big }, specs, 1);
    assert.equal(enc.transfer, big.buffer);
    assert.deepEqual(enc.tensor.shape, [1, big.length]);
    assert.throws(() => encodeOutputTensor({ name: 'F', data: big }, specs, 1), /already sent in an earlier response/);

    const small = new Float32Array([1, 2]);
    const encSmall = encodeOutputTensor({ name: 'F', data: small }, specs, 1);
    assert.equal(encSmall.transfer, undefined);
    assert.notEqual(encSmall.tensor.data.buffer, small.buffer);
    const part = new Float32Array(TRANSFER_THRESHOLD_BYTES).subarray(1, 3);
    assert.equal(encodeOutputTensor({ name: 'F', data: part }, specs, 1).transfer, undefined);
  });

  test('default shapes come from the config, one open dim inferred', () => {
    assert.deepEqual(encodeOutputTensor({ name: 'G', data: [1, 2, 3, 4, 5, 6] }, specs, 1).tensor.shape, [1, 2, 3]);
    assert.deepEqual(encodeOutputTensor({ name: 'S', data: ['a', 'b'] }, specs, 1).tensor.shape, [1, 2]);
    assert.throws(() => encodeOutputTensor({ name: 'W', data: [1] }, specs, 1), /give a shape/);
    assert.deepEqual(encodeOutputTensor({ name: 'W', shape: [1, 1, 1], data: [1] }, specs, 1).tensor.shape, [1, 1, 1]);
  });

  test('conversions follow the datatype, with range checks', () => {
    const f = encodeOutputTensor({ name: 'F', data: new Float64Array([0.5]) }, specs, 1);
    assert.deepEqual(decodeElements('FP32', f.tensor.data), [0.5]);
    assert.throws(() => encodeOutputTensor({ name: 'G', data: [2 ** 31] }, specs, 1), /out of range for INT32/);
    assert.throws(
      () => encodeOutputTensor({ name: 'S', data: [1] as unknown as string[] }, specs, 1),
      /expected a string or Uint8Array/,
    );
    assert.throws(
      () => encodeOutputTensor({ name: 'B', datatype: 'BOOL', data: new Uint8Array([2]) }, specs, 1),
      /BOOL bytes must be 0 or 1/,
    );
  });
});

describe('output validation', () => {
  const v = new OutputValidator(config);
  const f32 = (n: number): Uint8Array => new Uint8Array(n * 4);

  test('keeps requested outputs that match the config', () => {
    const out = v.validate(
      [
        { name: 'F', datatype: 'FP32', shape: [2, 3], data: f32(6) },
        { name: 'G', datatype: 'INT32', shape: [2, 2, 1], data: f32(4) },
      ],
      ['G'],
      2,
    );
    assert.deepEqual(
      out.map((t) => t.name),
      ['G'],
    );
  });

  test('rejects mismatches with INTERNAL errors naming the output', () => {
    const bad: Array<[Parameters<OutputValidator['validate']>[0][number], RegExp]> = [
      [{ name: 'F', datatype: 'FP32', shape: [1, 3], data: f32(2) }, /needs 12 byte\(s\) of FP32 but the data has 8/],
      [
        { name: 'F', datatype: 'FP32', shape: [3, 1], data: f32(3) },
        /batch dimension 3 is not the request's batch size 1/,
      ],
      [
        { name: 'G', datatype: 'INT32', shape: [1, 3, 1], data: f32(3) },
        /does not match the config dims \[batch,2,-1\]/,
      ],
      [
        { name: 'S', datatype: 'BYTES', shape: [1, 2], data: new Uint8Array([9, 0, 0, 0, 1]) },
        /BYTES element 0 declares 9 byte/,
      ],
      [
        { name: 'S', datatype: 'BYTES', shape: [1, 2], data: encodeBytesElements(['x']) },
        /has 2 element\(s\) but the data holds 1/,
      ],
      [{ name: 'F', datatype: 'FP32', shape: [1, -1], data: f32(1) }, /must be a list of non-negative integers/],
    ];
    for (const [tensor, re] of bad) {
      assert.throws(
        () => v.validate([tensor], ['F', 'G', 'S'], 1),
        (e: unknown) => {
          assert.ok(e instanceof Error && 'code' in e && e.code === 'INTERNAL');
          assert.match(e.message, /^model 'm' returned an invalid output/);
          assert.match(e.message, re);
          return true;
        },
      );
    }
  });
});

describe('output validation with a config reshape', () => {
  // The model produces [2,2] (reshape.shape); the client sees [4] (dims).
  const base = makeConfig({ name: 'r', maxBatchSize: 2, inputs: [], outputs: [['R', 'TYPE_FP32', [4]]] });
  const reshaped = { ...base, output: base.output.map((o) => ({ ...o, reshape: { shape: [2, 2] } })) };
  const v = new OutputValidator(reshaped);

  test('accepts outputs in the reshape shape with the batch dim', () => {
    assert.equal(
      v.validate([{ name: 'R', datatype: 'FP32', shape: [1, 2, 2], data: new Uint8Array(16) }], ['R'], 1).length,
      1,
    );
  });

  test('rejects outputs whose shape does not match reshape.shape or the batch size', () => {
    const bad: Array<[readonly number[], number, RegExp]> = [
      [[1, 3], 12, /does not match the config dims \[batch,2,2\]/],
      [[2, 2, 2], 32, /batch dimension 2 is not the request's batch size 1/],
      [[], 4, /does not match the config dims/],
    ];
    for (const [shape, bytes, re] of bad) {
      assert.throws(
        () => v.validate([{ name: 'R', datatype: 'FP32', shape, data: new Uint8Array(bytes) }], ['R'], 1),
        re,
      );
    }
  });
});

test('restart delays back off while crashes repeat', () => {
  assert.deepEqual([1, 2, 3, 4].map(defaultRestartDelayMs), [0, 100, 200, 400]);
  assert.equal(defaultRestartDelayMs(50), 30_000);
});
