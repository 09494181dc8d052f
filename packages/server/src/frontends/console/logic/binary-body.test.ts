import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitInferBody } from '../../http/binary-extension.js';
import { binaryInferBody, bytesElement, imageInputLayout, imageToTensor, tensorBytes } from './binary-body.js';

test("a BYTES element and a body the server's binary-extension parser reads back", () => {
  const element = bytesElement(new Uint8Array([7, 8, 9]));
  assert.deepEqual([...element], [3, 0, 0, 0, 7, 8, 9]);
  const floats = tensorBytes(new Float32Array([1.5, -2]));
  const header = {
    inputs: [
      { name: 'IMAGE', shape: [1, 1], datatype: 'BYTES', parameters: { binary_data_size: element.length } },
      { name: 'X', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: floats.length } },
    ],
  };
  const { body, headerLength } = binaryInferBody(header, [element, floats]);
  const parsed = splitInferBody(body, headerLength);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(parsed.json)), header);
  assert.deepEqual([...parsed.binary], [...element, ...floats]);
});

test('image layouts from the shape and the config format', () => {
  assert.deepEqual(imageInputLayout([3, 224, 224]), { layout: 'NCHW', channels: 3, height: 224, width: 224 });
  assert.deepEqual(imageInputLayout([32, 48, 3]), { layout: 'NHWC', channels: 3, height: 32, width: 48 });
  assert.deepEqual(imageInputLayout([3, 3, 3], 'FORMAT_NHWC'), { layout: 'NHWC', channels: 3, height: 3, width: 3 });
  assert.equal(imageInputLayout([16]), null);
  assert.equal(imageInputLayout([5, 10, 10]), null);
});

test('RGBA pixels become NCHW / NHWC tensors, scaled as asked', () => {
  // Two pixels: (0, 127.5-ish, 255) and (255, 0, 51).
  const rgba = new Uint8Array([0, 127, 255, 255, 255, 0, 51, 255]);
  const nchw = imageToTensor(rgba, { layout: 'NCHW', channels: 3, height: 1, width: 2 }, 'FP32', 'none');
  assert.deepEqual([...nchw], [0, 255, 127, 0, 255, 51]);
  const nhwc = imageToTensor(rgba, { layout: 'NHWC', channels: 3, height: 1, width: 2 }, 'UINT8', 'inception');
  assert.deepEqual([...nhwc], [0, 127, 255, 255, 0, 51]);
  const inception = imageToTensor(rgba, { layout: 'NCHW', channels: 3, height: 1, width: 2 }, 'FP32', 'inception');
  assert.deepEqual([...inception].slice(0, 2), [-1, 1]);
  const unit = imageToTensor(rgba, { layout: 'NCHW', channels: 3, height: 1, width: 2 }, 'FP32', 'unit');
  assert.equal(unit[5], Math.fround(51 / 255));
  const grey = imageToTensor(rgba, { layout: 'NCHW', channels: 1, height: 1, width: 2 }, 'FP32');
  assert.deepEqual([...grey], [Math.fround(382 / 3), 102]);
  assert.throws(
    () => imageToTensor(rgba, { layout: 'NCHW', channels: 3, height: 2, width: 2 }, 'FP32'),
    /expected 16 RGBA bytes/,
  );
});
