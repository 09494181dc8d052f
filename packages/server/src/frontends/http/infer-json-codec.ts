/**
 * Pure decode / encode between the KServe v2 REST infer body (JSON, optionally followed by binary
 * tensor data) and the core's InferRequest / InferResponse. No I/O, no fastify: the route handler
 * feeds it bytes and headers and writes what it returns.
 *
 * Request parameters consumed here and not passed to the core: request `binary_data_output`,
 * input `binary_data_size`, output `binary_data`. Everything else (including `classification`)
 * passes through.
 */
import { randomUUID } from 'node:crypto';
import { byteSizeOf, countBytesElements, elementCount, isDataType, TensorCodecError } from '@tensorgate/protocol';
import { invalidArg } from '../../core/errors.js';
import type { InferRequest, InferResponse, RequestedOutput, Tensor } from '../../core/types.js';
import { BinaryCursor, splitInferBody } from './binary-extension.js';
import {
  isJsonObject,
  jsonKind,
  optionalObject,
  parseJsonBytes,
  requireArray,
  requireNonNegativeInteger,
  requireShape,
  requireString,
  toParameters,
  type JsonObject,
} from './json-fields.js';
import { decodeJsonData, encodeJsonData } from './json-tensor-data.js';

/** Which outputs the client wants as binary data rather than JSON `data`. */
export interface OutputEncoding {
  /** From the request parameter `binary_data_output` (false when absent). */
  readonly defaultBinary: boolean;
  /** Per-output `binary_data`, which overrides the default. */
  readonly binaryByName: ReadonlyMap<string, boolean>;
}

/** A decoded infer body. */
export interface DecodedInferRequest {
  readonly request: InferRequest;
  readonly outputEncoding: OutputEncoding;
}

/** The model the URL names. */
export interface InferTarget {
  readonly modelName: string;
  /** '' when the URL gives no version. */
  readonly modelVersion: string;
}

const SKIP_REQUEST = new Set(['binary_data_output']);
const SKIP_INPUT = new Set(['binary_data_size']);
const SKIP_OUTPUT = new Set(['binary_data']);
const EMPTY_DATA = new Uint8Array(0);

/**
 * Decodes an infer request body.
 *
 * @param body the whole (already decompressed) body; binary inputs become views into it.
 * @param headerLength `Inference-Header-Content-Length`, undefined when absent.
 * @throws InferenceError INVALID_ARG (or UNSUPPORTED for features this server lacks) with a
 *   message naming the offending field, tensor and element.
 * @example
 * ```ts
 * const { request } = decodeInferRequest(
 *   Buffer.from('{"inputs":[{"name":"X","shape":[2],"datatype":"INT32","data":[1,2]}]}'),
 *   undefined,
 *   { modelName: 'add', modelVersion: '' },
 * );
 * ```
 */
export function decodeInferRequest(
  body: Uint8Array,
  headerLength: number | undefined,
  target: InferTarget,
): DecodedInferRequest {
  if (headerLength === 0) {
    // The route handler decodes raw binary bodies itself (they need the model's configuration).
    throw invalidArg(
      'raw binary requests (Inference-Header-Content-Length: 0) carry no JSON header; decode them with decodeRawBinaryRequest',
    );
  }
  const { json, binary } = splitInferBody(body, headerLength);
  if (json.byteLength === 0) {
    throw invalidArg('the request body is empty; expected a JSON inference request');
  }
  const doc = parseJsonBytes(json, 'inference request JSON');
  if (!isJsonObject(doc)) throw invalidArg(`the inference request must be a JSON object, got ${jsonKind(doc)}`);

  const id = doc['id'];
  if (id !== undefined && typeof id !== 'string') {
    throw invalidArg(`Unable to parse 'id': expected a string, got ${jsonKind(id)}`);
  }

  const paramsObj = optionalObject(doc, 'parameters', 'request');
  let defaultBinary = false;
  if (paramsObj !== undefined) {
    const bdo = paramsObj['binary_data_output'];
    if (bdo !== undefined) {
      if (typeof bdo !== 'boolean') {
        throw invalidArg(`Unable to parse 'binary_data_output': expected a boolean, got ${jsonKind(bdo)}`);
      }
      defaultBinary = bdo;
    }
    for (const key of Object.keys(paramsObj)) {
      if (key.startsWith('triton_')) {
        throw invalidArg(
          `parameter keys starting with 'triton_' are reserved for Triton usage and should not be specified (got '${key}')`,
        );
      }
    }
  }
  const parameters = toParameters(paramsObj, 'request', SKIP_REQUEST);

  const cursor = new BinaryCursor(binary);
  const inputsJson = requireArray(doc, 'inputs', 'request');
  const seen = new Set<string>();
  const inputs: Tensor[] = inputsJson.map((raw, i) => {
    const input = decodeInput(raw, i, cursor, headerLength !== undefined);
    if (seen.has(input.name)) throw invalidArg(`input '${input.name}' is given more than once`);
    seen.add(input.name);
    return input;
  });
  cursor.assertConsumed(target.modelName);

  const binaryByName = new Map<string, boolean>();
  const outputs: RequestedOutput[] = [];
  const outputsJson = doc['outputs'];
  if (outputsJson !== undefined) {
    if (!Array.isArray(outputsJson)) {
      throw invalidArg(`request: 'outputs' must be an array, got ${jsonKind(outputsJson)}`);
    }
    outputsJson.forEach((raw, i) => {
      const where = `outputs[${i}]`;
      if (!isJsonObject(raw)) throw invalidArg(`${where} must be an object, got ${jsonKind(raw)}`);
      const name = requireString(raw, 'name', where);
      const p = optionalObject(raw, 'parameters', `output '${name}'`);
      if (p !== undefined) {
        const bd = p['binary_data'];
        if (bd !== undefined) {
          if (typeof bd !== 'boolean') {
            throw invalidArg(
              `output '${name}': Unable to parse 'binary_data': expected a boolean, got ${jsonKind(bd)}`,
            );
          }
          if (bd && p['shared_memory_region'] !== undefined) {
            throw invalidArg("Output can't set both 'shared_memory_region' and 'binary_data'");
          }
          binaryByName.set(name, bd);
        }
        if (p['classification'] !== undefined) {
          requireNonNegativeInteger(p['classification'], `output '${name}': 'classification'`);
        }
      }
      outputs.push({ name, parameters: toParameters(p, `output '${name}'`, SKIP_OUTPUT) });
    });
  }

  return {
    request: {
      modelName: target.modelName,
      modelVersion: target.modelVersion,
      id: id ?? '',
      inputs,
      outputs,
      parameters,
    },
    outputEncoding: { defaultBinary, binaryByName },
  };
}

function decodeInput(raw: unknown, index: number, cursor: BinaryCursor, hasHeaderLength: boolean): Tensor {
  if (!isJsonObject(raw)) throw invalidArg(`inputs[${index}] must be an object, got ${jsonKind(raw)}`);
  const name = requireString(raw, 'name', `inputs[${index}]`);
  const where = `input '${name}'`;
  const datatypeText = requireString(raw, 'datatype', where);
  if (!isDataType(datatypeText)) {
    throw invalidArg(`${where}: unknown datatype '${datatypeText}'`);
  }
  const datatype = datatypeText;
  const shape = requireShape(raw, where);
  const p = optionalObject(raw, 'parameters', where);

  const hasData = raw['data'] !== undefined;
  const binarySize = p?.['binary_data_size'];
  const hasBinary = binarySize !== undefined;
  const hasShm = p?.['shared_memory_region'] !== undefined;
  if (Number(hasData) + Number(hasBinary) + Number(hasShm) !== 1) {
    const set = [hasData && "'data'", hasBinary && "'binary_data_size'", hasShm && "'shared_memory_region'"].filter(
      Boolean,
    );
    throw invalidArg(
      `${where}: must set exactly one of 'data', 'binary_data_size' in 'parameters' or 'shared_memory_region' in 'parameters', but ${set.length === 0 ? 'none is set' : `sets ${set.join(' and ')}`}`,
    );
  }
  let data: Uint8Array;
  if (hasShm) {
    // Read from the region by shared-memory/shm-tensors.ts, which consumes the parameters.
    data = EMPTY_DATA;
  } else if (hasBinary) {
    const size = requireNonNegativeInteger(binarySize, `${where}: 'binary_data_size'`);
    if (!hasHeaderLength) {
      throw invalidArg(
        `${where} sets 'binary_data_size' but the request has no Inference-Header-Content-Length header giving the length of the JSON part`,
      );
    }
    data = cursor.take(name, size);
    checkBinarySize(where, datatype, shape, data);
  } else {
    const d = raw['data'];
    if (!Array.isArray(d)) throw invalidArg(`${where}: 'data' must be an array, got ${jsonKind(d)}`);
    data = encodeJsonData(name, datatype, shape, d);
  }
  const parameters = toParameters(p, where, SKIP_INPUT);
  return Object.keys(parameters).length > 0
    ? { name, datatype, shape, data, parameters }
    : { name, datatype, shape, data };
}

function checkBinarySize(
  where: string,
  datatype: Tensor['datatype'],
  shape: readonly number[],
  data: Uint8Array,
): void {
  const expected = byteSizeOf(datatype, shape);
  if (expected !== undefined) {
    if (expected !== data.byteLength) {
      throw invalidArg(
        `${where}: binary_data_size is ${data.byteLength} but shape [${shape.join(',')}] of ${datatype} needs ${expected} byte(s)`,
      );
    }
    return;
  }
  let count: number;
  try {
    count = countBytesElements(data);
  } catch (err) {
    if (err instanceof TensorCodecError) throw invalidArg(`${where}: malformed BYTES binary data: ${err.message}`);
    throw err;
  }
  if (count !== elementCount(shape)) {
    throw invalidArg(
      `${where}: BYTES binary data holds ${count} element(s) but shape [${shape.join(',')}] needs ${elementCount(shape)}`,
    );
  }
}

/** An infer response laid out for the wire. */
export interface EncodedInferResponse {
  /** The JSON response object (the header, when binary chunks follow). */
  readonly json: string;
  /** Raw bytes of the binary outputs, in output order; empty when every output is JSON. */
  readonly binaryChunks: readonly Uint8Array[];
  /** True when at least one output is sent as binary data. */
  readonly hasBinary: boolean;
}

/**
 * Encodes a core response as the KServe v2 JSON response, outputs as JSON `data` or as binary
 * chunks (with `parameters.binary_data_size`) as `encoding` says. Outputs named in
 * `inSharedMemory` were written into their region: they carry name, datatype and shape only, as in
 * Triton.
 *
 * @example
 * ```ts
 * const { json, binaryChunks } = encodeInferResponse(response, { defaultBinary: true, binaryByName: new Map() });
 * ```
 */
export function encodeInferResponse(
  response: InferResponse,
  encoding: OutputEncoding,
  inSharedMemory?: ReadonlySet<string>,
): EncodedInferResponse {
  const binaryChunks: Uint8Array[] = [];
  const rawArrays: string[] = [];
  let hasBinary = false;
  const outputs = response.outputs.map((t) => {
    const out: JsonObject = { name: t.name, datatype: t.datatype, shape: t.shape };
    if (inSharedMemory?.has(t.name) === true) {
      if (t.parameters !== undefined && Object.keys(t.parameters).length > 0) out['parameters'] = { ...t.parameters };
      return out;
    }
    const binary = encoding.binaryByName.get(t.name) ?? encoding.defaultBinary;
    const params: JsonObject = { ...(t.parameters ?? {}) };
    if (binary) {
      hasBinary = true;
      params['binary_data_size'] = t.data.byteLength;
      if (t.data.byteLength > 0) binaryChunks.push(t.data);
    }
    if (Object.keys(params).length > 0) out['parameters'] = params;
    if (!binary) {
      const data = decodeJsonData(t.name, t.datatype, t.data);
      out['data'] = hasNegativeZero(data) ? negativeZeroSlot(rawArrays, data) : data;
    }
    return out;
  });
  const doc: JsonObject = {};
  if (response.id !== '') doc['id'] = response.id;
  doc['model_name'] = response.modelName;
  doc['model_version'] = response.modelVersion;
  if (Object.keys(response.parameters).length > 0) doc['parameters'] = response.parameters;
  doc['outputs'] = outputs;
  let json: string;
  try {
    json = JSON.stringify(doc);
  } catch (e) {
    // V8 strings stop at ~512 MiB: a tensor that large cannot travel as JSON text.
    if (!(e instanceof RangeError)) throw e;
    const names = response.outputs.map((t) => `'${t.name}'`).join(', ');
    throw invalidArg(
      `the response is too large to send as JSON (outputs ${names}); ask for binary data instead ` +
        `(request parameter "binary_data_output": true, or "binary_data": true on each output)`,
    );
  }
  rawArrays.forEach((text, i) => {
    json = json.replace(`"${SLOT_PREFIX}${i}"`, text);
  });
  return { json, binaryChunks, hasBinary };
}

// JSON.stringify prints -0 as 0, which would break bit-exact float round trips through JSON, so
// arrays holding a negative zero are written by hand and spliced in at a unique placeholder.
const SLOT_PREFIX = `tensorgate-data-${randomUUID()}-`;

function hasNegativeZero(data: unknown): boolean {
  if (!Array.isArray(data)) return false;
  for (const v of data) if (v === 0 && Object.is(v, -0)) return true;
  return false;
}

function negativeZeroSlot(rawArrays: string[], data: unknown[]): string {
  const text = `[${data.map((v) => (Object.is(v, -0) ? '-0.0' : JSON.stringify(v))).join(',')}]`;
  rawArrays.push(text);
  return `${SLOT_PREFIX}${rawArrays.length - 1}`;
}
