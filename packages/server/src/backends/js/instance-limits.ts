/**
 * The per-instance limits of the worker-thread backends (js and onnxruntime), read from the model
 * config's `parameters`: `execution_timeout_ms` (the execution watchdog), `memory_limit_mb` (the
 * instance's memory cap) and `initialize_timeout_ms` (loading: the module import plus
 * `initialize()`). Deployments rely on these names; keep them.
 */
import type { ModelConfig } from '../../core/config/model-config.js';
import { invalidArg } from '../../core/errors.js';

/** Config parameter of the execution watchdog. */
export const EXECUTION_TIMEOUT_PARAM = 'execution_timeout_ms';
/** Config parameter of the memory cap. */
export const MEMORY_LIMIT_PARAM = 'memory_limit_mb';
/** Config parameter of the load timeout. */
export const INITIALIZE_TIMEOUT_PARAM = 'initialize_timeout_ms';

/**
 * Default execution timeout: far above what an ONNX or JS model normally takes (milliseconds), so
 * only a wedged execution (an endless loop, a promise that never settles) hits it, yet a client
 * without a deadline gets its answer within a minute.
 */
export const DEFAULT_EXECUTION_TIMEOUT_MS = 60_000;
/**
 * Default load timeout: the import of the model file plus `initialize()` (an ONNX session's
 * creation, a JS model reading its weights). Ten minutes covers large models on a slow disk; a
 * model that hangs while loading (a promise that never settles, a busy loop) fails its load
 * instead of holding the load thread and the instance forever.
 */
export const DEFAULT_INITIALIZE_TIMEOUT_MS = 600_000;
/** Largest accepted timeout (24 h); beyond that, 0 (no timeout) says what is meant. */
export const MAX_EXECUTION_TIMEOUT_MS = 86_400_000;
/**
 * Default memory cap: the JavaScript heap plus the ArrayBuffers of one instance. Ample for pre-
 * and post-processing and ONNX sessions (whose weights live in native memory, outside the cap),
 * well under V8's own heap limit (about 4 GB on a large host) with no cap on ArrayBuffers at all.
 */
export const DEFAULT_MEMORY_LIMIT_MB = 1024;
/** Smallest accepted cap: a worker needs some room for Node itself before any model code runs. */
export const MIN_MEMORY_LIMIT_MB = 64;
/** Largest accepted cap (1 TiB). */
export const MAX_MEMORY_LIMIT_MB = 1_048_576;

/** The limits of one model's instances; 0 disables a limit. */
export interface InstanceLimits {
  /**
   * Longest time an instance may go with work in flight and no progress (no execution returned,
   * no response sent) before its worker is terminated and restarted; milliseconds, 0 = none.
   */
  readonly executionTimeoutMs: number;
  /** Cap on the instance's JavaScript heap plus its ArrayBuffers; megabytes, 0 = none. */
  readonly memoryLimitMb: number;
  /**
   * Longest time a worker may take to load (import the model file, run `initialize()`) before it
   * is terminated and the load (or restart) fails; milliseconds, 0 = none. Absent: no timeout.
   */
  readonly initializeTimeoutMs?: number;
}

/** What {@link readInstanceLimits} gives a config without the parameters. */
export const DEFAULT_INSTANCE_LIMITS: InstanceLimits = {
  executionTimeoutMs: DEFAULT_EXECUTION_TIMEOUT_MS,
  memoryLimitMb: DEFAULT_MEMORY_LIMIT_MB,
  initializeTimeoutMs: DEFAULT_INITIALIZE_TIMEOUT_MS,
};

function readInteger(
  config: Pick<ModelConfig, 'name' | 'parameters'>,
  key: string,
  rule: string,
  inRange: (n: number) => boolean,
): number | undefined {
  const raw = config.parameters[key]?.string_value;
  if (raw === undefined || raw.trim() === '') return undefined;
  const text = raw.trim();
  const n = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || !inRange(n)) {
    throw invalidArg(`failed to load model '${config.name}': parameter '${key}' must be ${rule}, got '${raw}'`);
  }
  return n;
}

/**
 * Reads `execution_timeout_ms`, `memory_limit_mb` and `initialize_timeout_ms` from the config's
 * parameters (string values, as every Triton backend parameter), with the defaults for absent or
 * empty ones.
 *
 * @throws InferenceError INVALID_ARG naming the parameter when a value is not a whole number in range
 * @example
 * ```ts
 * readInstanceLimits(config); // { executionTimeoutMs: 60000, memoryLimitMb: 1024, initializeTimeoutMs: 600000 }
 * ```
 */
export function readInstanceLimits(config: Pick<ModelConfig, 'name' | 'parameters'>): InstanceLimits {
  const timeout = readInteger(
    config,
    EXECUTION_TIMEOUT_PARAM,
    `a whole number of milliseconds from 0 (no timeout) to ${MAX_EXECUTION_TIMEOUT_MS}`,
    (n) => n <= MAX_EXECUTION_TIMEOUT_MS,
  );
  const memory = readInteger(
    config,
    MEMORY_LIMIT_PARAM,
    `0 (no limit) or a whole number of megabytes from ${MIN_MEMORY_LIMIT_MB} to ${MAX_MEMORY_LIMIT_MB}`,
    (n) => n === 0 || (n >= MIN_MEMORY_LIMIT_MB && n <= MAX_MEMORY_LIMIT_MB),
  );
  const initialize = readInteger(
    config,
    INITIALIZE_TIMEOUT_PARAM,
    `a whole number of milliseconds from 0 (no timeout) to ${MAX_EXECUTION_TIMEOUT_MS}`,
    (n) => n <= MAX_EXECUTION_TIMEOUT_MS,
  );
  return {
    executionTimeoutMs: timeout ?? DEFAULT_EXECUTION_TIMEOUT_MS,
    memoryLimitMb: memory ?? DEFAULT_MEMORY_LIMIT_MB,
    initializeTimeoutMs: initialize ?? DEFAULT_INITIALIZE_TIMEOUT_MS,
  };
}
