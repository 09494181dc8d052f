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
