import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelInputConfig } from '../config/model-config.js';
import type { Tensor } from '../types.js';
import { batchSignature } from './batch-signature.js';

const input = (name: string, dims: number[], extra: Partial<ModelInputConfig> = {}): ModelInputConfig => ({
  name,
  data_type: 'TYPE_INT32',
  format: 'FORMAT_NONE',
  dims,
  is_shape_tensor: false,
  allow_ragged_batch: false,
  optional: false,
  ...extra,
});
const t = (name: string, shape: number[], data: number[] = []): Tensor => ({
  name,
  datatype: 'INT32',
  shape,
  data: new Uint8Array(new Int32Array(data).buffer),
});

describe('batchSignature', () => {
  test('fixed dims only: every request batches with every other, no check at all', () => {
    assert.equal(batchSignature({ max_batch_size: 8, input: [input('A', [4]), input('B', [2, 2])] }), undefined);
  });

  test('a variable dim: requests batch only with equal non-batch shapes', () => {
    const sig = batchSignature({ max_batch_size: 8, input: [input('A', [-1]), input('B', [2])] })!;
    assert.equal(sig([t('A', [1, 5]), t('B', [1, 2])]), sig([t('B', [3, 2]), t('A', [4, 5])]));
    assert.notEqual(sig([t('A', [1, 5]), t('B', [1, 2])]), sig([t('A', [1, 6]), t('B', [1, 2])]));
  });

  test('allow_ragged_batch lifts the shape check', () => {
    assert.equal(
      batchSignature({ max_batch_size: 8, input: [input('A', [-1], { allow_ragged_batch: true })] }),
      undefined,
    );
  });

  test('with optional inputs, requests batch only with the same set of inputs', () => {
    const sig = batchSignature({ max_batch_size: 8, input: [input('A', [2]), input('B', [2], { optional: true })] })!;
    assert.equal(sig([t('A', [1, 2])]), sig([t('A', [3, 2])]));
    assert.notEqual(sig([t('A', [1, 2])]), sig([t('A', [1, 2]), t('B', [1, 2])]));
  });

  test('shape tensors must also hold equal values', () => {
    const sig = batchSignature({ max_batch_size: 8, input: [input('S', [2], { is_shape_tensor: true })] })!;
    assert.equal(sig([t('S', [1, 2], [3, 4])]), sig([t('S', [1, 2], [3, 4])]));
    assert.notEqual(sig([t('S', [1, 2], [3, 4])]), sig([t('S', [1, 2], [3, 5])]));
  });
});
