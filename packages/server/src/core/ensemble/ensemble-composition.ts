/**
 * Checks an ensemble against the configs of its composing models, once they are loaded (Triton's
 * `ValidateEnsembleConfig`, with its messages): every input of a composing model is mapped (unless
 * optional), maps name real inputs and outputs, tensors connected across steps agree on datatype
 * and shape, batch sizes fit, and no step mixes responses of different decoupled models. It also
 * derives whether the ensemble is decoupled: it is when any of its steps is, whatever its config
 * says (Triton overwrites `model_transaction_policy.decoupled` the same way).
 */
import type { ModelConfig } from '../config/model-config.js';
import { invalidArg } from '../errors.js';
import type { EnsembleStep } from './ensemble-steps.js';

/** The loaded config of a composing model, or undefined when it has no serving version. */
export type ConfigLookup = (modelName: string) => ModelConfig | undefined;

/** A node of Triton's ensemble tensor graph: one tensor as some model declares it. */
interface TensorNode {
  readonly model: string;
  readonly type: string;
  readonly dims: readonly number[];
  /** `dims` with a leading -1 when the declaring model batches. */
  readonly fullDims: readonly number[];
  decoupled: boolean;
  label: number;
  visited: boolean;
  readonly prev: TensorNode[];
  readonly next: TensorNode[];
  /** Shared by the outputs of one step, so they get one decoupled label. */
  sibling?: { label: number; visited: boolean };
}

function node(model: string, batching: boolean, type: string, dims: readonly number[]): TensorNode {
  return {
    model,
    type,
    dims,
    fullDims: batching ? [-1, ...dims] : dims,
    decoupled: false,
    label: 0,
    visited: false,
    prev: [],
    next: [],
  };
}

/** Triton's CompareDimsWithWildcard: same rank, each dim equal or either -1. */
export function sameDimsWithWildcard(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== -1 && b[i] !== -1 && a[i] !== b[i]) return false;
  return true;
}

const dimsText = (d: readonly number[]): string => `[${d.join(',')}]`;

function checkConsistent(lhs: TensorNode, rhs: TensorNode, prefix: string): void {
  if (lhs.type !== rhs.type) {
    throw invalidArg(
      `${prefix}inconsistent data type: ${lhs.type} is inferred from model ${lhs.model} while ${rhs.type} is inferred from model ${rhs.model}`,
    );
  }
  // Equal dims, or equal full shapes: a non-batching model's [-1, d...] may meet a batching one's [d...].
  if (!sameDimsWithWildcard(lhs.dims, rhs.dims) && !sameDimsWithWildcard(lhs.fullDims, rhs.fullDims)) {
    throw invalidArg(
      `${prefix}inconsistent shape: ${dimsText(lhs.fullDims)} is inferred from model ${lhs.model} while ` +
        `${dimsText(rhs.fullDims)} is inferred from model ${rhs.model}`,
    );
  }
}

/** Adds `model`'s view of `tensor`, or checks it against the view already there. */
function declare(tensors: Map<string, TensorNode>, ensemble: string, tensor: string, view: TensorNode): TensorNode {
  const known = tensors.get(tensor);
  if (!known) {
    tensors.set(tensor, view);
    return view;
  }
  checkConsistent(known, view, `in ensemble ${ensemble}, ensemble tensor ${tensor}: `);
  return known;
}

function mapStep(ensemble: string, step: EnsembleStep, mc: ModelConfig, tensors: Map<string, TensorNode>): void {
  const model = step.modelName;
  const batching = mc.max_batch_size > 0;
  const inputNames = new Set(mc.input.map((i) => i.name));
  for (const [input, tensor] of step.inputs) {
    if (!inputNames.has(input)) {
      throw invalidArg(
        `in ensemble ${ensemble}, ensemble tensor ${tensor} is mapping to non-existing input ${input} in model ${model}`,
      );
    }
  }
  for (const input of mc.input) {
    const maps = step.inputs.filter(([i]) => i === input.name);
    for (const [, tensor] of maps)
      declare(tensors, ensemble, tensor, node(model, batching, input.data_type, input.dims));
    if (maps.length === 0 && !input.optional) {
      throw invalidArg(
        `in ensemble ${ensemble}, input ${input.name} in model ${model} is not mapped to any ensemble tensors`,
      );
    }
    if (maps.length > 1) {
      throw invalidArg(
        `in ensemble ${ensemble}, input ${input.name} in model ${model} is mapped to multiple ensemble tensors`,
      );
    }
  }
  const outputNames = new Set(mc.output.map((o) => o.name));
  for (const [output, tensor] of step.outputs) {
    if (!outputNames.has(output)) {
      throw invalidArg(
        `in ensemble ${ensemble}, ensemble tensor ${tensor} is mapped from non-existing output ${output} in model ${model}`,
      );
    }
  }
  const sibling = { label: 0, visited: false };
  for (const [output, tensor] of step.outputs) {
    const cfg = mc.output.find((o) => o.name === output)!;
    declare(tensors, ensemble, tensor, node(model, batching, cfg.data_type, cfg.dims)).sibling = sibling;
  }
  // Link: each output of the step depends on each of its inputs.
  const decoupled = mc.model_transaction_policy.decoupled;
  for (const [, tensor] of step.outputs) {
    const out = tensors.get(tensor)!;
    out.decoupled = decoupled;
    for (const [, input] of step.inputs) {
      const prev = tensors.get(input)!;
      out.prev.push(prev);
      prev.next.push(out);
    }
  }
}

/**
 * Validates `config` (an ensemble whose graph `validateEnsembleGraph` accepted) against its
 * composing models' configs and says whether the ensemble is decoupled.
 *
 * @throws InferenceError INVALID_ARG with Triton's wording, naming the tensor, step model or batch size at fault
 * @example
 * ```ts
 * const { decoupled } = validateComposition(config, steps, (name) => manager.servingConfig(name));
 * ```
 */
export function validateComposition(
  config: ModelConfig,
  steps: readonly EnsembleStep[],
  configOf: ConfigLookup,
): { decoupled: boolean } {
  const ensemble = config.name;
  const batching = config.max_batch_size > 0;
  const tensors = new Map<string, TensorNode>();
  for (const input of config.input) {
    tensors.set(input.name, node(ensemble, batching, input.data_type, input.reshape?.shape ?? input.dims));
  }
  const sink = node(ensemble, false, '', []);
  for (const output of config.output) {
    let out = tensors.get(output.name);
    if (!out)
      tensors.set(
        output.name,
        (out = node(ensemble, batching, output.data_type, output.reshape?.shape ?? output.dims)),
      );
    sink.prev.push(out);
    out.next.push(sink);
  }
  for (const step of steps) {
    const mc = configOf(step.modelName);
    if (!mc)
      throw invalidArg(`ensemble ${ensemble} contains models that are not available or ambiguous: ${step.modelName}`);
    if (mc.max_batch_size !== 0 && mc.max_batch_size < config.max_batch_size) {
      throw invalidArg(
        `ensemble ${ensemble} allows maximum batch size ${config.max_batch_size}, but it contains model ` +
          `${step.modelName} which only allows maximum batch size to be ${mc.max_batch_size}`,
      );
    }
    mapStep(ensemble, step, mc, tensors);
  }
  return { decoupled: labelDecoupled(ensemble, config, tensors) > 0 };
}

/**
 * Triton's walk from the ensemble inputs that labels each tensor with the decoupled step it
 * descends from (0: none); a step (or the ensemble's outputs) fed by two labels is refused, since
 * the responses of two decoupled models cannot be paired. Returns the number of labels handed out.
 */
function labelDecoupled(ensemble: string, config: ModelConfig, tensors: Map<string, TensorNode>): number {
  let label = 0;
  const queue: TensorNode[] = [];
  for (const input of config.input) {
    const n = tensors.get(input.name)!;
    n.visited = true;
    queue.push(n);
  }
  for (let i = 0; i < queue.length; i++) {
    for (const next of queue[i]!.next) {
      if (next.visited || !next.prev.every((p) => p.visited)) continue;
      const prevLabel = next.prev[0]!.label;
      if (next.prev.some((p) => p.label !== prevLabel)) {
        throw invalidArg(
          `in ensemble ${ensemble}, step of model '${next.model}' receives inputs originated from different decoupled models`,
        );
      }
      const sibling = next.sibling;
      if (sibling?.visited) next.label = sibling.label;
      else {
        next.label = next.decoupled ? ++label : prevLabel;
        if (sibling) {
          sibling.label = next.label;
          sibling.visited = true;
        }
      }
      next.visited = true;
      queue.push(next);
    }
  }
  return label;
}
