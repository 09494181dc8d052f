/**
 * The implicit states of a sequence model (`sequence_batching { state [...] }`), read from the
 * normalized config and checked with Triton's rules (SequenceBatchScheduler::Create,
 * GenerateInitialStateData). The server feeds each sequence's state to the model as the input
 * `input_name` and takes the output `output_name` of each execution as the next state
 * (core/scheduling/sequence/state-store.ts). State tensors are neither sent by clients nor listed
 * as config inputs; an `output_name` may also be a config output, which clients may then request
 * (Triton's debugging aid). Backends read the specs here to accept the state tensors of a model
 * file that the config's input and output lists do not name.
 */
import { fromConfigDataType, toConfigDataType, type DataType } from '@tensorgate/protocol';
import { invalidArg, unsupported } from '../errors.js';
import type { ModelConfig } from './model-config.js';

/** One implicit state, checked; its initial value comes with {@link loadStateSpecs}. */
export interface StateSpec {
  /** The model input the server feeds the state as. */
  readonly inputName: string;
  /** The model output the next state is taken from. */
  readonly outputName: string;
  readonly datatype: DataType;
  /** The state's config dims (without the batch dimension), -1 for a variable dim. */
  readonly dims: readonly number[];
  /** The `initial_state` entry, when the config has one. */
  readonly initial?: {
    readonly name: string;
    readonly dims: readonly number[];
    readonly zeroData: boolean;
    readonly dataFile?: string;
  };
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const dimsOf = (v: unknown): number[] => list(v).map((d) => Number(d));

/** The raw `sequence_batching.state` entries of a config (none when it has no sequence batcher). */
export function rawStates(config: Pick<ModelConfig, 'sequence_batching'>): Obj[] {
  return list(config.sequence_batching?.['state']).filter(isObj);
}

/** Names the server feeds (control inputs and states): a state input may not reuse them. */
function controlInputNames(config: ModelConfig): Set<string> {
  const names = new Set<string>();
  for (const c of list(config.sequence_batching?.['control_input'])) if (isObj(c)) names.add(str(c['name']));
  return names;
}

function checkDims(dims: readonly number[], what: string): void {
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || (d < 1 && d !== -1)) {
      throw invalidArg(`${what} has dims [${dims.join(',')}]: each dim must be a positive size or -1 (variable)`);
    }
  }
}

function initialOf(raw: Obj, state: StateSpec, where: string): StateSpec['initial'] {
  const initials = list(raw['initial_state']).filter(isObj);
  if (initials.length === 0) return undefined;
  if (initials.length > 1) {
    throw invalidArg(`${where}: initial_state must contain exactly one or zero element, found ${initials.length}`);
  }
  const init = initials[0]!;
  if (str(init['data_type']) !== toConfigDataType(state.datatype)) {
    throw invalidArg(
      `${where}: initial_state data_type ${str(init['data_type']) || 'TYPE_INVALID'} does not match the state data_type`,
    );
  }
  const name = str(init['name']);
  if (name === '') throw invalidArg(`${where}: initial_state must have a 'name'`);
  const dims = dimsOf(init['dims']);
  if (dims.length !== state.dims.length) {
    throw invalidArg(
      `${where}: initial_state has ${dims.length} dim(s) but the state has ${state.dims.length} ([${dims.join(',')}] vs [${state.dims.join(',')}])`,
    );
  }
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i]!;
    if (d === -1) throw invalidArg(`${where}: initial_state dims [${dims.join(',')}] contain a variable dimension`);
    if (!Number.isSafeInteger(d) || d < 1) {
      throw invalidArg(`${where}: initial_state dims [${dims.join(',')}] must be positive sizes`);
    }
    const s = state.dims[i]!;
    if (s !== -1 && s !== d) {
      throw invalidArg(
        `${where}: initial_state dims [${dims.join(',')}] do not match the state dims [${state.dims.join(',')}]`,
      );
    }
  }
  const dataFile = str(init['data_file']);
  const zeroData = init['zero_data'] === true;
  if (!zeroData && dataFile === '') {
    throw invalidArg(`${where}: initial_state must set zero_data: true or a data_file`);
  }
  return { name, dims, zeroData, ...(dataFile !== '' ? { dataFile } : {}) };
}

/**
 * Checks the config's implicit states and returns them (an empty list when there are none).
 *
 * @throws InferenceError INVALID_ARG naming the state and the rule it breaks: an empty or repeated
 *   `input_name` / `output_name`, an `input_name` that is also a config input or a control input,
 *   an `output_name` listed as a config output with another datatype or dims, an unknown
 *   data_type, bad dims, Triton's `initial_state` rules, or UNSUPPORTED for `use_growable_memory`
 * @example
 * ```ts
 * const specs = stateSpecsOf(config); // [{ inputName: 'INPUT_STATE', outputName: 'OUTPUT_STATE', ... }]
 * ```
 */
export function stateSpecsOf(config: ModelConfig): StateSpec[] {
  const raws = rawStates(config);
  if (raws.length === 0) return [];
  if (config.model_transaction_policy?.decoupled === true) {
    throw unsupported(
      `model '${config.name}': implicit state (sequence_batching.state) on a decoupled model is not supported: a decoupled model may answer a request with any number of responses, so which one carries the next state is not defined`,
    );
  }
  const inputs = new Set(config.input.map((i) => i.name));
  const controls = controlInputNames(config);
  const seenIn = new Set<string>();
  const seenOut = new Set<string>();
  const specs: StateSpec[] = [];
  raws.forEach((raw, index) => {
    const inputName = str(raw['input_name']);
    const outputName = str(raw['output_name']);
    const where = `model '${config.name}': sequence_batching state ${inputName ? `'${inputName}'` : `#${index}`}`;
    if (inputName === '') throw invalidArg(`${where} must have an input_name`);
    if (outputName === '') throw invalidArg(`${where} must have an output_name`);
    if (seenIn.has(inputName)) throw invalidArg(`${where}: input_name '${inputName}' is used by another state`);
    if (seenOut.has(outputName)) throw invalidArg(`${where}: output_name '${outputName}' is used by another state`);
    seenIn.add(inputName);
    seenOut.add(outputName);
    if (inputs.has(inputName)) {
      throw invalidArg(
        `${where}: input_name '${inputName}' is also a config input; the server feeds state inputs, so they must not be listed in 'input'`,
      );
    }
    if (controls.has(inputName)) throw invalidArg(`${where}: input_name '${inputName}' is also a control input`);
    const datatype = fromConfigDataType(str(raw['data_type']));
    if (datatype === undefined) {
      throw invalidArg(`${where} has data_type ${str(raw['data_type']) || 'TYPE_INVALID'}, which is not a tensor type`);
    }
    const dims = dimsOf(raw['dims']);
    checkDims(dims, where);
    if (raw['use_growable_memory'] === true) {
      throw unsupported(
        `${where}: use_growable_memory needs KIND_GPU instances and CUDA virtual memory, which tensorgate does not manage state in`,
      );
    }
    const out = config.output.find((o) => o.name === outputName);
    if (out) {
      // Triton's debugging aid: the state output is also a config output clients may request.
      const outType = fromConfigDataType(out.data_type);
      const same = out.dims.length === dims.length && out.dims.every((d, i) => d === dims[i]);
      if (outType !== datatype || !same) {
        throw invalidArg(
          `${where}: output_name '${outputName}' is also a config output, with ${out.data_type} [${out.dims.join(',')}] where the state has ${str(raw['data_type'])} [${dims.join(',')}]; they must match`,
        );
      }
    }
    const spec: StateSpec = { inputName, outputName, datatype, dims };
    const initial = initialOf(raw, spec, where);
    specs.push(initial ? { ...spec, initial } : spec);
  });
  return specs;
}
