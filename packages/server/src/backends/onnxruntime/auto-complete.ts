/**
 * Config auto-complete from an ONNX model's declared inputs and outputs, following Triton's
 * onnxruntime backend (ModelState::AutoCompleteConfig, AutoCompleteMaxBatch, AutoCompleteIO):
 *
 * - a config that lists both inputs and outputs is left as it is;
 * - the model "can batch" when every input and output has a dynamic first dimension; then a
 *   missing or zero `max_batch_size` becomes the default (4) and, when it is > 1 and no scheduler
 *   is configured, `dynamic_batching {}` is added; a model that cannot batch with a non-zero
 *   `max_batch_size` is an error;
 * - missing `input` / `output` lists are filled from the model (all of them), symbolic dims as -1,
 *   the batch dimension dropped when batching; a tensor left with no dims gets `dims: [1]`, plus
 *   `reshape: { shape: [] }` when batching.
 *
 * The entries a config gives are kept as they are; the config check at load then compares them
 * with the model.
 */
import type { ModelConfig } from '../../core/config/model-config.js';
import { rawStates } from '../../core/config/sequence-states.js';
import { invalidArg } from '../../core/errors.js';
import { configTypeOfOrt, shapeText, wildcardDims, type OnnxModelMetadata, type OrtValueInfo } from './ort-types.js';

/** Triton's `default-max-batch-size` backend setting, 4 unless changed. */
export const DEFAULT_MAX_BATCH_SIZE = 4;

type Obj = Record<string, unknown>;

const count = (v: unknown): number => (Array.isArray(v) ? v.length : 0);

/** Why the model cannot batch (the first tensor without a dynamic first dim), or undefined. */
export function batchingBlocker(meta: OnnxModelMetadata): string | undefined {
  for (const [kind, list] of [
    ['input', meta.inputs],
    ['output', meta.outputs],
  ] as const) {
    for (const info of list) {
      const dims = wildcardDims(info);
      if (dims.length === 0) return `${kind} '${info.name}' is a scalar`;
      if (dims[0] !== -1)
        return `${kind} '${info.name}' has a fixed first dimension (shape ${shapeText(info.shape ?? [])})`;
    }
  }
  return undefined;
}

function ioEntry(modelName: string, kind: 'input' | 'output', info: OrtValueInfo, maxBatch: number): Obj {
  if (!info.isTensor) {
    throw invalidArg(
      `model '${modelName}': ${kind} '${info.name}' of model.onnx is not a tensor (a sequence, map or optional value), which the onnxruntime backend cannot serve`,
    );
  }
  const dataType = configTypeOfOrt(info.type ?? '');
  if (dataType === undefined) {
    throw invalidArg(
      `model '${modelName}': ${kind} '${info.name}' of model.onnx has element type ${info.type ?? 'unknown'}, which tensorgate cannot serve`,
    );
  }
  const dims = wildcardDims(info).slice(maxBatch > 0 ? 1 : 0);
  const entry: Obj = { name: info.name, data_type: dataType, dims };
  if (dims.length === 0) {
    entry['dims'] = [1];
    if (maxBatch > 0) entry['reshape'] = { shape: [] };
  }
  return entry;
}

/** What {@link completeConfig} decided, for the log. */
export interface CompletionReport {
  readonly skipped: boolean;
  readonly maxBatchFilled?: number;
  readonly dynamicBatchingAdded?: boolean;
}

/**
 * Completes a raw (not yet normalized) config from the model's metadata. Returns a new object.
 *
 * @throws InferenceError INVALID_ARG when the config batches a model that cannot
 * @example
 * ```ts
 * const { config } = completeConfig({ name: 'vad', backend: 'onnxruntime' }, meta);
 * config.max_batch_size; // 0: Silero VAD's `sr` input is a scalar
 * ```
 */
export function completeConfig(
  raw: Readonly<Partial<ModelConfig>>,
  meta: OnnxModelMetadata,
  modelName: string,
  defaultMaxBatch = DEFAULT_MAX_BATCH_SIZE,
): { config: Partial<ModelConfig>; report: CompletionReport } {
  const cfg = structuredClone(raw) as Obj;
  const inputs = count(cfg['input']) + count(cfg['batch_input']);
  const outputs = count(cfg['output']);
  if (inputs > 0 && outputs > 0) return { config: cfg as Partial<ModelConfig>, report: { skipped: true } };

  let maxBatch = typeof cfg['max_batch_size'] === 'number' ? cfg['max_batch_size'] : 0;
  const blocker = batchingBlocker(meta);
  let maxBatchFilled: number | undefined;
  let dynamicBatchingAdded = false;
  if (blocker === undefined) {
    if (maxBatch === 0) {
      maxBatch = Math.max(0, defaultMaxBatch);
      cfg['max_batch_size'] = maxBatch;
      maxBatchFilled = maxBatch;
    }
    if (maxBatch > 1 && cfg['dynamic_batching'] === undefined && cfg['sequence_batching'] === undefined) {
      cfg['dynamic_batching'] = {};
      dynamicBatchingAdded = true;
    }
  } else if (maxBatch !== 0) {
    throw invalidArg(
      `autofill failed for model '${modelName}': model does not support batching while non-zero max_batch_size is specified (${blocker})`,
    );
  }
  // Implicit state tensors (sequence_batching.state) are fed and taken by the server: never listed.
  const states = rawStates(cfg as Partial<ModelConfig>);
  const stateInputs = new Set(states.map((st) => st['input_name']));
  const stateOutputs = new Set(states.map((st) => st['output_name']));
  if (inputs === 0) {
    cfg['input'] = meta.inputs
      .filter((i) => !stateInputs.has(i.name))
      .map((i) => ioEntry(modelName, 'input', i, maxBatch));
  }
  if (outputs === 0) {
    cfg['output'] = meta.outputs
      .filter((o) => !stateOutputs.has(o.name))
      .map((o) => ioEntry(modelName, 'output', o, maxBatch));
  }
  const report: CompletionReport = {
    skipped: false,
    ...(maxBatchFilled !== undefined ? { maxBatchFilled } : {}),
    ...(dynamicBatchingAdded ? { dynamicBatchingAdded } : {}),
  };
  return { config: cfg as Partial<ModelConfig>, report };
}
