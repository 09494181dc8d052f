/**
 * The small JSON path dialect of gateway routes: `$` (the whole body), `.name` for an object
 * field and `[n]` for an array element, e.g. `$.series`, `$.messages[0].content`. Written by hand
 * because the full JSONPath language (filters, wildcards, recursion) would let a routes file select
 * several values where a tensor needs exactly one.
 */

/** One step of a parsed path: an object key or an array index. */
export type PathSegment = string | number;

/** Raised for a path that does not follow the dialect (reported against the routes file). */
export class JsonPathSyntaxError extends Error {
  override readonly name = 'JsonPathSyntaxError';
}

const FIELD = /^[A-Za-z_][A-Za-z0-9_-]*/;
const INDEX = /^\[(\d+)\]/;

/**
 * Parses a path into segments.
 *
 * @example
 * ```ts
 * parseJsonPath('$.messages[0].content') // ['messages', 0, 'content']
 * ```
 */
export function parseJsonPath(path: string): PathSegment[] {
  if (!path.startsWith('$')) throw new JsonPathSyntaxError(`path '${path}' must start with '$'`);
  const segments: PathSegment[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    if (rest.startsWith('.')) {
      const m = FIELD.exec(rest.slice(1));
      if (!m) throw new JsonPathSyntaxError(`path '${path}': expected a field name after '.'`);
      segments.push(m[0]);
      rest = rest.slice(1 + m[0].length);
      continue;
    }
    const m = INDEX.exec(rest);
    if (!m) throw new JsonPathSyntaxError(`path '${path}': unexpected '${rest}' (use .field or [index])`);
    segments.push(Number(m[1]));
    rest = rest.slice(m[0].length);
  }
  return segments;
}

/** Writes segments back as a path, for error messages. */
export function formatJsonPath(segments: readonly PathSegment[]): string {
  return '$' + segments.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('');
}

/**
 * Looks a value up; `undefined` when any step is missing (a field of a non-object, an index past
 * the end or into a non-array). `null` in the body is a value, not a missing one.
 *
 * @example
 * ```ts
 * readJsonPath({ a: [{ b: 1 }] }, ['a', 0, 'b']) // 1
 * ```
 */
export function readJsonPath(body: unknown, segments: readonly PathSegment[]): unknown {
  let node = body;
  for (const seg of segments) {
    if (typeof seg === 'number') {
      if (!Array.isArray(node)) return undefined;
      node = node[seg];
    } else {
      if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
      // Own properties only: a body field named `constructor` must not reach Object.prototype.
      if (!Object.prototype.hasOwnProperty.call(node, seg)) return undefined;
      node = (node as Record<string, unknown>)[seg];
    }
  }
  return node;
}
