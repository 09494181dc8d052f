/**
 * The KServe v2 REST inference body with Triton's binary tensor data extension: a JSON header
 * followed by raw tensor bytes, whose JSON length travels in `Inference-Header-Content-Length`.
 * Pure encode / decode functions, no I/O.
 */
import { decodeElements, encodeElements, TensorCodecError } from '@tensorgate/protocol/tensor-codec';
import { InferenceServerError } from '../errors.js';
import type { InferInput } from '../infer-input.js';
import { InferResult, wireDatatype, type OutputTensor } from '../infer-result.js';
import type { InferOptions, ParameterValue } from '../options.js';
import { requestParameters } from '../request-parameters.js';

/** Name of the header giving the byte length of the JSON part of a body. */
export const HEADER_LENGTH_HEADER = 'Inference-Header-Content-Length';

/** An encoded request body. */
export interface EncodedInferBody {
  /** JSON header followed by the binary inputs, in input order. */
  readonly body: Uint8Array;
  /** Byte length of the JSON header; undefined when the body is JSON only. */
  readonly headerLength: number | undefined;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * Encodes a request. Inputs marked binary (the default) go as binary data; without requested
 * outputs the request asks for every output in binary (`binary_data_output`), as Triton's own
 * client does.
 *
 * @example
 * ```ts
 * const { body, headerLength } = encodeInferBody([input], { requestId: 'r1' });
 * ```
 */
export function encodeInferBody(inputs: readonly InferInput[], options: InferOptions): EncodedInferBody {
  const chunks: Uint8Array[] = [];
  const jsonInputs = inputs.map((input) => {
    const raw = input.raw;
    const tensor: Record<string, unknown> = { name: input.name, shape: input.shape, datatype: input.datatype };
    const parameters: Record<string, ParameterValue> = { ...input.parameters };
    if (input.inSharedMemory) {
      // The server reads it from the region its parameters name.
    } else if (input.binary) {
      parameters['binary_data_size'] = raw.byteLength;
      chunks.push(raw);
    } else {
      tensor['data'] = decodeElements(input.datatype, raw);
    }
    if (Object.keys(parameters).length > 0) tensor['parameters'] = parameters;
    return tensor;
  });
  const parameters = requestParameters(options);
  const doc: Record<string, unknown> = {};
  if (options.requestId !== undefined && options.requestId !== '') doc['id'] = options.requestId;
  doc['inputs'] = jsonInputs;
  if (options.outputs !== undefined && options.outputs.length > 0) {
    doc['outputs'] = options.outputs.map((o) => {
      const p: Record<string, ParameterValue> = { ...o.parameters, binary_data: o.binary };
      if (o.classCount > 0) p['classification'] = o.classCount;
      return { name: o.name, parameters: p };
    });
  } else {
    parameters['binary_data_output'] = true;
  }
  if (Object.keys(parameters).length > 0) doc['parameters'] = parameters;
  const header = utf8.encode(JSON.stringify(doc));
  if (chunks.length === 0) return { body: header, headerLength: undefined };
  let total = header.byteLength;
  for (const c of chunks) total += c.byteLength;
  const body = new Uint8Array(total);
  body.set(header, 0);
  let offset = header.byteLength;
  for (const c of chunks) {
    body.set(c, offset);
    offset += c.byteLength;
  }
  return { body, headerLength: header.byteLength };
}

/**
 * Decodes a response body: the JSON header and, when `headerLength` is given, binary outputs
 * sliced from the bytes after it (views, no copies).
 *
 * @throws InferenceServerError INTERNAL when the body does not follow the protocol.
 */
export function decodeInferBody(bytes: Uint8Array, headerLength: number | undefined, requestId = ''): InferResult {
  const jsonEnd = headerLength ?? bytes.byteLength;
  if (jsonEnd > bytes.byteLength) {
    throw malformed(`${HEADER_LENGTH_HEADER} ${jsonEnd} exceeds the body (${bytes.byteLength} bytes)`, requestId);
  }
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(utf8Decoder.decode(bytes.subarray(0, jsonEnd))) as Record<string, unknown>;
  } catch (e) {
    throw malformed(`the response is not JSON: ${(e as Error).message}`, requestId);
  }
  let offset = jsonEnd;
  const outputsJson = Array.isArray(doc['outputs']) ? (doc['outputs'] as Record<string, unknown>[]) : [];
  const outputs = outputsJson.map((o): OutputTensor => {
    const name = String(o['name']);
    const datatype = wireDatatype(String(o['datatype']), `output '${name}'`);
    const shape = Array.isArray(o['shape']) ? (o['shape'] as number[]) : [];
    const { binary_data_size: size, ...parameters } = (o['parameters'] ?? {}) as Record<string, ParameterValue>;
    let raw: Uint8Array;
    if (typeof size === 'number') {
      if (offset + size > bytes.byteLength) {
        throw malformed(`output '${name}' declares ${size} binary byte(s) past the end of the body`, requestId);
      }
      raw = bytes.subarray(offset, offset + size);
      offset += size;
    } else {
      const data = Array.isArray(o['data']) ? (o['data'] as unknown[]).flat(Infinity) : [];
      try {
        raw = encodeElements(datatype, data);
      } catch (e) {
        if (e instanceof TensorCodecError) throw malformed(`output '${name}': ${e.message}`, requestId);
        throw e;
      }
    }
    return { name, datatype, shape, parameters, raw };
  });
  return new InferResult({
    modelName: String(doc['model_name'] ?? ''),
    modelVersion: String(doc['model_version'] ?? ''),
    id: typeof doc['id'] === 'string' ? doc['id'] : '',
    parameters: (doc['parameters'] ?? {}) as Record<string, ParameterValue>,
    outputs,
  });
}

function malformed(message: string, requestId: string): InferenceServerError {
  return new InferenceServerError(`malformed inference response: ${message}`, {
    code: 'INTERNAL',
    transport: 'http',
    requestId,
  });
}
