/**
 * Triton's classification extension: an output requested with the parameter `classification: N`
 * is returned as its top-N classes per batch item, each a BYTES string `value:index` or
 * `value:index:label` (labels from the output's `label_filename`), highest value first.
 */
import { readFile } from 'node:fs/promises';
import {
  bfloat16BitsToNumber,
  DATATYPES,
  elementCount,
  encodeBytesElements,
  float16BitsToNumber,
  viewAs,
} from '@tensorgate/protocol';
import { resolveConfinedPath } from '../backend-api/confined-path.js';
import type { ModelConfig } from './config/model-config.js';
import { invalidArg } from './errors.js';
import type { Tensor } from './types.js';

/** Output name → class labels, one per line of the output's `label_filename`. */
export type OutputLabels = ReadonlyMap<string, readonly string[]>;

/**
 * Reads the label files of a model's outputs (relative to the model folder, and confined to it:
 * see {@link resolveConfinedPath}). A missing or unreadable file is a load error naming it.
 */
export async function loadOutputLabels(modelPath: string, config: ModelConfig): Promise<OutputLabels> {
  const labels = new Map<string, string[]>();
  for (const o of config.output) {
    if (!o.label_filename) continue;
    const file = await resolveConfinedPath(o.label_filename, {
      modelPath,
      field: 'label_filename',
      owner: `output '${o.name}'`,
    });
    let text: string;
    try {
      text = await readFile(file.path, 'utf8');
    } catch (e) {
      throw invalidArg(
        `label file '${o.label_filename}' of output '${o.name}' of model '${config.name}' cannot be read: ${(e as Error).message}`,
      );
    }
    const lines = text.split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    labels.set(o.name, lines);
  }
  return labels;
}

/** Triton prints integer classes as integers and floating ones with six decimals (C++ to_string). */
function format(value: number | bigint, integer: boolean): string {
  return integer ? String(value) : Number(value).toFixed(6);
}

/**
 * The top-`n` classes of `t` per batch item (the whole tensor is one item when `batching` is false).
 *
 * @example
 * ```ts
 * classify(scores, 3, labels, true) // BYTES [batch, 3]: "0.912345:7:cat", ...
 * ```
 */
export function classify(t: Tensor, n: number, labels: readonly string[] | undefined, batching: boolean): Tensor {
  if (t.datatype === 'BYTES') throw invalidArg(`classification is not supported for BYTES output '${t.name}'`);
  const values = viewAs(t.datatype, t.data);
  const batch = batching ? (t.shape[0] ?? 1) : 1;
  const per = batch === 0 ? 0 : elementCount(t.shape) / batch;
  const k = Math.min(n, per);
  const integer = !['FP16', 'BF16', 'FP32', 'FP64'].includes(t.datatype);
  const read = (i: number): number => {
    const v = values[i]!;
    if (t.datatype === 'FP16') return float16BitsToNumber(v as number);
    if (t.datatype === 'BF16') return bfloat16BitsToNumber(v as number);
    return typeof v === 'bigint' ? Number(v) : (v as number);
  };
  const out: string[] = [];
  for (let b = 0; b < batch; b++) {
    const base = b * per;
    const order = Array.from({ length: per }, (_, i) => i);
    order.sort((x, y) => read(base + y) - read(base + x) || x - y);
    for (let j = 0; j < k; j++) {
      const idx = order[j]!;
      const label = labels?.[idx];
      const v = DATATYPES[t.datatype].byteSize === 8 && integer ? (values[base + idx] as bigint) : read(base + idx);
      out.push(`${format(v, integer)}:${idx}${label !== undefined ? `:${label}` : ''}`);
    }
  }
  return { name: t.name, datatype: 'BYTES', shape: batching ? [batch, k] : [k], data: encodeBytesElements(out) };
}
