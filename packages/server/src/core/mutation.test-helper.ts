/**
 * Mutations for the property tests of the untrusted decoders: start from a valid encoding and
 * damage it the ways hostile or broken clients do, so the inputs reach deep into a decoder
 * instead of failing its first check. Byte mutations (truncate, flip, splice, cut, repeat) for
 * binary encodings; value mutations (replace any node of a JSON document) for JSON ones.
 */
import fc from 'fast-check';

/** One damage to a byte string. */
export type ByteDamage =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'splice'; at: number; bytes: Uint8Array }
  | { kind: 'cut'; at: number; length: number }
  | { kind: 'repeat'; at: number; length: number; times: number };

/** Bytes worth splicing in: length prefixes and varints that claim a lot, and small noise. */
const SPLICES: Uint8Array[] = [
  Uint8Array.of(0xff, 0xff, 0xff, 0xff),
  Uint8Array.of(0xff, 0xff, 0xff, 0x7f),
  Uint8Array.of(0x00, 0x00, 0x00, 0x80),
  Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
  Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80),
  Uint8Array.of(0x00),
];

/** An arbitrary {@link ByteDamage}. */
export const byteDamage: fc.Arbitrary<ByteDamage> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.nat({ max: 255 }) }),
  fc.record({
    kind: fc.constant('splice' as const),
    at: fc.nat(),
    bytes: fc.oneof(fc.constantFrom(...SPLICES), fc.uint8Array({ minLength: 1, maxLength: 8 })),
  }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), length: fc.nat({ max: 16 }) }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 16 }),
    times: fc.integer({ min: 2, max: 4 }),
  }),
);

/** Applies one damage; the result is at most `maxLength` bytes. */
export function damageBytes(bytes: Uint8Array, d: ByteDamage, maxLength = 1 << 16): Buffer {
  const at = bytes.length === 0 ? 0 : d.at % (bytes.length + 1);
  const b = Buffer.from(bytes);
  let out: Buffer;
  switch (d.kind) {
    case 'truncate':
      out = b.subarray(0, at);
      break;
    case 'flip':
      if (at < b.length) b[at] = d.byte;
      out = b;
      break;
    case 'splice':
      out = Buffer.concat([b.subarray(0, at), d.bytes, b.subarray(at)]);
      break;
    case 'cut':
      out = Buffer.concat([b.subarray(0, at), b.subarray(at + d.length)]);
      break;
    case 'repeat': {
      const part = b.subarray(at, at + d.length);
      out = Buffer.concat([
        b.subarray(0, at),
        ...Array.from({ length: d.times }, () => part),
        b.subarray(at + d.length),
      ]);
      break;
    }
  }
  return out.subarray(0, maxLength);
}

/** JSON values worth putting anywhere: wrong types, extremes, nesting, prototype names. */
export const hostileJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    null,
    -1,
    -0,
    0.5,
    1e308,
    -1e308,
    2 ** 31,
    2 ** 32,
    2 ** 53,
    2 ** 63,
    2 ** 64,
    '',
    'NaN',
    'Infinity',
    'FP32',
    'BYTES',
    'INT64',
    '__proto__',
    [],
    {},
    [[]],
    [[1, 2], [3]],
    JSON.parse('{"__proto__": {"a": 1}}') as unknown,
    { binary_data_size: 4 },
    { binary_data: true },
    { classification: 2 },
    { shared_memory_region: 'r' },
  ),
);

/** Every path of a JSON value (the root is []). */
export function jsonPaths(v: unknown, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []) {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((e, i) => jsonPaths(e, [...prefix, i], out));
  else if (typeof v === 'object' && v !== null) {
    for (const [k, e] of Object.entries(v)) jsonPaths(e, [...prefix, k], out);
  }
  return out;
}

/** A copy of `root` with the node at `path` replaced (or, for `'delete'`, removed). */
export function replaceAt(root: unknown, path: ReadonlyArray<string | number>, value: unknown): unknown {
  // Removing the whole document leaves nothing: `null` stands for it.
  if (path.length === 0) return value === DELETE ? null : value;
  const [head, ...rest] = path;
  if (Array.isArray(root)) {
    const copy = [...root];
    if (value === DELETE && rest.length === 0) copy.splice(head as number, 1);
    else copy[head as number] = replaceAt(copy[head as number], rest, value);
    return copy;
  }
  const copy: Record<string, unknown> = {};
  for (const [k, e] of Object.entries(root as Record<string, unknown>)) {
    if (k !== head) Object.defineProperty(copy, k, { value: e, enumerable: true, writable: true, configurable: true });
  }
  if (!(value === DELETE && rest.length === 0)) {
    const next = replaceAt((root as Record<string, unknown>)[head as string], rest, value);
    Object.defineProperty(copy, head as string, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** Passed to {@link replaceAt} to remove the node instead. */
export const DELETE = Symbol('delete');

/** Replaces (or deletes) the node at the `pick`-th path of `doc` with `value`. */
export function mutateJson(doc: unknown, pick: number, value: unknown): unknown {
  const paths = jsonPaths(doc);
  return replaceAt(doc, paths[pick % paths.length]!, value);
}
