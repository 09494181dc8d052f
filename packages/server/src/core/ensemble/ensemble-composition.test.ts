import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelConfig } from '../config/model-config.js';
import { InferenceError } from '../errors.js';
import { validateComposition } from './ensemble-composition.js';
import { ensembleSteps } from './ensemble-steps.js';
import { config, modelConfig } from './ensemble.test-helper.js';

/** A composing model: `inputs` / `outputs` as `name:TYPE:dims` (dims comma-separated). */
function model(name: string, maxBatch: number, inputs: string[], outputs: string[], extra = ''): ModelConfig {
  const tensor = (spec: string): string => {
    const [n, type, dims, optional] = spec.split(':');
    return `{ name: "${n}" data_type: TYPE_${type} dims: [ ${dims} ]${optional ? ' optional: true' : ''} }`;
  };
  return modelConfig(
    name,
    `max_batch_size: ${maxBatch}\ninput [ ${inputs.map(tensor).join(', ')} ]\noutput [ ${outputs.map(tensor).join(', ')} ]`,
    extra,
  );
}

/** Validates ensemble `name` (inputs/outputs like {@link model}, steps as pbtxt) against `models`. */
function check(
  name: string,
  maxBatch: number,
  inputs: string[],
  outputs: string[],
  steps: string,
  models: ModelConfig[],
): { decoupled: boolean } {
  const e = model(name, maxBatch, inputs, outputs);
  const text = `name: "${name}"\nplatform: "ensemble"\nmax_batch_size: ${maxBatch}\n${[
    `input [ ${e.input.map((i) => `{ name: "${i.name}" data_type: ${i.data_type} dims: [ ${i.dims.join(', ')} ] }`).join(', ')} ]`,
    `output [ ${e.output.map((o) => `{ name: "${o.name}" data_type: ${o.data_type} dims: [ ${o.dims.join(', ')} ] }`).join(', ')} ]`,
  ].join('\n')}\nensemble_scheduling { step [ ${steps} ] }`;
  const cfg = config(text);
  const byName = new Map(models.map((m) => [m.name, m]));
  return validateComposition(cfg, ensembleSteps(cfg), (n) => byName.get(n));
}

function failure(...args: Parameters<typeof check>): string {
  try {
    check(...args);
  } catch (e) {
    assert.ok(e instanceof InferenceError && e.code === 'INVALID_ARG', String(e));
    return e.message;
  }
  throw new Error('accepted');
}

const s = (m: string, inputs: Record<string, string>, outputs: Record<string, string>): string =>
  `{ model_name: "${m}" model_version: -1 ${Object.entries(inputs)
    .map(([k, v]) => `input_map { key: "${k}" value: "${v}" }`)
    .join(' ')} ${Object.entries(outputs)
    .map(([k, v]) => `output_map { key: "${k}" value: "${v}" }`)
    .join(' ')} }`;

const fp32x16 = (n: string, b = 4): ModelConfig => model(n, b, ['X:FP32:16'], ['Y:FP32:16']);

describe('validateComposition: Triton messages', () => {
  test('datatype and shape must agree across connected tensors', () => {
    assert.equal(
      failure(
        'inconsistent_data_type',
        4,
        ['data:FP32:16'],
        ['prob:INT32:16'],
        s('int32', { X: 'data' }, { Y: 'prob' }),
        [model('int32', 4, ['X:INT32:16'], ['Y:INT32:16'])],
      ),
      'in ensemble inconsistent_data_type, ensemble tensor data: inconsistent data type: TYPE_FP32 is inferred from model inconsistent_data_type while TYPE_INT32 is inferred from model int32',
    );
    assert.equal(
      failure(
        'inconsistent_shape',
        4,
        ['data:FP32:16'],
        ['prob:FP32:16,16,16'],
        `${s('fp32_dim1_batch4', { X: 'data' }, { Y: 'temp_tensor' })}, ${s('fp32_dim3_batch4', { X: 'temp_tensor' }, { Y: 'prob' })}`,
        [fp32x16('fp32_dim1_batch4'), model('fp32_dim3_batch4', 4, ['X:FP32:16,16,16'], ['Y:FP32:16,16,16'])],
      ),
      'in ensemble inconsistent_shape, ensemble tensor temp_tensor: inconsistent shape: [-1,16] is inferred from model fp32_dim1_batch4 while [-1,16,16,16] is inferred from model fp32_dim3_batch4',
    );
  });

  test('a batching model with [d] and a non-batching one with [-1, d] may share a tensor', () => {
    const r = check(
      'mixed',
      4,
      ['IN:FP32:16'],
      ['OUT:FP32:-1,16'],
      `${s('b', { X: 'IN' }, { Y: 't' })}, ${s('nb', { X: 't' }, { Y: 'OUT' })}`,
      [fp32x16('b'), model('nb', 0, ['X:FP32:-1,16'], ['Y:FP32:-1,16'])],
    );
    assert.equal(r.decoupled, false);
  });

  test('batch sizes: a composing model must allow the ensemble max_batch_size', () => {
    assert.equal(
      failure(
        'invalid_batch_size',
        3,
        ['IN:FP32:16'],
        ['OUT:FP32:16'],
        s('fp32_dim1_batch2', { X: 'IN' }, { Y: 'OUT' }),
        [fp32x16('fp32_dim1_batch2', 2)],
      ),
      'ensemble invalid_batch_size allows maximum batch size 3, but it contains model fp32_dim1_batch2 which only allows maximum batch size to be 2',
    );
  });

  test('maps name real inputs and outputs; every required input is mapped', () => {
    assert.equal(
      failure(
        'invalid_input_map',
        4,
        ['IN:FP32:16'],
        ['OUT:FP32:16'],
        s('m', { X: 'IN', invalid_input: 'IN' }, { Y: 'OUT' }),
        [fp32x16('m')],
      ),
      'in ensemble invalid_input_map, ensemble tensor IN is mapping to non-existing input invalid_input in model m',
    );
    assert.equal(
      failure(
        'invalid_output_map',
        4,
        ['IN:FP32:16'],
        ['OUT:FP32:16'],
        s('m', { X: 'IN' }, { invalid_output: 'OUT' }),
        [fp32x16('m')],
      ),
      'in ensemble invalid_output_map, ensemble tensor OUT is mapped from non-existing output invalid_output in model m',
    );
    const two = model('two', 4, ['INPUT0:FP32:16', 'INPUT1:FP32:16'], ['Y:FP32:16']);
    assert.equal(
      failure('unmapped_input', 4, ['IN:FP32:16'], ['OUT:FP32:16'], s('two', { INPUT1: 'IN' }, { Y: 'OUT' }), [two]),
      'in ensemble unmapped_input, input INPUT0 in model two is not mapped to any ensemble tensors',
    );
    const optional = model('opt', 4, ['INPUT0:FP32:16:optional', 'INPUT1:FP32:16'], ['Y:FP32:16']);
    check('optional', 4, ['IN:FP32:16'], ['OUT:FP32:16'], s('opt', { INPUT1: 'IN' }, { Y: 'OUT' }), [optional]);
  });

  test('a model that is not loaded', () => {
    assert.equal(
      failure('missing', 4, ['IN:FP32:16'], ['OUT:FP32:16'], s('nowhere', { X: 'IN' }, { Y: 'OUT' }), []),
      'ensemble missing contains models that are not available or ambiguous: nowhere',
    );
  });
});

describe('validateComposition: decoupled steps', () => {
  const DECOUPLED = 'model_transaction_policy { decoupled: true }';
  const repeat = model('repeat', 0, ['X:INT32:1'], ['Y:INT32:1', 'Z:INT32:1'], DECOUPLED);
  const plain = (n: string): ModelConfig => model(n, 0, ['X:INT32:1'], ['Y:INT32:1']);
  const add = model('add', 0, ['A:INT32:1', 'B:INT32:1'], ['Y:INT32:1']);

  test('an ensemble with a decoupled step is decoupled; without one it is not', () => {
    assert.equal(
      check(
        'd',
        0,
        ['IN:INT32:1'],
        ['OUT:INT32:1'],
        `${s('repeat', { X: 'IN' }, { Y: 't' })}, ${s('p', { X: 't' }, { Y: 'OUT' })}`,
        [repeat, plain('p')],
      ).decoupled,
      true,
    );
    assert.equal(
      check('n', 0, ['IN:INT32:1'], ['OUT:INT32:1'], s('p', { X: 'IN' }, { Y: 'OUT' }), [plain('p')]).decoupled,
      false,
    );
  });

  test("a decoupled step's outputs may meet each other, not the tensors of another lineage", () => {
    // Both outputs of one decoupled step: one response each time, so they pair up.
    check(
      'siblings',
      0,
      ['IN:INT32:1'],
      ['OUT:INT32:1'],
      `${s('repeat', { X: 'IN' }, { Y: 'a', Z: 'b' })}, ${s('add', { A: 'a', B: 'b' }, { Y: 'OUT' })}`,
      [repeat, add],
    );
    assert.equal(
      failure(
        'invalid_decoupled_branching',
        0,
        ['IN:INT32:1'],
        ['OUT:INT32:1', 'OUT2:INT32:1'],
        `${s('repeat', { X: 'IN' }, { Y: 'a', Z: 'spare' })}, ${s('add', { A: 'a', B: 'IN' }, { Y: 'sum' })}, ${s('p', { X: 'sum' }, { Y: 'OUT' })}, ${s('sink', { X: 'spare' }, { Y: 'OUT2' })}`,
        [repeat, add, plain('p'), plain('sink')],
      ),
      "in ensemble invalid_decoupled_branching, step of model 'add' receives inputs originated from different decoupled models",
    );
    assert.equal(
      failure(
        'invalid_decoupled_branching_2',
        0,
        ['IN:INT32:1'],
        ['OUT:INT32:1', 'OUT2:INT32:1', 'OUT3:INT32:1'],
        `${s('repeat', { X: 'IN' }, { Y: 'OUT', Z: 'spare' })}, ${s('p', { X: 'IN' }, { Y: 'OUT2' })}, ${s('sink', { X: 'spare' }, { Y: 'OUT3' })}`,
        [repeat, plain('p'), plain('sink')],
      ),
      "in ensemble invalid_decoupled_branching_2, step of model 'invalid_decoupled_branching_2' receives inputs originated from different decoupled models",
    );
  });
});
