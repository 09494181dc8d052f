/**
 * What tensorgate does with every field of `inference.ModelConfig`: the one table behind the
 * load-time check of `config-support.ts` and the table of docs/model-config.md (a test keeps the
 * two equal, and another fails when the proto gains a field this table does not classify).
 *
 * Keys are dotted proto field paths without indices or map keys (`instance_group.host_policy`,
 * `model_warmup.inputs.dims`). Every field reachable through fields that are not refused has an
 * entry; a refused entry covers everything below it.
 */

/**
 * How a field is treated:
 * - `implemented`: the core (or every backend) does what Triton does with it;
 * - `backend`: only the backends that list it in `Backend.configSupport.fields` implement it;
 *   under any other backend it is refused unless it holds its default;
 * - `descriptive`: accepted, carries information but no behaviour (in Triton either);
 * - `no-effect`: accepted, because no value of it can change what tensorgate does;
 * - `refused`: the load fails with UNSUPPORTED naming the field, unless it holds its default
 *   (or, with `presence`, whenever it is there at all).
 */
export type FieldStatus = 'implemented' | 'backend' | 'descriptive' | 'no-effect' | 'refused';

/** One row of {@link CONFIG_FIELDS}. */
export interface FieldRule {
  readonly status: FieldStatus;
  /** Where it is implemented, or why it is accepted or refused (the docs table's last column). */
  readonly note: string;
  /**
   * For `refused` messages: the mere presence of the block is a non-default choice (a
   * `oneof scheduling_choice` member selects a scheduler even when empty).
   */
  readonly presence?: boolean;
}

const impl = (note: string): FieldRule => ({ status: 'implemented', note });
const refused = (note: string, presence = false): FieldRule => ({ status: 'refused', note, presence });

/** The rule of every ModelConfig field, by dotted path. */
export const CONFIG_FIELDS: Readonly<Record<string, FieldRule>> = {
  name: impl('must equal the model folder name (normalize-config.ts)'),
  platform: impl('selects the backend with `backend`; `ensemble` selects the ensemble scheduler (core/ensemble/)'),
  backend: impl('selects the backend (resolve-config.ts)'),
  runtime: refused('a backend runtime library or Python file; tensorgate has one runtime per backend'),
  version_policy: impl('versions served (version-policy.ts)'),
  'version_policy.latest': impl('version-policy.ts'),
  'version_policy.latest.num_versions': impl('version-policy.ts'),
  'version_policy.all': impl('version-policy.ts'),
  'version_policy.specific': impl('version-policy.ts'),
  'version_policy.specific.versions': impl('version-policy.ts'),
  max_batch_size: impl('request validation, dynamic batcher, backends'),

  input: impl('request validation (validate-request.ts)'),
  'input.name': impl('validate-request.ts'),
  'input.data_type': impl('validate-request.ts'),
  'input.format': {
    status: 'descriptive',
    note: 'tells clients the image layout (NHWC/NCHW); checked to have 3 dims, as in Triton',
  },
  'input.dims': impl('validate-request.ts'),
  'input.reshape': impl('reshape.ts'),
  'input.reshape.shape': impl('reshape.ts'),
  'input.is_shape_tensor': refused('shape tensors are TensorRT-only in Triton (its own message)'),
  'input.allow_ragged_batch': {
    status: 'backend',
    note: 'js (requests of different shapes share an `execute` call); Triton ragged batching is not in onnxruntime/llm',
  },
  'input.optional': impl('validate-request.ts, batch-signature.ts'),
  'input.is_non_linear_format_io': refused('TensorRT-only in Triton (its own message)'),

  output: impl('response validation and requested outputs'),
  'output.name': impl('validate-request.ts'),
  'output.data_type': impl('js output-validation.ts, onnxruntime model-io-check.ts'),
  'output.dims': impl('js output-validation.ts, onnxruntime model-io-check.ts'),
  'output.reshape': impl('reshape.ts'),
  'output.reshape.shape': impl('reshape.ts'),
  'output.label_filename': impl('classification extension (classification.ts)'),
  'output.is_shape_tensor': refused('shape tensors are TensorRT-only in Triton (its own message)'),
  'output.is_non_linear_format_io': refused('TensorRT-only in Triton (its own message)'),

  batch_input: refused('ragged batching inputs'),
  batch_output: refused('ragged batching outputs'),

  optimization: impl('a container; see its fields'),
  'optimization.graph': { status: 'backend', note: 'onnxruntime: graph optimization level (session-options.ts)' },
  'optimization.graph.level': { status: 'backend', note: 'onnxruntime (session-options.ts)' },
  'optimization.priority': refused('TensorRT stream priority'),
  'optimization.cuda': refused('CUDA graphs and streams'),
  'optimization.execution_accelerators': refused('TensorRT / OpenVINO execution accelerators'),
  'optimization.input_pinned_memory': {
    status: 'no-effect',
    note: 'tensorgate never stages tensors through pinned host memory, so either value does the same',
  },
  'optimization.input_pinned_memory.enable': { status: 'no-effect', note: 'see input_pinned_memory' },
  'optimization.output_pinned_memory': {
    status: 'no-effect',
    note: 'tensorgate never stages tensors through pinned host memory, so either value does the same',
  },
  'optimization.output_pinned_memory.enable': { status: 'no-effect', note: 'see output_pinned_memory' },
  'optimization.gather_kernel_buffer_threshold': refused('GPU gather kernel'),
  'optimization.eager_batching': refused('forming the next batch while the instance is busy'),

  dynamic_batching: impl('dynamic batcher (core/scheduling/), also on models with max_batch_size 0'),
  'dynamic_batching.preferred_batch_size': impl('batch-former.ts'),
  'dynamic_batching.max_queue_delay_microseconds': impl('batch-former.ts'),
  'dynamic_batching.preserve_ordering': impl('ordered-delivery.ts'),
  'dynamic_batching.priority_levels': impl('queue-policy.ts'),
  'dynamic_batching.default_priority_level': impl('queue-policy.ts'),
  'dynamic_batching.default_queue_policy': impl('queue-policy.ts'),
  'dynamic_batching.default_queue_policy.timeout_action': impl('queue-policy.ts'),
  'dynamic_batching.default_queue_policy.default_timeout_microseconds': impl('queue-policy.ts'),
  'dynamic_batching.default_queue_policy.allow_timeout_override': impl('queue-policy.ts'),
  'dynamic_batching.default_queue_policy.max_queue_size': impl('queue-policy.ts'),
  'dynamic_batching.priority_queue_policy': impl('queue-policy.ts'),
  'dynamic_batching.priority_queue_policy.timeout_action': impl('queue-policy.ts'),
  'dynamic_batching.priority_queue_policy.default_timeout_microseconds': impl('queue-policy.ts'),
  'dynamic_batching.priority_queue_policy.allow_timeout_override': impl('queue-policy.ts'),
  'dynamic_batching.priority_queue_policy.max_queue_size': impl('queue-policy.ts'),
  sequence_batching: impl('the sequence batcher (core/scheduling/sequence/, docs/sequence-batching.md)'),
  'sequence_batching.max_sequence_idle_microseconds': impl('sequence-timers.ts (idle sequences are released)'),
  'sequence_batching.control_input': impl('control-tensors.ts: the server adds them to every request'),
  'sequence_batching.control_input.name': impl('control-tensors.ts'),
  'sequence_batching.control_input.control': impl('control-tensors.ts'),
  'sequence_batching.control_input.control.kind': impl('START, END, READY and CORRID (control-tensors.ts)'),
  'sequence_batching.control_input.control.int32_false_true': impl('control-tensors.ts'),
  'sequence_batching.control_input.control.fp32_false_true': impl('control-tensors.ts'),
  'sequence_batching.control_input.control.bool_false_true': impl('control-tensors.ts'),
  'sequence_batching.control_input.control.data_type': impl('CORRID as UINT64, INT64, UINT32, INT32 or STRING'),
  'sequence_batching.direct': impl('slots batched together, empty ones READY false (slot-batch.ts)'),
  'sequence_batching.direct.max_queue_delay_microseconds': impl('slot-batch.ts (with minimum_slot_utilization)'),
  'sequence_batching.direct.minimum_slot_utilization': impl('slot-batch.ts'),
  'sequence_batching.oldest': impl('oldest-first dynamic batching of sequences (slot-batch.ts)'),
  'sequence_batching.oldest.max_candidate_sequences': impl('sequence slots per instance (sequence-settings.ts)'),
  'sequence_batching.oldest.preferred_batch_size': impl('batch-former.ts rules'),
  'sequence_batching.oldest.max_queue_delay_microseconds': impl('batch-former.ts rules'),
  'sequence_batching.oldest.preserve_ordering': refused(
    'ordering responses across sequences (each sequence is in order already: one request of it per batch)',
  ),
  'sequence_batching.state': {
    status: 'backend',
    note: 'implicit state: js and onnxruntime (core/scheduling/sequence/state-store.ts, [sequence-batching.md](sequence-batching.md#implicit-state))',
  },
  'sequence_batching.state.input_name': {
    status: 'backend',
    note: 'the model input the server feeds the state as (config/sequence-states.ts)',
  },
  'sequence_batching.state.output_name': {
    status: 'backend',
    note: 'the model output taken as the next state (config/sequence-states.ts)',
  },
  'sequence_batching.state.data_type': { status: 'backend', note: 'config/sequence-states.ts' },
  'sequence_batching.state.dims': { status: 'backend', note: 'config/sequence-states.ts; -1 starts as 1' },
  'sequence_batching.state.initial_state': {
    status: 'backend',
    note: 'state-config.ts; without it a state starts as zeros',
  },
  'sequence_batching.state.initial_state.data_type': { status: 'backend', note: 'state-config.ts' },
  'sequence_batching.state.initial_state.dims': { status: 'backend', note: 'state-config.ts' },
  'sequence_batching.state.initial_state.zero_data': { status: 'backend', note: 'state-config.ts' },
  'sequence_batching.state.initial_state.data_file': {
    status: 'backend',
    note: 'state-config.ts (read from <model>/initial_state, confined-path.ts)',
  },
  'sequence_batching.state.initial_state.name': { status: 'backend', note: 'state-config.ts (required, as in Triton)' },
  'sequence_batching.state.use_same_buffer_for_input_output': {
    status: 'no-effect',
    note: 'one GPU buffer for input and output state; tensorgate copies each state between executions',
  },
  'sequence_batching.state.use_growable_memory': refused(
    'growable GPU state memory (needs KIND_GPU and CUDA virtual memory)',
  ),
  'sequence_batching.iterative_sequence': refused('iterative sequences (a decoupled model rescheduling a request)'),
  ensemble_scheduling: impl('ensembles (core/ensemble/, docs/ensembles.md)'),
  'ensemble_scheduling.max_inflight_requests': refused(
    'a bound on in-flight ensemble requests (bound the composing models instead)',
  ),
  'ensemble_scheduling.step': impl('ensemble-steps.ts, ensemble-graph.ts'),
  'ensemble_scheduling.step.model_name': impl('ensemble-steps.ts'),
  'ensemble_scheduling.step.model_version': impl('ensemble-steps.ts (-1 or a fixed version)'),
  'ensemble_scheduling.step.input_map': impl('ensemble-graph.ts'),
  'ensemble_scheduling.step.output_map': impl('ensemble-graph.ts'),
  'ensemble_scheduling.step.model_namespace': refused('model namespaces'),

  instance_group: impl('instances: js, onnxruntime (one worker each); llm (one, count 1)'),
  'instance_group.name': impl('instance names'),
  'instance_group.kind': impl('KIND_CPU everywhere; KIND_GPU on onnxruntime with CUDA; KIND_AUTO resolved'),
  'instance_group.count': impl('instances per device'),
  'instance_group.rate_limiter': impl('with --rate-limit execution_count (core/scheduling/rate-limiter.ts)'),
  'instance_group.rate_limiter.resources': impl('taken per execution (rate-limit-instances.ts)'),
  'instance_group.rate_limiter.resources.name': impl('rate-limit-instances.ts'),
  'instance_group.rate_limiter.resources.global': impl('rate-limit-resources.ts'),
  'instance_group.rate_limiter.resources.count': impl('rate-limit-resources.ts'),
  'instance_group.rate_limiter.priority': impl('rate-limiter.ts (executions x priority)'),
  'instance_group.gpus': impl('onnxruntime CUDA device ids'),
  'instance_group.secondary_devices': refused('NVDLA secondary devices'),
  'instance_group.profile': refused('TensorRT optimization profiles (Triton’s own message)'),
  'instance_group.passive': refused('instances kept out of scheduling'),
  'instance_group.host_policy': refused('host policies (NUMA placement)'),

  default_model_filename: impl('the model file of each backend (confined-path.ts)'),
  cc_model_filenames: refused('per compute capability model files'),
  metric_tags: refused('extra metric labels'),
  parameters: impl('read by the backends; each refuses keys it does not know (js passes any to the model)'),
  'parameters.string_value': impl('backend parameters'),

  model_warmup: impl('warmup before serving (model-warmup.ts)'),
  'model_warmup.name': impl('model-warmup.ts'),
  'model_warmup.batch_size': impl('model-warmup.ts'),
  'model_warmup.inputs': impl('model-warmup.ts'),
  'model_warmup.inputs.data_type': impl('model-warmup.ts'),
  'model_warmup.inputs.dims': impl('model-warmup.ts'),
  'model_warmup.inputs.zero_data': impl('model-warmup.ts'),
  'model_warmup.inputs.random_data': impl('model-warmup.ts'),
  'model_warmup.inputs.input_data_file': impl('model-warmup.ts (confined to <model>/warmup)'),
  'model_warmup.count': impl('model-warmup.ts'),

  model_operations: refused('custom operation libraries'),
  model_transaction_policy: impl('a container; see decoupled'),
  'model_transaction_policy.decoupled': impl('js and llm; the onnxruntime backend refuses true'),
  model_repository_agents: refused('repository agents (e.g. checksum, decryption)'),
  response_cache: impl('the response cache with --cache-config (core/cache; docs/response-cache.md)'),
  'response_cache.enable': impl('core/cache/response-cache.ts; refused for decoupled and sequence models'),
  model_metrics: refused('custom histogram buckets'),
};
