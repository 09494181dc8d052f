/**
 * Runs a batch of requests through one session run: the requests' inputs are concatenated along
 * the batch dimension, and each output is split back by the requests' batch sizes. Requests can
 * share a run only when they carry the same inputs with the same datatypes and the same
 * non-batch dims (the dynamic batcher groups them so; this re-checks rather than trusts it), so a
 * batch is partitioned into groups of compatible requests, one run each.
 *
 * Pure array code, no onnxruntime import: it is unit tested on its own.
 */
import type { DataType, TypedArray } from '@tensorgate/protocol';

/** Tensor data as a session takes it: a typed array, or strings for BYTES. */
export type FeedData = TypedArray | string[];

/** One input or output tensor of a run. */
export interface FeedTensor {
  readonly name: string;
  readonly datatype: DataType;
  readonly shape: readonly number[];
  readonly data: FeedData;
}

/** The part of a request the grouping looks at. */
export interface MergeableRequest {
  readonly inputs: readonly FeedTensor[];
  readonly batchSize: number;
}

/** The key of requests that can run together: inputs by name, datatype and non-batch dims. */
function groupKey(req: MergeableRequest): string {
  const parts = req.inputs.map(
    (t) => `${t.name}\u0000${t.datatype}\u0000${t.shape.slice(1).join(',')}\u0000${t.shape.length}`,
  );
  parts.sort();
  return parts.join('\u0001');
}

/**
 * Partitions request indices into groups that can share one run, keeping request order inside
 * each group and ordering groups by their first request. Without batching every request runs alone.
 */
export function groupRequests(requests: readonly MergeableRequest[], batching: boolean): number[][] {
  if (!batching) return requests.map((_, i) => [i]);
  const groups = new Map<string, number[]>();
  requests.forEach((req, i) => {
    // A request whose inputs do not all lead with its batch size cannot be merged safely.
    const consistent = req.inputs.every((t) => t.shape.length > 0 && t.shape[0] === req.batchSize);
    const key = consistent ? groupKey(req) : `alone:${i}`;
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  return [...groups.values()];
}

function concatData(parts: readonly FeedData[]): FeedData {
  const first = parts[0]!;
  if (Array.isArray(first)) return (parts as string[][]).flat();
  const total = parts.reduce((n, p) => n + p.length, 0);
  const Ctor = first.constructor as new (n: number) => TypedArray;
  const out = new Ctor(total);
  let offset = 0;
  for (const p of parts as TypedArray[]) {
    (out as unknown as { set(a: ArrayLike<number | bigint>, o: number): void }).set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * The inputs of a group concatenated along dim 0 (a single request's inputs as they are, no copy).
 * Every request must hold the same input names (see {@link groupRequests}).
 */
export function mergeInputs(group: readonly MergeableRequest[]): FeedTensor[] {
  const first = group[0]!;
  if (group.length === 1) return [...first.inputs];
  const total = group.reduce((n, r) => n + r.batchSize, 0);
  return first.inputs.map((t) => {
    const parts = group.map((r) => r.inputs.find((x) => x.name === t.name)!.data);
    return { name: t.name, datatype: t.datatype, shape: [total, ...t.shape.slice(1)], data: concatData(parts) };
  });
}

/**
 * Splits one output of a merged run into one tensor per request, by batch size. Slices of typed
 * arrays are views (no copy).
 *
 * @throws Error when the output's first dimension is not the total batch size
 */
export function splitOutput(output: FeedTensor, batchSizes: readonly number[]): FeedTensor[] {
  if (batchSizes.length === 1) return [output];
  const total = batchSizes.reduce((n, b) => n + b, 0);
  if (output.shape.length === 0 || output.shape[0] !== total) {
    throw new Error(
      `output '${output.name}' has shape [${output.shape.join(',')}], whose first dimension is not the batch size ${total} of the merged requests`,
    );
  }
  const rowElems = output.shape.slice(1).reduce((n, d) => n * d, 1);
  const result: FeedTensor[] = [];
  let row = 0;
  for (const b of batchSizes) {
    const start = row * rowElems;
    const end = (row + b) * rowElems;
    const data = Array.isArray(output.data) ? output.data.slice(start, end) : output.data.subarray(start, end);
    result.push({ name: output.name, datatype: output.datatype, shape: [b, ...output.shape.slice(1)], data });
    row += b;
  }
  return result;
}
