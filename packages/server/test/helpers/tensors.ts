/** Small helpers to build and read raw tensor bytes in tests. */
import { decodeElements, encodeElements, type DataType } from '@tensorgate/protocol';

/** Raw LE bytes of `values` as `datatype`, as a Buffer. */
export const raw = (datatype: DataType, values: unknown[]): Buffer => Buffer.from(encodeElements(datatype, values));

/** Decodes raw bytes into plain values. */
export const values = (datatype: DataType, bytes: Uint8Array): Array<number | boolean | string> =>
  decodeElements(datatype, bytes);

/** 0..n-1 */
export const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => i + from);
