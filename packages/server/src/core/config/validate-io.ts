/**
 * Validation of a model's inputs, outputs and batch inputs/outputs, following Triton's rules
 * and wording (so messages match what Triton users know), plus a duplicate-name check.
 */
import { InferenceError, invalidArg } from '../errors.js';
import type { ModelConfig } from './model-config.js';

type Obj = Record<string, unknown>;

/** The valid `data_type` names of a tensor (every DataType except TYPE_INVALID). */
export const TENSOR_DATA_TYPES: ReadonlySet<string> = new Set([
  'TYPE_BOOL',
  'TYPE_UINT8',
  'TYPE_UINT16',
  'TYPE_UINT32',
  'TYPE_UINT64',
  'TYPE_INT8',
  'TYPE_INT16',
  'TYPE_INT32',
  'TYPE_INT64',
  'TYPE_FP16',
  'TYPE_FP32',
  'TYPE_FP64',
  'TYPE_STRING',
  'TYPE_BF16',
]);

const WILDCARD = -1;
const TENSORRT_PLATFORM = 'tensorrt_plan';

/**
 * Element count of `dims`, or -1 when a dimension is variable.
 *
 * @example
 * ```ts
 * elementCount([2, 3]); // 6
 * elementCount([2, -1]); // -1
 * ```
 */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (d === WILDCARD) return -1;
    n *= d;
  }
  return n;
}

/** Products of the runs of fixed dims between variable dims: [2,4,-1,6] -> [8, 6]. */
function segments(dims: readonly number[]): number[] {
  const out: number[] = [];
  let cur = 1;
  for (const d of dims) {
    if (d === WILDCARD) {
      out.push(cur);
      cur = 1;
    } else cur *= d;
  }
  out.push(cur);
  return out;
}

function checkShape(io: Obj, maxBatch: number, prefix: string): void {
  const name = io['name'];
  if (typeof name !== 'string' || name === '') throw invalidArg(`${prefix}must specify 'name'`);
  const p = `${prefix}'${name}' `;
  if (typeof io['data_type'] !== 'string' || !TENSOR_DATA_TYPES.has(io['data_type'])) {
    throw invalidArg(`${p}must specify 'data_type'`);
  }
  const dims = (io['dims'] ?? []) as number[];
  if (dims.length === 0) throw invalidArg(`${p}must specify 'dims'`);
  const reshape = io['reshape'] as { shape?: number[] } | undefined;
  const shape = reshape?.shape ?? [];
  if (reshape && shape.length === 0 && maxBatch === 0) {
    throw invalidArg(`${p}cannot have empty reshape for non-batching model as scalar tensors are not supported`);
  }
  if (dims.some((d) => !Number.isInteger(d) || (d < 1 && d !== WILDCARD))) {
    throw invalidArg(`${p}dimension must be integer >= 1, or -1 to indicate a variable-size dimension`);
  }
  if (!reshape) return;
  if (shape.some((d) => !Number.isInteger(d) || (d < 1 && d !== WILDCARD))) {
    throw invalidArg(`${p}reshape dimensions must be integer >= 1, or -1 to indicate a variable-size dimension`);
  }
  const dimsSize = elementCount(dims);
  // An empty reshape (a scalar) has 0 elements in Triton's count and matches dims of one element.
  const reshapeSize = shape.length === 0 ? 0 : elementCount(shape);
  if (dimsSize !== reshapeSize && (reshapeSize !== 0 || dimsSize !== 1)) {
    throw invalidArg(`${p}has different size for dims and reshape`);
  }
  if (dimsSize === WILDCARD) {
    const a = segments(dims);
    const b = segments(shape);
    if (a.length !== b.length) {
      throw invalidArg(`${p}has different number of variable-size dimensions for dims and reshape`);
    }
    if (a.some((v, i) => v !== b[i])) throw invalidArg(`${p}has different size for dims and reshape`);
  }
}

function checkTensorRtOnly(io: Obj, platform: string, kind: 'input' | 'output'): void {
  if (platform !== TENSORRT_PLATFORM && io['is_shape_tensor'] === true) {
    throw invalidArg('shape tensors are only supported for TensorRT platform');
  }
  if (io['is_non_linear_format_io'] === true) {
    if (platform !== TENSORRT_PLATFORM) {
      throw invalidArg('Non-linear IO format is only supported for the TensorRT platform');
    }
    if (((io['dims'] ?? []) as number[]).length !== 3) throw invalidArg(`Non-linear IO format ${kind} requires 3 dims`);
  }
}

function withModel<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InferenceError) throw new InferenceError(err.code, `${err.message} for ${name}`);
    throw err;
  }
}

/**
 * Validates inputs, outputs, batch inputs and batch outputs of a normalized configuration.
 * Messages carry Triton's wording with ` for <model>` appended.
 *
 * @throws InferenceError INVALID_ARG
 * @example
 * ```ts
 * validateModelIo(config); // throws "model input 'x' must specify 'dims' for m" when dims are empty
 * ```
 */
export function validateModelIo(config: ModelConfig): void {
  withModel(config.name, () => {
    const seen = { input: new Set<string>(), output: new Set<string>() };
    for (const [kind, list] of [
      ['input', config.input],
      ['output', config.output],
    ] as const) {
      for (const io of list as unknown as Obj[]) {
        checkShape(io, config.max_batch_size, `model ${kind} `);
        if (kind === 'input') {
          const format = io['format'];
          if ((format === 'FORMAT_NHWC' || format === 'FORMAT_NCHW') && (io['dims'] as number[]).length !== 3) {
            throw invalidArg('model input NHWC/NCHW require 3 dims');
          }
        }
        checkTensorRtOnly(io, config.platform, kind);
        const name = io['name'] as string;
        if (seen[kind].has(name)) throw invalidArg(`model ${kind} '${name}' is specified more than once`);
        seen[kind].add(name);
      }
    }
    checkBatchIo(config, seen.input, seen.output);
  });
}

function checkBatchIo(config: ModelConfig, inputs: Set<string>, outputs: Set<string>): void {
  for (const bi of (config['batch_input'] ?? []) as Obj[]) {
    const kind = (bi['kind'] as string | undefined) ?? 'BATCH_ELEMENT_COUNT';
    const sources = (bi['source_input'] ?? []) as string[];
    if (sources.length !== 1) {
      throw invalidArg(`batch input kind '${kind}' expects 1 source input, got ${sources.length}`);
    }
    const dt = bi['data_type'] ?? 'TYPE_INVALID';
    if (dt !== 'TYPE_INT32' && dt !== 'TYPE_FP32')
      throw invalidArg('batch input data type must be TYPE_INT32 or TYPE_FP32');
    for (const s of sources) if (!inputs.has(s)) throw invalidArg(`unknown source input name '${s}'`);
  }
  for (const bo of (config['batch_output'] ?? []) as Obj[]) {
    const kind = (bo['kind'] as string | undefined) ?? 'BATCH_SCATTER_WITH_INPUT_SHAPE';
    const sources = (bo['source_input'] ?? []) as string[];
    if (sources.length !== 1) {
      throw invalidArg(`batch output kind '${kind}' expects 1 source input, got ${sources.length}`);
    }
    for (const s of sources) if (!inputs.has(s)) throw invalidArg(`unknown source input name '${s}'`);
    const targets = new Set<string>();
    for (const t of (bo['target_name'] ?? []) as string[]) {
      if (!outputs.has(t)) throw invalidArg(`unknown target output name '${t}'`);
      if (targets.has(t)) throw invalidArg(`target output name '${t}' can only be specified once`);
      targets.add(t);
    }
  }
}
