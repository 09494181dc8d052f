/**
 * Parses `tensorgate infer --input` arguments into tensors:
 *
 * - `NAME:DTYPE:SHAPE:DATA`: DATA is comma-separated values (`1,2,3`), a JSON array
 *   (`[[1,2],[3,4]]`, flattened in row-major order), `@values.json` (a JSON array in a file) or
 *   `@array.npy`; SHAPE is `1,16`, `[1,16]`, or empty for a scalar.
 * - `NAME:@array.npy`: datatype and shape come from the `.npy` file.
 * - `@request.json`: a KServe v2 JSON request body (`{"inputs": [{name, datatype, shape, data}]}`)
 *   or a bare array of such inputs; every input in it is taken.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { elementCount, encodeElements, isDataType, type DataType, type TypedArray } from '@tensorgate/protocol';
import { readNpy } from './npy.js';

/** Element values of one tensor, in row-major order. */
export type TensorValues = TypedArray | readonly (number | bigint | boolean | string)[];

/** One input tensor, ready to become an `InferInput`. */
export interface ParsedTensor {
  readonly name: string;
  readonly datatype: DataType;
  readonly shape: number[];
  readonly values: TensorValues;
}

/** A bad `--input` argument; the message names the argument and what is wrong. */
export class InputSpecError extends Error {
  override readonly name = 'InputSpecError';
}

/**
 * Parses every `--input` argument (in order) into tensors, reading files relative to `cwd`.
 *
 * @example
 * ```ts
 * parseInputSpecs(['INPUT0:INT32:1,16:@a.json', 'INPUT1:@b.npy'], process.cwd());
 * ```
 */
export function parseInputSpecs(specs: readonly string[], cwd: string): ParsedTensor[] {
  const out: ParsedTensor[] = [];
  for (const spec of specs) {
    try {
      out.push(...parseInputSpec(spec, cwd));
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new InputSpecError(`--input ${abbreviate(spec)}: ${msg}`);
    }
  }
  const seen = new Set<string>();
  for (const t of out) {
    if (seen.has(t.name)) throw new InputSpecError(`input ${t.name} is given more than once`);
    seen.add(t.name);
  }
  return out;
}

function abbreviate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Parses one `--input` argument (may yield several tensors for `@request.json`). */
export function parseInputSpec(spec: string, cwd: string): ParsedTensor[] {
  if (spec.startsWith('@')) return readRequestFile(resolve(cwd, spec.slice(1)));
  const parts = splitFirst(spec, 3);
  const name = parts[0] ?? '';
  if (name === '') throw new Error('the input name is empty (expected NAME:DTYPE:SHAPE:DATA)');
  if (parts.length === 2 && parts[1]!.startsWith('@')) {
    const npy = readNpy(readFileSync(resolve(cwd, parts[1]!.slice(1))));
    return [{ name, datatype: npy.datatype, shape: npy.shape, values: npy.values }];
  }
  if (parts.length !== 4) throw new Error('expected NAME:DTYPE:SHAPE:DATA or NAME:@file.npy');
  const datatype = parseDatatype(parts[1]!);
  const shape = parseShape(parts[2]!);
  const values = parseData(parts[3]!, datatype, cwd);
  return [checked({ name, datatype, shape, values })];
}

/** Splits on the first `n` colons; the last part keeps any further colons (string data). */
function splitFirst(s: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  for (let i = 0; i < n; i++) {
    const at = rest.indexOf(':');
    if (at < 0) break;
    out.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  out.push(rest);
  return out;
}

function parseDatatype(text: string): DataType {
  const upper = text.trim().toUpperCase();
  const dt = upper === 'STRING' ? 'BYTES' : upper;
  if (!isDataType(dt)) throw new Error(`unknown datatype ${JSON.stringify(text)}`);
  return dt;
}

/** Parses `1,16`, `[1,16]` or `` (scalar) into dimensions. */
export function parseShape(text: string): number[] {
  const t = text.trim().replace(/^\[/, '').replace(/\]$/, '').trim();
  if (t === '') return [];
  return t.split(',').map((d) => {
    const n = Number(d.trim());
    if (!Number.isInteger(n) || n < 0 || d.trim() === '')
      throw new Error(`bad dimension ${JSON.stringify(d)} in shape`);
    return n;
  });
}

function parseData(text: string, datatype: DataType, cwd: string): TensorValues {
  if (text.startsWith('@')) {
    const path = resolve(cwd, text.slice(1));
    if (path.endsWith('.npy')) {
      const npy = readNpy(readFileSync(path));
      if (npy.datatype !== datatype) throw new Error(`${text} holds ${npy.datatype}, not ${datatype}`);
      return npy.values;
    }
    return fromJson(JSON.parse(readFileSync(path, 'utf8')) as unknown, datatype);
  }
  const t = text.trim();
  if (t.startsWith('[')) return fromJson(JSON.parse(t) as unknown, datatype);
  if (t === '') return [];
  return t.split(',').map((v) => parseScalar(datatype === 'BYTES' ? v : v.trim(), datatype));
}

/** Flattens a (nested) JSON array into values of `datatype`. */
function fromJson(json: unknown, datatype: DataType): TensorValues {
  if (!Array.isArray(json)) throw new Error('the data must be a JSON array');
  const flat = (json as unknown[]).flat(Infinity) as unknown[];
  return flat.map((v) => {
    if (typeof v === 'string') return datatype === 'BYTES' ? v : parseScalar(v, datatype);
    if (datatype === 'BYTES') return typeof v === 'number' || typeof v === 'boolean' ? String(v) : bad(v, datatype);
    if (typeof v === 'number' || typeof v === 'boolean') return datatype === 'BOOL' ? toBool(v) : v;
    return bad(v, datatype);
  });
}

function bad(v: unknown, datatype: DataType): never {
  throw new Error(`${JSON.stringify(v)} is not a ${datatype} value`);
}

function toBool(v: number | boolean | string): boolean {
  if (v === true || v === 1 || v === 'true' || v === '1' || v === 'True') return true;
  if (v === false || v === 0 || v === 'false' || v === '0' || v === 'False') return false;
  throw new Error(`${JSON.stringify(v)} is not a BOOL value (true/false/1/0)`);
}

/** One value from text. 64-bit integers beyond 2^53 become bigints, so they stay exact. */
export function parseScalar(text: string, datatype: DataType): number | bigint | boolean | string {
  switch (datatype) {
    case 'BYTES':
      return text;
    case 'BOOL':
      return toBool(text);
    case 'FP16':
    case 'BF16':
    case 'FP32':
    case 'FP64': {
      const lower = text.toLowerCase();
      if (lower === 'nan') return NaN;
      if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return Infinity;
      if (lower === '-inf' || lower === '-infinity') return -Infinity;
      const n = Number(text);
      if (text === '' || Number.isNaN(n)) throw new Error(`${JSON.stringify(text)} is not a number`);
      return n;
    }
    default: {
      if (!/^[+-]?\d+$/.test(text)) throw new Error(`${JSON.stringify(text)} is not an integer`);
      const n = Number(text);
      if ((datatype === 'INT64' || datatype === 'UINT64') && !Number.isSafeInteger(n)) return BigInt(text);
      return n;
    }
  }
}

function readRequestFile(path: string): ParsedTensor[] {
  const json = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  const inputs = Array.isArray(json) ? json : (json as { inputs?: unknown } | null)?.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new Error('a request file needs an "inputs" array (KServe v2 JSON request) or is such an array');
  }
  return inputs.map((raw, i) => {
    const o = raw as { name?: unknown; datatype?: unknown; shape?: unknown; data?: unknown };
    if (typeof o.name !== 'string' || typeof o.datatype !== 'string' || !Array.isArray(o.shape)) {
      throw new Error(`inputs[${i}] needs "name", "datatype" and "shape"`);
    }
    const datatype = parseDatatype(o.datatype);
    const shape = o.shape.map((d) => {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) throw new Error(`inputs[${i}]: bad shape`);
      return d;
    });
    return checked({ name: o.name, datatype, shape, values: fromJson(o.data ?? [], datatype) });
  });
}

/** Checks the element count against the shape and that every value fits the datatype. */
function checked(t: ParsedTensor): ParsedTensor {
  const want = elementCount(t.shape);
  if (t.values.length !== want) {
    throw new Error(`${t.name}: shape [${t.shape.join(',')}] needs ${want} value(s), got ${t.values.length}`);
  }
  if (!ArrayBuffer.isView(t.values)) encodeElements(t.datatype, t.values as unknown[]); // throws on a bad value
  return t;
}
