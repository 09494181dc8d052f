/**
 * Typed `InferTensorContents` → raw little-endian bytes, for clients that send tensor elements
 * in the typed repeated fields instead of `raw_input_contents`. The element conversion itself is
 * the shared codec of @tensorgate/protocol; this file only knows which field goes with which
 * datatype and turns codec failures into client-facing INVALID_ARG errors.
 */
import {
  TensorCodecError,
  elementCount,
  encodeBytesElements,
  encodeElements,
  type DataType,
  type InferTensorContentsMessage,
} from '@tensorgate/protocol';
import { invalidArg } from '../../core/errors.js';

/** A field of InferTensorContents. */
export type ContentsField = keyof InferTensorContentsMessage;

/** Every field of InferTensorContents, in field-number order. */
export const CONTENTS_FIELDS: readonly ContentsField[] = [
  'bool_contents',
  'int_contents',
  'int64_contents',
  'uint_contents',
  'uint64_contents',
  'fp32_contents',
  'fp64_contents',
  'bytes_contents',
];

/**
 * The contents field that carries each datatype. FP16 and BF16 have none (as in Triton): their
 * data must travel in `raw_input_contents`.
 */
export const CONTENTS_FIELD_OF: Readonly<Record<DataType, ContentsField | undefined>> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP16: undefined,
  BF16: undefined,
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

/** True when any typed field holds at least one element. */
export function hasContents(c: InferTensorContentsMessage | null | undefined): c is InferTensorContentsMessage {
  if (c == null) return false;
  for (const f of CONTENTS_FIELDS) {
    const v = c[f];
    if (v !== undefined && v.length > 0) return true;
  }
  return false;
}

/**
 * Converts an input's typed contents to raw bytes, checking that only the field matching the
 * datatype is used and that it holds exactly as many elements as the shape.
 *
 * @param what - how errors name the tensor, e.g. `input 'INPUT0'`.
 * @example
 * ```ts
 * contentsToRaw('INT32', [2], { int_contents: [1, 2] }, "input 'X'") // 8 bytes
 * ```
 */
export function contentsToRaw(
  datatype: DataType,
  shape: readonly number[],
  contents: InferTensorContentsMessage,
  what: string,
): Uint8Array {
  const field = CONTENTS_FIELD_OF[datatype];
  if (field === undefined) {
    throw invalidArg(`${what}: ${datatype} has no typed contents field; send its data in raw_input_contents`);
  }
  for (const f of CONTENTS_FIELDS) {
    const v = contents[f];
    if (f !== field && v !== undefined && v.length > 0) {
      throw invalidArg(`${what} has datatype ${datatype} but carries ${f}; use ${field}`);
    }
  }
  const values = contents[field] ?? [];
  const expected = elementCount(shape);
  if (values.length !== expected) {
    throw invalidArg(
      `${what}: ${field} holds ${values.length} element(s) but shape [${shape.join(',')}] needs ${expected}`,
    );
  }
  try {
    return datatype === 'BYTES'
      ? encodeBytesElements(values as Uint8Array[])
      : encodeElements(datatype, values as readonly unknown[]);
  } catch (err) {
    if (err instanceof TensorCodecError) throw invalidArg(`${what}: ${err.message}`);
    throw err;
  }
}
