/**
 * A cached response as bytes: a small JSON header (format, outputs' name / datatype / shape /
 * byte length, response parameters) and the outputs' bytes after it. Entries read back from a
 * shared store (Redis) are checked as hostile input: a malformed entry is a miss, never a crash.
 */
import type { DataType } from '@tensorgate/protocol';
import type { Parameters, Tensor } from '../types.js';

const FORMAT = 'tensorgate-response-cache/1';

/** Bytes per element of the fixed-size datatypes (BYTES is variable). */
const ELEMENT_BYTES: Record<string, number> = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  BF16: 2,
  FP32: 4,
  FP64: 8,
  BYTES: 0,
};

interface Header {
  format: string;
  outputs: { name: string; datatype: string; shape: number[]; bytes: number }[];
  parameters: Parameters;
}

/** What a cache entry holds: the response's outputs and parameters. */
export interface CachedResponse {
  outputs: Tensor[];
  parameters: Parameters;
}

/**
 * Serializes a response (copies its bytes: the frontend may own the output buffers afterwards).
 *
 * @example
 * ```ts
 * const bytes = encodeEntry({ outputs, parameters: {} });
 * decodeEntry(bytes, ['OUTPUT0'])?.outputs[0].name; // 'OUTPUT0'
 * ```
 */
export function encodeEntry(response: CachedResponse): Buffer {
  const header: Header = {
    format: FORMAT,
    outputs: response.outputs.map((t) => ({
      name: t.name,
      datatype: t.datatype,
      shape: [...t.shape],
      bytes: t.data.byteLength,
    })),
    parameters: response.parameters,
  };
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const total = 4 + head.byteLength + header.outputs.reduce((n, o) => n + o.bytes, 0);
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32LE(head.byteLength, 0);
  head.copy(out, 4);
  let at = 4 + head.byteLength;
  for (const t of response.outputs) {
    out.set(t.data, at);
    at += t.data.byteLength;
  }
  return out;
}

function validShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
}

/**
 * Reads an entry back; undefined when it is malformed or does not answer `requestedOutputs`
 * (names and order), so a corrupted or foreign entry only costs a miss.
 */
export function decodeEntry(bytes: Uint8Array, requestedOutputs: readonly string[]): CachedResponse | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.byteLength < 4) return undefined;
  const headLen = buf.readUInt32LE(0);
  if (headLen > buf.byteLength - 4) return undefined;
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(4, 4 + headLen).toString('utf8')) as Header;
  } catch {
    return undefined;
  }
  if (header === null || typeof header !== 'object' || header.format !== FORMAT) return undefined;
  if (!Array.isArray(header.outputs) || header.outputs.length !== requestedOutputs.length) return undefined;
  const params = header.parameters;
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return undefined;
  const outputs: Tensor[] = [];
  let at = 4 + headLen;
  for (let i = 0; i < header.outputs.length; i++) {
    const o = header.outputs[i]!;
    if (o.name !== requestedOutputs[i] || typeof o.datatype !== 'string' || !validShape(o.shape)) return undefined;
    const elementBytes = ELEMENT_BYTES[o.datatype];
    if (elementBytes === undefined || !Number.isSafeInteger(o.bytes) || o.bytes < 0) return undefined;
    if (elementBytes > 0 && o.bytes !== o.shape.reduce((n, d) => n * d, 1) * elementBytes) return undefined;
    if (at + o.bytes > buf.byteLength) return undefined;
    // A copy: the entry (a Redis reply or a local value) stays untouched by whatever the frontend does.
    const data = new Uint8Array(o.bytes);
    data.set(buf.subarray(at, at + o.bytes));
    at += o.bytes;
    outputs.push({ name: o.name, datatype: o.datatype as DataType, shape: o.shape, data });
  }
  if (at !== buf.byteLength) return undefined;
  return { outputs, parameters: params };
}
