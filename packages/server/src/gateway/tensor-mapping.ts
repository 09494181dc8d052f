/**
 * Request JSON → input tensors, following a route's `inputs` mapping: read the field (or take the
 * constant), flatten nested arrays, work out the shape (one `-1` is inferred from the element
 * count; no shape means the data's own nesting), and check every element against the datatype with
 * the protocol codec, so a bad request is a clear 400 before anything goes upstream.
 */
import { TensorCodecError, encodeElements, type DataType } from '@tensorgate/protocol';
import { readJsonPath } from './json-path.js';
import type { InputMapping, RouteSpec } from './route-types.js';

/** A request the gateway rejects itself (HTTP 400 with `{"error": message}`). */
export class GatewayRequestError extends Error {
  override readonly name = 'GatewayRequestError';
}

/** One element value as the client SDK takes it. */
export type ElementValue = number | bigint | boolean | string;

/** An input tensor ready to send: the elements in row-major order plus their encoded bytes. */
export interface MappedTensor {
  readonly name: string;
  readonly datatype: DataType;
  readonly shape: readonly number[];
  /** Elements: numbers; bigints for INT64/UINT64; booleans for BOOL; strings for BYTES. */
  readonly values: readonly ElementValue[];
  /** The same elements encoded little-endian (BYTES: length-prefixed), as on the wire. */
  readonly raw: Uint8Array;
}

/**
 * Maps a parsed request body to the route's input tensors.
 *
 * @example
 * ```ts
 * // route input: INPUT: { from: "$.series", datatype: FP32, shape: [-1, 10, 1] }
 * mapInputs(route, { series: [0, 0.5, 0.87, 1, 0.87, 0.5, 0, -0.5, -0.87, -1] });
 * // → [{ name: 'INPUT', datatype: 'FP32', shape: [1, 10, 1], values: [...10 numbers], raw }]
 * ```
 */
export function mapInputs(route: Pick<RouteSpec, 'inputs'>, body: unknown): MappedTensor[] {
  const out: MappedTensor[] = [];
  for (const input of route.inputs) {
    const tensor = mapInput(input, body);
    if (tensor) out.push(tensor);
  }
  return out;
}

function mapInput(input: InputMapping, body: unknown): MappedTensor | undefined {
  let value: unknown;
  let source: string;
  if (input.from !== undefined) {
    source = `field '${input.fromText ?? '$'}'`;
    value = readJsonPath(body, input.from);
    if (value === undefined) {
      if (input.value !== undefined) {
        value = input.value;
        source = `default of input '${input.name}'`;
      } else if (input.optional) return undefined;
      else throw new GatewayRequestError(`missing required field '${input.fromText ?? '$'}'`);
    }
  } else {
    value = input.value;
    source = `constant of input '${input.name}'`;
  }
  return toTensor(input, value, source);
}

/** Builds one tensor from a JSON value; exported for unit tests of each datatype. */
export function toTensor(
  input: Pick<InputMapping, 'name' | 'datatype' | 'shape'>,
  value: unknown,
  source: string,
): MappedTensor {
  const { datatype } = input;
  const flat: unknown[] = [];
  const natural = flatten(value, flat, source);
  let shape: number[];
  if (input.shape) shape = resolveShape(input.shape, flat.length, source);
  else if (natural === undefined)
    throw new GatewayRequestError(`${source}: nested lists have rows of different lengths`);
  else shape = natural.length === 0 ? [1] : natural;
  const values = flat.map((v) => normalize(datatype, v));
  let raw: Uint8Array;
  try {
    raw = encodeElements(datatype, values);
  } catch (err) {
    if (err instanceof TensorCodecError) throw new GatewayRequestError(`${source}: ${err.message}`);
    throw err;
  }
  return { name: input.name, datatype, shape, values: values as ElementValue[], raw };
}

/**
 * Flattens nested arrays (row-major) into `out` and returns their nesting shape (`[]` for a lone
 * value), or undefined when rows differ in length. For BYTES an object is one element (sent as
 * its JSON text), so only arrays are ever walked into.
 */
function flatten(value: unknown, out: unknown[], source: string): number[] | undefined {
  if (!Array.isArray(value)) {
    if (value === null) throw new GatewayRequestError(`${source}: expected a value, got null`);
    out.push(value);
    return [];
  }
  let rowShape: number[] | undefined;
  let ragged = false;
  value.forEach((child, i) => {
    const s = flatten(child, out, source);
    if (s === undefined) ragged = true;
    else if (i === 0) rowShape = s;
    else if (rowShape === undefined || s.length !== rowShape.length || s.some((d, j) => d !== rowShape![j]))
      ragged = true;
  });
  return ragged ? undefined : [value.length, ...(rowShape ?? [])];
}

function resolveShape(shape: readonly number[], count: number, source: string): number[] {
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const wildcard = shape.indexOf(-1);
  if (wildcard === -1) {
    if (known !== count)
      throw new GatewayRequestError(
        `${source}: expected ${known} value(s) for shape [${shape.join(', ')}], got ${count}`,
      );
    return [...shape];
  }
  if (known === 0 ? count !== 0 : count % known !== 0 || count === 0)
    throw new GatewayRequestError(
      `${source}: ${count} value(s) do not fill shape [${shape.join(', ')}] (a multiple of ${known} is needed)`,
    );
  const resolved = [...shape];
  resolved[wildcard] = known === 0 ? 0 : count / known;
  return resolved;
}

/** Converts JSON-friendly spellings the codec does not take itself (64-bit integers as text, BYTES). */
function normalize(datatype: DataType, v: unknown): unknown {
  if (datatype === 'BYTES') return typeof v === 'string' ? v : JSON.stringify(v);
  if ((datatype === 'INT64' || datatype === 'UINT64') && typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  if ((datatype === 'INT64' || datatype === 'UINT64') && typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return v;
}
