import { numberToBfloat16Bits, numberToFloat16Bits } from '@tensorgate/protocol/float16';
import { elemTypeInfo, type OnnxElemType } from './elem-types.js';
import type { OnnxTypes } from './onnx-proto.js';

/**
 * Values of a tensor as accepted by {@link encodeTensor}: numbers (or bigints for 64-bit
 * integers) in row-major order, or strings for `string` tensors. float16/bfloat16 take the
 * numeric values, not bit patterns; bool takes any number (non-zero is true).
 */
export type TensorData = ArrayLike<number> | ArrayLike<bigint> | readonly string[];

const utf8 = new TextEncoder();

/** Number of elements of a shape (1 for a scalar `[]`). */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid tensor dim ${d}`);
    n *= d;
  }
  return n;
}

function asNumber(v: number | bigint | string, type: OnnxElemType): number {
  if (typeof v === 'string') throw new TypeError(`string value in a ${type} tensor`);
  return Number(v);
}

function asBigInt(v: number | bigint | string, type: OnnxElemType): bigint {
  if (typeof v === 'string') throw new TypeError(`string value in a ${type} tensor`);
  if (typeof v === 'bigint') return v;
  if (!Number.isInteger(v)) throw new RangeError(`non-integer ${v} in a ${type} tensor`);
  return BigInt(v);
}

/**
 * Little-endian `raw_data` bytes of numeric values. Everything numeric goes through raw_data
 * (rather than the typed repeated fields) so one code path covers all widths, including
 * float16/bfloat16 and 64-bit integers, and the output is byte-exact across platforms.
 */
function rawBytes(type: OnnxElemType, values: ArrayLike<number | bigint | string>): Uint8Array {
  const width = elemTypeInfo(type).bytes;
  const out = new Uint8Array(values.length * width);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number | bigint | string;
    const at = i * width;
    switch (type) {
      case 'float32':
        view.setFloat32(at, asNumber(v, type), true);
        break;
      case 'float64':
        view.setFloat64(at, asNumber(v, type), true);
        break;
      case 'float16':
        view.setUint16(at, numberToFloat16Bits(asNumber(v, type)), true);
        break;
      case 'bfloat16':
        view.setUint16(at, numberToBfloat16Bits(asNumber(v, type)), true);
        break;
      case 'int8':
        view.setInt8(at, asNumber(v, type));
        break;
      case 'uint8':
        view.setUint8(at, asNumber(v, type));
        break;
      case 'int16':
        view.setInt16(at, asNumber(v, type), true);
        break;
      case 'uint16':
        view.setUint16(at, asNumber(v, type), true);
        break;
      case 'int32':
        view.setInt32(at, asNumber(v, type), true);
        break;
      case 'uint32':
        view.setUint32(at, asNumber(v, type), true);
        break;
      case 'int64':
        view.setBigInt64(at, asBigInt(v, type), true);
        break;
      case 'uint64':
        view.setBigUint64(at, asBigInt(v, type), true);
        break;
      case 'bool':
        view.setUint8(at, asNumber(v, type) !== 0 ? 1 : 0);
        break;
      case 'string':
        throw new TypeError('string tensors have no raw data');
    }
  }
  return out;
}

/**
 * Builds an ONNX TensorProto (initializer or TENSOR attribute value) from plain values.
 *
 * @example
 * ```ts
 * const w = encodeTensor('W', 'float32', [2, 2], [1, 0, 0, 1]);
 * ```
 */
export function encodeTensor(
  name: string,
  type: OnnxElemType,
  dims: readonly number[],
  data: TensorData,
): OnnxTypes.ITensorProto {
  const { code } = elemTypeInfo(type);
  const count = elementCount(dims);
  if (data.length !== count) {
    throw new RangeError(`tensor '${name}': ${data.length} values for shape [${dims.join(',')}] (${count} expected)`);
  }
  const tensor: OnnxTypes.ITensorProto = { dataType: code, dims: [...dims] };
  // Unnamed tensors (TENSOR attribute values) leave the field out rather than writing ''.
  if (name !== '') tensor.name = name;
  const values = data as ArrayLike<number | bigint | string>;
  if (type === 'string') {
    const strings: Uint8Array[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'string') throw new TypeError(`tensor '${name}': non-string value in a string tensor`);
      strings.push(utf8.encode(v));
    }
    tensor.stringData = strings;
  } else {
    tensor.rawData = rawBytes(type, values);
  }
  return tensor;
}

/** Where {@link externalTensor} says a tensor's bytes are. */
export interface ExternalLocation {
  /** File name, relative to the model file (ONNX's rule; tests also write `..` or absolute names). */
  location: string;
  /** Byte offset in the file (default: absent, meaning 0). */
  offset?: number;
  /** Byte length (default: absent, meaning the rest of the file). */
  length?: number;
}

/**
 * A TensorProto whose data lives in another file (`data_location: EXTERNAL` and `external_data`
 * entries), as ONNX writes models over 2 GB.
 *
 * @example
 * ```ts
 * const w = externalTensor('W', 'float32', [4], { location: 'weights.bin' });
 * ```
 */
export function externalTensor(
  name: string,
  type: OnnxElemType,
  dims: readonly number[],
  where: ExternalLocation,
): OnnxTypes.ITensorProto {
  elementCount(dims);
  const entries: OnnxTypes.IStringStringEntryProto[] = [{ key: 'location', value: where.location }];
  if (where.offset !== undefined) entries.push({ key: 'offset', value: String(where.offset) });
  if (where.length !== undefined) entries.push({ key: 'length', value: String(where.length) });
  // 1 = TensorProto.DataLocation.EXTERNAL
  return { name, dataType: elemTypeInfo(type).code, dims: [...dims], externalData: entries, dataLocation: 1 };
}
