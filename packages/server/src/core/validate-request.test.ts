import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBytesElements, encodeElements } from '@tensorgate/protocol';
import type { ModelConfig } from './config/model-config.js';
import { InferenceError } from './errors.js';
import type { InferRequest, Tensor } from './types.js';
import { validateRequest } from './validate-request.js';

function config(over: Partial<ModelConfig> = {}): ModelConfig {
  const io = { format: 'FORMAT_NONE', is_shape_tensor: false, allow_ragged_batch: false, optional: false };
  return {
    name: 'simple',
    platform: '',
    backend: 'js',
    version_policy: { latest: { num_versions: 1 } },
    max_batch_size: 8,
    input: [
      { name: 'INPUT0', data_type: 'TYPE_INT32', dims: [16], ...io },
      { name: 'INPUT1', data_type: 'TYPE_INT32', dims: [16], ...io },
    ],
    output: [
      { name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [16], label_filename: '', is_shape_tensor: false },
      { name: 'OUTPUT1', data_type: 'TYPE_INT32', dims: [16], label_filename: '', is_shape_tensor: false },
    ],
    instance_group: [],
    default_model_filename: '',
    parameters: {},
    model_transaction_policy: { decoupled: false },
    model_warmup: [],
    ...over,
  };
}

const int32 = (name: string, shape: number[], n = shape.reduce((a, b) => a * b, 1)): Tensor => ({
  name,
  datatype: 'INT32',
  shape,
  data: encodeElements(
    'INT32',
    Array.from({ length: n }, (_, i) => i),
  ),
});

function req(inputs: Tensor[], over: Partial<InferRequest> = {}): InferRequest {
  return { modelName: 'simple', modelVersion: '', id: '', inputs, outputs: [], parameters: {}, ...over };
}

function rejects(r: InferRequest, re: RegExp, cfg = config()): void {
  assert.throws(
    () => validateRequest(r, cfg),
    (e) => {
      assert.ok(e instanceof InferenceError);
      assert.equal(e.code, 'INVALID_ARG');
      assert.match(e.message, re);
      return true;
    },
  );
}

describe('validateRequest', () => {
  test('accepts a good batched request and resolves all outputs', () => {
    const v = validateRequest(req([int32('INPUT0', [2, 16]), int32('INPUT1', [2, 16])]), config());
    assert.equal(v.batchSize, 2);
    assert.deepEqual(v.requestedOutputs, ['OUTPUT0', 'OUTPUT1']);
  });

  const cases: Array<[string, InferRequest, RegExp]> = [
    [
      'unknown input',
      req([int32('INPUT0', [1, 16]), int32('NOPE', [1, 16])]),
      /unexpected inference input 'NOPE' for model 'simple'/,
    ],
    ['missing input', req([int32('INPUT0', [1, 16])]), /missing required input\(s\) \['INPUT1'\]/],
    ['duplicate input', req([int32('INPUT0', [1, 16]), int32('INPUT0', [1, 16])]), /appears more than once/],
    [
      'wrong datatype',
      req([{ ...int32('INPUT0', [1, 16]), datatype: 'FP32' }, int32('INPUT1', [1, 16])]),
      /data-type is 'FP32', but model 'simple' expects 'INT32'/,
    ],
    ['wrong shape', req([int32('INPUT0', [1, 15]), int32('INPUT1', [1, 16])]), /Expected \[-1,16\], got \[1,15\]/],
    ['missing batch dim', req([int32('INPUT0', [16]), int32('INPUT1', [16])]), /Expected \[-1,16\], got \[16\]/],
    ['batch too large', req([int32('INPUT0', [9, 16]), int32('INPUT1', [9, 16])]), /batch-size must be <= 8/],
    [
      'batch zero',
      req([int32('INPUT0', [0, 16]), int32('INPUT1', [0, 16])]),
      /batch-size must be <= 8 for 'simple' and >= 1/,
    ],
    ['unequal batch', req([int32('INPUT0', [1, 16]), int32('INPUT1', [2, 16])]), /equal batch size/],
    ['byte size', req([int32('INPUT0', [1, 16], 15), int32('INPUT1', [1, 16])]), /Expected 64, got 60/],
    [
      'negative dim',
      req([int32('INPUT0', [-1, 16], 16), int32('INPUT1', [1, 16])]),
      /dims must be non-negative integers/,
    ],
    [
      'unknown output',
      req([int32('INPUT0', [1, 16]), int32('INPUT1', [1, 16])], { outputs: [{ name: 'X', parameters: {} }] }),
      /unexpected inference output 'X'/,
    ],
    [
      'bad priority',
      req([int32('INPUT0', [1, 16]), int32('INPUT1', [1, 16])], { parameters: { priority: -1 } }),
      /'priority'.*integer >= 0/,
    ],
    [
      'bad classification',
      req([int32('INPUT0', [1, 16]), int32('INPUT1', [1, 16])], {
        outputs: [{ name: 'OUTPUT0', parameters: { classification: 0 } }],
      }),
      /positive integer/,
    ],
  ];
  for (const [name, r, re] of cases) test(`rejects: ${name}`, () => rejects(r, re));

  test('non-batching models match dims exactly, -1 is a wildcard', () => {
    const cfg = config({
      max_batch_size: 0,
      input: [{ ...config().input[0]!, dims: [-1] }],
      output: [config().output[0]!],
    });
    assert.equal(validateRequest(req([int32('INPUT0', [5])]), cfg).batchSize, 1);
    rejects(req([int32('INPUT0', [1, 5])]), /Expected \[-1\], got \[1,5\]/, cfg);
  });

  test('BYTES inputs count framed elements', () => {
    const cfg = config({
      max_batch_size: 0,
      input: [{ ...config().input[0]!, data_type: 'TYPE_STRING', dims: [2] }],
      output: [config().output[0]!],
    });
    const t = (data: Uint8Array): Tensor => ({ name: 'INPUT0', datatype: 'BYTES', shape: [2], data });
    assert.equal(validateRequest(req([t(encodeBytesElements(['a', 'b']))]), cfg).batchSize, 1);
    rejects(req([t(encodeBytesElements(['a']))]), /expected 2 string elements/, cfg);
    rejects(req([t(new Uint8Array([9, 0, 0, 0, 1]))]), /malformed BYTES data/, cfg);
  });

  test('optional inputs may be omitted; reshape changes the shape the model sees', () => {
    const cfg = config({
      input: [
        { ...config().input[0]!, reshape: { shape: [4, 4] } },
        { ...config().input[1]!, optional: true },
      ],
    });
    const v = validateRequest(req([int32('INPUT0', [3, 16])]), cfg);
    assert.deepEqual(v.inputs[0]!.shape, [3, 4, 4]);
  });
});
