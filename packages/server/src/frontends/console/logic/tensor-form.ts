/**
 * The try-it form's tensor text: the shape a form field sends for a model input (its `-1` dims
 * filled in), an example value to start from, and the parsing of what the user typed (JSON,
 * nested or flat) into the flat `data` array of a KServe v2 JSON input, checked against the
 * datatype and the element count, so mistakes are reported in the form rather than by the server.
 */

/** Integer datatypes and their ranges. */
const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
};
const FLOATS: ReadonlySet<string> = new Set(['FP16', 'BF16', 'FP32', 'FP64']);

/** Largest tensor the form fills with an example value (larger ones come from a file or an image). */
export const MAX_EXAMPLE_ELEMENTS = 4096;

/** A value of a KServe v2 JSON `data` array. */
export type TensorValue = number | boolean | string;

/** Number of elements of a shape. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * The shape the form sends: `text` when given ("1, 3, 224, 224" or "[1,3]"), else the metadata
 * shape with each `-1` as 1. Throws when the text is not a list of whole numbers, has another
 * rank, or differs from a fixed dim.
 */
export function resolveShape(metadataShape: readonly number[], text = ''): number[] {
  const trimmed = text.trim().replace(/^\[|\]$/g, '');
  if (trimmed === '') return metadataShape.map((d) => (d < 0 ? 1 : d));
  const dims = trimmed.split(',').map((part) => part.trim());
  if (dims.some((d) => !/^\d{1,9}$/.test(d))) throw new Error(`shape '${text}' is not a list of whole numbers`);
  const shape = dims.map(Number);
  if (shape.length !== metadataShape.length) {
    throw new Error(
      `shape [${shape.join(', ')}] has ${shape.length} dims; the model expects [${metadataShape.join(', ')}]`,
    );
  }
  shape.forEach((d, i) => {
    const fixed = metadataShape[i]!;
    if (fixed >= 0 && d !== fixed) throw new Error(`dim ${i} is ${d}; the model fixes it at ${fixed}`);
  });
  return shape;
}

/** An example value of the datatype and shape as flat JSON text, or null past {@link MAX_EXAMPLE_ELEMENTS}. */
export function exampleText(datatype: string, shape: readonly number[]): string | null {
  const n = elementCount(shape);
  if (n > MAX_EXAMPLE_ELEMENTS) return null;
  const value: TensorValue = datatype === 'BYTES' ? 'hello' : datatype === 'BOOL' ? false : 0;
  return JSON.stringify(Array.from({ length: n }, (_, i) => (typeof value === 'number' ? i % 10 : value)));
}

function flatten(value: unknown, out: unknown[]): void {
  if (Array.isArray(value)) for (const v of value) flatten(v, out);
  else out.push(value);
}

function checkValue(datatype: string, v: unknown, i: number): TensorValue {
  const where = `element ${i}`;
  if (datatype === 'BYTES') {
    if (typeof v === 'string') return v;
    // An object or number is sent as its JSON text (e.g. an LLM's sampling_parameters).
    if (v !== null && v !== undefined) return JSON.stringify(v);
    throw new Error(`${where} is null; BYTES elements are strings`);
  }
  if (datatype === 'BOOL') {
    if (typeof v === 'boolean') return v;
    throw new Error(`${where} is ${JSON.stringify(v)}; BOOL elements are true or false`);
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new Error(`${where} is ${JSON.stringify(v)}; ${datatype} elements are finite numbers`);
  }
  const range = INT_RANGES[datatype];
  if (range !== undefined) {
    if (!Number.isInteger(v) || v < range[0] || v > range[1]) {
      throw new Error(`${where} is ${v}; ${datatype} takes whole numbers from ${range[0]} to ${range[1]}`);
    }
  } else if (!FLOATS.has(datatype)) {
    throw new Error(`datatype ${datatype} is not supported by the form`);
  }
  return v;
}

/**
 * Parses the user's JSON for one input into a flat data array of exactly `elementCount(shape)`
 * values. A single scalar fills a one-element tensor. Throws an Error whose message names the
 * problem (not JSON, wrong count, wrong element type).
 */
export function parseTensorText(text: string, datatype: string, shape: readonly number[]): TensorValue[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON: ${(e as Error).message}`);
  }
  const flat: unknown[] = [];
  flatten(parsed, flat);
  const want = elementCount(shape);
  if (flat.length !== want) {
    throw new Error(`${flat.length} values for shape [${shape.join(', ')}], which holds ${want}`);
  }
  return flat.map((v, i) => checkValue(datatype, v, i));
}
