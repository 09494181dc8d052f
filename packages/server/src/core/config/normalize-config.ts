/**
 * Turns a raw model configuration (parsed `config.pbtxt`, a load-API JSON override or a backend's
 * auto-completed config) into a complete {@link ModelConfig}: Triton's autofill and normalization
 * defaults first, then Triton's validation rules (see `validate-config.ts`).
 *
 * Normalization is idempotent, so a backend that auto-completes inputs and outputs can run the
 * result through it again.
 */
import { invalidArg } from '../errors.js';
import { autofillBackendFields } from './backend-autofill.js';
import type { ModelConfig } from './model-config.js';
import { modelConfigType } from './pbtxt-to-object.js';
import { fillProtoDefaults } from './proto-json.js';
import { validateModelConfig, validateModelIo } from './validate-config.js';

type Obj = Record<string, unknown>;

/** Triton's default `max_sequence_idle_microseconds` (one second). */
export const DEFAULT_SEQUENCE_IDLE_MICROSECONDS = 1_000_000;

/** Options of {@link normalizeConfig}. */
export interface NormalizeConfigOptions {
  /** Name the model is loaded under (its directory name); the config's `name` must equal it. */
  modelName: string;
  /** Entries of the first version directory, used to guess the backend like Triton does. */
  versionFiles?: readonly string[];
  /** Extra default-file → backend pairs for tensorgate's own backends, e.g. `{ 'model.js': 'js' }`. */
  extraBackendFiles?: Readonly<Record<string, string>>;
  /** GPU ids present on this host; none by default, so KIND_AUTO groups become KIND_CPU. */
  availableGpus?: readonly number[];
  /**
   * Whether to validate inputs and outputs now (default true). Pass false when a backend will
   * auto-complete them, as Triton defers that check when autofill is on.
   */
  validateIo?: boolean;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** Sets each missing key of `target` to its default. */
function defaults(target: Obj, values: Obj): Obj {
  for (const [k, v] of Object.entries(values)) if (target[k] === undefined) target[k] = v;
  return target;
}

/** Fills the primitive defaults of a ModelQueuePolicy. */
function queuePolicy(v: unknown): Obj {
  return defaults(obj(v), {
    timeout_action: 'REJECT',
    default_timeout_microseconds: 0,
    allow_timeout_override: false,
    max_queue_size: 0,
  });
}

/**
 * Applies Triton's defaults to a raw configuration and validates it.
 *
 * @param raw - the configuration as parsed (snake_case proto field names); not modified
 * @throws InferenceError INVALID_ARG with Triton's wording when the configuration is invalid
 * @example
 * ```ts
 * const config = normalizeConfig(parseModelConfigText(text, path), { modelName: 'densenet' });
 * config.instance_group; // [{ name: 'densenet', kind: 'KIND_CPU', count: 2, gpus: [], ... }] for onnxruntime
 * ```
 */
export function normalizeConfig(raw: Readonly<Obj>, options: NormalizeConfigOptions): ModelConfig {
  if (!isObj(raw)) throw invalidArg('model configuration must be an object');
  const cfg = structuredClone(raw) as Obj;
  if (!cfg['name']) cfg['name'] = options.modelName;
  const name = cfg['name'] as string;
  autofillBackendFields(cfg, options);
  const isEnsemble = cfg['ensemble_scheduling'] !== undefined;

  defaults(cfg, { runtime: '', max_batch_size: 0, input: [], output: [], batch_input: [], batch_output: [] });
  const maxBatch = num(cfg['max_batch_size']);
  cfg['version_policy'] = normalizeVersionPolicy(cfg['version_policy']);
  cfg['input'] = arr(cfg['input']).map((io) =>
    defaults(obj(io), {
      name: '',
      data_type: 'TYPE_INVALID',
      format: 'FORMAT_NONE',
      dims: [],
      is_shape_tensor: false,
      allow_ragged_batch: false,
      optional: false,
      is_non_linear_format_io: false,
    }),
  );
  cfg['output'] = arr(cfg['output']).map((io) =>
    defaults(obj(io), {
      name: '',
      data_type: 'TYPE_INVALID',
      dims: [],
      label_filename: '',
      is_shape_tensor: false,
      is_non_linear_format_io: false,
    }),
  );
  for (const io of [...(cfg['input'] as Obj[]), ...(cfg['output'] as Obj[])]) {
    if (isObj(io['reshape'])) defaults(io['reshape'], { shape: [] });
  }

  if (cfg['dynamic_batching'] !== undefined) {
    const db = defaults(obj(cfg['dynamic_batching']), {
      preferred_batch_size: [],
      max_queue_delay_microseconds: 0,
      preserve_ordering: false,
      priority_levels: 0,
      default_priority_level: 0,
      priority_queue_policy: {},
    });
    if (arr(db['preferred_batch_size']).length === 0 && maxBatch > 0) db['preferred_batch_size'] = [maxBatch];
    if (db['default_queue_policy'] !== undefined) db['default_queue_policy'] = queuePolicy(db['default_queue_policy']);
    const pqp = obj(db['priority_queue_policy']);
    for (const k of Object.keys(pqp)) pqp[k] = queuePolicy(pqp[k]);
    db['priority_queue_policy'] = pqp;
    cfg['dynamic_batching'] = db;
  }
  if (cfg['sequence_batching'] !== undefined)
    cfg['sequence_batching'] = normalizeSequence(cfg['sequence_batching'], maxBatch);

  if (!isEnsemble) {
    const opt = obj(cfg['optimization']);
    defaults(opt, { priority: 'PRIORITY_DEFAULT', gather_kernel_buffer_threshold: 0, eager_batching: false });
    if (opt['input_pinned_memory'] === undefined) opt['input_pinned_memory'] = { enable: true };
    if (opt['output_pinned_memory'] === undefined) opt['output_pinned_memory'] = { enable: true };
    cfg['optimization'] = opt;
    cfg['instance_group'] = normalizeInstanceGroups(cfg, name, options.availableGpus ?? []);
  } else {
    defaults(cfg, { instance_group: [] });
  }

  defaults(cfg, {
    default_model_filename: '',
    cc_model_filenames: {},
    metric_tags: {},
    parameters: {},
    model_warmup: [],
    model_transaction_policy: {},
  });
  defaults(obj(cfg['model_transaction_policy']), { decoupled: false });
  const params = obj(cfg['parameters']);
  for (const k of Object.keys(params)) params[k] = defaults(obj(params[k]), { string_value: '' });

  const config = fillProtoDefaults(cfg, modelConfigType()) as ModelConfig;
  validateModelConfig(config, { availableGpus: options.availableGpus ?? [] });
  if (options.validateIo !== false) validateModelIo(config);
  if (config.name !== options.modelName) {
    throw invalidArg(
      `unexpected directory name '${options.modelName}' for model '${config.name}', directory name must equal model name`,
    );
  }
  return config;
}

function normalizeVersionPolicy(v: unknown): Obj {
  if (!isObj(v) || Object.keys(v).length === 0) return { latest: { num_versions: 1 } };
  if (isObj(v['latest'])) defaults(v['latest'], { num_versions: 0 });
  if (isObj(v['specific'])) defaults(v['specific'], { versions: [] });
  return v;
}

function normalizeSequence(v: unknown, maxBatch: number): Obj {
  const sb = defaults(obj(v), {
    max_sequence_idle_microseconds: 0,
    control_input: [],
    state: [],
    iterative_sequence: false,
  });
  if (num(sb['max_sequence_idle_microseconds']) === 0) {
    sb['max_sequence_idle_microseconds'] = DEFAULT_SEQUENCE_IDLE_MICROSECONDS;
  }
  if (isObj(sb['oldest'])) {
    const oldest = defaults(sb['oldest'], {
      max_candidate_sequences: 0,
      preferred_batch_size: [],
      max_queue_delay_microseconds: 0,
      preserve_ordering: false,
    });
    if (arr(oldest['preferred_batch_size']).length === 0 && maxBatch > 0) oldest['preferred_batch_size'] = [maxBatch];
  }
  if (isObj(sb['direct'])) {
    defaults(sb['direct'], { max_queue_delay_microseconds: 0, minimum_slot_utilization: 0 });
  }
  return sb;
}

/** Triton's NormalizeInstanceGroup for a host with `gpus` (no preferred groups from backends). */
function normalizeInstanceGroups(cfg: Obj, name: string, gpus: readonly number[]): Obj[] {
  const groups = arr(cfg['instance_group']).map(obj);
  if (groups.length === 0) groups.push({ name });
  const backend = cfg['backend'] as string;
  return groups.map((g, i) => {
    defaults(g, { name: '', kind: 'KIND_AUTO', count: 0, gpus: [], secondary_devices: [], profile: [] });
    defaults(g, { passive: false, host_policy: '' });
    if (!g['name']) g['name'] = `${name}_${i}`;
    const listed = arr(g['gpus']) as number[];
    if (g['kind'] === 'KIND_AUTO') {
      g['kind'] = gpus.length > 0 && listed.every((id) => gpus.includes(id)) ? 'KIND_GPU' : 'KIND_CPU';
    }
    if (num(g['count']) < 1) {
      // Triton starts two CPU instances for the TensorFlow and ONNX Runtime backends, one otherwise.
      g['count'] = g['kind'] === 'KIND_CPU' && (backend === 'tensorflow' || backend === 'onnxruntime') ? 2 : 1;
    }
    if (g['kind'] === 'KIND_GPU' && listed.length === 0) g['gpus'] = [...gpus];
    return g;
  });
}
