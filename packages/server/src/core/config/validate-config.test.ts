import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceError } from '../errors.js';
import { normalizeConfig, type NormalizeConfigOptions } from './normalize-config.js';
import { parseModelConfigText } from './pbtxt-to-object.js';

const IO = `
  input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] } ]
  output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] } ]`;

/** Normalizes `src` as model `m` and returns the INVALID_ARG message it fails with. */
function failure(src: string, options: Partial<NormalizeConfigOptions> = {}): string {
  try {
    normalizeConfig(parseModelConfigText(src, 'config.pbtxt'), { modelName: 'm', ...options });
  } catch (err) {
    assert.ok(err instanceof InferenceError, String(err));
    assert.equal(err.code, 'INVALID_ARG');
    return err.message;
  }
  assert.fail('expected normalizeConfig to fail');
}

const py = (rest: string): string => `backend: "python"\n${rest}`;

describe('validation: model level', () => {
  test('name must equal the directory name', () => {
    assert.equal(
      failure(py(`name: "other"${IO}`)),
      "unexpected directory name 'm' for model 'other', directory name must equal model name",
    );
  });

  test('platform and backend', () => {
    assert.equal(
      failure(`platform: "onnxruntime_onnx" backend: "tensorrt"${IO}`),
      "unexpected 'platform' and 'backend' pair, got:onnxruntime_onnx, tensorrt",
    );
    assert.equal(failure(`platform: "weird"${IO}`), "unexpected platform type 'weird' for m");
    assert.equal(
      failure(`platform: "ensemble" backend: "python"${IO}`),
      "Ensemble model 'm' must have platform type 'ensemble' and empty backend type",
    );
    assert.match(failure(IO), /^Invalid model name: Could not determine backend for model 'm'/);
  });

  test('max_batch_size must be non-negative', () => {
    assert.equal(failure(py(`max_batch_size: -1${IO}`)), "'max_batch_size' must be non-negative value for m");
  });

  test('version policy', () => {
    assert.equal(
      failure(py(`version_policy { specific { versions: [ 1, 0 ] } }${IO}`)),
      "'version_policy' specific versions must be positive integers, got 0 for m",
    );
  });

  test('dynamic batching', () => {
    const db = (s: string): string => py(`max_batch_size: 8${IO}\ndynamic_batching { ${s} }`);
    assert.equal(failure(db('preferred_batch_size: [ 0 ]')), 'dynamic batching preferred size must be positive for m');
    assert.equal(
      failure(db('preferred_batch_size: [ 16 ]')),
      'dynamic batching preferred size must be <= max batch size for m',
    );
    assert.equal(failure(db('priority_levels: 2')), 'default priority level must be in range [1, 2] for m');
    assert.equal(
      failure(db('priority_levels: 2 default_priority_level: 3')),
      'default priority level must be in range [1, 2] for m',
    );
    assert.equal(
      failure(db('priority_levels: 2 default_priority_level: 1 priority_queue_policy { key: 3 value { } }')),
      'priority queue policy must have priority level in range [1, 2] for m',
    );
    assert.equal(
      failure(db('preserve_ordering: true priority_levels: 2 default_priority_level: 1')),
      "Only one priority level is allowed when 'preserve_ordering' is true for m",
    );
    assert.equal(
      failure(
        db('preserve_ordering: true default_queue_policy { timeout_action: DELAY default_timeout_microseconds: 10 }'),
      ),
      "Queue policy can not have DELAY as timeout action when 'preserve_ordering' is true for m",
    );
  });

  test('sequence batching', () => {
    const sb = (s: string): string => py(`max_batch_size: 4${IO}\nsequence_batching { ${s} }`);
    assert.equal(
      failure(sb('control_input [ { control [ { } ] } ]')),
      'sequence batching control tensor must have a name for m',
    );
    assert.equal(
      failure(sb('control_input [ { name: "S" control [ { kind: CONTROL_SEQUENCE_START } ] } ]')),
      "sequence batching must specify either 'int32_false_true', 'fp32_false_true' or 'bool_false_true' for CONTROL_SEQUENCE_START for m",
    );
    assert.equal(
      failure(
        sb('control_input [ { name: "S" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0 ] } ] } ]'),
      ),
      "sequence batching control 'int32_false_true' must have exactly 2 entries for CONTROL_SEQUENCE_START for m",
    );
    assert.equal(
      failure(
        sb(
          'control_input [ { name: "S" control [ { kind: CONTROL_SEQUENCE_END int32_false_true: [ 0, 1 ] fp32_false_true: [ 0, 1 ] } ] } ]',
        ),
      ),
      "sequence batching specifies more than one from 'int32_false_true', 'fp32_false_true' and 'bool_false_true' for CONTROL_SEQUENCE_END for m",
    );
    assert.equal(
      failure(
        sb(
          'control_input [ { name: "A" control [ { kind: CONTROL_SEQUENCE_READY int32_false_true: [ 0, 1 ] } ] }, { name: "B" control [ { kind: CONTROL_SEQUENCE_READY int32_false_true: [ 0, 1 ] } ] } ]',
        ),
      ),
      'sequence batching specifies multiple CONTROL_SEQUENCE_READY tensors for m',
    );
    assert.equal(
      failure(
        sb(
          'control_input [ { name: "A" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] }, { name: "A" control [ { kind: CONTROL_SEQUENCE_END int32_false_true: [ 0, 1 ] } ] } ]',
        ),
      ),
      "sequence batching control tensor 'A' is specified for multiple control kinds for m",
    );
    assert.match(
      failure(sb('control_input [ { name: "C" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_FP32 } ] } ]')),
      /^unexpected data type for control CONTROL_SEQUENCE_CORRID for m\. Allowed data types are/,
    );
    assert.equal(
      failure(sb('oldest { preferred_batch_size: [ 8 ] }')),
      'sequence batching preferred batch size must be <= max batch size for m',
    );
    assert.equal(
      failure(sb('oldest { max_candidate_sequences: 70000 }')),
      'sequence batching max_candidate_sequences must be between 0 and 65536 for m, got 70000',
    );
    assert.equal(
      failure(sb('direct { minimum_slot_utilization: 1.5 }')),
      'sequence batching minimum slot utilization must be in range (0.0, 1.0] for m',
    );
    assert.match(
      failure(sb('') + '\nresponse_cache { enable: true }'),
      /^Response Cache does not currently support model m with sequence batching/,
    );
  });

  test('decoupled models cannot use the response cache', () => {
    assert.match(
      failure(py(`${IO}\nmodel_transaction_policy { decoupled: true }\nresponse_cache { enable: true }`)),
      /^Response Cache does not currently support model m with 'decoupled' transaction policy/,
    );
  });

  test('ensembles', () => {
    const steps = 'ensemble_scheduling { step [ { model_name: "a" } ] }';
    assert.equal(
      failure(`platform: "ensemble"${IO}`),
      'ensemble scheduling must be set for ensemble m whose platform is ensemble',
    );
    assert.equal(
      failure(py(`${IO}\n${steps}`)),
      "ensemble scheduling cannot be set for model 'm' whose platform is not ensemble",
    );
    assert.equal(failure(`platform: "ensemble"${IO}\nensemble_scheduling { }`), "must specify 'step' for ensemble 'm'");
    assert.equal(
      failure(`platform: "ensemble"${IO}\n${steps}\ninstance_group { count: 1 }`),
      "instance group should not be specified for ensemble 'm'",
    );
    assert.equal(
      failure(`platform: "ensemble"${IO}\n${steps}\noptimization { }`),
      "optimization should not be specified for ensemble 'm'",
    );
  });

  test('instance groups', () => {
    assert.equal(
      failure(py(`${IO}\ninstance_group { kind: KIND_CPU gpus: [ 0 ] }`)),
      'instance group m_0 of model m has kind KIND_CPU but specifies one or more GPUs',
    );
    assert.equal(
      failure(py(`${IO}\ninstance_group { kind: KIND_AUTO gpus: [ 3 ] }`)),
      'instance group m_0 of model m has kind KIND_CPU but specifies one or more GPUs',
    );
    assert.equal(
      failure(py(`${IO}\ninstance_group { kind: KIND_GPU }`)),
      'instance group m_0 of model m has kind KIND_GPU but no GPUs are available',
    );
    assert.match(
      failure(py(`${IO}\ninstance_group { kind: KIND_GPU gpus: [ 5 ] }`), { availableGpus: [0] }),
      /^instance group m_0 of model m specifies invalid or unsupported gpu id 5/,
    );
    assert.match(
      failure(py(`${IO}\ninstance_group { kind: KIND_CPU profile: "0" }`)),
      /specifies profile field which is only supported for TensorRT models$/,
    );
  });
});

describe('validation: inputs and outputs', () => {
  const one = (input: string, maxBatch = 8): string =>
    failure(
      py(`max_batch_size: ${maxBatch}\ninput [ ${input} ]\noutput [ { name: "O" data_type: TYPE_FP32 dims: [ 1 ] } ]`),
    );

  test('name, data_type and dims are required', () => {
    assert.equal(one('{ data_type: TYPE_FP32 dims: [ 1 ] }'), "model input must specify 'name' for m");
    assert.equal(one('{ name: "x" dims: [ 1 ] }'), "model input 'x' must specify 'data_type' for m");
    assert.equal(one('{ name: "x" data_type: TYPE_FP32 }'), "model input 'x' must specify 'dims' for m");
    assert.equal(
      failure(
        py(
          'input [ { name: "I" data_type: TYPE_FP32 dims: [ 1 ] } ]\noutput [ { name: "y" data_type: TYPE_INVALID dims: [ 1 ] } ]',
        ),
      ),
      "model output 'y' must specify 'data_type' for m",
    );
  });

  test('dims: only -1 may be negative, zero is not allowed', () => {
    assert.equal(
      one('{ name: "x" data_type: TYPE_FP32 dims: [ 0 ] }'),
      "model input 'x' dimension must be integer >= 1, or -1 to indicate a variable-size dimension for m",
    );
    assert.equal(
      one('{ name: "x" data_type: TYPE_FP32 dims: [ -2 ] }'),
      "model input 'x' dimension must be integer >= 1, or -1 to indicate a variable-size dimension for m",
    );
  });

  test('reshape element counts', () => {
    assert.equal(
      one('{ name: "x" data_type: TYPE_FP32 dims: [ 2, 3 ] reshape { shape: [ 5 ] } }'),
      "model input 'x' has different size for dims and reshape for m",
    );
    assert.equal(
      one('{ name: "x" data_type: TYPE_FP32 dims: [ 2, -1 ] reshape { shape: [ -1, -1 ] } }'),
      "model input 'x' has different number of variable-size dimensions for dims and reshape for m",
    );
    assert.equal(
      one('{ name: "x" data_type: TYPE_FP32 dims: [ 2, 4, -1, 6 ] reshape { shape: [ 4, -1, 12 ] } }'),
      "model input 'x' has different size for dims and reshape for m",
    );
    assert.equal(
      one('{ name: "x" data_type: TYPE_FP32 dims: [ 1 ] reshape { shape: [ ] } }', 0),
      "model input 'x' cannot have empty reshape for non-batching model as scalar tensors are not supported for m",
    );
    assert.equal(
      one('{ name: "x" data_type: TYPE_FP32 dims: [ 2 ] reshape { shape: [ 0 ] } }'),
      "model input 'x' reshape dimensions must be integer >= 1, or -1 to indicate a variable-size dimension for m",
    );
  });

  test('valid reshapes pass', () => {
    for (const input of [
      '{ name: "x" data_type: TYPE_FP32 dims: [ 1 ] reshape { shape: [ ] } }',
      '{ name: "x" data_type: TYPE_FP32 dims: [ 2, 4, -1, 6 ] reshape { shape: [ 8, -1, 1, 6 ] } }',
      '{ name: "x" data_type: TYPE_FP32 dims: [ 2, 3 ] reshape { shape: [ 3, 2 ] } }',
    ]) {
      const c = normalizeConfig(
        parseModelConfigText(
          py(`max_batch_size: 8\ninput [ ${input} ]\noutput [ { name: "O" data_type: TYPE_FP32 dims: [ 1 ] } ]`),
          'c',
        ),
        { modelName: 'm' },
      );
      assert.equal(c.input.length, 1);
    }
  });

  test('formats, shape tensors, duplicates and batch io', () => {
    assert.equal(
      one('{ name: "x" data_type: TYPE_FP32 format: FORMAT_NCHW dims: [ 3, 224 ] }'),
      'model input NHWC/NCHW require 3 dims for m',
    );
    assert.equal(
      one('{ name: "x" data_type: TYPE_INT32 dims: [ 1 ] is_shape_tensor: true }'),
      'shape tensors are only supported for TensorRT platform for m',
    );
    assert.equal(
      one('{ name: "x" data_type: TYPE_FP32 dims: [ 1 ] }, { name: "x" data_type: TYPE_FP32 dims: [ 2 ] }'),
      "model input 'x' is specified more than once for m",
    );
    assert.equal(
      failure(
        py(
          `${IO}\nbatch_input [ { kind: BATCH_ELEMENT_COUNT target_name: "N" data_type: TYPE_INT32 source_input: "NOPE" } ]`,
        ),
      ),
      "unknown source input name 'NOPE' for m",
    );
    assert.equal(
      failure(
        py(
          `${IO}\nbatch_input [ { kind: BATCH_ITEM_SHAPE target_name: "N" data_type: TYPE_INT64 source_input: "INPUT0" } ]`,
        ),
      ),
      'batch input data type must be TYPE_INT32 or TYPE_FP32 for m',
    );
    assert.equal(
      failure(py(`${IO}\nbatch_output [ { target_name: [ "OUTPUT0", "OUTPUT0" ] source_input: "INPUT0" } ]`)),
      "target output name 'OUTPUT0' can only be specified once for m",
    );
  });
});
