import type { OnnxElemType } from './elem-types.js';
import { onnx, type OnnxTypes } from './onnx-proto.js';
import { encodeTensor, type TensorData } from './tensor-encoding.js';

/**
 * A node attribute value. Integer numbers (and arrays of only integers) become INT/INTS;
 * other numbers become FLOAT/FLOATS; `{ float }` / `{ floats }` force FLOAT/FLOATS (e.g. an
 * `alpha` of 1). Strings become STRING/STRINGS, `{ tensor }` a TENSOR attribute.
 */
export type AttrValue =
  | number
  | string
  | readonly number[]
  | readonly string[]
  | { tensor: { type: OnnxElemType; dims: readonly number[]; data: TensorData } }
  | { float: number }
  | { floats: readonly number[] };

const AT = onnx.AttributeProto.AttributeType;
const utf8 = new TextEncoder();

/**
 * Converts one named {@link AttrValue} into an ONNX AttributeProto.
 *
 * @example encodeAttribute('axis', -1) // { name: 'axis', type: INT, i: -1 }
 */
export function encodeAttribute(name: string, value: AttrValue): OnnxTypes.IAttributeProto {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: AT.INT, i: value } : { name, type: AT.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: AT.STRING, s: utf8.encode(value) };
  if (Array.isArray(value)) {
    const items = value as readonly (number | string)[];
    if (items.every((v) => typeof v === 'string')) {
      // An empty array lands here only if it is typed string[]; it is ambiguous, so INTS below wins.
      if (items.length > 0) return { name, type: AT.STRINGS, strings: items.map((s) => utf8.encode(s as string)) };
    }
    if (!items.every((v) => typeof v === 'number')) throw new TypeError(`attribute '${name}': mixed array`);
    const nums = items as readonly number[];
    return nums.every((v) => Number.isInteger(v))
      ? { name, type: AT.INTS, ints: [...nums] }
      : { name, type: AT.FLOATS, floats: [...nums] };
  }
  if ('float' in value) return { name, type: AT.FLOAT, f: value.float };
  if ('floats' in value) return { name, type: AT.FLOATS, floats: [...value.floats] };
  if ('tensor' in value) {
    const t = value.tensor;
    return { name, type: AT.TENSOR, t: encodeTensor('', t.type, t.dims, t.data) };
  }
  throw new TypeError(`attribute '${name}': unsupported value`);
}
