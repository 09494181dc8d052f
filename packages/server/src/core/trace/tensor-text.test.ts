import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeElements } from '@tensorgate/protocol';
import type { DataType } from '@tensorgate/protocol';
import { MAX_TRACED_ELEMENTS, tensorTraceRecord } from './tensor-text.js';

const tensor = (datatype: DataType, shape: number[], values: unknown[]) => ({
  name: 'x',
  datatype,
  shape,
  data: new Uint8Array(encodeElements(datatype, values)),
});

const dataOf = (record: string): string => (JSON.parse(record) as { tensor: { data: string } }).tensor.data;

describe("tensor trace records (Triton's TENSORS level)", () => {
  test("Triton's record shape: name, data as comma-joined values, shape and dtype as strings", () => {
    assert.deepEqual(JSON.parse(tensorTraceRecord(7, 'TENSOR_QUEUE_INPUT', tensor('FP32', [1, 3], [0.5, -1, 2]))), {
      id: 7,
      activity: 'TENSOR_QUEUE_INPUT',
      tensor: { name: 'x', data: '0.5,-1,2', shape: '1,3', dtype: 'FP32' },
    });
  });

  test('every datatype: integers (64-bit exact), booleans as 0/1, BYTES quoted, FP16/BF16 left empty', () => {
    assert.equal(dataOf(tensorTraceRecord(1, 'a', tensor('INT64', [2], [-(2n ** 62n), 3n]))), '-4611686018427387904,3');
    assert.equal(dataOf(tensorTraceRecord(1, 'a', tensor('UINT8', [2], [255, 0]))), '255,0');
    assert.equal(dataOf(tensorTraceRecord(1, 'a', tensor('INT8', [2], [-128, 5]))), '-128,5');
    assert.equal(dataOf(tensorTraceRecord(1, 'a', tensor('BOOL', [3], [true, false, true]))), '1,0,1');
    assert.equal(dataOf(tensorTraceRecord(1, 'a', tensor('BYTES', [2], ['hi', 'a"b']))), '"hi","a"b"');
    assert.equal(dataOf(tensorTraceRecord(1, 'a', tensor('FP16', [2], [1, 2]))), '');
  });

  test(`a tensor past ${MAX_TRACED_ELEMENTS} elements is cut there, ending with ,...`, () => {
    const n = MAX_TRACED_ELEMENTS + 5;
    const data = dataOf(tensorTraceRecord(1, 'a', tensor('INT32', [n], new Array<number>(n).fill(1))));
    assert.equal(data.split(',').length, MAX_TRACED_ELEMENTS + 1);
    assert.ok(data.endsWith(',1,...'));
  });
});
