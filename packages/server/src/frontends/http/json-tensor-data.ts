/**
 * Tensor `data` in KServe v2 JSON: a flat or nested (row-major) array of numbers, booleans or
 * strings, converted to and from the raw little-endian bytes the core works with. Element
 * conversion itself is the shared codec's (`encodeElements` / `decodeElements`); this file adds
 * what is specific to JSON: flattening, the element-count check against the shape, rejecting
 * non-finite numbers, and error messages that name the input.
 */
import { decodeElements, elementCount, encodeElements, TensorCodecError, type DataType } from '@tensorgate/protocol';
import { internal, invalidArg } from '../../core/errors.js';

/**
 * Flattens nested arrays in row-major order. Returns `data` itself when it is already flat, so
 * the common case costs one scan and no copy. Written by hand (not `Array.prototype.flat`)
 * because the nesting depth is unknown and `flat(Infinity)` always copies.
 */
export function flattenData(data: readonly unknown[]): readonly unknown[] {
  let nested = false;
  for (let i = 0; i < data.length; i++) {
    if (Array.isArray(data[i])) {
      nested = true;
      break;
    }
  }
  if (!nested) return data;
  const out: unknown[] = [];
  const stack: Array<{ arr: readonly unknown[]; i: number }> = [{ arr: data, i: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.i >= top.arr.length) {
      stack.pop();
      continue;
    }
    const v = top.arr[top.i++];
    if (Array.isArray(v)) stack.push({ arr: v, i: 0 });
    else out.push(v);
  }
  return out;
}

const FLOAT_TYPES: ReadonlySet<DataType> = new Set<DataType>(['FP16', 'BF16', 'FP32', 'FP64']);

/**
 * Converts one input's JSON `data` to raw bytes, checking that the number of elements matches
 * the shape.
 *
 * @throws InferenceError INVALID_ARG naming the input and, for bad values, the element index.
 * @example
 * ```ts
 * encodeJsonData('INPUT0', 'INT32', [2, 2], [[1, 2], [3, 4]]) // 16 bytes
 * ```
 */
export function encodeJsonData(
  name: string,
  datatype: DataType,
  shape: readonly number[],
  data: readonly unknown[],
): Uint8Array {
  const flat = flattenData(data);
  const expected = elementCount(shape);
  if (flat.length !== expected) {
    throw invalidArg(
      `unexpected number of elements for input '${name}': shape [${shape.join(',')}] has ${expected} element(s) but 'data' has ${flat.length}`,
    );
  }
  if (FLOAT_TYPES.has(datatype)) {
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (typeof v === 'number' && !Number.isFinite(v)) {
        throw invalidArg(`input '${name}' element ${i}: ${v} is not a finite ${datatype} value`);
      }
    }
  }
  try {
    return encodeElements(datatype, flat);
  } catch (err) {
    if (err instanceof TensorCodecError) throw invalidArg(`input '${name}' ${err.message}`);
    throw err;
  }
}

/**
 * Converts an output's raw bytes to a flat JSON array: numbers, booleans for BOOL, UTF-8 strings
 * for BYTES. 64-bit integers beyond 2^53 lose precision (JSON numbers are doubles); clients that
 * need them exactly ask for binary output.
 *
 * @throws InferenceError INTERNAL when the backend produced malformed bytes.
 */
export function decodeJsonData(name: string, datatype: DataType, raw: Uint8Array): Array<number | boolean | string> {
  try {
    return decodeElements(datatype, raw);
  } catch (err) {
    if (err instanceof TensorCodecError) {
      throw internal(`output '${name}' has malformed data: ${err.message}`);
    }
    throw err;
  }
}
