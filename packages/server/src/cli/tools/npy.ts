/**
 * A reader for NumPy `.npy` files (format versions 1, 2 and 3), so `tensorgate infer --input
 * NAME:@x.npy` can send arrays saved with `numpy.save`.
 *
 * Hand-written because the format is one small header plus raw bytes, no npm package for it is
 * installed here, and a dependency for ~100 lines of parsing is not worth its supply-chain cost.
 * Supported: little-endian (or byte-order-free) numeric and bool arrays in C order, and fixed-width
 * byte (`|S`) and unicode (`<U`) strings as BYTES. Not supported (clear error): big-endian data,
 * Fortran order, object arrays (they are pickles), structured dtypes.
 */
import { DATATYPES, elementCount, float16BitsToNumber, type DataType, type TypedArray } from '@tensorgate/protocol';

/** What a `.npy` file holds, in tensor terms. */
export interface NpyArray {
  readonly datatype: DataType;
  readonly shape: number[];
  /** Typed array for numeric types; numbers for FP16; booleans for BOOL; strings for BYTES. */
  readonly values: TypedArray | number[] | boolean[] | string[];
}

/** A malformed or unsupported `.npy` file. */
export class NpyError extends Error {
  override readonly name = 'NpyError';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** NumPy type codes (kind + item size) mapped to wire datatypes. */
const NUMERIC: Readonly<Record<string, DataType>> = {
  b1: 'BOOL',
  u1: 'UINT8',
  u2: 'UINT16',
  u4: 'UINT32',
  u8: 'UINT64',
  i1: 'INT8',
  i2: 'INT16',
  i4: 'INT32',
  i8: 'INT64',
  f2: 'FP16',
  f4: 'FP32',
  f8: 'FP64',
};

/**
 * Parses the bytes of a `.npy` file.
 *
 * @example
 * ```ts
 * const { datatype, shape, values } = readNpy(readFileSync('x.npy')); // 'FP32', [2, 3], Float32Array
 * ```
 */
export function readNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new NpyError('not a .npy file (bad magic)');
  const major = bytes[6]!;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyError('truncated .npy header');
    headerLen = dv.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new NpyError(`unsupported .npy format version ${major}`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) throw new NpyError('truncated .npy header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const { descr, fortran, shape } = parseHeader(header);
  if (fortran && shape.length > 1) throw new NpyError('Fortran-ordered arrays are not supported; save in C order');
  const count = elementCount(shape);
  const data = bytes.subarray(dataStart);
  return decode(descr, shape, count, data);
}

function parseHeader(header: string): { descr: string; fortran: boolean; shape: number[] } {
  // The header is a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyError(`cannot read the .npy header ${JSON.stringify(header.trim())} (structured dtype?)`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(n) || n < 0) throw new NpyError(`bad dimension ${s} in the .npy shape`);
      return n;
    });
  return { descr, fortran: fortran === 'True', shape };
}

function decode(descr: string, shape: number[], count: number, data: Uint8Array): NpyArray {
  const order = descr[0]!;
  const kind = descr.slice(1);
  if (order === '>' && !/^[biu]1$|^[SU]/.test(kind)) {
    throw new NpyError(`big-endian arrays (${descr}) are not supported; convert with arr.astype('<${kind}')`);
  }
  if (kind === 'O') throw new NpyError('object arrays (pickled) are not supported');
  const str = /^([SU])(\d+)$/.exec(kind);
  if (str)
    return { datatype: 'BYTES', shape, values: decodeStrings(str[1] as 'S' | 'U', Number(str[2]), order, count, data) };
  const datatype = NUMERIC[kind];
  if (!datatype) throw new NpyError(`unsupported .npy dtype ${descr}`);
  const size = DATATYPES[datatype].byteSize;
  if (data.length < count * size) throw new NpyError(`truncated .npy data: ${count} × ${size} bytes expected`);
  // Copy into a fresh buffer: the data start is rarely aligned for the element size, and a Buffer's
  // slice() would be a view into Node's shared pool rather than a copy.
  const raw = new Uint8Array(count * size);
  raw.set(data.subarray(0, count * size));
  if (datatype === 'BOOL') return { datatype, shape, values: Array.from(raw, (b) => b !== 0) };
  const Ctor = DATATYPES[datatype].arrayType!;
  const view = new Ctor(raw.buffer, 0, count);
  if (datatype === 'FP16') return { datatype, shape, values: Array.from(view as Uint16Array, float16BitsToNumber) };
  return { datatype, shape, values: view };
}

function decodeStrings(kind: 'S' | 'U', width: number, order: string, count: number, data: Uint8Array): string[] {
  const itemBytes = kind === 'S' ? width : width * 4;
  if (data.length < count * itemBytes) throw new NpyError('truncated .npy string data');
  const out: string[] = [];
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < count; i++) {
    const off = i * itemBytes;
    if (kind === 'S') {
      let end = off + width;
      while (end > off && data[end - 1] === 0) end--; // NumPy pads with NULs
      out.push(new TextDecoder().decode(data.subarray(off, end)));
    } else {
      let s = '';
      for (let c = 0; c < width; c++) {
        const cp = dv.getUint32(off + c * 4, order !== '>');
        if (cp === 0) break;
        s += String.fromCodePoint(cp);
      }
      out.push(s);
    }
  }
  return out;
}
