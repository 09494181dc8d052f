/**
 * The datatype bridge between tensorgate (KServe v2 / Triton names) and onnxruntime-node's tensor
 * type strings, plus the model metadata shape both the auto-complete and the config check use.
 * Kept free of any onnxruntime import so the main thread can use it without loading the runtime.
 */
import { DATATYPES, type ConfigDataType, type DataType } from '@tensorgate/protocol';

/** onnxruntime-node tensor type strings that tensorgate can exchange. */
export type OrtTensorType =
  | 'float32'
  | 'float64'
  | 'float16'
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

/** ORT type → wire datatype. ORT-node has no bfloat16 tensors; int4/uint4 have no Triton type. */
const ORT_TO_DATATYPE: Readonly<Record<OrtTensorType, DataType>> = {
  float32: 'FP32',
  float64: 'FP64',
  float16: 'FP16',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  bool: 'BOOL',
  string: 'BYTES',
};

const DATATYPE_TO_ORT = new Map<DataType, OrtTensorType>(
  Object.entries(ORT_TO_DATATYPE).map(([ort, dt]) => [dt, ort as OrtTensorType]),
);

/** The wire datatype of an ORT tensor type, or undefined when tensorgate cannot serve it. */
export function datatypeOfOrt(type: string): DataType | undefined {
  return Object.prototype.hasOwnProperty.call(ORT_TO_DATATYPE, type)
    ? ORT_TO_DATATYPE[type as OrtTensorType]
    : undefined;
}

/** The config enum (`TYPE_FP32`, `TYPE_STRING`) of an ORT tensor type, or undefined. */
export function configTypeOfOrt(type: string): ConfigDataType | undefined {
  const dt = datatypeOfOrt(type);
  return dt === undefined ? undefined : DATATYPES[dt].configType;
}

/** The ORT tensor type of a wire datatype, or undefined (BF16: onnxruntime-node has none). */
export function ortTypeOf(datatype: DataType): OrtTensorType | undefined {
  return DATATYPE_TO_ORT.get(datatype);
}

/**
 * ONNX `TensorProto.DataType` numbers, to name an element type in errors. onnxruntime-node refuses
 * to open a model whose inputs or outputs use a type it cannot exchange (it reports only the
 * number, e.g. "Unsupported data type: 16"), so the load error names it.
 */
export const ONNX_ELEMENT_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'FLOAT',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'STRING',
  9: 'BOOL',
  10: 'FLOAT16',
  11: 'DOUBLE',
  12: 'UINT32',
  13: 'UINT64',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  16: 'BFLOAT16',
  17: 'FLOAT8E4M3FN',
  18: 'FLOAT8E4M3FNUZ',
  19: 'FLOAT8E5M2',
  20: 'FLOAT8E5M2FNUZ',
  21: 'UINT4',
  22: 'INT4',
  23: 'FLOAT4E2M1',
};

/**
 * Rewrites onnxruntime-node's "Unsupported data type: N" into a sentence that names the ONNX type
 * and says what to do; other messages pass through.
 */
export function explainOrtLoadError(message: string): string {
  const m = /Unsupported data type: (\d+)/.exec(message);
  if (!m) return message;
  const code = Number(m[1]);
  const name = ONNX_ELEMENT_TYPE_NAMES[code] ?? `element type ${code}`;
  return (
    `an input or output of the model has ONNX element type ${name} (${code}), which onnxruntime-node cannot ` +
    'pass to or from JavaScript (supported: FLOAT, DOUBLE, FLOAT16, INT8/16/32/64, UINT8/16/32/64, BOOL, STRING); ' +
    `convert that tensor (e.g. with a Cast node) to a supported type (${message})`
  );
}

/** One input or output as onnxruntime-node describes it (`session.inputMetadata`). */
export interface OrtValueInfo {
  readonly name: string;
  /** False for sequence / map / optional values, which tensorgate cannot serve. */
  readonly isTensor: boolean;
  /** ORT tensor type string (`float32`...); absent for non-tensors. */
  readonly type?: string;
  /** Dimensions: a number for a fixed dim, a string (or -1) for a symbolic / unknown one. */
  readonly shape?: readonly (number | string)[];
}

/** What a model file declares: its inputs and outputs. */
export interface OnnxModelMetadata {
  readonly inputs: readonly OrtValueInfo[];
  readonly outputs: readonly OrtValueInfo[];
}

/** The dims of a value with symbolic or unknown dims as -1 (Triton's wildcard). */
export function wildcardDims(info: OrtValueInfo): number[] {
  return (info.shape ?? []).map((d) => (typeof d === 'number' && d >= 0 ? d : -1));
}

/** `[a,b,c]` as Triton prints shapes. */
export function shapeText(dims: readonly (number | string)[]): string {
  return `[${dims.join(',')}]`;
}
