/**
 * ModelInferRequest / ModelInferResponse messages from and to the client's types. Inputs travel
 * in `raw_input_contents` (no per-element work); outputs come from `raw_output_contents`, or from
 * typed `contents` for servers that answer that way.
 */
import type {
  InferParameterMap,
  InferParameterMessage,
  InferTensorContentsMessage,
  ModelInferRequestMessage,
  ModelInferResponseMessage,
} from '@tensorgate/protocol/grpc-types';
import { encodeBytesElements, encodeElements } from '@tensorgate/protocol/tensor-codec';
import type { InferInput } from '../infer-input.js';
import { InferResult, wireDatatype, type OutputTensor } from '../infer-result.js';
import type { InferOptions, ParameterValue } from '../options.js';
import { requestParameters, versionString } from '../request-parameters.js';

/** 2^63: integers at or above it only fit uint64_param. */
const INT64_LIMIT = 2 ** 63;

/** One parameter value as an InferParameter: integers int64 (uint64 above), other numbers double. */
export function encodeParameter(value: ParameterValue): InferParameterMessage {
  if (typeof value === 'boolean') return { bool_param: value };
  if (typeof value === 'string') return { string_param: value };
  if (!Number.isInteger(value)) return { double_param: value };
  return value >= INT64_LIMIT ? { uint64_param: value } : { int64_param: value };
}

/** Encodes a parameters record. */
export function encodeParameters(params: Readonly<Record<string, ParameterValue>>): InferParameterMap {
  const out: InferParameterMap = {};
  for (const key of Object.keys(params)) out[key] = encodeParameter(params[key]!);
  return out;
}

/** Decodes an InferParameter map (unset values are skipped). */
export function decodeParameters(map: InferParameterMap | null | undefined): Record<string, ParameterValue> {
  const out: Record<string, ParameterValue> = {};
  if (map == null) return out;
  for (const key of Object.keys(map)) {
    const p = map[key]!;
    const choice = p.parameter_choice;
    const value = choice === undefined ? undefined : p[choice];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * Builds a ModelInferRequest.
 *
 * @example
 * ```ts
 * const msg = encodeInferRequest('simple', [a, b], { requestId: 'r1' });
 * ```
 */
export function encodeInferRequest(
  model: string,
  inputs: readonly InferInput[],
  options: InferOptions,
  extraParameters: Readonly<Record<string, ParameterValue>> = {},
): ModelInferRequestMessage {
  const msg: ModelInferRequestMessage = {
    model_name: model,
    model_version: versionString(options.modelVersion),
    id: options.requestId ?? '',
    parameters: encodeParameters({ ...requestParameters(options), ...extraParameters }),
    inputs: inputs.map((i) => {
      const keys = Object.keys(i.parameters);
      return keys.length === 0
        ? { name: i.name, datatype: i.datatype, shape: i.shape as number[] }
        : {
            name: i.name,
            datatype: i.datatype,
            shape: i.shape as number[],
            parameters: encodeParameters(i.parameters),
          };
    }),
    // Inputs in shared memory have no entry (Triton's protocol).
    raw_input_contents: (inputs.some((i) => i.inSharedMemory) ? inputs.filter((i) => !i.inSharedMemory) : inputs).map(
      (i) => i.raw,
    ),
  };
  if (options.outputs !== undefined && options.outputs.length > 0) {
    msg.outputs = options.outputs.map((o) => {
      const params: Record<string, ParameterValue> = { ...o.parameters };
      if (o.classCount > 0) params['classification'] = o.classCount;
      return { name: o.name, parameters: encodeParameters(params) };
    });
  }
  return msg;
}

/** Decodes a ModelInferResponse into an {@link InferResult}. */
export function decodeInferResponse(msg: ModelInferResponseMessage): InferResult {
  const raws = msg.raw_output_contents ?? [];
  const outputs = (msg.outputs ?? []).map((o, i): OutputTensor => {
    const datatype = wireDatatype(o.datatype, `output '${o.name}'`);
    const raw = raws[i] ?? contentsToRaw(datatype, o.contents) ?? new Uint8Array(0);
    return { name: o.name, datatype, shape: o.shape, parameters: decodeParameters(o.parameters), raw };
  });
  return new InferResult({
    modelName: msg.model_name,
    modelVersion: msg.model_version,
    id: msg.id,
    parameters: decodeParameters(msg.parameters),
    outputs,
  });
}

/** Typed `contents` (used by some KServe servers instead of raw bytes) as raw bytes. */
function contentsToRaw(datatype: OutputTensor['datatype'], c: InferTensorContentsMessage | null | undefined) {
  if (c == null) return undefined;
  if (datatype === 'BYTES') return c.bytes_contents?.length ? encodeBytesElements(c.bytes_contents) : undefined;
  const values = c.bool_contents?.length
    ? c.bool_contents
    : c.int_contents?.length
      ? c.int_contents
      : c.int64_contents?.length
        ? c.int64_contents
        : c.uint_contents?.length
          ? c.uint_contents
          : c.uint64_contents?.length
            ? c.uint64_contents
            : c.fp32_contents?.length
              ? c.fp32_contents
              : c.fp64_contents?.length
                ? c.fp64_contents
                : undefined;
  return values === undefined ? undefined : encodeElements(datatype, values);
}
