import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceError } from '../errors.js';
import { parseModelConfigText } from './pbtxt-to-object.js';

const parse = (src: string): Record<string, unknown> => parseModelConfigText(src, 'config.pbtxt');
const messageOf = (src: string, file = 'config.pbtxt'): string => {
  try {
    parseModelConfigText(src, file);
  } catch (err) {
    assert.ok(err instanceof InferenceError);
    assert.equal(err.code, 'INVALID_ARG');
    return err.message;
  }
  assert.fail('expected an error');
};

describe('parseModelConfigText: documented config forms', () => {
  test('minimal configuration with inputs and outputs', () => {
    const cfg = parse(`
      platform: "tensorrt_plan"
      max_batch_size: 8
      input [
        {
          name: "input0"
          data_type: TYPE_FP32
          dims: [ 16 ]
        },
        {
          name: "input1"
          data_type: TYPE_FP32
          dims: [ 4, -1 ]
          allow_ragged_batch: true
        }
      ]
      output [ { name: "output0", data_type: TYPE_FP32, dims: [ 16 ], label_filename: "labels.txt" } ]`);
    assert.deepEqual(cfg, {
      platform: 'tensorrt_plan',
      max_batch_size: 8,
      input: [
        { name: 'input0', data_type: 'TYPE_FP32', dims: [16] },
        { name: 'input1', data_type: 'TYPE_FP32', dims: [4, -1], allow_ragged_batch: true },
      ],
      output: [{ name: 'output0', data_type: 'TYPE_FP32', dims: [16], label_filename: 'labels.txt' }],
    });
  });

  test('reshape to a scalar and a reshape with shape', () => {
    const cfg = parse(`
      max_batch_size: 8
      input [ { name: "in" data_type: TYPE_INT32 dims: [ 1 ] reshape: { shape: [ ] } } ]
      output [ { name: "out" data_type: TYPE_FP32 dims: [ 2, 3 ] reshape { shape: [ 6 ] } } ]`);
    assert.deepEqual((cfg['input'] as Record<string, unknown>[])[0]?.['reshape'], { shape: [] });
    assert.deepEqual((cfg['output'] as Record<string, unknown>[])[0]?.['reshape'], { shape: [6] });
  });

  test('version policies', () => {
    assert.deepEqual(parse('version_policy: { all { }}'), { version_policy: { all: {} } });
    assert.deepEqual(parse('version_policy: { latest: { num_versions: 2}}'), {
      version_policy: { latest: { num_versions: 2 } },
    });
    assert.deepEqual(parse('version_policy: { specific: { versions: [1,3]}}'), {
      version_policy: { specific: { versions: [1, 3] } },
    });
  });

  test('instance groups', () => {
    const cfg = parse(`
      instance_group [
        { count: 1 kind: KIND_GPU gpus: [ 0 ] },
        { count: 2 kind: KIND_GPU gpus: [ 1, 2 ] },
        { name: "cpu" count: 2 kind: KIND_CPU rate_limiter { resources [ { name: "R1" count: 4 } ] priority: 2 } }
      ]`);
    assert.deepEqual(cfg['instance_group'], [
      { count: 1, kind: 'KIND_GPU', gpus: [0] },
      { count: 2, kind: 'KIND_GPU', gpus: [1, 2] },
      { name: 'cpu', count: 2, kind: 'KIND_CPU', rate_limiter: { resources: [{ name: 'R1', count: 4 }], priority: 2 } },
    ]);
  });

  test('dynamic batching with priority queue policies (uint64 map keys)', () => {
    const cfg = parse(`
      dynamic_batching {
        preferred_batch_size: [ 4, 8 ]
        max_queue_delay_microseconds: 100
        preserve_ordering: false
        priority_levels: 2
        default_priority_level: 1
        default_queue_policy { timeout_action: REJECT default_timeout_microseconds: 5000 allow_timeout_override: true max_queue_size: 10 }
        priority_queue_policy { key: 2 value: { timeout_action: DELAY default_timeout_microseconds: 1000 } }
        priority_queue_policy [ { key: 1 value { max_queue_size: 3 } } ]
      }`);
    assert.deepEqual(cfg['dynamic_batching'], {
      preferred_batch_size: [4, 8],
      max_queue_delay_microseconds: 100,
      preserve_ordering: false,
      priority_levels: 2,
      default_priority_level: 1,
      default_queue_policy: {
        timeout_action: 'REJECT',
        default_timeout_microseconds: 5000,
        allow_timeout_override: true,
        max_queue_size: 10,
      },
      priority_queue_policy: {
        '2': { timeout_action: 'DELAY', default_timeout_microseconds: 1000 },
        '1': { max_queue_size: 3 },
      },
    });
  });

  test('sequence batching with controls and implicit state', () => {
    const cfg = parse(`
      sequence_batching {
        max_sequence_idle_microseconds: 5000000
        oldest { max_candidate_sequences: 4 preferred_batch_size: [ 2 ] }
        control_input [
          { name: "START" control [ { kind: CONTROL_SEQUENCE_START fp32_false_true: [ 0, 1 ] } ] },
          { name: "READY" control [ { kind: CONTROL_SEQUENCE_READY int32_false_true: [ 0, 1 ] } ] },
          { name: "END" control [ { kind: CONTROL_SEQUENCE_END bool_false_true: [ false, true ] } ] },
          { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_UINT64 } ] }
        ]
        state [ { input_name: "INPUT_STATE" output_name: "OUTPUT_STATE" data_type: TYPE_INT32 dims: [ -1 ]
                  initial_state: { data_type: TYPE_INT32 dims: [ 1 ] zero_data: true name: "init" } } ]
      }`);
    const sb = cfg['sequence_batching'] as Record<string, unknown>;
    assert.equal(sb['max_sequence_idle_microseconds'], 5000000);
    assert.deepEqual(sb['oldest'], { max_candidate_sequences: 4, preferred_batch_size: [2] });
    assert.deepEqual(sb['control_input'], [
      { name: 'START', control: [{ kind: 'CONTROL_SEQUENCE_START', fp32_false_true: [0, 1] }] },
      { name: 'READY', control: [{ kind: 'CONTROL_SEQUENCE_READY', int32_false_true: [0, 1] }] },
      { name: 'END', control: [{ kind: 'CONTROL_SEQUENCE_END', bool_false_true: [false, true] }] },
      { name: 'CORRID', control: [{ kind: 'CONTROL_SEQUENCE_CORRID', data_type: 'TYPE_UINT64' }] },
    ]);
    assert.deepEqual(sb['state'], [
      {
        input_name: 'INPUT_STATE',
        output_name: 'OUTPUT_STATE',
        data_type: 'TYPE_INT32',
        dims: [-1],
        initial_state: [{ data_type: 'TYPE_INT32', dims: [1], zero_data: true, name: 'init' }],
      },
    ]);
  });

  test('ensemble scheduling with input/output maps', () => {
    const cfg = parse(`
      name: "ensemble_model"
      platform: "ensemble"
      ensemble_scheduling {
        step [
          { model_name: "image_preprocess_model" model_version: -1
            input_map { key: "RAW_IMAGE" value: "IMAGE" }
            output_map { key: "PREPROCESSED_OUTPUT" value: "preprocessed_image" } },
          { model_name: "classification_model" model_version: -1
            input_map [ { key: "FORMATTED_IMAGE", value: "preprocessed_image" } ]
            output_map { key: "CLASSIFICATION_OUTPUT" value: "CLASSIFICATION" } }
        ]
      }`);
    assert.deepEqual(cfg['ensemble_scheduling'], {
      step: [
        {
          model_name: 'image_preprocess_model',
          model_version: -1,
          input_map: { RAW_IMAGE: 'IMAGE' },
          output_map: { PREPROCESSED_OUTPUT: 'preprocessed_image' },
        },
        {
          model_name: 'classification_model',
          model_version: -1,
          input_map: { FORMATTED_IMAGE: 'preprocessed_image' },
          output_map: { CLASSIFICATION_OUTPUT: 'CLASSIFICATION' },
        },
      ],
    });
  });

  test('parameters map, warmup, optimization and transaction policy', () => {
    const cfg = parse(`
      parameters { key: "execution_mode" value: { string_value: "1" } }
      parameters: { key: "EXECUTION_ENV_PATH", value: {string_value: "$$TRITON_MODEL_DIRECTORY/env.tar.gz"}}
      parameters { key: "empty" }
      model_warmup [ { name: "w" batch_size: 2 count: 3
        inputs { key: "INPUT0" value: { data_type: TYPE_FP32 dims: [ 16 ] random_data: true } } } ]
      optimization { execution_accelerators {
        gpu_execution_accelerator : [ { name : "tensorrt" parameters { key: "precision_mode" value: "FP16" } } ] }
        input_pinned_memory { enable: false } }
      model_transaction_policy { decoupled: True }
      response_cache { enable: t }`);
    assert.deepEqual(cfg['parameters'], {
      execution_mode: { string_value: '1' },
      EXECUTION_ENV_PATH: { string_value: '$$TRITON_MODEL_DIRECTORY/env.tar.gz' },
      empty: {},
    });
    assert.deepEqual(cfg['model_warmup'], [
      {
        name: 'w',
        batch_size: 2,
        count: 3,
        inputs: { INPUT0: { data_type: 'TYPE_FP32', dims: [16], random_data: true } },
      },
    ]);
    assert.deepEqual(cfg['optimization'], {
      execution_accelerators: {
        gpu_execution_accelerator: [{ name: 'tensorrt', parameters: { precision_mode: 'FP16' } }],
      },
      input_pinned_memory: { enable: false },
    });
    assert.deepEqual(cfg['model_transaction_policy'], { decoupled: true });
    assert.deepEqual(cfg['response_cache'], { enable: true });
  });
});

describe('parseModelConfigText: scalars', () => {
  test('integers: negative, hex, octal; enums by number; bools in every spelling', () => {
    const cfg = parse(
      `max_batch_size: 0x10 input [ { dims: [ -1, 010, 0 ] data_type: 8 format: 1 optional: 1 is_shape_tensor: False allow_ragged_batch: f } ]`,
    );
    assert.equal(cfg['max_batch_size'], 16);
    assert.deepEqual(cfg['input'], [
      {
        dims: [-1, 8, 0],
        data_type: 'TYPE_INT32',
        format: 'FORMAT_NHWC',
        optional: true,
        is_shape_tensor: false,
        allow_ragged_batch: false,
      },
    ]);
  });

  test('floats: decimals, exponents, f suffix, integers, inf and nan', () => {
    const cfg = parse(
      `sequence_batching { control_input [ { control [ { fp32_false_true: [ 1.5, -2e2, .5, 3f, 4, -inf, nan ] } ] } ] }`,
    );
    const sb = cfg['sequence_batching'] as { control_input: { control: { fp32_false_true: number[] }[] }[] };
    const values = sb.control_input[0]?.control[0]?.fp32_false_true;
    assert.deepEqual(values?.slice(0, 6), [1.5, -200, 0.5, 3, 4, -Infinity]);
    assert.ok(Number.isNaN(values?.[6]));
  });

  test('repeated fields mix repeated entries and [ ] lists, in order', () => {
    const cfg = parse(
      'version_policy { specific { versions: 1 versions: [ 2, 3 ] versions: 4 } }\ninput { name: "a" }\ninput [ { name: "b" } ]',
    );
    assert.deepEqual(cfg['version_policy'], { specific: { versions: [1, 2, 3, 4] } });
    assert.deepEqual(cfg['input'], [{ name: 'a' }, { name: 'b' }]);
  });

  test('64-bit integers become numbers', () => {
    const cfg = parse('dynamic_batching { max_queue_delay_microseconds: 9007199254740991 }');
    assert.deepEqual(cfg['dynamic_batching'], { max_queue_delay_microseconds: 9007199254740991 });
  });
});

describe('parseModelConfigText: errors name file:line:col', () => {
  test('unknown field', () => {
    assert.equal(
      messageOf('name: "m"\ninput [\n  {\n    name: "x"\n    foo: 1\n  }\n]', 'models/m/config.pbtxt'),
      "models/m/config.pbtxt:5:5: unknown field 'foo' in inference.ModelInput",
    );
    assert.equal(messageOf('bogus: 1'), "config.pbtxt:1:1: unknown field 'bogus' in inference.ModelConfig");
    // Regression: names of Object.prototype were looked up as fields ("field 'Object' has unsupported type undefined").
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      assert.equal(messageOf(`${name}: 1`), `config.pbtxt:1:1: unknown field '${name}' in inference.ModelConfig`);
    }
  });

  test('unknown enum value', () => {
    assert.equal(
      messageOf('input [ { data_type: TYPE_FLOAT32 } ]'),
      "config.pbtxt:1:22: unknown value 'TYPE_FLOAT32' for enum inference.DataType of field 'data_type'",
    );
    // Regression: 'constructor' passed as a value of every enum.
    assert.equal(
      messageOf('instance_group { kind: constructor }'),
      "config.pbtxt:1:24: unknown value 'constructor' for enum inference.ModelInstanceGroup.Kind of field 'kind'",
    );
    assert.equal(
      messageOf('instance_group { kind: 9 }'),
      "config.pbtxt:1:24: unknown value 9 for enum inference.ModelInstanceGroup.Kind of field 'kind'",
    );
    assert.match(
      messageOf('input [ { data_type: "TYPE_FP32" } ]'),
      /^config\.pbtxt:1:22: field 'data_type' expects an inference\.DataType value name/,
    );
  });

  test('wrong value types', () => {
    assert.equal(
      messageOf('max_batch_size: "8"'),
      "config.pbtxt:1:17: field 'max_batch_size' expects an integer (int32), found '8'",
    );
    assert.equal(
      messageOf('max_batch_size: 1.5'),
      "config.pbtxt:1:17: field 'max_batch_size' expects an integer (int32), found '1.5'",
    );
    assert.equal(messageOf('name: m'), "config.pbtxt:1:7: field 'name' expects a string, found 'm'");
    assert.equal(
      messageOf('\n response_cache { enable: yes }'),
      "config.pbtxt:2:27: field 'enable' expects a bool (true or false), found 'yes'",
    );
    assert.equal(
      messageOf('max_batch_size: 2147483648'),
      "config.pbtxt:1:17: field 'max_batch_size': value 2147483648 is out of range for int32",
    );
    assert.equal(
      messageOf('instance_group { gpus: [ 0 ] rate_limiter { priority: -1 } }'),
      "config.pbtxt:1:55: field 'priority': value -1 is out of range for uint32",
    );
    assert.equal(
      messageOf('version_policy: 3'),
      "config.pbtxt:1:17: field 'version_policy' is a message (inference.ModelVersionPolicy), expected '{'",
    );
    assert.equal(messageOf('name { }'), "config.pbtxt:1:6: field 'name' of type string cannot take a message");
    assert.equal(messageOf('dims [ 1 ]'), "config.pbtxt:1:1: unknown field 'dims' in inference.ModelConfig");
    assert.equal(messageOf('input { dims [ 1 ] }'), "config.pbtxt:1:16: expected ':' after scalar field name 'dims'");
  });

  test('repeated / non-repeated misuse and duplicates', () => {
    assert.equal(
      messageOf('name: "a"\nname: "b"'),
      "config.pbtxt:2:1: non-repeated field 'name' in inference.ModelConfig is specified more than once (first at 1:1)",
    );
    assert.equal(
      messageOf('max_batch_size: [ 1 ]'),
      "config.pbtxt:1:1: field 'max_batch_size' in inference.ModelConfig is not repeated and cannot take a list",
    );
    assert.equal(
      messageOf('version_policy { latest { } }\nversion_policy { all { } }'),
      "config.pbtxt:2:1: non-repeated field 'version_policy' in inference.ModelConfig is specified more than once (first at 1:1)",
    );
  });

  test('oneof conflicts', () => {
    assert.equal(
      messageOf('dynamic_batching { }\nsequence_batching { }'),
      "config.pbtxt:2:1: field 'sequence_batching' conflicts with field 'dynamic_batching': both are members of oneof 'scheduling_choice' in inference.ModelConfig",
    );
    assert.match(
      messageOf('version_policy { latest { } all { } }'),
      /^config\.pbtxt:1:29: field 'all' conflicts with field 'latest'/,
    );
  });

  test("a map key '__proto__' is refused (assigning it dropped the entry silently)", () => {
    assert.equal(
      messageOf('parameters { key: "__proto__" value: { string_value: "v" } }'),
      "config.pbtxt:1:12: map key '__proto__' of 'parameters' is not supported",
    );
    assert.deepEqual(parse('parameters { key: "constructor" value: { string_value: "v" } }'), {
      parameters: { constructor: { string_value: 'v' } },
    });
  });

  test('map entry errors', () => {
    assert.equal(
      messageOf('parameters { name: "a" }'),
      "config.pbtxt:1:14: unknown field 'name' in map entry of 'parameters' (expected 'key' or 'value')",
    );
    assert.equal(
      messageOf('parameters: "a"'),
      "config.pbtxt:1:13: map field 'parameters' expects entries of the form { key: ... value: ... }",
    );
    assert.equal(
      messageOf('dynamic_batching { priority_queue_policy { key: "one" } }'),
      "config.pbtxt:1:49: field 'key' expects an integer (uint64), found 'one'",
    );
  });
});
