import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBytesElements } from '@tensorgate/protocol';
import type { ModelConfig } from '../../core/config/model-config.js';
import { InferenceError } from '../../core/errors.js';
import { decodeRawBinaryRequest } from './raw-binary-request.js';

const target = { modelName: 'm', modelVersion: '' };
const cfg = (maxBatch: number, inputs: Array<{ name: string; data_type: string; dims: number[] }>) =>
  ({ name: 'm', max_batch_size: maxBatch, input: inputs }) as unknown as ModelConfig;

test('deduces the one variable dimension and adds a batch of 1 for batching models', () => {
  const body = new Uint8Array(24);
  const d = decodeRawBinaryRequest(body, cfg(8, [{ name: 'X', data_type: 'TYPE_FP32', dims: [-1, 2] }]), target);
  const x = d.request.inputs[0]!;
  assert.deepEqual([x.name, x.datatype, x.shape], ['X', 'FP32', [1, 3, 2]]);
  assert.equal(x.data, body);
  assert.equal(d.outputEncoding.defaultBinary, true);
  assert.deepEqual(d.request.outputs, []);
});

test('fixed shapes must match exactly; BYTES must be one element', () => {
  const fixed = decodeRawBinaryRequest(
    new Uint8Array(8),
    cfg(0, [{ name: 'X', data_type: 'TYPE_INT32', dims: [2] }]),
    target,
  );
  assert.deepEqual(fixed.request.inputs[0]!.shape, [2]);
  const bytes = decodeRawBinaryRequest(
    encodeBytesElements(['hi']),
    cfg(0, [{ name: 'S', data_type: 'TYPE_STRING', dims: [1] }]),
    target,
  );
  assert.deepEqual(bytes.request.inputs[0]!.shape, [1]);
  assert.equal(bytes.request.inputs[0]!.datatype, 'BYTES');
});

test('models that do not qualify and sizes that do not fit are INVALID_ARG', () => {
  const cases: Array<[ModelConfig, Uint8Array, string]> = [
    [cfg(0, []), new Uint8Array(4), 'exactly 1 input'],
    [cfg(0, [{ name: 'X', data_type: 'TYPE_FP32', dims: [-1, -1] }]), new Uint8Array(4), '2 variable dimensions'],
    [cfg(0, [{ name: 'X', data_type: 'TYPE_FP32', dims: [-1, 3] }]), new Uint8Array(8), 'whole number of 12-byte rows'],
    [cfg(0, [{ name: 'X', data_type: 'TYPE_FP32', dims: [3] }]), new Uint8Array(8), 'needs 12 byte(s)'],
    [
      cfg(0, [{ name: 'S', data_type: 'TYPE_STRING', dims: [1] }]),
      encodeBytesElements(['a', 'b']),
      'exactly one element',
    ],
    [cfg(0, [{ name: 'S', data_type: 'TYPE_STRING', dims: [1] }]), Uint8Array.of(9, 0, 0, 0), 'malformed BYTES'],
  ];
  for (const [config, body, substring] of cases) {
    assert.throws(
      () => decodeRawBinaryRequest(body, config, target),
      (e: unknown) => {
        assert.ok(e instanceof InferenceError);
        assert.equal(e.code, 'INVALID_ARG');
        assert.ok(e.message.includes(substring), `'${e.message}' lacks '${substring}'`);
        return true;
      },
    );
  }
});
