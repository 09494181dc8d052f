/**
 * One step request of an ensemble run: reads the step's responses from the core until the final
 * one (or the failure), reporting each to the run.
 */
import { InferenceError } from '../errors.js';
import type { InferResponse } from '../types.js';
import type { PlanStep } from './ensemble-plan.js';

/** What a {@link StepCall} reports to. */
export interface StepListener {
  /** A response of the step; `final` ones end it. */
  onStepResponse(call: StepCall, response: InferResponse): void;
  /**
   * The step failed (refused, failed or cancelled). `unheard`: opening it threw, so no completion
   * (`RequestContext.onComplete`) will follow.
   */
  onStepFailed(call: StepCall, err: unknown, unheard?: boolean): void;
}

/**
 * @example
 * ```ts
 * new StepCall(run, step, key, batch, held).start(() => infer(stepRequest, ctx));
 * ```
 */
export class StepCall {
  /** Responses with outputs so far (decoupled steps: the next iteration's number). */
  responses = 0;
  private iterator: AsyncIterator<InferResponse> | undefined;

  constructor(
    private readonly listener: StepListener,
    readonly step: PlanStep,
    /** The iteration the step runs at. */
    readonly key: string,
    /** Batch size of the step request (0 for a non-batching model). */
    readonly batch: number,
    /** Buffers the request reads without owning them, held until it is over. */
    readonly held: readonly ArrayBufferLike[],
  ) {}

  start(open: () => AsyncIterable<InferResponse>): void {
    try {
      this.iterator = open()[Symbol.asyncIterator]();
    } catch (err) {
      this.listener.onStepFailed(this, err, true);
      return;
    }
    this.pull();
  }

  private pull(): void {
    this.iterator!.next().then(
      (r) => {
        if (r.done) {
          // A stream that ended without a final response: its end is its final flag.
          this.listener.onStepResponse(this, FINAL_MARKER);
          return;
        }
        this.listener.onStepResponse(this, r.value);
        if (!r.value.final) this.pull();
      },
      (err: unknown) => this.listener.onStepFailed(this, err),
    );
  }
}

const FINAL_MARKER: InferResponse = Object.freeze({
  modelName: '',
  modelVersion: '',
  id: '',
  outputs: [],
  parameters: {},
  final: true,
  emptyFinal: true,
});

/**
 * A step's error, prefixed with the ensemble, the step and its model (Triton's form is
 * "in ensemble 'E', <error>"); the code stays the step's.
 *
 * @example
 * ```ts
 * stepError(step, 'pipe', err).message; // "in ensemble 'pipe', step 1 (model 'boom'): model exploded"
 * ```
 */
export function stepError(step: PlanStep, ensemble: string, err: InferenceError): InferenceError {
  const version = step.version === '' ? '' : ` version ${step.version}`;
  return new InferenceError(
    err.code,
    `in ensemble '${ensemble}', step ${step.index} (model '${step.modelName}'${version}): ${err.message}`,
    { cause: err },
  );
}
