import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfigAgainstModel } from './model-io-check.js';
import { ortConfig } from './ort.test-helper.js';
import type { OnnxModelMetadata } from './ort-types.js';

const meta: OnnxModelMetadata = {
  inputs: [
    { name: 'X', isTensor: true, type: 'float32', shape: ['batch', 'n', 4] },
    { name: 'M', isTensor: true, type: 'bool', shape: ['batch', 2] },
  ],
  outputs: [{ name: 'Y', isTensor: true, type: 'float32', shape: ['batch', 'n'] }],
};

const cfg = (over: { x?: number[]; y?: number[]; maxBatch?: number; inputs?: boolean } = {}) =>
  ortConfig({
    name: 'm',
    maxBatchSize: over.maxBatch ?? 8,
    inputs: [
      ['X', 'TYPE_FP32', over.x ?? [-1, 4]],
      ...(over.inputs === false ? [] : ([['M', 'TYPE_BOOL', [2]]] as const)),
    ],
    outputs: [['Y', 'TYPE_FP32', over.y ?? [-1]]],
  });

describe('checkConfigAgainstModel', () => {
  test('a matching config passes; a fixed config dim where the model is dynamic is fine for inputs', () => {
    checkConfigAgainstModel(cfg(), meta);
    checkConfigAgainstModel(cfg({ x: [7, 4] }), meta);
  });

  test('outputs must match exactly (Triton compares output dims exactly)', () => {
    assert.throws(
      () => checkConfigAgainstModel(cfg({ y: [5] }), meta),
      /output 'Y' has dims \[5\] in config\.pbtxt \(full shape \[-1,5\].*\) but shape \[batch,n\] in model\.onnx \(output dims must match/,
    );
  });

  test('rank differences and missing model inputs are named', () => {
    assert.throws(
      () => checkConfigAgainstModel(cfg({ x: [4] }), meta),
      /input 'X' has dims \[4\] in config\.pbtxt \(full shape \[-1,4\] with the batch dimension/,
    );
    assert.throws(
      () => checkConfigAgainstModel(cfg({ inputs: false }), meta),
      /model\.onnx has input\(s\) 'M' that config\.pbtxt does not list/,
    );
  });

  test('without batching the config holds the full shape', () => {
    const unbatched: OnnxModelMetadata = {
      inputs: [meta.inputs[0]!, { name: 'M', isTensor: true, type: 'bool', shape: [2] }],
      outputs: meta.outputs,
    };
    checkConfigAgainstModel(cfg({ maxBatch: 0, x: [1, -1, 4], y: [-1, -1] }), unbatched);
    assert.throws(
      () => checkConfigAgainstModel(cfg({ maxBatch: 0 }), unbatched),
      /input 'X' has dims \[-1,4\] in config\.pbtxt but shape \[batch,n,4\] in model\.onnx/,
    );
  });

  test('scalar model tensors: only 1s in config dims, and no batching', () => {
    const scalar: OnnxModelMetadata = {
      inputs: [{ name: 'S', isTensor: true, type: 'int64', shape: [] }],
      outputs: [{ name: 'O', isTensor: true, type: 'int64', shape: [] }],
    };
    const c = (dims: number[], maxBatch = 0) =>
      ortConfig({
        name: 's',
        maxBatchSize: maxBatch,
        inputs: [['S', 'TYPE_INT64', dims]],
        outputs: [['O', 'TYPE_INT64', [1]]],
      });
    checkConfigAgainstModel(c([1]), scalar);
    assert.throws(
      () => checkConfigAgainstModel(c([2]), scalar),
      /input 'S' is a scalar in model\.onnx, so its config dims may only hold 1s/,
    );
    assert.throws(
      () => checkConfigAgainstModel(c([1], 4), scalar),
      /input 'S' is a scalar in model\.onnx, so the model cannot batch/,
    );
  });
});
