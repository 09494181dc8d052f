/**
 * Output tensors → the route's JSON reply: each mapped output becomes one field, after its
 * post-processing, nested by its shape and squeezed. Works on a small {@link OutputTensor} view so
 * it does not depend on the client SDK's result class.
 */
import { argmax, nest, parseClassification, softmax, squeeze, topK, type ClassScore } from './post-process.js';
import type { OutputMapping, RouteSpec } from './route-types.js';

/** One output tensor of an upstream reply, decoded. */
export interface OutputTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  /** Row-major elements: numbers/bigints, booleans for BOOL, strings for BYTES. */
  readonly values: readonly (number | bigint | boolean | string)[];
}

/**
 * Whether a response carries anything: false when every output has no elements or holds only
 * empty strings (an LLM's empty final response after its streamed pieces), which a `stream`
 * route does not send as an event.
 *
 * @example
 * ```ts
 * carriesData([{ name: 'text_output', datatype: 'BYTES', shape: [1], values: [''] }]); // false
 * ```
 */
export function carriesData(outputs: readonly OutputTensor[]): boolean {
  return outputs.some((o) => o.values.some((v) => v !== ''));
}

/** An upstream reply that lacks a mapped output or carries the wrong kind of data (HTTP 502). */
export class UpstreamShapeError extends Error {
  override readonly name = 'UpstreamShapeError';
}

/** A JSON-safe element: 64-bit integers beyond 2^53 become decimal strings instead of losing digits. */
function jsonSafe(v: number | bigint | boolean | string): number | boolean | string {
  if (typeof v !== 'bigint') return v;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

function numbers(t: OutputTensor, field: string): number[] {
  return t.values.map((v) => {
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'boolean') return v ? 1 : 0;
    throw new UpstreamShapeError(`output '${t.name}' (field '${field}') is ${t.datatype}, not numeric`);
  });
}

/**
 * Shapes one output tensor as its mapping asks.
 *
 * @example
 * ```ts
 * shapeOutput({ field: 'forecast', tensor: 'OUTPUT', softmax: false, argmax: false, squeeze: true },
 *   { name: 'OUTPUT', datatype: 'FP32', shape: [1, 5], values: [1, 2, 3, 4, 5] }) // [1, 2, 3, 4, 5]
 * ```
 */
export function shapeOutput(m: OutputMapping, t: OutputTensor): unknown {
  const labels = m.labels?.kind === 'list' ? m.labels.labels : undefined;
  if (m.labels?.kind === 'server') {
    // The server already did top-k: BYTES "score:index:label" strings, shape [..., k].
    const classes = t.values.map((v) => {
      if (typeof v !== 'string') throw new UpstreamShapeError(`output '${t.name}' is not a classification result`);
      try {
        return parseClassification(v);
      } catch (err) {
        throw new UpstreamShapeError((err as Error).message);
      }
    });
    if (m.argmax) return finishArgmax(classes, t.shape, m.squeeze);
    return finish(classes, t.shape, m.squeeze, true);
  }
  if (m.softmax || m.argmax || m.topK !== undefined) {
    let values = numbers(t, m.field);
    if (m.softmax) values = softmax(values, t.shape);
    if (m.argmax) {
      const r = argmax(values, t.shape);
      const picked = r.indices.map((i) => (labels?.[i] !== undefined ? labels[i]! : i));
      return finish(picked, r.shape, m.squeeze, false);
    }
    if (m.topK !== undefined) {
      const r = topK(values, t.shape, m.topK, labels);
      return finish(r.rows.flat(), r.shape, m.squeeze, true);
    }
    return finish(values, t.shape, m.squeeze, false);
  }
  return finish(t.values.map(jsonSafe), t.shape, m.squeeze, false);
}

function finishArgmax(classes: ClassScore[], shape: readonly number[], doSqueeze: boolean): unknown {
  // One class per row (classCount 1): the label when the server has one, else the index.
  const picked = classes.map((c) => c.label ?? c.index);
  return finish(picked, shape.slice(0, -1), doSqueeze, false);
}

function finish<T>(flat: readonly T[], shape: readonly number[], doSqueeze: boolean, keepLast: boolean): unknown {
  return nest(flat, doSqueeze ? squeeze(shape, keepLast) : shape);
}

/**
 * Builds the whole reply of one upstream response. A route without `outputs` returns every output
 * under its tensor name.
 */
export function shapeReply(
  route: Pick<RouteSpec, 'outputs'>,
  outputs: readonly OutputTensor[],
): Record<string, unknown> {
  const byName = new Map(outputs.map((o) => [o.name, o]));
  const reply: Record<string, unknown> = {};
  if (route.outputs.length === 0) {
    for (const o of outputs)
      reply[o.name] = shapeOutput({ field: o.name, tensor: o.name, softmax: false, argmax: false, squeeze: true }, o);
    return reply;
  }
  for (const m of route.outputs) {
    const t = byName.get(m.tensor);
    if (!t) throw new UpstreamShapeError(`the model's reply has no output '${m.tensor}' (for field '${m.field}')`);
    reply[m.field] = shapeOutput(m, t);
  }
  return reply;
}

/**
 * Gathers the replies of a decoupled model (`mode: collect`) into one: for each field, text pieces
 * are joined (token streams become the whole text) and anything else is concatenated into a list.
 *
 * @example
 * ```ts
 * mergeReplies([{ text: 'Hel' }, { text: 'lo' }]) // { text: 'Hello' }
 * mergeReplies([{ n: 1 }, { n: [2, 3] }]) // { n: [1, 2, 3] }
 * ```
 */
export function mergeReplies(replies: readonly Record<string, unknown>[]): Record<string, unknown> {
  const fields = new Map<string, unknown[]>();
  for (const reply of replies)
    for (const [k, v] of Object.entries(reply)) {
      const list = fields.get(k) ?? [];
      list.push(v);
      fields.set(k, list);
    }
  const merged: Record<string, unknown> = {};
  for (const [k, parts] of fields)
    merged[k] = parts.every((p) => typeof p === 'string') ? parts.join('') : parts.flatMap((p) => p);
  return merged;
}
