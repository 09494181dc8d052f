/**
 * Model configuration <-> JSON and protobuf binary.
 *
 * - {@link configToJson}: the body of Triton's `GET /v2/models/{m}/config` — protobuf JSON with
 *   proto field names and every primitive field printed, where Triton's fixed list of 64-bit
 *   fields (dims, reshape shapes, versions, queue delays and timeouts, priority levels, sequence
 *   idle time, ensemble step versions, warmup dims) are JSON numbers and the remaining 64-bit
 *   fields stay strings, exactly as Triton's `ModelConfigToJson` leaves them.
 * - {@link configFromJson}: the `config` parameter of the model load API.
 * - {@link encodeModelConfig} / {@link modelConfigMessage}: for the gRPC `ModelConfig` RPC.
 */
import type { Message } from 'protobufjs';
import { invalidArg } from '../errors.js';
import { assertJsonLimits } from '../json-limits.js';
import type { ModelConfig } from './model-config.js';
import { normalizeConfig, type NormalizeConfigOptions } from './normalize-config.js';
import { modelConfigType } from './pbtxt-to-object.js';
import { readProtoJson, writeProtoJson } from './proto-json.js';

const ROOT = 'ModelConfig';

/** The 64-bit fields Triton prints as JSON numbers (all others print as strings). */
const NUMERIC_INT64_PATHS: ReadonlySet<string> = new Set(
  [
    'input::dims',
    'input::reshape::shape',
    'output::dims',
    'output::reshape::shape',
    'version_policy::specific::versions',
    'dynamic_batching::max_queue_delay_microseconds',
    'dynamic_batching::priority_levels',
    'dynamic_batching::default_priority_level',
    'dynamic_batching::default_queue_policy::default_timeout_microseconds',
    'dynamic_batching::priority_queue_policy::value::default_timeout_microseconds',
    'sequence_batching::max_sequence_idle_microseconds',
    'sequence_batching::oldest::max_queue_delay_microseconds',
    'sequence_batching::direct::max_queue_delay_microseconds',
    'sequence_batching::state::dims',
    'ensemble_scheduling::step::model_version',
    'model_warmup::inputs::value::dims',
  ].map((p) => `${ROOT}::${p}`),
);

/**
 * The JSON object Triton's HTTP config endpoint returns for a model.
 *
 * @example
 * ```ts
 * reply.send(configToJson(model.config)); // { name: 'simple', platform: '', backend: 'onnxruntime', ... }
 * ```
 */
export function configToJson(config: ModelConfig): Record<string, unknown> {
  return writeProtoJson(config, modelConfigType(), ROOT, NUMERIC_INT64_PATHS);
}

/**
 * Parses a load-API `config` override (protobuf JSON, snake_case or lowerCamelCase names) into a
 * raw configuration, not yet normalized (the shape `parseModelConfigText` gives for config.pbtxt).
 *
 * @throws InferenceError INVALID_ARG `Invalid config override: ...` for malformed JSON, JSON past
 *   the limits of core/json-limits.ts, or schema mismatches
 * @example
 * ```ts
 * parseConfigJson('{"backend":"onnxruntime","maxBatchSize":4}'); // { backend: 'onnxruntime', max_batch_size: 4 }
 * ```
 */
export function parseConfigJson(text: string): Record<string, unknown> {
  assertJsonLimits(text, 'Invalid config override: the config JSON');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalidArg(`Invalid config override: ${(err as Error).message}`);
  }
  try {
    return readProtoJson(json, modelConfigType(), '');
  } catch (err) {
    throw invalidArg(`Invalid config override: ${(err as Error).message}`);
  }
}

/**
 * Parses a load-API `config` override (see {@link parseConfigJson}) and normalizes it for the
 * model being loaded.
 *
 * @param text - the JSON text
 * @param modelName - the model being loaded; the config's name must match it when given
 * @param options - further normalization options (GPUs, version folder files, ...)
 * @throws InferenceError INVALID_ARG `Invalid config override: ...` for malformed JSON, JSON past
 *   the limits of core/json-limits.ts, or schema mismatches; or a normalization error
 * @example
 * ```ts
 * const config = configFromJson('{"backend":"onnxruntime","max_batch_size":4}', 'm');
 * ```
 */
export function configFromJson(
  text: string,
  modelName: string,
  options: Omit<NormalizeConfigOptions, 'modelName'> = {},
): ModelConfig {
  return normalizeConfig(parseConfigJson(text), { ...options, modelName });
}

/**
 * A protobufjs `inference.ModelConfig` message for a configuration, ready to embed in a gRPC
 * `ModelConfigResponse` or to encode.
 *
 * @example
 * ```ts
 * const response = { config: modelConfigMessage(model.config) };
 * ```
 */
export function modelConfigMessage(config: ModelConfig): Message {
  return modelConfigType().fromObject(config);
}

/**
 * Encodes a configuration as `inference.ModelConfig` protobuf bytes.
 *
 * @example
 * ```ts
 * const bytes = encodeModelConfig(config);
 * ```
 */
export function encodeModelConfig(config: ModelConfig): Uint8Array {
  const type = modelConfigType();
  return type.encode(type.fromObject(config)).finish();
}

/**
 * Decodes `inference.ModelConfig` protobuf bytes into a plain object with proto field names
 * (enums as names, 64-bit integers as numbers, empty repeated fields and maps included) —
 * the input shape {@link normalizeConfig} takes.
 *
 * @example
 * ```ts
 * const again = normalizeConfig(decodeModelConfig(bytes), { modelName: 'm' });
 * ```
 */
export function decodeModelConfig(bytes: Uint8Array): Record<string, unknown> {
  const type = modelConfigType();
  return type.toObject(type.decode(bytes), { enums: String, longs: Number, arrays: true, objects: true });
}
