import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceError } from '../errors.js';
import { parseConfigJson } from './config-json.js';
import { checkConfigSupport, type BackendConfigSupport } from './config-support.js';
import { normalizeConfig } from './normalize-config.js';

type Obj = Record<string, unknown>;

const JS: BackendConfigSupport = { fields: ['input.allow_ragged_batch'], parameters: 'any' };
const ORT: BackendConfigSupport = {
  fields: ['optimization.graph'],
  parameters: ['intra_op_thread_count', 'execution_timeout_ms'],
  unsupportedParameters: { gpu_mem_limit: "Triton's CUDA provider option is not implemented" },
};

function base(extra: Obj = {}): Obj {
  return {
    name: 'm',
    backend: 'js',
    max_batch_size: 4,
    input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [2] }],
    output: [{ name: 'y', data_type: 'TYPE_FP32', dims: [2] }],
    ...extra,
  };
}

/** A backend that declares no configSupport. */
const NONE = 'none';

/** Normalizes and checks `raw` as a load would, under `backend`. */
function load(raw: Obj, backend = 'js', support: BackendConfigSupport | typeof NONE = JS): void {
  checkConfigSupport(normalizeConfig(raw, { modelName: 'm' }), backend, support === NONE ? undefined : support);
}

function refusedWith(
  raw: Obj,
  message: string,
  backend = 'js',
  support: BackendConfigSupport | typeof NONE = JS,
): void {
  assert.throws(
    () => load(raw, backend, support),
    (e: unknown) => {
      assert.ok(e instanceof InferenceError, String(e));
      assert.equal(e.code, 'UNSUPPORTED', e.message);
      assert.equal(e.message, message);
      return true;
    },
  );
}

const group = (extra: Obj): Obj[] => [{ kind: 'KIND_CPU', count: 1, ...extra }];

describe('refused fields fail the load naming the field', () => {
  const cases: [string, Obj][] = [
    ['runtime', { runtime: 'model.py' }],
    [
      'batch_input',
      {
        batch_input: [{ kind: 'BATCH_ELEMENT_COUNT', target_name: ['N'], data_type: 'TYPE_FP32', source_input: ['x'] }],
      },
    ],
    ['batch_output', { batch_output: [{ target_name: ['y'], source_input: ['x'] }] }],
    ['optimization.priority', { optimization: { priority: 'PRIORITY_MAX' } }],
    ['optimization.cuda', { optimization: { cuda: { graphs: true } } }],
    [
      'optimization.execution_accelerators',
      { optimization: { execution_accelerators: { gpu_execution_accelerator: [{ name: 'tensorrt' }] } } },
    ],
    ['optimization.gather_kernel_buffer_threshold', { optimization: { gather_kernel_buffer_threshold: 8 } }],
    ['optimization.eager_batching', { optimization: { eager_batching: true } }],
    ['sequence_batching.iterative_sequence', { sequence_batching: { iterative_sequence: true } }],
    ['sequence_batching.oldest.preserve_ordering', { sequence_batching: { oldest: { preserve_ordering: true } } }],
    [
      'instance_group[1].passive',
      {
        instance_group: [
          { kind: 'KIND_CPU', count: 1 },
          { kind: 'KIND_CPU', count: 1, passive: true },
        ],
      },
    ],
    [
      'instance_group[0].secondary_devices',
      { instance_group: group({ secondary_devices: [{ kind: 'KIND_NVDLA', device_id: 0 }] }) },
    ],
    ['instance_group[0].passive', { instance_group: group({ passive: true }) }],
    ['instance_group[0].host_policy', { instance_group: group({ host_policy: 'numa0' }) }],
    ['cc_model_filenames', { cc_model_filenames: { '7.5': 'model_75.onnx' } }],
    ['metric_tags', { metric_tags: { team: 'a' } }],
    ['model_operations', { model_operations: { op_library_filename: ['libcustom.so'] } }],
    ['model_repository_agents', { model_repository_agents: { agents: [{ name: 'checksum' }] } }],
    [
      'model_metrics',
      {
        model_metrics: {
          metric_control: [
            { metric_identifier: { family: 'nv_inference_request_duration' }, histogram_options: { buckets: [1] } },
          ],
        },
      },
    ],
  ];
  for (const [path, extra] of cases) {
    test(`${path}: ${JSON.stringify(extra)}`, () => {
      refusedWith(base(extra), `model 'm': ${path} is not supported yet`);
    });
  }

  test('TensorRT-only fields keep Triton’s own message (INVALID_ARG, from validation)', () => {
    const shape = base({ input: [{ name: 'x', data_type: 'TYPE_INT32', dims: [2], is_shape_tensor: true }] });
    assert.throws(() => load(shape), /shape tensors are only supported for TensorRT platform/);
    const profile = base({ instance_group: group({ profile: ['0'] }) });
    assert.throws(() => load(profile), /specifies profile field which is only supported for TensorRT models/);
  });
});

describe('backend-specific fields', () => {
  test('optimization.graph is the onnxruntime backend’s, refused under js unless it holds its default', () => {
    refusedWith(
      base({ optimization: { graph: { level: 1 } } }),
      "model 'm': optimization.graph is not supported by the js backend",
    );
    load(base({ optimization: { graph: { level: 0 } } }));
    load(base({ backend: 'onnxruntime', optimization: { graph: { level: 2 } } }), 'onnxruntime', ORT);
  });

  test('allow_ragged_batch is the js backend’s; the onnxruntime backend refuses it by path', () => {
    const raw = base({ input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [-1], allow_ragged_batch: true }] });
    load(raw);
    refusedWith(
      { ...raw, backend: 'onnxruntime' },
      "model 'm': input[0].allow_ragged_batch is not supported by the onnxruntime backend",
      'onnxruntime',
      ORT,
    );
  });

  test('a backend without configSupport implements no backend field', () => {
    refusedWith(
      base({ input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [-1], allow_ragged_batch: true }] }),
      "model 'm': input[0].allow_ragged_batch is not supported by the custom backend",
      'custom',
      NONE,
    );
  });
});

describe('default values load: configs that spell defaults out, as config endpoints print them', () => {
  const cases: Obj[] = [
    { runtime: '' },
    { response_cache: { enable: false } },
    { response_cache: {} },
    { optimization: {} },
    {
      optimization: {
        priority: 'PRIORITY_DEFAULT',
        cuda: { graphs: false, busy_wait_events: false, graph_spec: [], output_copy_stream: false },
        execution_accelerators: { gpu_execution_accelerator: [], cpu_execution_accelerator: [] },
        input_pinned_memory: { enable: false },
        output_pinned_memory: { enable: true },
        gather_kernel_buffer_threshold: 0,
        eager_batching: false,
      },
    },
    { model_transaction_policy: { decoupled: false } },
    {
      instance_group: group({
        rate_limiter: { resources: [], priority: 0 },
        secondary_devices: [],
        profile: [],
        passive: false,
        host_policy: '',
      }),
    },
    { instance_group: group({ rate_limiter: {} }) },
    { cc_model_filenames: {}, metric_tags: {} },
    { batch_input: [], batch_output: [] },
    { model_operations: { op_library_filename: [] } },
    { model_repository_agents: { agents: [] } },
    { model_metrics: { metric_control: [] } },
  ];
  for (const extra of cases) {
    test(JSON.stringify(extra), () => load(base(extra)));
  }

  test('the JSON of Triton’s config endpoint (densenet_onnx on a CPU host) loads', () => {
    // As Triton 24.x prints it: every primitive field, the normalized optimization block, instance
    // groups with all their fields, empty maps and lists.
    const triton = {
      name: 'densenet_onnx',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      runtime: '',
      version_policy: { latest: { num_versions: 1 } },
      max_batch_size: 0,
      input: [
        {
          name: 'data_0',
          data_type: 'TYPE_FP32',
          format: 'FORMAT_NCHW',
          dims: [3, 224, 224],
          reshape: { shape: [1, 3, 224, 224] },
          is_shape_tensor: false,
          allow_ragged_batch: false,
          optional: false,
          is_non_linear_format_io: false,
        },
      ],
      output: [
        {
          name: 'fc6_1',
          data_type: 'TYPE_FP32',
          dims: [1000],
          reshape: { shape: [1, 1000, 1, 1] },
          label_filename: 'densenet_labels.txt',
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
          name: 'densenet_onnx',
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
    };
    const config = normalizeConfig(parseConfigJson(JSON.stringify(triton)), { modelName: 'densenet_onnx' });
    checkConfigSupport(config, 'onnxruntime', ORT);
  });

  test('sequence_batching is implemented, empty or with a strategy; implicit state only where a backend lists it', () => {
    const config = normalizeConfig(base(), { modelName: 'm' });
    checkConfigSupport({ ...config, sequence_batching: {} }, 'js', JS);
    checkConfigSupport({ ...config, sequence_batching: { oldest: { max_candidate_sequences: 4 } } }, 'js', JS);
    const state = { sequence_batching: { state: [{ input_name: 'S', output_name: 'T' }] } };
    checkConfigSupport({ ...config, ...state }, 'js', { ...JS, fields: [...JS.fields!, 'sequence_batching.state'] });
    assert.throws(
      () => checkConfigSupport({ ...config, ...state }, 'llm', JS),
      /^InferenceError: model 'm': sequence_batching\.state is not supported by the llm backend/,
    );
  });

  test('ensemble_scheduling is implemented; its unimplemented fields are refused by path', () => {
    const config = normalizeConfig(base(), { modelName: 'm' });
    const step = { model_name: 'x', model_version: -1, input_map: { IN: 'a' }, output_map: { OUT: 'b' } };
    checkConfigSupport({ ...config, ensemble_scheduling: { step: [step] } }, 'ensemble', undefined);
    assert.throws(
      () =>
        checkConfigSupport(
          { ...config, ensemble_scheduling: { step: [{ ...step, model_namespace: 'ns' }] } },
          'ensemble',
          undefined,
        ),
      /^InferenceError: model 'm': ensemble_scheduling\.step\[0\]\.model_namespace is not supported yet$/,
    );
  });
});

describe('parameters', () => {
  const withParams = (keys: string[]): Obj =>
    base({ parameters: Object.fromEntries(keys.map((k) => [k, { string_value: '1' }])) });

  test('js passes any key to the model', () => {
    load(withParams(['anything', 'execution_timeout_ms', 'my.model.setting']));
  });

  test('a backend refuses keys it does not read, listing those it does', () => {
    assert.throws(
      () => load(withParams(['intra_op_thread_count', 'intra_op_threads']), 'onnxruntime', ORT),
      (e: unknown) =>
        e instanceof InferenceError &&
        e.code === 'INVALID_ARG' &&
        e.message ===
          "model 'm': unknown parameter 'intra_op_threads' for the onnxruntime backend (known: intra_op_thread_count, execution_timeout_ms)",
    );
    load(withParams(['intra_op_thread_count', 'execution_timeout_ms']), 'onnxruntime', ORT);
  });

  test('a key the backend knows of but does not implement is UNSUPPORTED, saying why', () => {
    refusedWith(
      withParams(['gpu_mem_limit']),
      "model 'm': parameter 'gpu_mem_limit' is not supported by the onnxruntime backend: Triton's CUDA provider option is not implemented",
      'onnxruntime',
      ORT,
    );
  });

  test('a backend without configSupport reads no key', () => {
    assert.throws(
      () => load(withParams(['k']), 'custom', NONE),
      /^InferenceError: model 'm': unknown parameter 'k' for the custom backend \(it reads none\)$/,
    );
    load(base(), 'custom', NONE);
  });

  test('inherited property names are keys like any other', () => {
    assert.throws(
      () => load(withParams(['constructor']), 'onnxruntime', ORT),
      /unknown parameter 'constructor' for the onnxruntime backend/,
    );
  });
});
