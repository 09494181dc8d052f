/**
 * One ensemble request in flight, as Triton's EnsembleContext runs it: the request's inputs become
 * ensemble tensors, every step whose inputs are all there is sent to its composing model at once
 * (so independent steps run in parallel), each step response adds its outputs as tensors and
 * sends the steps they complete, and the requested outputs go back as the ensemble's response.
 *
 * Step requests go through the core like any request (`protocol: 'internal'`): the composing
 * model's validation, scheduler and dynamic batcher, statistics and cancellation all apply. A
 * tensor is handed from step to step as the same bytes (a new name and shape over the same
 * `Uint8Array`, never a copy); a step may take the buffer (move it to its worker) only when it is
 * the tensor's last reader and no other live tensor shares that buffer.
 *
 * Decoupled steps: each response of a decoupled step is an "iteration" of its outputs (keys
 * `<parent>.<n>`), and the steps downstream run once per response, as in Triton (load-time
 * validation ensures no step mixes tensors of two decoupled lineages). A decoupled ensemble sends
 * one response per complete set of outputs and ends with the final flag once no step is in flight.
 *
 * The run ends when no step is in flight. The first failure (a step's error, or the client going
 * away) is answered at once, naming the step and its model, and cancels every step still in
 * flight; the run then waits for them to settle so an unload drains it.
 */
import type { BackendResponse, ExecutionRequest, ExecutionTimings } from '../../backend-api/backend.js';
import { CancelSource } from '../cancel-signal.js';
import { InferenceError, invalidArg } from '../errors.js';
import type { ComputeDurations, InferRequest, InferResponse, RequestContext, Tensor } from '../types.js';
import { reshapeForStep, type EnsemblePlan, type PlanStep, type PlanView } from './ensemble-plan.js';
import { StepCall, stepError, type StepListener } from './ensemble-step-call.js';
import { spansBuffer, TensorSlots, type Slot } from './tensor-slots.js';

/** Runs one step request on a composing model: the core's `infer`, called with `protocol: 'internal'`. */
export type StepInfer = (request: InferRequest, ctx: RequestContext) => AsyncIterable<InferResponse>;

/** The iteration key of the ensemble request's own inputs. */
const ROOT = '';

/**
 * Runs `request` through the ensemble `plan`, sending its responses with `request.sender`;
 * resolves with the summed compute times of its steps once no step is in flight.
 *
 * @example
 * ```ts
 * const timings = await runEnsemble(plan, executionRequest, (r, ctx) => core.infer(r, ctx));
 * ```
 */
export function runEnsemble(
  plan: EnsemblePlan,
  request: ExecutionRequest,
  infer: StepInfer,
): Promise<ExecutionTimings> {
  return new EnsembleRun(plan, request, infer).start();
}

class EnsembleRun implements StepListener {
  private readonly view: PlanView;
  private readonly slots: TensorSlots;
  private readonly cancel = new CancelSource();
  private inflight = 0;
  private failure: InferenceError | undefined;
  /** The final response (or the failure) was sent. */
  private answered = false;
  private ended = false;
  private resolve!: (t: ExecutionTimings) => void;
  private readonly totals = { computeInputNs: 0, computeInferNs: 0, computeOutputNs: 0 };
  /**
   * Step requests whose statistics are not recorded yet. A step's final response can come before
   * its execution is over; the run (and so the ensemble's own statistics) ends after both.
   */
  private unrecorded = 0;
  /** A step request is over: adds its compute durations if it succeeded (bound once for every step). */
  private readonly stepComplete = (d: ComputeDurations | undefined): void => {
    if (d) {
      this.totals.computeInputNs += d.computeInputNs;
      this.totals.computeInferNs += d.computeInferNs;
      this.totals.computeOutputNs += d.computeOutputNs;
    }
    this.unrecorded--;
    if (this.inflight === 0) this.end();
  };

  constructor(
    private readonly plan: EnsemblePlan,
    private readonly request: ExecutionRequest,
    private readonly infer: StepInfer,
  ) {
    this.view = plan.view(request.requestedOutputs);
    this.slots = new TensorSlots(this.view.uses);
  }

  start(): Promise<ExecutionTimings> {
    const done = new Promise<ExecutionTimings>((resolve) => (this.resolve = resolve));
    const signal = this.request.signal;
    if (signal.aborted) this.handleEvent();
    else signal.addEventListener('abort', this, { once: true });
    const batch = this.plan.batching ? this.request.batchSize : 0;
    const owned = this.request.inputBuffersOwned === true;
    const stored: string[] = [];
    for (const t of this.request.inputs) {
      if (this.slots.store(t.name, ROOT, t, batch, owned)) stored.push(t.name);
    }
    for (const name of this.plan.optionalInputs) {
      if (!this.slots.has(name, ROOT) && this.slots.store(name, ROOT, null, batch, true)) stored.push(name);
    }
    this.advance(stored, ROOT, {});
    if (this.inflight === 0) this.end();
    return done;
  }

  /** The ensemble request's signal aborted (client gone, cancelled, deadline): so do its steps. */
  handleEvent(): void {
    this.cancel.abort(this.request.signal.reason ?? new InferenceError('CANCELLED', 'request cancelled'));
  }

  /**
   * After tensors were stored at `key`: sends the steps they complete, then the ensemble response
   * if they complete the requested outputs. `parameters` are those of the response that produced them.
   */
  private advance(stored: readonly string[], key: string, parameters: InferResponse['parameters']): void {
    const view = this.view;
    let ready: number[] | undefined;
    let outputs = false;
    for (const tensor of stored) {
      for (const s of view.readers.get(tensor) ?? []) {
        if (ready?.includes(s)) continue;
        if (this.plan.steps[s]!.inputs.every((i) => this.slots.has(i.tensor, key))) (ready ??= []).push(s);
      }
      if (!outputs && view.requested.some((o) => o.name === tensor)) outputs = true;
    }
    if (ready) for (const s of ready) this.dispatch(this.plan.steps[s]!, key);
    if (outputs) this.respond(key, parameters);
  }

  private dispatch(step: PlanStep, key: string): void {
    const inputs: Tensor[] = [];
    const read: Slot[] = [];
    let batch = 0;
    for (const i of step.inputs) {
      const slot = this.slots.get(i.tensor, key)!;
      if (!read.includes(slot)) read.push(slot);
      const t = slot.tensor;
      if (t === null) continue;
      const shape = reshapeForStep(i.dims, step.batching, slot.batch, t.shape);
      if (step.batching && batch === 0) batch = shape[0] ?? 0;
      inputs.push({ name: i.input, datatype: t.datatype, shape, data: t.data });
    }
    // The step may move the buffers to its worker only if this is their last read anywhere.
    const owned = this.slots.mayTake(read, inputs);
    for (const slot of read) this.slots.release(slot);
    let held: ArrayBufferLike[] = NONE;
    // Only a later step could take a buffer: a one-step ensemble has none.
    if (!owned && inputs.length > 0 && this.plan.steps.length > 1) {
      held = inputs.map((t) => t.data.buffer);
      this.slots.hold(held);
    }
    const ctx: RequestContext = {
      signal: this.cancel,
      protocol: 'internal',
      allowDecoupled: true,
      inputBuffersOwned: owned,
      onComplete: this.stepComplete,
      // A traced ensemble request traces each step as a child (Triton's parent_id).
      trace: this.request.trace?.child(),
    };
    const stepRequest: InferRequest = {
      modelName: step.modelName,
      modelVersion: step.version,
      id: this.request.id,
      inputs,
      outputs: this.view.stepOutputs[step.index]!,
      parameters: this.request.parameters,
    };
    this.inflight++;
    this.unrecorded++;
    new StepCall(this, step, key, batch, held).start(() => this.infer(stepRequest, ctx));
  }

  /** A response of a step. `final`: the step's last (it is no longer in flight). */
  onStepResponse(call: StepCall, response: InferResponse): void {
    if (response.final) this.stepOver(call);
    if (this.failure === undefined) {
      if (response.error) this.fail(stepError(call.step, this.plan.name, response.error));
      else if (!response.emptyFinal) {
        const step = call.step;
        const key = step.decoupled ? `${call.key}.${call.responses++}` : call.key;
        const stored: string[] = [];
        for (const [output, tensor] of this.view.kept[step.index]!) {
          let value: Tensor | null = null;
          for (const t of response.outputs) {
            if (t.name === output) {
              value = t;
              break;
            }
          }
          // A step output may move on to the next step's worker only if its model said nothing
          // else holds its buffer and it spans the buffer whole (a batch's outputs may be views
          // of one buffer shared with other requests).
          const owned = response.outputBuffersOwned === true && value !== null && spansBuffer(value.data);
          if (this.slots.store(tensor, key, value, call.batch, owned)) stored.push(tensor);
        }
        this.advance(stored, key, response.parameters);
      }
    }
    if (response.final && this.inflight === 0) this.end();
  }

  /**
   * A step failed (its request was refused, failed, or was cancelled). `unheard`: `infer` threw,
   * so no completion will follow.
   */
  onStepFailed(call: StepCall, err: unknown, unheard = false): void {
    if (unheard) this.unrecorded--;
    this.stepOver(call);
    if (this.failure === undefined) this.fail(stepError(call.step, this.plan.name, InferenceError.from(err)));
    if (this.inflight === 0) this.end();
  }

  private stepOver(call: StepCall): void {
    this.inflight--;
    if (call.held.length > 0) this.slots.unhold(call.held);
  }

  /** Sends the requested outputs at `key` if all are there. */
  private respond(key: string, parameters: InferResponse['parameters']): void {
    if (this.failure !== undefined || this.answered) return;
    const plan = this.plan;
    const read: Slot[] = [];
    for (const o of this.view.requested) {
      const slot = this.slots.get(o.name, key);
      if (!slot) return;
      read.push(slot);
    }
    const outputs: Tensor[] = [];
    const final = !plan.decoupled || this.inflight === 0;
    this.view.requested.forEach((o, i) => {
      const slot = read[i]!;
      const t = slot.tensor;
      // A composing model that left an output out: the ensemble's response leaves it out too.
      if (t !== null) {
        const shape = reshapeForStep(o.dims, plan.batching, slot.batch, t.shape);
        outputs.push({ name: o.name, datatype: t.datatype, shape, data: t.data });
        // The client's response reads these bytes until it is encoded: no later step may take
        // them (after the final response, no step comes).
        if (!final) this.slots.hold([t.data.buffer]);
      }
      this.slots.release(slot);
    });
    if (final) this.answered = true;
    const response: BackendResponse = { outputs, parameters };
    this.request.sender.send(response, { final });
  }

  /** Answers the request with `error` (once) and cancels the steps still in flight. */
  private fail(error: InferenceError): void {
    this.failure = error;
    this.slots.clear();
    if (!this.answered) {
      this.answered = true;
      this.request.sender.send({ outputs: [], error }, { final: true });
    }
    this.cancel.abort(
      new InferenceError('CANCELLED', `in ensemble '${this.plan.name}', cancelled: another step failed`),
    );
  }

  /** No step is in flight: the request is answered; it is over once every step is recorded. */
  private end(): void {
    if (this.ended) return;
    this.answer();
    if (this.unrecorded > 0) return;
    this.ended = true;
    this.slots.clear();
    this.resolve({ ...this.totals });
  }

  /** Sends the end of the request if nothing was sent yet (the final flag, or the deadlock error). */
  private answer(): void {
    this.request.signal.removeEventListener('abort', this);
    if (!this.answered) {
      this.answered = true;
      if (this.plan.decoupled) this.request.sender.send(undefined, { final: true });
      else {
        this.request.sender.send(
          {
            outputs: [],
            error: invalidArg(
              `in ensemble '${this.plan.name}', unexpected deadlock, at least one output is not set while no more ensemble steps can be made`,
            ),
          },
          { final: true },
        );
      }
    }
  }
}

const NONE: ArrayBufferLike[] = [];
