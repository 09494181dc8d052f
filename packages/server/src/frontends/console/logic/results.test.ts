import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imagePixels, outputImage, parseClassification, summarize } from './results.js';

test('classification strings become rows; anything else is not a classification', () => {
  assert.deepEqual(parseClassification(['0.75:12:class_0012', '0.25:3']), [
    { score: 0.75, index: 12, label: 'class_0012' },
    { score: 0.25, index: 3, label: '' },
  ]);
  assert.deepEqual(parseClassification(['1e-3:0:a:b']), [{ score: 0.001, index: 0, label: 'a:b' }]);
  assert.equal(parseClassification(['hello']), null);
  assert.equal(parseClassification([1, 2]), null);
  assert.equal(parseClassification([]), null);
});

test('summaries of numeric outputs', () => {
  assert.deepEqual(summarize([1, 5, -2]), { count: 3, min: -2, max: 5, mean: 4 / 3, argmax: 1 });
  assert.equal(summarize(['a']), null);
  assert.equal(summarize([]), null);
});

test('image outputs: shapes that are images, pixels stretched to 0..255', () => {
  assert.deepEqual(outputImage('FP32', [1, 3, 8, 8]), { layout: 'NCHW', channels: 3, height: 8, width: 8 });
  assert.deepEqual(outputImage('UINT8', [16, 16, 1]), { layout: 'NHWC', channels: 1, height: 16, width: 16 });
  assert.equal(outputImage('FP32', [3, 4, 4]), null);
  assert.equal(outputImage('BYTES', [3, 8, 8]), null);
  assert.equal(outputImage('FP32', [1000]), null);
  const px = imagePixels([-1, 1], { layout: 'NHWC', channels: 1, height: 1, width: 2 });
  assert.deepEqual([...px], [0, 0, 0, 255, 255, 255, 255, 255]);
});
