/**
 * Small readers for fields of parsed JSON request bodies, each throwing INVALID_ARG with a message
 * that names the field and what was found. Hand-written rather than a JSON-schema validator
 * because the infer body is on the hot path and its error messages must name tensors and
 * elements precisely.
 */
import { invalidArg } from '../../core/errors.js';
import { assertJsonLimits } from '../../core/json-limits.js';
import type { Parameters } from '../../core/types.js';
import { locateJsonError } from './json-error-position.js';

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>;

/** Describes a JSON value's kind for error messages ("a string", "null", "an array"). */
export function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' && !Number.isFinite(v)) return `a number that is not finite (${v})`;
  return `${typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? 'a boolean' : 'a string'} (${JSON.stringify(v)})`;
}

/**
 * Where in `value` the first number that is not finite sits (`max_tokens`, `parameters.seed`,
 * `INPUT0[3]`), or undefined. `JSON.parse` reads a literal beyond ±1.8e308 (`1e400`) as
 * ±Infinity, which `JSON.stringify` would later write as `null`: a value silently dropped.
 * Recursion is bounded by the JSON depth limit (core/json-limits.ts), checked at parse.
 */
export function nonFinitePath(value: unknown, path = ''): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path || '(the value)';
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nonFinitePath(value[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
  } else if (isJsonObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      const found = nonFinitePath(v, path ? `${path}.${key}` : key);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses a UTF-8 JSON document, saying where it is broken when it is, and refuses one nested
 * past the JSON limits (core/json-limits.ts: depth, arrays and objects) before parsing it.
 *
 * @param what names the document in messages, e.g. "inference request JSON".
 */
export function parseJsonBytes(bytes: Uint8Array, what: string): unknown {
  assertJsonLimits(bytes, `the ${what}`);
  let text: string;
  try {
    text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  } catch {
    // V8 caps strings at ~512 MiB; a JSON document that large must send its tensors as binary.
    throw invalidArg(
      `the ${what} is too large to parse (${bytes.byteLength} bytes); send large tensors with the binary data extension`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    const at = locateJsonError(text);
    const where = at === undefined ? '' : ` at position ${at.position} (line ${at.line}, column ${at.column})`;
    throw invalidArg(`failed to parse the ${what}${where}: ${detail}`);
  }
}

/** Reads a required string member. */
export function requireString(obj: JsonObject, key: string, where: string): string {
  const v = obj[key];
  if (typeof v !== 'string') {
    throw invalidArg(
      v === undefined
        ? `${where}: missing required field '${key}'`
        : `${where}: '${key}' must be a string, got ${jsonKind(v)}`,
    );
  }
  return v;
}

/** Reads a required array member. */
export function requireArray(obj: JsonObject, key: string, where: string): unknown[] {
  const v = obj[key];
  if (!Array.isArray(v)) {
    throw invalidArg(
      v === undefined
        ? `${where}: missing required field '${key}'`
        : `${where}: '${key}' must be an array, got ${jsonKind(v)}`,
    );
  }
  return v;
}

/** Reads an optional object member (undefined when absent). */
export function optionalObject(obj: JsonObject, key: string, where: string): JsonObject | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (!isJsonObject(v)) throw invalidArg(`${where}: '${key}' must be an object, got ${jsonKind(v)}`);
  return v;
}

/**
 * Refuses members of `obj` other than `known`, naming the first: a misspelt key (`"paramters"`)
 * must not be ignored and leave the request doing something else than asked.
 *
 * @throws InferenceError INVALID_ARG `<where>: unknown key 'x' (supported: 'a', 'b')`
 */
export function refuseUnknownKeys(obj: JsonObject, known: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) {
      throw invalidArg(`${where}: unknown key '${key}' (supported: ${known.map((k) => `'${k}'`).join(', ')})`);
    }
  }
}

/** Checks a value is a non-negative integer (a size, a count, a dimension). */
export function requireNonNegativeInteger(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw invalidArg(`${what} must be a non-negative integer, got ${jsonKind(v)}`);
  }
  return v;
}

/** Reads a tensor shape: an array of non-negative integers. */
export function requireShape(obj: JsonObject, where: string): number[] {
  const raw = requireArray(obj, 'shape', where);
  return raw.map((d, i) => requireNonNegativeInteger(d, `${where}: shape[${i}]`));
}

/**
 * Converts a JSON `parameters` object to core {@link Parameters}: every value must be a string,
 * number or boolean (Triton's InferParameter oneof). Keys in `skip` are left out (they are
 * consumed by the HTTP frontend itself). Built with `Object.fromEntries` so a `__proto__` key
 * stays an ordinary own property.
 */
export function toParameters(
  obj: JsonObject | undefined,
  where: string,
  skip: ReadonlySet<string> = new Set(),
): Parameters {
  if (obj === undefined) return {};
  const entries: Array<[string, string | number | boolean]> = [];
  for (const [key, v] of Object.entries(obj)) {
    if (skip.has(key)) continue;
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) {
      entries.push([key, v]);
    } else {
      throw invalidArg(`${where}: parameter '${key}' must be a string, number or boolean, got ${jsonKind(v)}`);
    }
  }
  return Object.fromEntries(entries) as Parameters;
}
