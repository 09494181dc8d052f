import { onnx } from './onnx-proto.js';

/**
 * Element types a {@link GraphBuilder} can declare, named like onnxruntime-common tensor types
 * (with `bfloat16` added) so tests and backends can map them without a translation table.
 */
export type OnnxElemType =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string';

const DT = onnx.TensorProto.DataType;

/**
 * ONNX `TensorProto.DataType` code and storage width (bytes in `raw_data`; 0 for strings) of
 * every {@link OnnxElemType}.
 */
export const ELEM_TYPE_INFO: Readonly<Record<OnnxElemType, { readonly code: number; readonly bytes: number }>> = {
  float32: { code: DT.FLOAT, bytes: 4 },
  float16: { code: DT.FLOAT16, bytes: 2 },
  bfloat16: { code: DT.BFLOAT16, bytes: 2 },
  float64: { code: DT.DOUBLE, bytes: 8 },
  int8: { code: DT.INT8, bytes: 1 },
  int16: { code: DT.INT16, bytes: 2 },
  int32: { code: DT.INT32, bytes: 4 },
  int64: { code: DT.INT64, bytes: 8 },
  uint8: { code: DT.UINT8, bytes: 1 },
  uint16: { code: DT.UINT16, bytes: 2 },
  uint32: { code: DT.UINT32, bytes: 4 },
  uint64: { code: DT.UINT64, bytes: 8 },
  bool: { code: DT.BOOL, bytes: 1 },
  string: { code: DT.STRING, bytes: 0 },
};

/**
 * Looks up an element type, throwing a clear error for names outside {@link OnnxElemType}
 * (callers may pass untyped strings from JavaScript).
 */
export function elemTypeInfo(type: OnnxElemType): { readonly code: number; readonly bytes: number } {
  const info = (ELEM_TYPE_INFO as Record<string, { code: number; bytes: number } | undefined>)[type];
  if (info === undefined) throw new TypeError(`unknown ONNX element type '${String(type)}'`);
  return info;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * IEEE 754 binary16 bit pattern of a number, rounded to nearest-even (after rounding to float32).
 * Written by hand because Node 20 has neither `Float16Array` nor `Math.f16round`.
 *
 * @example float32ToFloat16Bits(1) === 0x3c00
 */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0] ?? 0;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let half = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

/** Number value of an IEEE 754 binary16 bit pattern (for reading float16 outputs in tests). */
export function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * bfloat16 bit pattern of a number: the top half of its float32 bits, rounded to nearest-even.
 *
 * @example float32ToBfloat16Bits(1) === 0x3f80
 */
export function float32ToBfloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0] ?? 0;
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) & 0x8000) | 0x7fc0;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}
