/**
 * The llm backend's settings, read from the model config's `parameters` (string values, as in
 * Triton's backends). Every value is checked here so a typo fails the load with a clear message.
 */
import { availableParallelism } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import type { ModelConfig } from '../../core/config/model-config.js';
import { invalidArg } from '../../core/errors.js';

/** The settings of one loaded LLM. */
export interface LlmSettings {
  /** Absolute path of the GGUF file. */
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

/**
 * Reads and checks the settings of `config` for the version folder `versionPath`.
 *
 * @example
 * ```ts
 * const s = readLlmSettings(ctx.config, ctx.versionPath); // s.modelFile = <version>/model.gguf
 * ```
 */
export function readLlmSettings(config: ModelConfig, versionPath: string, cores = availableParallelism()): LlmSettings {
  const file = config.parameters['model_file']?.string_value || config.default_model_filename || DEFAULT_GGUF_FILE;
  if (isAbsolute(file) || relative(versionPath, join(versionPath, file)).startsWith('..')) {
    throw invalidArg(
      `model '${config.name}': parameter 'model_file' must name a file inside the version folder, got '${file}'`,
    );
  }
  return {
    modelFile: join(versionPath, file),
    contextSize: intParam(config, 'context_size', 16, undefined),
    threads: intParam(config, 'threads', 1, defaultThreads(cores)),
    batchSize: intParam(config, 'batch_size', 1, undefined),
    maxParallelSequences: intParam(config, 'max_parallel_sequences', 1, 4),
    maxQueueSize: intParam(config, 'max_queue_size', 0, 64),
    gpuLayers: intParam(config, 'gpu_layers', 0, 0),
  };
}
