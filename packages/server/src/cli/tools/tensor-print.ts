/**
 * How `tensorgate infer` prints output tensors: one line per output with its name, datatype,
 * shape and values, long tensors cut after `maxValues` elements with a count of the rest; or, with
 * `--json`, every value in a KServe-like JSON object.
 */
import type { InferResult } from '@tensorgate/client';

/** Output values as printable JSON-safe items (64-bit integers exact, as strings when large). */
export function outputValues(result: InferResult, name: string): Array<number | boolean | string> {
  const datatype = result.datatype(name);
  if (datatype === 'INT64' || datatype === 'UINT64') {
    return Array.from(result.asTypedArray(name) as BigInt64Array | BigUint64Array, (v) =>
      v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString(),
    );
  }
  return result.asArray(name);
}

/**
 * Values as `[a, b, c]`, or `[a, b, … ] (N more)` past `maxValues` (0 = no limit). Strings are
 * JSON-quoted so spaces and commas inside them stay readable.
 *
 * @example
 * ```ts
 * formatValues([1, 2, 3, 4], 2); // '[1, 2, …] (2 more, 4 values)'
 * ```
 */
export function formatValues(values: readonly (number | boolean | string)[], maxValues: number): string {
  const show = maxValues > 0 && values.length > maxValues ? values.slice(0, maxValues) : values;
  const items = show.map((v) => (typeof v === 'string' ? JSON.stringify(v) : String(v)));
  if (show.length === values.length) return `[${items.join(', ')}]`;
  return `[${items.join(', ')}, …] (${values.length - show.length} more, ${values.length} values)`;
}

/** The text form: a header line, then `NAME DATATYPE [shape] values` per output. */
export function formatResultText(result: InferResult, maxValues: number): string {
  const lines = [
    `model ${result.modelName}${result.modelVersion ? ` version ${result.modelVersion}` : ''}` +
      `${result.id ? ` id ${result.id}` : ''}`,
  ];
  const names = result.outputNames;
  const width = Math.max(0, ...names.map((n) => n.length));
  for (const name of names) {
    const dt = result.datatype(name);
    const shape = `[${result.shape(name).join(',')}]`;
    lines.push(
      `${name.padEnd(width)}  ${dt.padEnd(5)}  ${shape}  ${formatValues(outputValues(result, name), maxValues)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The JSON form: like a KServe v2 JSON response, every value included. */
export function resultJson(result: InferResult): Record<string, unknown> {
  return {
    model_name: result.modelName,
    model_version: result.modelVersion,
    ...(result.id ? { id: result.id } : {}),
    ...(Object.keys(result.parameters).length ? { parameters: result.parameters } : {}),
    outputs: result.outputNames.map((name) => ({
      name,
      datatype: result.datatype(name),
      shape: result.shape(name),
      data: outputValues(result, name),
    })),
  };
}
