import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceError } from '../errors.js';
import {
  configFromJson,
  configToJson,
  decodeModelConfig,
  encodeModelConfig,
  modelConfigMessage,
} from './config-json.js';
import { normalizeConfig } from './normalize-config.js';
import { modelConfigType, parseModelConfigText } from './pbtxt-to-object.js';

const IO = `
  input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] } ]
  output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] } ]`;
const norm = (src: string, modelName = 'simple') =>
  normalizeConfig(parseModelConfigText(src, 'config.pbtxt'), { modelName });

const invalid = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InferenceError, String(err));
    assert.equal(err.code, 'INVALID_ARG');
    return err.message;
  }
  assert.fail('expected an INVALID_ARG error');
};

describe('configToJson', () => {
  test('prints every primitive field with its default, in declaration order, like Triton', () => {
    const json = configToJson(norm(`platform: "onnxruntime_onnx"\nmax_batch_size: 8${IO}`));
    assert.deepEqual(json, {
      name: 'simple',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      runtime: '',
      version_policy: { latest: { num_versions: 1 } },
      max_batch_size: 8,
      input: [
        {
          name: 'INPUT0',
          data_type: 'TYPE_FP32',
          format: 'FORMAT_NONE',
          dims: [16],
          is_shape_tensor: false,
          allow_ragged_batch: false,
          optional: false,
          is_non_linear_format_io: false,
        },
      ],
      output: [
        {
          name: 'OUTPUT0',
          data_type: 'TYPE_FP32',
          dims: [16],
          label_filename: '',
          is_shape_tensor: false,
          is_non_linear_format_io: false,
        },
      ],
      batch_input: [],
      batch_output: [],
      optimization: {
        priority: 'PRIORITY_DEFAULT',
        input_pinned_memory: { enable: true },
        output_pinned_memory: { enable: true },
        gather_kernel_buffer_threshold: 0,
        eager_batching: false,
      },
      instance_group: [
        {
          name: 'simple',
          kind: 'KIND_CPU',
          count: 2,
          gpus: [],
          secondary_devices: [],
          profile: [],
          passive: false,
          host_policy: '',
        },
      ],
      default_model_filename: 'model.onnx',
      cc_model_filenames: {},
      metric_tags: {},
      parameters: {},
      model_warmup: [],
      model_transaction_policy: { decoupled: false },
    });
    assert.deepEqual(Object.keys(json).slice(0, 6), [
      'name',
      'platform',
      'backend',
      'runtime',
      'version_policy',
      'max_batch_size',
    ]);
  });

  test('Triton-fixed 64-bit fields are numbers; the others stay protobuf JSON strings', () => {
    const c = norm(`backend: "python"\nmax_batch_size: 4${IO}
      sequence_batching { max_sequence_idle_microseconds: 7 oldest { max_queue_delay_microseconds: 5 }
        state [ { input_name: "I" output_name: "O" data_type: TYPE_INT32 dims: [ -1 ] initial_state { data_type: TYPE_INT32 dims: [ 2 ] data_file: "f" name: "n" } } ] }
      instance_group { kind: KIND_CPU secondary_devices [ { kind: KIND_NVDLA device_id: 3 } ] }`);
    const json = configToJson(c) as Record<string, any>;
    assert.equal(json['sequence_batching'].max_sequence_idle_microseconds, 7);
    assert.equal(json['sequence_batching'].oldest.max_queue_delay_microseconds, 5);
    assert.deepEqual(json['sequence_batching'].state[0].dims, [-1]);
    assert.deepEqual(json['sequence_batching'].state[0].initial_state, [
      { data_type: 'TYPE_INT32', dims: ['2'], data_file: 'f', name: 'n' },
    ]);
    assert.equal(json['sequence_batching'].direct, undefined);
    assert.deepEqual(json['instance_group'][0].secondary_devices, [{ kind: 'KIND_NVDLA', device_id: '3' }]);
  });

  test('maps keep string keys; ensemble step versions are numbers; NaN floats are "NaN"', () => {
    const e = norm(
      `platform: "ensemble"${IO}\nensemble_scheduling { step [ { model_name: "a" model_version: -1 input_map { key: "x" value: "INPUT0" } output_map { key: "y" value: "OUTPUT0" } } ] }`,
      'ens',
    );
    const json = configToJson(e) as Record<string, any>;
    assert.deepEqual(json['ensemble_scheduling'].step[0], {
      model_name: 'a',
      model_version: -1,
      input_map: { x: 'INPUT0' },
      output_map: { y: 'OUTPUT0' },
      model_namespace: '',
    });
    assert.equal(json['optimization'], undefined);
    const s = norm(
      `backend: "python"${IO}\nsequence_batching { control_input [ { name: "S" control [ { kind: CONTROL_SEQUENCE_START fp32_false_true: [ nan, 1 ] } ] } ] }`,
    );
    const sj = configToJson(s) as Record<string, any>;
    assert.deepEqual(sj['sequence_batching'].control_input[0].control[0].fp32_false_true, ['NaN', 1]);
  });
});

describe('configFromJson', () => {
  test('round-trips configToJson output', () => {
    const c = norm(`backend: "python"\nmax_batch_size: 8${IO}
      dynamic_batching { priority_levels: 2 default_priority_level: 1 priority_queue_policy { key: 2 value { max_queue_size: 3 } } }
      parameters { key: "p" value { string_value: "v" } }
      model_warmup [ { name: "w" batch_size: 1 inputs { key: "INPUT0" value { data_type: TYPE_FP32 dims: [ 16 ] zero_data: true } } } ]`);
    assert.deepEqual(configFromJson(JSON.stringify(configToJson(c)), 'simple'), c);
  });

  test('accepts lowerCamelCase names, enum numbers / any case, 64-bit strings and nulls', () => {
    const c = configFromJson(
      JSON.stringify({
        backend: 'python',
        maxBatchSize: 4,
        input: [{ name: 'I', dataType: 'type_int32', dims: ['2', 3] }],
        output: [{ name: 'O', data_type: 8, dims: [1] }],
        dynamicBatching: { maxQueueDelayMicroseconds: '100' },
        version_policy: null,
      }),
      'm',
    );
    assert.equal(c.max_batch_size, 4);
    assert.deepEqual(c.input[0]?.dims, [2, 3]);
    assert.equal(c.input[0]?.data_type, 'TYPE_INT32');
    assert.equal(c.output[0]?.data_type, 'TYPE_INT32');
    assert.equal(c.dynamic_batching?.max_queue_delay_microseconds, 100);
    assert.deepEqual(c.version_policy, { latest: { num_versions: 1 } });
  });

  test('rejects malformed overrides with INVALID_ARG', () => {
    assert.match(
      invalid(() => configFromJson('{', 'm')),
      /^Invalid config override: /,
    );
    assert.equal(
      invalid(() => configFromJson('{"bogus": 1}', 'm')),
      "Invalid config override: bogus: unknown field 'bogus' in inference.ModelConfig",
    );
    assert.equal(
      invalid(() => configFromJson('{"input": [{"data_type": "TYPE_NOPE"}]}', 'm')),
      "Invalid config override: input[0].data_type: unknown value 'TYPE_NOPE' for enum inference.DataType",
    );
    assert.equal(
      invalid(() => configFromJson('{"max_batch_size": "x"}', 'm')),
      'Invalid config override: max_batch_size: field \'max_batch_size\' expects an integer (int32), got "x"',
    );
    assert.equal(
      invalid(() => configFromJson('{"input": {}}', 'm')),
      "Invalid config override: input: repeated field 'input' expects a JSON array",
    );
    assert.match(
      invalid(() => configFromJson('{"dynamic_batching": {}, "sequence_batching": {}}', 'm')),
      /conflicts with 'dynamic_batching' in oneof 'scheduling_choice'/,
    );
    assert.match(
      invalid(() => configFromJson('{"max_batch_size": 1, "maxBatchSize": 2}', 'm')),
      /specified more than once/,
    );
    assert.match(
      invalid(() => configFromJson('{"dynamic_batching": {"priority_queue_policy": {"x": {}}}}', 'm')),
      /map key 'x' is not an integer/,
    );
    // Regressions: names of Object.prototype were taken for fields and enum values, and a map key
    // '__proto__' set the map's prototype (the entry vanished).
    assert.equal(
      invalid(() => configFromJson('{"constructor": 1}', 'm')),
      "Invalid config override: constructor: unknown field 'constructor' in inference.ModelConfig",
    );
    assert.equal(
      invalid(() => configFromJson('{"input": [{"data_type": "constructor"}]}', 'm')),
      "Invalid config override: input[0].data_type: unknown value 'constructor' for enum inference.DataType",
    );
    assert.equal(
      invalid(() => configFromJson('{"parameters": {"__proto__": {"string_value": "v"}}}', 'm')),
      "Invalid config override: parameters: map key '__proto__' of 'parameters' is not supported",
    );
  });

  test('normalizes and validates the result for the model being loaded', () => {
    assert.equal(
      invalid(() => configFromJson('{"name": "other", "backend": "python"}', 'm')),
      "unexpected directory name 'm' for model 'other', directory name must equal model name",
    );
    assert.equal(configFromJson('{"backend": "python"}', 'm', { validateIo: false }).name, 'm');
  });
});

describe('protobuf binary', () => {
  test("field numbers are Triton's: name=1, max_batch_size=4, backend=17", () => {
    const type = modelConfigType();
    const bytes = type.encode(type.fromObject({ name: 'a', max_batch_size: 8, backend: 'b' })).finish();
    assert.deepEqual([...bytes], [0x0a, 0x01, 0x61, 0x20, 0x08, 0x8a, 0x01, 0x01, 0x62]);
  });

  test('a normalized config round-trips through encode/decode', () => {
    const c = norm(`backend: "python"\nmax_batch_size: 8${IO}
      version_policy { specific { versions: [ 1, 3 ] } }
      dynamic_batching { preferred_batch_size: [ 4 ] max_queue_delay_microseconds: 100 priority_levels: 2 default_priority_level: 1
        priority_queue_policy { key: 2 value { timeout_action: DELAY default_timeout_microseconds: 9 max_queue_size: 3 } } }
      instance_group [ { count: 3 kind: KIND_CPU } ]
      parameters { key: "p" value { string_value: "v" } }
      model_warmup [ { name: "w" batch_size: 1 inputs { key: "INPUT0" value { data_type: TYPE_FP32 dims: [ 16 ] random_data: true } } } ]
      model_transaction_policy { decoupled: true }`);
    const decoded = decodeModelConfig(encodeModelConfig(c));
    assert.deepEqual(normalizeConfig(decoded, { modelName: 'simple' }), c);
    assert.deepEqual(decoded['version_policy'], { specific: { versions: [1, 3] } });
    assert.deepEqual((decoded['dynamic_batching'] as Record<string, unknown>)['priority_queue_policy'], {
      '2': {
        timeout_action: 'DELAY',
        default_timeout_microseconds: 9,
        allow_timeout_override: false,
        max_queue_size: 3,
      },
    });
    const type = modelConfigType();
    assert.deepEqual([...type.encode(modelConfigMessage(c)).finish()], [...encodeModelConfig(c)]);
  });

  test('sequence batching and ensembles round-trip too', () => {
    for (const [src, name] of [
      [
        `backend: "python"\nmax_batch_size: 2${IO}\nsequence_batching { direct { minimum_slot_utilization: 0.5 } control_input [ { name: "S" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] } ] }`,
        'simple',
      ],
      [
        `platform: "ensemble"${IO}\nensemble_scheduling { step [ { model_name: "a" model_version: -1 input_map { key: "x" value: "INPUT0" } output_map { key: "y" value: "OUTPUT0" } } ] }`,
        'ens',
      ],
    ] as const) {
      const c = norm(src, name);
      assert.deepEqual(normalizeConfig(decodeModelConfig(encodeModelConfig(c)), { modelName: name }), c);
    }
  });
});
