import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { groupRequests, mergeInputs, splitOutput, type FeedTensor, type MergeableRequest } from './batch-merge.js';

const req = (batch: number, inputs: FeedTensor[]): MergeableRequest => ({ batchSize: batch, inputs });
const f32 = (name: string, shape: number[], values: number[]): FeedTensor => ({
  name,
  datatype: 'FP32',
  shape,
  data: Float32Array.from(values),
});

describe('batch merging', () => {
  test('requests with equal names, datatypes and non-batch dims group together, order kept', () => {
    const a = req(1, [f32('X', [1, 2], [1, 2])]);
    const b = req(2, [f32('X', [2, 3], [1, 2, 3, 4, 5, 6])]);
    const c = req(3, [f32('X', [3, 2], [1, 2, 3, 4, 5, 6])]);
    const d = req(1, [{ name: 'X', datatype: 'FP64', shape: [1, 2], data: Float64Array.from([1, 2]) }]);
    assert.deepEqual(groupRequests([a, b, c, d], true), [[0, 2], [1], [3]]);
    assert.deepEqual(groupRequests([a, c], false), [[0], [1]], 'no merging without batching');
  });

  test('a request whose inputs do not lead with its batch size runs alone', () => {
    const odd = req(2, [f32('X', [1, 2], [1, 2])]);
    assert.deepEqual(
      groupRequests([odd, req(1, [f32('X', [1, 2], [1, 2])]), req(1, [f32('X', [1, 2], [3, 4])])], true),
      [[0], [1, 2]],
    );
  });

  test('inputs concatenate along dim 0; strings and bigints too', () => {
    const merged = mergeInputs([
      req(1, [f32('X', [1, 2], [1, 2]), { name: 'S', datatype: 'BYTES', shape: [1], data: ['a'] }]),
      req(2, [{ name: 'S', datatype: 'BYTES', shape: [2], data: ['b', 'c'] }, f32('X', [2, 2], [3, 4, 5, 6])]),
    ]);
    assert.deepEqual(merged[0]!.shape, [3, 2]);
    assert.deepEqual([...(merged[0]!.data as Float32Array)], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(merged[1], { name: 'S', datatype: 'BYTES', shape: [3], data: ['a', 'b', 'c'] });
    const big = mergeInputs([
      req(1, [{ name: 'I', datatype: 'INT64', shape: [1], data: BigInt64Array.from([1n]) }]),
      req(1, [{ name: 'I', datatype: 'INT64', shape: [1], data: BigInt64Array.from([-2n]) }]),
    ]);
    assert.ok(big[0]!.data instanceof BigInt64Array);
    assert.deepEqual([...(big[0]!.data as BigInt64Array)], [1n, -2n]);
  });

  test('a single request is passed through without a copy', () => {
    const x = f32('X', [1, 2], [1, 2]);
    assert.equal(mergeInputs([req(1, [x])])[0], x);
  });

  test('outputs split back by batch sizes', () => {
    const parts = splitOutput(f32('Y', [3, 2], [1, 2, 3, 4, 5, 6]), [1, 2]);
    assert.deepEqual(
      parts.map((p) => p.shape),
      [
        [1, 2],
        [2, 2],
      ],
    );
    assert.deepEqual(
      parts.map((p) => [...(p.data as Float32Array)]),
      [
        [1, 2],
        [3, 4, 5, 6],
      ],
    );
    const strings = splitOutput({ name: 'S', datatype: 'BYTES', shape: [3], data: ['a', 'b', 'c'] }, [2, 1]);
    assert.deepEqual(
      strings.map((p) => p.data),
      [['a', 'b'], ['c']],
    );
    assert.throws(() => splitOutput(f32('Y', [2, 2], [1, 2, 3, 4]), [1, 2]), /first dimension is not the batch size 3/);
  });
});
