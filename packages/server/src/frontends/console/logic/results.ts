/**
 * How the try-it panel shows an output: a classification table (Triton's classification
 * extension answers `"score:index[:label]"` strings), an image (an output shaped like one), or a
 * tensor with a few summary numbers.
 */
import { imageInputLayout } from './binary-body.js';

/** One row of a classification output. */
export interface ClassRow {
  score: number;
  index: number;
  label: string;
}

/** Parses classification strings; null when any element is not `score:index[:label]`. */
export function parseClassification(data: readonly unknown[]): ClassRow[] | null {
  const rows: ClassRow[] = [];
  for (const item of data) {
    if (typeof item !== 'string') return null;
    const m = /^(-?[\d.eE+-]+|nan|-?inf):(\d+)(?::(.*))?$/s.exec(item);
    if (m === null) return null;
    rows.push({ score: Number(m[1]), index: Number(m[2]), label: m[3] ?? '' });
  }
  return rows.length > 0 ? rows : null;
}

/** Summary of a numeric output. */
export interface TensorSummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  /** Index of the largest value (the class of a logits output). */
  argmax: number;
}

/** Min, max, mean and argmax of numbers; null for an empty or non-numeric array. */
export function summarize(data: readonly unknown[]): TensorSummary | null {
  if (data.length === 0 || data.some((v) => typeof v !== 'number')) return null;
  const values = data as readonly number[];
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let argmax = 0;
  values.forEach((v, i) => {
    if (v < min) min = v;
    if (v > max) {
      max = v;
      argmax = i;
    }
    sum += v;
  });
  return { count: values.length, min, max, mean: sum / values.length, argmax };
}

/**
 * The image an output holds, when its shape (a leading batch dim of 1 dropped) is `[3|1, H, W]`
 * or `[H, W, 3|1]` with H and W at least 8, and its datatype numeric.
 */
export function outputImage(
  datatype: string,
  shape: readonly number[],
): { layout: 'NCHW' | 'NHWC'; channels: number; height: number; width: number } | null {
  if (datatype === 'BYTES' || datatype === 'BOOL') return null;
  const dims = shape.length === 4 && shape[0] === 1 ? shape.slice(1) : shape;
  const image = imageInputLayout(dims);
  return image !== null && image.height >= 8 && image.width >= 8 ? image : null;
}

/**
 * RGBA pixels of an image output, values stretched from their own min..max to 0..255 (so
 * normalized, [-1, 1] and 0..255 outputs all show).
 */
export function imagePixels(
  data: readonly number[],
  image: { layout: 'NCHW' | 'NHWC'; channels: number; height: number; width: number },
): Uint8ClampedArray<ArrayBuffer> {
  const { layout, channels, height, width } = image;
  const n = height * width;
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max > min ? max - min : 1;
  const out = new Uint8ClampedArray(n * 4);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) {
      const ch = channels === 1 ? 0 : c;
      const v = data[layout === 'NCHW' ? ch * n + p : p * channels + ch]!;
      out[p * 4 + c] = ((v - min) / range) * 255;
    }
    out[p * 4 + 3] = 255;
  }
  return out;
}
