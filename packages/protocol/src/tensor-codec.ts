/**
 * Pure codecs between tensor elements and their raw little-endian bytes, shared by the HTTP JSON
 * codec, the gRPC typed-contents codec, the worker-thread views and the clients. Raw bytes are
 * the one in-memory representation of tensor data in tensorgate (see the core's Tensor type).
 */
import { DATATYPES, elementCount, type DataType, type TypedArray } from './datatypes.js';
import { bfloat16BitsToNumber, float16BitsToNumber, numberToBfloat16Bits, numberToFloat16Bits } from './float16.js';

/** A malformed tensor value; the message is meant for the client. */
export class TensorCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TensorCodecError';
  }
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Encodes BYTES elements as a 4-byte little-endian length followed by the bytes, per element. */
export function encodeBytesElements(elements: readonly (string | Uint8Array)[]): Uint8Array {
  const parts = elements.map((e) => (typeof e === 'string' ? utf8.encode(e) : e));
  let total = 0;
  for (const p of parts) total += 4 + p.byteLength;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  let off = 0;
  for (const p of parts) {
    dv.setUint32(off, p.byteLength, true);
    out.set(p, off + 4);
    off += 4 + p.byteLength;
  }
  return out;
}

/** Walks BYTES framing; calls `each` with every element's offset and length. Returns the count. */
function walkBytes(raw: Uint8Array, each?: (start: number, len: number) => void): number {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let off = 0;
  let n = 0;
  while (off < raw.byteLength) {
    if (off + 4 > raw.byteLength) {
      throw new TensorCodecError(
        `BYTES element ${n} is truncated: ${raw.byteLength - off} byte(s) left where a 4-byte length prefix is expected`,
      );
    }
    const len = dv.getUint32(off, true);
    if (off + 4 + len > raw.byteLength) {
      throw new TensorCodecError(
        `BYTES element ${n} declares ${len} byte(s) but only ${raw.byteLength - off - 4} remain`,
      );
    }
    each?.(off + 4, len);
    off += 4 + len;
    n++;
  }
  return n;
}

/** Validates BYTES framing and returns the number of elements. */
export function countBytesElements(raw: Uint8Array): number {
  return walkBytes(raw);
}

/** Splits raw BYTES data into elements (zero-copy subarray views). */
export function decodeBytesElements(raw: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  walkBytes(raw, (start, len) => out.push(raw.subarray(start, start + len)));
  return out;
}

/** Expected raw byte size of a tensor, or undefined for BYTES (variable). */
export function byteSizeOf(datatype: DataType, shape: readonly number[]): number | undefined {
  const size = DATATYPES[datatype].byteSize;
  return size === 0 ? undefined : size * elementCount(shape);
}

/**
 * A typed-array view of raw bytes. Views share memory with `raw` when it is aligned for the
 * element size; otherwise the bytes are copied once into an aligned buffer.
 */
export function viewAs(datatype: DataType, raw: Uint8Array): TypedArray {
  const info = DATATYPES[datatype];
  const Ctor = info.arrayType;
  if (!Ctor) throw new TensorCodecError(`${datatype} tensors have no typed-array view`);
  if (raw.byteLength % info.byteSize !== 0) {
    throw new TensorCodecError(
      `${raw.byteLength} byte(s) is not a whole number of ${datatype} elements (${info.byteSize} bytes each)`,
    );
  }
  // Uint8Array.prototype.slice copies; a Buffer's own slice() would return another unaligned view.
  const src = raw.byteOffset % info.byteSize === 0 ? raw : Uint8Array.prototype.slice.call(raw);
  return new Ctor(src.buffer as ArrayBuffer, src.byteOffset, src.byteLength / info.byteSize);
}

const INT_RANGES: Partial<Record<DataType, readonly [number, number]>> = {
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
  UINT32: [0, 0xffffffff],
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
  INT32: [-0x80000000, 0x7fffffff],
};

function describe(v: unknown): string {
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + '…' : v)}`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  // Never convert an object to a string: JSON can give it its own `toString` / `valueOf`
  // ({"toString": 0}), and String() would then throw a TypeError instead of our error.
  if (typeof v === 'object' || typeof v === 'function') return typeof v;
  return `${typeof v} ${String(v)}`;
}

function toBigInt(datatype: DataType, v: unknown, i: number): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isInteger(v)) b = BigInt(v);
  else throw new TensorCodecError(`element ${i}: expected an integer for ${datatype}, got ${describe(v)}`);
  const ok = datatype === 'UINT64' ? b >= 0n && b <= 0xffffffffffffffffn : b >= -(1n << 63n) && b < 1n << 63n;
  if (!ok) throw new TensorCodecError(`element ${i}: ${b} is out of range for ${datatype}`);
  return b;
}

/**
 * Encodes JSON-style values to raw little-endian bytes for `datatype`: numbers (integers for the
 * integer types, range-checked), booleans (or 0/1) for BOOL, numbers or bigints for 64-bit ints,
 * numbers for FP16/BF16 (converted), strings or Uint8Arrays for BYTES.
 *
 * @example
 * ```ts
 * encodeElements('INT32', [1, 2, 3]) // 12 bytes
 * ```
 */
export function encodeElements(datatype: DataType, values: readonly unknown[]): Uint8Array {
  if (datatype === 'BYTES') {
    return encodeBytesElements(
      values.map((v, i) => {
        if (typeof v === 'string' || v instanceof Uint8Array) return v;
        throw new TensorCodecError(`element ${i}: expected a string for BYTES, got ${describe(v)}`);
      }),
    );
  }
  const info = DATATYPES[datatype];
  const out = new Uint8Array(values.length * info.byteSize);
  const dv = new DataView(out.buffer);
  const range = INT_RANGES[datatype];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const off = i * info.byteSize;
    switch (datatype) {
      case 'BOOL':
        if (typeof v === 'boolean') dv.setUint8(off, v ? 1 : 0);
        else if (v === 0 || v === 1) dv.setUint8(off, v);
        else throw new TensorCodecError(`element ${i}: expected a boolean for BOOL, got ${describe(v)}`);
        break;
      case 'INT64':
        dv.setBigInt64(off, toBigInt(datatype, v, i), true);
        break;
      case 'UINT64':
        dv.setBigUint64(off, toBigInt(datatype, v, i), true);
        break;
      case 'FP16':
      case 'BF16':
      case 'FP32':
      case 'FP64': {
        if (typeof v !== 'number') {
          throw new TensorCodecError(`element ${i}: expected a number for ${datatype}, got ${describe(v)}`);
        }
        if (datatype === 'FP16') dv.setUint16(off, numberToFloat16Bits(v), true);
        else if (datatype === 'BF16') dv.setUint16(off, numberToBfloat16Bits(v), true);
        else if (datatype === 'FP32') dv.setFloat32(off, v, true);
        else dv.setFloat64(off, v, true);
        break;
      }
      default: {
        if (typeof v !== 'number' || !Number.isInteger(v)) {
          throw new TensorCodecError(`element ${i}: expected an integer for ${datatype}, got ${describe(v)}`);
        }
        const [lo, hi] = range!;
        if (v < lo || v > hi) throw new TensorCodecError(`element ${i}: ${v} is out of range for ${datatype}`);
        if (info.byteSize === 1) dv.setUint8(off, v & 0xff);
        else if (info.byteSize === 2) dv.setUint16(off, v & 0xffff, true);
        else dv.setUint32(off, v >>> 0, true);
      }
    }
  }
  return out;
}

/**
 * Decodes raw little-endian bytes to JSON-friendly values: booleans for BOOL, numbers for every
 * numeric type (64-bit integers as the nearest number), UTF-8 strings for BYTES.
 */
export function decodeElements(datatype: DataType, raw: Uint8Array): Array<number | boolean | string> {
  if (datatype === 'BYTES') return decodeBytesElements(raw).map((b) => utf8Decoder.decode(b));
  const view = viewAs(datatype, raw);
  const out = new Array<number | boolean | string>(view.length);
  for (let i = 0; i < view.length; i++) {
    const v = view[i]!;
    if (datatype === 'BOOL') out[i] = v !== 0;
    else if (datatype === 'FP16') out[i] = float16BitsToNumber(v as number);
    else if (datatype === 'BF16') out[i] = bfloat16BitsToNumber(v as number);
    else out[i] = typeof v === 'bigint' ? Number(v) : v;
  }
  return out;
}
