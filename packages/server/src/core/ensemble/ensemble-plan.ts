/**
 * What an ensemble request runs on, computed once at load: each step with what it needs of its
 * composing model (batching, decoupled, input dims), which steps read each ensemble tensor, and
 * for a set of requested outputs, which steps can be skipped (Triton prunes steps whose outputs
 * nobody asked for) and how many times each tensor will be read before it can be dropped.
 */
import type { ModelConfig } from '../config/model-config.js';
import type { RequestedOutput } from '../types.js';
import { sameDimsWithWildcard, type ConfigLookup } from './ensemble-composition.js';
import type { EnsembleStep } from './ensemble-steps.js';

/** One input of a step: the composing model's input, the ensemble tensor it reads, the input's dims. */
export interface PlanInput {
  readonly input: string;
  readonly tensor: string;
  readonly dims: readonly number[];
}

/** A step with what the run needs of its composing model. */
export interface PlanStep {
  readonly index: number;
  readonly modelName: string;
  /** The version a step request names ('' = the latest serving version). */
  readonly version: string;
  readonly inputs: readonly PlanInput[];
  readonly outputs: ReadonlyArray<readonly [string, string]>;
  /** The composing model batches (max_batch_size > 0). */
  readonly batching: boolean;
  /** The composing model may send any number of responses per request. */
  readonly decoupled: boolean;
}

/** The part of the plan a request with given requested outputs runs. */
export interface PlanView {
  /** Per step: whether it runs (some output it writes is needed). */
  readonly active: readonly boolean[];
  /** Ensemble tensor → the running steps that read it. */
  readonly readers: ReadonlyMap<string, readonly number[]>;
  /** Ensemble tensor → how many times it is read (running steps, plus one for a requested output). */
  readonly uses: ReadonlyMap<string, number>;
  /** The requested ensemble outputs with their dims (`reshape` shape when set). */
  readonly requested: ReadonlyArray<{ readonly name: string; readonly dims: readonly number[] }>;
  /** Per step: the outputs to ask its model for, and the `[output, tensor]` pairs to keep. */
  readonly stepOutputs: ReadonlyArray<readonly RequestedOutput[]>;
  readonly kept: ReadonlyArray<ReadonlyArray<readonly [string, string]>>;
}

/** How many distinct requested-output sets one plan remembers views for. */
const VIEW_CACHE_LIMIT = 64;

/**
 * @example
 * ```ts
 * const plan = new EnsemblePlan(config, ensembleSteps(config), (name) => manager.servingConfig(name));
 * const view = plan.view(['CLASSIFICATION']);
 * ```
 */
export class EnsemblePlan {
  readonly name: string;
  readonly steps: readonly PlanStep[];
  /** The ensemble batches (max_batch_size > 0). */
  readonly batching: boolean;
  /** The ensemble is decoupled (some step is): it streams its responses. */
  readonly decoupled: boolean;
  /** Optional ensemble inputs (a request may leave them out). */
  readonly optionalInputs: readonly string[];
  private readonly outputDims = new Map<string, readonly number[]>();
  private readonly views = new Map<string, PlanView>();
  private lastRequested: readonly string[] | undefined;
  private lastView: PlanView | undefined;

  /** `configOf` must know every composing model (the ensemble validated against them). */
  constructor(config: ModelConfig, steps: readonly EnsembleStep[], configOf: ConfigLookup) {
    this.name = config.name;
    this.batching = config.max_batch_size > 0;
    this.decoupled = config.model_transaction_policy.decoupled;
    this.optionalInputs = config.input.filter((i) => i.optional).map((i) => i.name);
    for (const o of config.output) this.outputDims.set(o.name, o.reshape?.shape ?? o.dims);
    this.steps = steps.map((s): PlanStep => {
      const mc = configOf(s.modelName);
      return {
        index: s.index,
        modelName: s.modelName,
        version: s.modelVersion === -1 ? '' : String(s.modelVersion),
        inputs: s.inputs.map(([input, tensor]) => ({
          input,
          tensor,
          dims: mc?.input.find((i) => i.name === input)?.dims ?? [],
        })),
        outputs: s.outputs,
        batching: (mc?.max_batch_size ?? 0) > 0,
        decoupled: mc?.model_transaction_policy.decoupled ?? false,
      };
    });
  }

  /** The view for these requested outputs (every output when empty), cached. */
  view(requested: readonly string[]): PlanView {
    // Most requests ask for the same outputs (all of them) as the one before.
    const last = this.lastRequested;
    if (last !== undefined && last.length === requested.length && last.every((n, i) => n === requested[i])) {
      return this.lastView!;
    }
    const v = this.lookup(requested);
    this.lastRequested = requested;
    this.lastView = v;
    return v;
  }

  private lookup(requested: readonly string[]): PlanView {
    const key = requested.join('\u0000');
    let v = this.views.get(key);
    if (!v) {
      v = this.buildView(requested.length > 0 ? requested : [...this.outputDims.keys()]);
      if (this.views.size >= VIEW_CACHE_LIMIT) this.views.delete(this.views.keys().next().value!);
      this.views.set(key, v);
    }
    return v;
  }

  private buildView(requested: readonly string[]): PlanView {
    const steps = this.steps;
    const writer = new Map<string, number>();
    for (const s of steps) for (const [, t] of s.outputs) writer.set(t, s.index);
    // Backwards from the requested outputs: a step runs when something needs one of its outputs.
    const needed = new Set<string>(requested);
    const active = steps.map(() => false);
    const queue = [...requested];
    for (let i = 0; i < queue.length; i++) {
      const w = writer.get(queue[i]!);
      if (w === undefined || active[w]) continue;
      active[w] = true;
      for (const { tensor } of steps[w]!.inputs) {
        if (needed.has(tensor)) continue;
        needed.add(tensor);
        queue.push(tensor);
      }
    }
    const readers = new Map<string, number[]>();
    const uses = new Map<string, number>();
    for (const name of requested) uses.set(name, 1);
    for (const s of steps) {
      if (!active[s.index]) continue;
      for (const t of new Set(s.inputs.map((i) => i.tensor))) {
        const list = readers.get(t) ?? [];
        list.push(s.index);
        readers.set(t, list);
        uses.set(t, (uses.get(t) ?? 0) + 1);
      }
    }
    const kept = steps.map((s) => (active[s.index] ? s.outputs.filter(([, t]) => needed.has(t)) : []));
    return {
      active,
      readers,
      uses,
      requested: requested.map((name) => ({ name, dims: this.outputDims.get(name) ?? [] })),
      stepOutputs: kept.map((pairs) => pairs.map(([output]) => ({ name: output, parameters: {} }))),
      kept,
    };
  }
}

/**
 * Triton's ReshapeTensorDims: a tensor crossing between a batching and a non-batching side gets
 * its shape adjusted. Into a batching model, a shape that matches the model's dims gains a batch
 * dim of 1; into a non-batching model, a batch-of-1 tensor that does not match its dims loses the
 * batch dim. Otherwise the shape stays as it is.
 *
 * @param dims the receiving side's config dims (no batch dim)
 * @param batching whether the receiving side batches
 * @param tensorBatch the batch size the tensor was produced with (0: by a non-batching side)
 * @param shape the tensor's full shape
 * @example
 * ```ts
 * reshapeForStep([16], true, 0, [16]); // [1, 16]
 * ```
 */
export function reshapeForStep(
  dims: readonly number[],
  batching: boolean,
  tensorBatch: number,
  shape: readonly number[],
): readonly number[] {
  if (batching === (tensorBatch !== 0)) return shape;
  if (batching) return sameDimsWithWildcard(dims, shape) ? [1, ...shape] : shape;
  return !sameDimsWithWildcard(dims, shape) && tensorBatch === 1 ? shape.slice(1) : shape;
}
