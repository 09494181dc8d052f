import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exampleText, MAX_EXAMPLE_ELEMENTS, parseTensorText, resolveShape } from './tensor-form.js';

test('shapes: -1 dims default to 1, typed shapes are checked against fixed dims and the rank', () => {
  assert.deepEqual(resolveShape([-1, 16]), [1, 16]);
  assert.deepEqual(resolveShape([-1, 16], '4, 16'), [4, 16]);
  assert.deepEqual(resolveShape([-1], '[7]'), [7]);
  assert.throws(() => resolveShape([-1, 16], '4, 8'), /dim 1 is 8; the model fixes it at 16/);
  assert.throws(() => resolveShape([-1, 16], '4'), /has 1 dims; the model expects \[-1, 16\]/);
  assert.throws(() => resolveShape([-1], 'two'), /not a list of whole numbers/);
});

test('examples fit the datatype and the shape; large tensors get none', () => {
  assert.equal(exampleText('INT32', [1, 4]), '[0,1,2,3]');
  assert.equal(exampleText('BYTES', [2]), '["hello","hello"]');
  assert.equal(exampleText('BOOL', [1]), '[false]');
  assert.equal(exampleText('FP32', [1, 3, 224, 224]), null);
  assert.notEqual(exampleText('FP32', [MAX_EXAMPLE_ELEMENTS]), null);
});

test('parsing: nested or flat JSON, exact element count, element types and integer ranges', () => {
  assert.deepEqual(parseTensorText('[[1, 2], [3, 4]]', 'INT32', [2, 2]), [1, 2, 3, 4]);
  assert.deepEqual(parseTensorText('0.5', 'FP32', [1]), [0.5]);
  assert.deepEqual(parseTensorText('["a", {"t": 0}]', 'BYTES', [2]), ['a', '{"t":0}']);
  assert.deepEqual(parseTensorText('[true]', 'BOOL', [1]), [true]);
  assert.throws(() => parseTensorText('[1, 2', 'INT32', [2]), /not valid JSON/);
  assert.throws(() => parseTensorText('[1, 2, 3]', 'INT32', [1, 2]), /3 values for shape \[1, 2\], which holds 2/);
  assert.throws(() => parseTensorText('[1.5]', 'INT32', [1]), /element 0 is 1.5; INT32 takes whole numbers/);
  assert.throws(() => parseTensorText('[256]', 'UINT8', [1]), /UINT8 takes whole numbers from 0 to 255/);
  assert.throws(() => parseTensorText('["1"]', 'FP32', [1]), /FP32 elements are finite numbers/);
  assert.throws(() => parseTensorText('[1]', 'BOOL', [1]), /BOOL elements are true or false/);
  assert.throws(() => parseTensorText('[null]', 'BYTES', [1]), /BYTES elements are strings/);
});
