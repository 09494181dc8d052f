/**
 * The tensor datatype table shared by every codec, frontend and backend.
 *
 * One row per KServe v2 datatype: its Triton model-config enum name (`TYPE_*`), the size of one
 * element in bytes (0 for BYTES, whose elements are variable length) and the typed-array class
 * that views its raw little-endian bytes. Keeping this in one place is what lets the HTTP, gRPC
 * and worker-thread codecs agree on every byte.
 */

/** A KServe v2 / Triton tensor datatype name as it appears on the wire. */
export type DataType =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'BF16'
  | 'FP32'
  | 'FP64'
  | 'BYTES';

/** A Triton model-config datatype enum name (`inference.DataType`). */
export type ConfigDataType =
  | 'TYPE_INVALID'
  | 'TYPE_BOOL'
  | 'TYPE_UINT8'
  | 'TYPE_UINT16'
  | 'TYPE_UINT32'
  | 'TYPE_UINT64'
  | 'TYPE_INT8'
  | 'TYPE_INT16'
  | 'TYPE_INT32'
  | 'TYPE_INT64'
  | 'TYPE_FP16'
  | 'TYPE_FP32'
  | 'TYPE_FP64'
  | 'TYPE_STRING'
  | 'TYPE_BF16';

/** Any typed array a tensor of fixed-size elements can be viewed as. */
export type TypedArray =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** Constructor of one of the {@link TypedArray} classes. */
export type TypedArrayConstructor =
  | Uint8ArrayConstructor
  | Uint16ArrayConstructor
  | Uint32ArrayConstructor
  | BigUint64ArrayConstructor
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Int32ArrayConstructor
  | BigInt64ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

/** Everything the server knows about one datatype. */
export interface DataTypeInfo {
  /** Wire name, e.g. `INT32`. */
  readonly name: DataType;
  /** Model-config enum name, e.g. `TYPE_INT32` (BYTES is `TYPE_STRING`). */
  readonly configType: ConfigDataType;
  /** Bytes per element; 0 for BYTES. */
  readonly byteSize: number;
  /**
   * Typed array that views raw elements. BOOL is one byte per element (0/1) and is viewed as
   * Uint8Array; FP16 and BF16 are viewed as their raw 16-bit patterns (Uint16Array); BYTES has none.
   */
  readonly arrayType: TypedArrayConstructor | undefined;
}

const row = (
  name: DataType,
  configType: ConfigDataType,
  byteSize: number,
  arrayType: TypedArrayConstructor | undefined,
): DataTypeInfo => ({ name, configType, byteSize, arrayType });

/**
 * The datatype table, keyed by wire name.
 *
 * @example
 * ```ts
 * DATATYPES.INT32.byteSize // 4
 * DATATYPES.BYTES.configType // 'TYPE_STRING'
 * ```
 */
export const DATATYPES: Readonly<Record<DataType, DataTypeInfo>> = {
  BOOL: row('BOOL', 'TYPE_BOOL', 1, Uint8Array),
  UINT8: row('UINT8', 'TYPE_UINT8', 1, Uint8Array),
  UINT16: row('UINT16', 'TYPE_UINT16', 2, Uint16Array),
  UINT32: row('UINT32', 'TYPE_UINT32', 4, Uint32Array),
  UINT64: row('UINT64', 'TYPE_UINT64', 8, BigUint64Array),
  INT8: row('INT8', 'TYPE_INT8', 1, Int8Array),
  INT16: row('INT16', 'TYPE_INT16', 2, Int16Array),
  INT32: row('INT32', 'TYPE_INT32', 4, Int32Array),
  INT64: row('INT64', 'TYPE_INT64', 8, BigInt64Array),
  FP16: row('FP16', 'TYPE_FP16', 2, Uint16Array),
  BF16: row('BF16', 'TYPE_BF16', 2, Uint16Array),
  FP32: row('FP32', 'TYPE_FP32', 4, Float32Array),
  FP64: row('FP64', 'TYPE_FP64', 8, Float64Array),
  BYTES: row('BYTES', 'TYPE_STRING', 0, undefined),
};

/** Every wire datatype name, in table order. */
export const ALL_DATATYPES: readonly DataType[] = Object.keys(DATATYPES) as DataType[];

const byConfigType = new Map<string, DataTypeInfo>(ALL_DATATYPES.map((d) => [DATATYPES[d].configType, DATATYPES[d]]));

/** True when `s` is a wire datatype name (case-sensitive, as the protocol requires). */
export function isDataType(s: string): s is DataType {
  return Object.prototype.hasOwnProperty.call(DATATYPES, s);
}

/** Maps a model-config enum name (`TYPE_FP32`) to its wire datatype (`FP32`), or undefined. */
export function fromConfigDataType(configType: string): DataType | undefined {
  return byConfigType.get(configType)?.name;
}

/** Maps a wire datatype (`FP32`) to its model-config enum name (`TYPE_FP32`). */
export function toConfigDataType(datatype: DataType): ConfigDataType {
  return DATATYPES[datatype].configType;
}

/** Number of elements of a shape (product of dims; 1 for a scalar shape `[]`). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
