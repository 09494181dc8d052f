import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reshapeTo } from './reshape.js';
import type { Tensor } from './types.js';

const t = (shape: number[]): Tensor => ({ name: 'X', datatype: 'FP32', shape, data: new Uint8Array(0) });

test('reshapeTo keeps the batch dimension and fills one -1 from the element count', () => {
  const cases: Array<[number[], number[], boolean, number[]]> = [
    [[2, 16], [4, 4], true, [2, 4, 4]],
    [[2, 16], [4, -1], true, [2, 4, 4]],
    [[3, 2, 2], [-1], true, [3, 4]],
    [[16], [2, -1, 2], false, [2, 4, 2]],
    // No elements: the -1 cannot be known and becomes 0, as before the helper existed.
    [[0, 8], [-1, 2], true, [0, 0, 2]],
    [[6], [6], false, [6]],
  ];
  for (const [from, dims, batching, expected] of cases) {
    assert.deepEqual(reshapeTo(t(from), dims, batching).shape, expected, `${from} → ${dims}`);
  }
});
