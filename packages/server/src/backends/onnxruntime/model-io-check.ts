/**
 * Checks a model config against what the ONNX model declares, following the rules of Triton's
 * onnxruntime backend (ValidateInputs / ValidateOutputs / CompareDimsSupported): every input and
 * output of the config exists in the model with the same datatype and compatible dims, every
 * required model input is in the config, and a batching config needs a dynamic first dimension.
 * Messages say what differs, on which side.
 */
import type { ModelConfig, ModelInputConfig, ModelOutputConfig } from '../../core/config/model-config.js';
import { toConfigDataType } from '@tensorgate/protocol';
import { stateSpecsOf } from '../../core/config/sequence-states.js';
import { invalidArg } from '../../core/errors.js';
import { configTypeOfOrt, shapeText, wildcardDims, type OnnxModelMetadata, type OrtValueInfo } from './ort-types.js';

type Io = ModelInputConfig | ModelOutputConfig;

function describeTensor(kind: 'input' | 'output', info: OrtValueInfo): void {
  if (!info.isTensor) {
    throw invalidArg(
      `${kind} '${info.name}' of model.onnx is not a tensor (a sequence, map or optional value), which the onnxruntime backend cannot serve`,
    );
  }
}

/** The dims a config entry describes for the model: `reshape.shape` when reshaped, else `dims`. */
function modelSideDims(io: Io): readonly number[] {
  return io.reshape ? io.reshape.shape : io.dims;
}

function checkOne(kind: 'input' | 'output', io: Io, info: OrtValueInfo, maxBatch: number, exact: boolean): void {
  describeTensor(kind, info);
  const modelType = configTypeOfOrt(info.type ?? '');
  if (modelType === undefined) {
    throw invalidArg(
      `${kind} '${io.name}' of model.onnx has element type ${info.type ?? 'unknown'}, which tensorgate cannot serve`,
    );
  }
  if (modelType !== io.data_type) {
    throw invalidArg(
      `${kind} '${io.name}' has datatype ${io.data_type} in config.pbtxt but ${info.type ?? '?'} (${modelType}) in model.onnx`,
    );
  }
  const model = wildcardDims(info);
  const dims = modelSideDims(io);
  const configured = shapeText(io.reshape ? dims : io.dims) + (io.reshape ? ' (reshape)' : '');
  if (model.length === 0) {
    // A scalar model tensor: the config describes it as [1] (or with a batch dim only via reshape).
    if (maxBatch > 0) {
      throw invalidArg(
        `${kind} '${io.name}' is a scalar in model.onnx, so the model cannot batch; set max_batch_size: 0 ` +
          `(config.pbtxt has max_batch_size ${maxBatch})`,
      );
    }
    if (dims.some((d) => d !== 1)) {
      throw invalidArg(
        `${kind} '${io.name}' is a scalar in model.onnx, so its config dims may only hold 1s (e.g. [1]); config.pbtxt has ${configured}`,
      );
    }
    return;
  }
  const full = maxBatch > 0 ? [-1, ...dims] : [...dims];
  if (maxBatch > 0 && model[0] !== -1) {
    throw invalidArg(
      `${kind} '${io.name}' has shape ${shapeText(info.shape ?? [])} in model.onnx, whose first dimension is fixed, ` +
        `but config.pbtxt has max_batch_size ${maxBatch}, which needs a dynamic first (batch) dimension; set max_batch_size: 0`,
    );
  }
  let ok = model.length === full.length;
  for (let i = 0; ok && i < full.length; i++) {
    // Inputs: a dynamic model dim takes any config dim. Outputs must match exactly (Triton's rule:
    // the config must not promise a fixed size the model may not produce).
    if (exact || model[i] !== -1) ok = model[i] === full[i];
  }
  if (!ok) {
    const batchNote =
      maxBatch > 0 ? ` (full shape ${shapeText(full)} with the batch dimension, since max_batch_size > 0)` : '';
    throw invalidArg(
      `${kind} '${io.name}' has dims ${configured} in config.pbtxt${batchNote} but shape ${shapeText(info.shape ?? [])} in model.onnx` +
        (exact ? ' (output dims must match the model exactly, -1 for dynamic dims)' : ''),
    );
  }
}

type Obj = Record<string, unknown>;
const items = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/**
 * The sequence batcher's control inputs (`sequence_batching.control_input`) as the model receives
 * them: one element per request, datatype from the control (`int32_false_true` → INT32,
 * `fp32_false_true` → FP32, `bool_false_true` → BOOL, CORRID's `data_type`). The server adds them
 * to every request, so the model has them as inputs though config.pbtxt does not list them.
 */
function controlInputs(config: ModelConfig): ModelInputConfig[] {
  const out: ModelInputConfig[] = [];
  for (const ci of items(config.sequence_batching?.['control_input'])) {
    const c = items(ci['control'])[0];
    if (!c) continue;
    let dataType: string;
    if (items(c['int32_false_true']).length > 0) dataType = 'TYPE_INT32';
    else if (items(c['fp32_false_true']).length > 0) dataType = 'TYPE_FP32';
    else if (items(c['bool_false_true']).length > 0) dataType = 'TYPE_BOOL';
    else dataType = String(c['data_type'] ?? 'TYPE_UINT64');
    out.push({ name: String(ci['name']), data_type: dataType, dims: [1] } as ModelInputConfig);
  }
  return out;
}

/**
 * Checks the config against the model.
 *
 * @throws InferenceError INVALID_ARG whose message names the tensor and what differs
 * @example
 * ```ts
 * checkConfigAgainstModel(config, { inputs: session.inputMetadata, outputs: session.outputMetadata });
 * // throws: input 'INPUT0' has datatype TYPE_FP32 in config.pbtxt but float16 (TYPE_FP16) in model.onnx
 * ```
 */
export function checkConfigAgainstModel(config: ModelConfig, meta: OnnxModelMetadata): void {
  const maxBatch = config.max_batch_size;
  const modelInputs = new Map(meta.inputs.map((i) => [i.name, i]));
  const modelOutputs = new Map(meta.outputs.map((o) => [o.name, o]));
  const list = (m: Map<string, OrtValueInfo>): string => [...m.keys()].map((n) => `'${n}'`).join(', ') || 'none';
  for (const io of config.input) {
    const info = modelInputs.get(io.name);
    if (!info) {
      throw invalidArg(
        `input '${io.name}' of config.pbtxt is not an input of model.onnx (its inputs: ${list(modelInputs)})`,
      );
    }
    if (io.optional && maxBatch > 0) {
      throw invalidArg(`optional input '${io.name}' is not supported for a model that batches (max_batch_size > 0)`);
    }
    checkOne('input', io, info, maxBatch, false);
  }
  const listed = new Set(config.input.map((i) => i.name));
  for (const control of controlInputs(config)) {
    const info = modelInputs.get(control.name);
    if (!info) {
      throw invalidArg(
        `sequence control input '${control.name}' is not an input of model.onnx (its inputs: ${list(modelInputs)})`,
      );
    }
    checkOne('input', control, info, maxBatch, false);
    listed.add(control.name);
  }
  // Implicit states (sequence_batching.state): inputs and outputs of the graph that the server
  // feeds and takes, which the config's input and output lists do not name.
  for (const state of stateSpecsOf(config)) {
    const io = { name: state.inputName, data_type: toConfigDataType(state.datatype), dims: [...state.dims] };
    const info = modelInputs.get(state.inputName);
    if (!info) {
      throw invalidArg(
        `state input '${state.inputName}' (sequence_batching.state) is not an input of model.onnx (its inputs: ${list(modelInputs)})`,
      );
    }
    checkOne('input', io as ModelInputConfig, info, maxBatch, false);
    listed.add(state.inputName);
    const outInfo = modelOutputs.get(state.outputName);
    if (!outInfo) {
      throw invalidArg(
        `state output '${state.outputName}' (sequence_batching.state) is not an output of model.onnx (its outputs: ${list(modelOutputs)})`,
      );
    }
    checkOne('output', { ...io, name: state.outputName } as ModelOutputConfig, outInfo, maxBatch, false);
  }
  const missing = meta.inputs.filter((i) => !listed.has(i.name)).map((i) => `'${i.name}'`);
  if (missing.length > 0) {
    throw invalidArg(
      `model.onnx has input(s) ${missing.join(', ')} that config.pbtxt does not list; every model input must be in the config`,
    );
  }
  for (const io of config.output) {
    const info = modelOutputs.get(io.name);
    if (!info) {
      throw invalidArg(
        `output '${io.name}' of config.pbtxt is not an output of model.onnx (its outputs: ${list(modelOutputs)})`,
      );
    }
    checkOne('output', io, info, maxBatch, true);
  }
}
