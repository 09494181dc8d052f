/**
 * The math of output post-processing, on flat row-major values with a shape: softmax, argmax and
 * top-k along the last axis, nesting a flat list by a shape, squeezing size-1 dimensions, and
 * reading the server's classification strings. Pure functions, so each is unit-tested on numbers.
 */

/** One class of a top-k result. */
export interface ClassScore {
  readonly index: number;
  readonly label?: string;
  readonly score: number;
}

/** Splits a shape into its leading dimensions and the length of the last axis. */
function lastAxis(shape: readonly number[]): { rows: number; width: number; leading: number[] } {
  const width = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const leading = shape.slice(0, -1);
  return { rows: leading.reduce((a, b) => a * b, 1), width, leading };
}

/**
 * Softmax over the last axis, computed stably (the row maximum is subtracted before `exp`).
 *
 * @example
 * ```ts
 * softmax([1, 1], [2]) // [0.5, 0.5]
 * ```
 */
export function softmax(values: readonly number[], shape: readonly number[]): number[] {
  const { rows, width } = lastAxis(shape);
  const out = new Array<number>(values.length);
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    let max = -Infinity;
    for (let i = 0; i < width; i++) max = Math.max(max, values[base + i]!);
    let sum = 0;
    for (let i = 0; i < width; i++) {
      const e = Math.exp(values[base + i]! - max);
      out[base + i] = e;
      sum += e;
    }
    for (let i = 0; i < width; i++) out[base + i] = out[base + i]! / sum;
  }
  return out;
}

/**
 * The `k` largest values of each row of the last axis, best first (ties: lower index first).
 * Returns the rows and the shape they form (`[...leading, k]`, k capped at the row width).
 *
 * @example
 * ```ts
 * topK([0.1, 0.7, 0.2], [3], 2, ['a', 'b', 'c']).rows
 * // [[{ index: 1, label: 'b', score: 0.7 }, { index: 2, label: 'c', score: 0.2 }]]
 * ```
 */
export function topK(
  values: readonly number[],
  shape: readonly number[],
  k: number,
  labels?: readonly string[],
): { rows: ClassScore[][]; shape: number[] } {
  const { rows, width, leading } = lastAxis(shape);
  const kk = Math.min(k, width);
  const out: ClassScore[][] = [];
  for (let r = 0; r < rows; r++) {
    const idx = Array.from({ length: width }, (_, i) => i);
    const row = (i: number): number => values[r * width + i]!;
    idx.sort((a, b) => row(b) - row(a) || a - b);
    out.push(idx.slice(0, kk).map((i) => classScore(i, row(i), labels)));
  }
  return { rows: out, shape: [...leading, kk] };
}

/** Index of the largest value of each row of the last axis (first one on ties). */
export function argmax(values: readonly number[], shape: readonly number[]): { indices: number[]; shape: number[] } {
  const { rows, width, leading } = lastAxis(shape);
  const indices: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let i = 1; i < width; i++) if (values[r * width + i]! > values[r * width + best]!) best = i;
    indices.push(best);
  }
  return { indices, shape: leading };
}

function classScore(index: number, score: number, labels?: readonly string[]): ClassScore {
  const label = labels?.[index];
  return label === undefined ? { index, score } : { index, label, score };
}

/**
 * Parses the classification extension's strings (`"score:index"` or `"score:index:label"`; the
 * label may itself hold colons).
 *
 * @example
 * ```ts
 * parseClassification('0.9:3:cat') // { index: 3, label: 'cat', score: 0.9 }
 * ```
 */
export function parseClassification(text: string): ClassScore {
  const first = text.indexOf(':');
  const second = first < 0 ? -1 : text.indexOf(':', first + 1);
  const score = Number(text.slice(0, first));
  const index = Number(second < 0 ? text.slice(first + 1) : text.slice(first + 1, second));
  if (first < 0 || !Number.isFinite(score) || !Number.isInteger(index))
    throw new Error(`malformed classification result '${text}'`);
  return second < 0 ? { index, score } : { index, label: text.slice(second + 1), score };
}

/**
 * Drops dimensions of size 1. `keepLast` keeps the last axis whatever its size (a top-k list of
 * one stays a list). A shape that squeezes to nothing is a scalar (`[]`).
 */
export function squeeze(shape: readonly number[], keepLast = false): number[] {
  return shape.filter((d, i) => d !== 1 || (keepLast && i === shape.length - 1));
}

/**
 * Nests a flat row-major list by `shape`; `[]` gives the lone element itself.
 *
 * @example
 * ```ts
 * nest([1, 2, 3, 4, 5, 6], [2, 3]) // [[1, 2, 3], [4, 5, 6]]
 * ```
 */
export function nest<T>(flat: readonly T[], shape: readonly number[]): unknown {
  if (shape.length === 0) return flat[0];
  const build = (offset: number, dim: number): unknown => {
    const n = shape[dim]!;
    if (dim === shape.length - 1) return flat.slice(offset, offset + n);
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: n }, (_, i) => build(offset + i * stride, dim + 1));
  };
  return build(0, 0);
}
