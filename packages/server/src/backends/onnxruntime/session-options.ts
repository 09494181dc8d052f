/**
 * ORT session options from a model config, under the parameter names Triton's onnxruntime backend
 * reads (`intra_op_thread_count`, `inter_op_thread_count`, `execution_mode`, `enable_mem_arena`,
 * `enable_mem_pattern`, `session.use_device_allocator_for_initializers`, and
 * `optimization { graph { level } }`), so a Triton model repository keeps its tuning.
 *
 * Defaults differ from Triton on purpose: ORT's own default starts one intra-op thread per core in
 * every session, and each instance here is a session in its own worker, so N instances would start
 * N × cores threads fighting over the same cores. tensorgate splits the cores between the instances
 * instead.
 */
import type { ModelConfig } from '../../core/config/model-config.js';
import { invalidArg } from '../../core/errors.js';

/** The session parameters of Triton's onnxruntime backend that tensorgate implements. */
export const ORT_SESSION_PARAMETERS: readonly string[] = [
  'intra_op_thread_count',
  'inter_op_thread_count',
  'execution_mode',
  'enable_mem_arena',
  'enable_mem_pattern',
  'session.use_device_allocator_for_initializers',
];

/**
 * Parameters of Triton's onnxruntime backend that tensorgate does not implement: a config that
 * sets one fails to load (UNSUPPORTED) rather than loading without it.
 */
export const ORT_UNSUPPORTED_PARAMETERS: Readonly<Record<string, string>> = {
  cudnn_conv_algo_search: "Triton's CUDA provider option is not implemented",
  gpu_mem_limit: "Triton's CUDA provider option is not implemented",
  arena_extend_strategy: "Triton's CUDA provider option is not implemented",
  do_copy_in_default_stream: "Triton's CUDA provider option is not implemented",
  'memory.enable_memory_arena_shrinkage': "Triton's run option is not implemented",
  share_session_between_instances: 'each instance runs its own session in its own worker thread',
};

/** The subset of `InferenceSession.SessionOptions` tensorgate sets (structured-cloneable). */
export interface OrtSessionSettings {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  executionMode: 'sequential' | 'parallel';
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  enableCpuMemArena?: boolean;
  enableMemPattern?: boolean;
  /** Session config entries by their full ORT key (`session.*`), passed through `extra`. */
  extra?: Record<string, unknown>;
}

/** Number of instances a config starts (GPU groups: `count` per listed GPU, as Triton does). */
export function totalInstanceCount(config: Pick<ModelConfig, 'instance_group'>): number {
  let total = 0;
  for (const g of config.instance_group) {
    const perDevice = Math.max(0, g.count);
    total += g.kind === 'KIND_GPU' && g.gpus.length > 0 ? perDevice * g.gpus.length : perDevice;
  }
  return Math.max(1, total);
}

function param(config: Pick<ModelConfig, 'parameters'>, key: string): string | undefined {
  const p = config.parameters[key];
  return p === undefined ? undefined : p.string_value.trim();
}

function intParam(config: Pick<ModelConfig, 'parameters'>, key: string): number | undefined {
  const v = param(config, key);
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) {
    throw invalidArg(`parameter '${key}' must be a non-negative integer, got '${v}'`);
  }
  return Number(v);
}

/** Triton's ParseBoolValue spellings. */
function boolParam(config: Pick<ModelConfig, 'parameters'>, key: string): boolean | undefined {
  const v = param(config, key);
  if (v === undefined || v === '') return undefined;
  const lower = v.toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(lower)) return true;
  if (['0', 'false', 'off', 'no'].includes(lower)) return false;
  throw invalidArg(`parameter '${key}' must be a boolean (1/0, true/false), got '${v}'`);
}

/**
 * Triton's `optimization.graph.level`: -1 basic, 1 basic + extended, 2 everything disabled, and
 * anything else (0, or no `graph` block) every optimization.
 */
function graphLevel(config: Record<string, unknown>): OrtSessionSettings['graphOptimizationLevel'] {
  const opt = config['optimization'] as { graph?: { level?: unknown } } | undefined;
  const raw = opt?.graph?.level;
  const level = typeof raw === 'string' ? Number(raw) : raw;
  if (level === undefined || level === null) return 'all';
  if (typeof level !== 'number' || !Number.isInteger(level)) {
    throw invalidArg(`optimization.graph.level must be an integer, got ${String(raw)}`);
  }
  if (level === -1) return 'basic';
  if (level === 1) return 'extended';
  if (level === 2) return 'disabled';
  return 'all';
}

/**
 * Builds the session options of every instance of a model.
 *
 * @param cores - CPU cores to share between the instances (`os.availableParallelism()`)
 * @throws InferenceError INVALID_ARG naming the parameter whose value cannot be used
 * @example
 * ```ts
 * sessionSettings(config, 8); // 2 instances on 8 cores → { intraOpNumThreads: 3, interOpNumThreads: 1, ... }
 * ```
 */
export function sessionSettings(config: ModelConfig, cores: number): OrtSessionSettings {
  const settings: OrtSessionSettings = {
    executionMode: 'sequential',
    graphOptimizationLevel: graphLevel(config),
  };
  const mode = param(config, 'execution_mode');
  if (mode !== undefined && mode !== '') {
    if (mode === '0' || mode.toLowerCase() === 'sequential') settings.executionMode = 'sequential';
    else if (mode === '1' || mode.toLowerCase() === 'parallel') settings.executionMode = 'parallel';
    else throw invalidArg(`parameter 'execution_mode' must be 0 or 1, got '${mode}'`);
  }
  // 0 means "let ONNX Runtime choose" (one thread per core), as in Triton; absent means our default.
  const intra = intParam(config, 'intra_op_thread_count');
  if (intra === undefined) {
    settings.intraOpNumThreads = Math.max(1, Math.floor((cores - 1) / totalInstanceCount(config)));
  } else if (intra > 0) {
    settings.intraOpNumThreads = intra;
  }
  const inter = intParam(config, 'inter_op_thread_count');
  if (inter === undefined) settings.interOpNumThreads = 1;
  else if (inter > 0) settings.interOpNumThreads = inter;
  const arena = boolParam(config, 'enable_mem_arena');
  if (arena !== undefined) settings.enableCpuMemArena = arena;
  const pattern = boolParam(config, 'enable_mem_pattern');
  if (pattern !== undefined) settings.enableMemPattern = pattern;
  const deviceInit = param(config, 'session.use_device_allocator_for_initializers');
  if (deviceInit !== undefined && deviceInit !== '') {
    settings.extra = { 'session.use_device_allocator_for_initializers': deviceInit };
  }
  return settings;
}
