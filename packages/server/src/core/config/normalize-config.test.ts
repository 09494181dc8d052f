import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeConfig, DEFAULT_SEQUENCE_IDLE_MICROSECONDS } from './normalize-config.js';
import { parseModelConfigText } from './pbtxt-to-object.js';

const io = `
  input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] } ]
  output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] } ]`;
const norm = (src: string, modelName = 'simple', extra: Partial<Parameters<typeof normalizeConfig>[1]> = {}) =>
  normalizeConfig(parseModelConfigText(src, 'config.pbtxt'), { modelName, ...extra });

describe('normalizeConfig defaults', () => {
  test('fills name, version policy, io fields, instance group and the rest like Triton', () => {
    const c = norm(`backend: "python"\nmax_batch_size: 4\n${io}`);
    assert.equal(c.name, 'simple');
    assert.equal(c.platform, '');
    assert.equal(c.backend, 'python');
    assert.equal(c.default_model_filename, 'model.py');
    assert.deepEqual(c.version_policy, { latest: { num_versions: 1 } });
    assert.deepEqual(c.input, [
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
    ]);
    assert.deepEqual(c.output, [
      {
        name: 'OUTPUT0',
        data_type: 'TYPE_FP32',
        dims: [16],
        label_filename: '',
        is_shape_tensor: false,
        is_non_linear_format_io: false,
      },
    ]);
    assert.deepEqual(c.instance_group, [
      {
        name: 'simple',
        kind: 'KIND_CPU',
        count: 1,
        gpus: [],
        secondary_devices: [],
        profile: [],
        passive: false,
        host_policy: '',
      },
    ]);
    assert.deepEqual(c.parameters, {});
    assert.deepEqual(c.model_warmup, []);
    assert.deepEqual(c.model_transaction_policy, { decoupled: false });
    assert.deepEqual(c['optimization'], {
      priority: 'PRIORITY_DEFAULT',
      gather_kernel_buffer_threshold: 0,
      eager_batching: false,
      input_pinned_memory: { enable: true },
      output_pinned_memory: { enable: true },
    });
    assert.equal(c.dynamic_batching, undefined);
  });

  test('does not modify its input and is idempotent', () => {
    const raw = parseModelConfigText(`backend: "python"\n${io}`, 'config.pbtxt');
    const before = structuredClone(raw);
    const once = normalizeConfig(raw, { modelName: 'm' });
    assert.deepEqual(raw, before);
    assert.deepEqual(normalizeConfig(once, { modelName: 'm' }), once);
  });

  test('instance groups: unnamed get <model>_<i>, count 0 becomes the default, KIND_AUTO resolves', () => {
    const c = norm(
      `backend: "python"\n${io}\ninstance_group [ { name: "a" count: 3 kind: KIND_CPU }, { count: 0 }, { kind: KIND_AUTO } ]`,
    );
    assert.deepEqual(
      c.instance_group.map((g) => [g.name, g.kind, g.count, g.gpus]),
      [
        ['a', 'KIND_CPU', 3, []],
        ['simple_1', 'KIND_CPU', 1, []],
        ['simple_2', 'KIND_CPU', 1, []],
      ],
    );
  });

  test('KIND_AUTO becomes KIND_GPU when the listed GPUs exist; KIND_GPU gets every GPU when none listed', () => {
    const c = norm(
      `backend: "python"\n${io}\ninstance_group [ { kind: KIND_AUTO gpus: [ 1 ] }, { kind: KIND_GPU } ]`,
      'simple',
      {
        availableGpus: [0, 1],
      },
    );
    assert.deepEqual(
      c.instance_group.map((g) => [g.kind, g.gpus]),
      [
        ['KIND_GPU', [1]],
        ['KIND_GPU', [0, 1]],
      ],
    );
  });

  test('onnxruntime and tensorflow default to two CPU instances, as in Triton', () => {
    assert.equal(norm(`platform: "onnxruntime_onnx"\n${io}`).instance_group[0]?.count, 2);
    assert.equal(norm(`backend: "onnxruntime"\n${io}\ninstance_group { kind: KIND_CPU }`).instance_group[0]?.count, 2);
    assert.equal(
      norm(`backend: "onnxruntime"\n${io}\ninstance_group { kind: KIND_MODEL }`).instance_group[0]?.count,
      1,
    );
  });

  test('dynamic batching defaults: preferred size = max_batch_size, queue policies filled', () => {
    const c =
      norm(`backend: "python"\nmax_batch_size: 8\n${io}\ndynamic_batching { priority_levels: 2 default_priority_level: 2
      default_queue_policy { max_queue_size: 4 } priority_queue_policy { key: 1 value { timeout_action: DELAY } } }`);
    assert.deepEqual(c.dynamic_batching, {
      preferred_batch_size: [8],
      max_queue_delay_microseconds: 0,
      preserve_ordering: false,
      priority_levels: 2,
      default_priority_level: 2,
      default_queue_policy: {
        timeout_action: 'REJECT',
        default_timeout_microseconds: 0,
        allow_timeout_override: false,
        max_queue_size: 4,
      },
      priority_queue_policy: {
        '1': {
          timeout_action: 'DELAY',
          default_timeout_microseconds: 0,
          allow_timeout_override: false,
          max_queue_size: 0,
        },
      },
    });
    const empty = norm(`backend: "python"\n${io}\ndynamic_batching { }`);
    assert.deepEqual(empty.dynamic_batching?.preferred_batch_size, []);
    assert.deepEqual(empty.dynamic_batching?.priority_queue_policy, {});
  });

  test('sequence batching defaults: idle time and oldest preferred size', () => {
    const c = norm(`backend: "python"\nmax_batch_size: 4\n${io}\nsequence_batching { oldest { } }`);
    const sb = c.sequence_batching as Record<string, unknown>;
    assert.equal(sb['max_sequence_idle_microseconds'], DEFAULT_SEQUENCE_IDLE_MICROSECONDS);
    assert.deepEqual(sb['oldest'], {
      max_candidate_sequences: 0,
      preferred_batch_size: [4],
      max_queue_delay_microseconds: 0,
      preserve_ordering: false,
    });
    assert.deepEqual(sb['control_input'], []);
  });

  test('parameters get string_value defaults; ensembles get no instance groups or optimization', () => {
    const c = norm(`backend: "python"\n${io}\nparameters { key: "k" }`);
    assert.deepEqual(c.parameters, { k: { string_value: '' } });
    const e = norm(
      `platform: "ensemble"\n${io}\nensemble_scheduling { step [ { model_name: "a" model_version: -1 input_map { key: "x" value: "INPUT0" } output_map { key: "y" value: "OUTPUT0" } } ] }`,
      'ens',
    );
    assert.deepEqual(e.instance_group, []);
    assert.equal(e['optimization'], undefined);
    assert.equal(e.backend, '');
  });

  test('validateIo: false defers input/output checks for auto-complete', () => {
    const c = norm('backend: "python"', 'simple', { validateIo: false });
    assert.deepEqual(c.input, []);
  });
});
