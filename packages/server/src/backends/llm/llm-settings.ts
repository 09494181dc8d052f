/**
 * The llm backend's settings, read from the model config's `parameters` (string values, as in
 * Triton's backends). Every value is checked here so a typo fails the load with a clear message.
 */
import { availableParallelism } from 'node:os';
import { resolveConfinedPath } from '../../backend-api/confined-path.js';
import type { ModelConfig } from '../../core/config/model-config.js';
import { invalidArg } from '../../core/errors.js';

/** The settings of one loaded LLM. */
export interface LlmSettings {
  /** Real path of the GGUF file, inside the model folder. */
  readonly modelFile: string;
  /** Context size in tokens of each parallel sequence; undefined: node-llama-cpp's automatic choice. */
  readonly contextSize: number | undefined;
  /** CPU threads for llama.cpp. */
  readonly threads: number;
  /** Tokens evaluated per decode batch; undefined: node-llama-cpp's default. */
  readonly batchSize: number | undefined;
  /** How many requests are decoded together (continuous batching width). */
  readonly maxParallelSequences: number;
  /** Requests that may wait for a free sequence; one more is refused with RESOURCE_EXHAUSTED. */
  readonly maxQueueSize: number;
  /** Layers offloaded to the GPU (0: CPU only). */
  readonly gpuLayers: number;
  /** The least time between two streamed chunks of one request, in ms (0: one chunk per token). */
  readonly streamIntervalMs: number;
}

/** The GGUF file name when neither `model_file` nor `default_model_filename` says. */
export const DEFAULT_GGUF_FILE = 'model.gguf';

/** Config parameter names, for messages and docs. */
export const LLM_PARAMETERS = [
  'model_file',
  'context_size',
  'threads',
  'batch_size',
  'max_parallel_sequences',
  'max_queue_size',
  'gpu_layers',
  'stream_interval_ms',
] as const;

/**
 * The default thread count: one less than the cores, at least one. Never node-llama-cpp's own
 * default, which oversubscribes small machines (4 threads on 2 cores decode ~1000x slower).
 */
export function defaultThreads(cores = availableParallelism()): number {
  return Math.max(1, cores - 1);
}

function intParam(config: ModelConfig, key: string, min: number, fallback: number): number;
function intParam(config: ModelConfig, key: string, min: number, fallback: undefined): number | undefined;
function intParam(config: ModelConfig, key: string, min: number, fallback: number | undefined): number | undefined {
  const raw = config.parameters[key]?.string_value;
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) {
    throw invalidArg(`model '${config.name}': parameter '${key}' must be an integer >= ${min}, got '${raw}'`);
  }
  return n;
}

/** Where the model folder and the version folder being loaded are. */
export interface LlmModelPaths {
  /** `<repository>/<model>`: the GGUF file must resolve inside it. */
  readonly modelPath: string;
  /** `<repository>/<model>/<version>`: the GGUF file name is relative to it. */
  readonly versionPath: string;
}

/**
 * Reads and checks the settings of `config` for one version folder. The GGUF file (`model_file`,
 * else `default_model_filename`, else `model.gguf`, relative to the version folder) is resolved
 * with `resolveConfinedPath`: it must lie inside the model folder, symlinks followed.
 *
 * @throws InferenceError INVALID_ARG naming the parameter whose value is wrong, or the file name
 *   that resolves outside the model folder
 * @example
 * ```ts
 * const s = await readLlmSettings(ctx.config, ctx); // s.modelFile = <version>/model.gguf
 * ```
 */
export async function readLlmSettings(
  config: ModelConfig,
  paths: LlmModelPaths,
  cores = availableParallelism(),
): Promise<LlmSettings> {
  const fromParameter = config.parameters['model_file']?.string_value;
  const file = fromParameter || config.default_model_filename || DEFAULT_GGUF_FILE;
  const field = fromParameter
    ? "parameter 'model_file'"
    : config.default_model_filename
      ? 'default_model_filename'
      : 'model file';
  const settings = {
    contextSize: intParam(config, 'context_size', 16, undefined),
    threads: intParam(config, 'threads', 1, defaultThreads(cores)),
    batchSize: intParam(config, 'batch_size', 1, undefined),
    maxParallelSequences: intParam(config, 'max_parallel_sequences', 1, 4),
    maxQueueSize: intParam(config, 'max_queue_size', 0, 64),
    gpuLayers: intParam(config, 'gpu_layers', 0, 0),
    streamIntervalMs: intParam(config, 'stream_interval_ms', 0, 0),
  };
  const resolved = await resolveConfinedPath(file, {
    modelPath: paths.modelPath,
    base: paths.versionPath,
    field,
    owner: `model '${config.name}'`,
  });
  return { modelFile: resolved.path, ...settings };
}
