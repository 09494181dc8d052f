/**
 * The life of one inference request inside the core: queue it on the version's scheduler, turn the
 * backend's sender calls into an async stream of responses, shape the outputs the client asked
 * for, and record statistics and observer events exactly once when the request is over.
 *
 * Written as one class rather than an async generator with closures: this is the per-request
 * hot path, and one object that is at once the iterator, the scheduler job, the backend's
 * response sender and the abort listener saves a dozen allocations and several promise hops.
 */
import type { BackendResponse, ExecutionRequest, ExecutionTimings, ResponseSender } from '../backend-api/backend.js';
import type { CancelSignal } from './cancel-signal.js';
import { classify } from './classification.js';
import { InferenceError } from './errors.js';
import type { FailureReason, InferenceObserver } from './observer.js';
import { ResponseChannel } from './response-channel.js';
import type { SchedulerJob } from './scheduling/scheduler.js';
import type { ServingVersion } from './serving-version.js';
import type { InferRequest, InferResponse, RequestContext, Tensor } from './types.js';
import type { ValidatedRequest } from './validate-request.js';
import { reshapeTo } from './reshape.js';

function failureReason(err: InferenceError, executed: boolean): FailureReason {
  if (err.code === 'CANCELLED' || err.code === 'DEADLINE_EXCEEDED') return 'CANCELED';
  if (err.code === 'RESOURCE_EXHAUSTED' || err.code === 'UNAVAILABLE') return 'REJECTED';
  return executed ? 'BACKEND' : 'OTHER';
}

/** Maps an output the model produced to the shape the client sees (config `reshape` undone). */
function clientShape(t: Tensor, version: ServingVersion): Tensor {
  if (!version.reshapesOutputs) return t;
  const cfg = version.config.output.find((o) => o.name === t.name);
  return cfg?.reshape ? reshapeTo(t, cfg.dims, version.config.max_batch_size > 0) : t;
}

/**
 * True when some output carries data: not an empty tensor, and not BYTES holding only empty
 * strings (an LLM's empty final `text_output` after streamed tokens is not one more token).
 */
function carriesData(outputs: readonly Tensor[]): boolean {
  for (const t of outputs) {
    const data = t.data;
    if (data.byteLength === 0) continue;
    if (t.datatype !== 'BYTES') return true;
    // BYTES: 4-byte little-endian length prefixes; any non-zero length is content.
    for (let at = 0; at + 4 <= data.byteLength; at += 4) {
      if (data[at] !== 0 || data[at + 1] !== 0 || data[at + 2] !== 0 || data[at + 3] !== 0) return true;
    }
  }
  return false;
}

/** Abort reason → the error a cancelled request fails with. */
function abortError(signal: CancelSignal): InferenceError {
  const r: unknown = signal.reason;
  if (r instanceof InferenceError) return r;
  return new InferenceError('CANCELLED', 'request cancelled');
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * Runs `request` (already validated as `validated`) on `version`, yielding its responses. The
 * request starts on the first `next()`; returning early from the iteration cancels it.
 *
 * @example
 * ```ts
 * for await (const response of runInference(version, request, validated, ctx, observer)) send(response);
 * ```
 */
export function runInference(
  version: ServingVersion,
  request: InferRequest,
  validated: ValidatedRequest,
  ctx: RequestContext,
  observer: InferenceObserver,
): AsyncIterableIterator<InferResponse> {
  return new InferenceRun(version, request, validated, ctx, observer);
}

/** One request in flight: iterator (consumer side), scheduler job, response sender, abort listener. */
class InferenceRun implements AsyncIterableIterator<InferResponse>, SchedulerJob, ResponseSender {
  readonly request: ExecutionRequest;
  readonly batchSize: number;
  readonly priority: number;
  readonly timeoutUs: number;
  private readonly channel = new ResponseChannel();
  private arrivedNs = 0;
  private startNs = 0;
  private timings: ExecutionTimings | undefined;
  private executed = false;
  private settled = false;
  private started = false;
  /** Decoupled models only: the request reached an instance (see ServingVersion.started). */
  private running = false;
  /** Decoupled models only: when the previous response with outputs was delivered (-1: none yet). */
  private lastOutputNs = -1;
  /** Decoupled models only: arrival to the first response delivered (-1: none yet). */
  private firstResponseNs = -1;

  constructor(
    private readonly version: ServingVersion,
    private readonly inferRequest: InferRequest,
    private readonly validated: ValidatedRequest,
    private readonly ctx: RequestContext,
    private readonly observer: InferenceObserver,
  ) {
    this.batchSize = validated.batchSize;
    // Triton's reserved parameters for the dynamic batcher (validated as non-negative integers).
    const { priority, timeout } = inferRequest.parameters;
    this.priority = typeof priority === 'number' ? priority : 0;
    this.timeoutUs = typeof timeout === 'number' ? timeout : 0;
    // The frontend's signal reaches the scheduler and the backend as it is: frontends abort it on
    // disconnect, cancel and deadline, so no second controller per request is needed.
    this.request = {
      id: inferRequest.id,
      inputs: validated.inputs,
      requestedOutputs: validated.requestedOutputs,
      parameters: inferRequest.parameters,
      batchSize: validated.batchSize,
      signal: ctx.signal,
      sender: this,
      inputBuffersOwned: ctx.inputBuffersOwned === true,
      trace: ctx.trace,
    };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<InferResponse, undefined>> {
    if (!this.started) this.start();
    return this.channel.next();
  }

  return(): Promise<IteratorResult<InferResponse, undefined>> {
    if (this.started && !this.channel.finished) {
      // The consumer stopped reading (its client went away and aborted ctx.signal too).
      this.channel.fail(new InferenceError('CANCELLED', 'request abandoned by the client'));
      this.complete();
    }
    this.started = true;
    this.channel.close();
    return Promise.resolve(DONE);
  }

  /** The request's signal aborted. */
  handleEvent(): void {
    this.channel.fail(abortError(this.ctx.signal));
    this.complete();
  }

  send(response: BackendResponse | undefined, flags: { final: boolean }): void {
    const channel = this.channel;
    if (channel.finished) return;
    const final = flags.final;
    if (response?.error && this.version.decoupled && !final) {
      // A decoupled model's error response that is not its last: deliver it, the request goes on.
      const v = this.version;
      channel.push({
        modelName: v.name,
        modelVersion: v.label,
        id: this.inferRequest.id,
        outputs: [],
        parameters: {},
        final: false,
        error: response.error,
      });
    } else if (response?.error) {
      channel.fail(response.error);
    } else if (!this.version.decoupled && (!final || !response)) {
      channel.fail(
        new InferenceError('INTERNAL', `model '${this.version.name}' must send exactly one final response per request`),
      );
    } else {
      let shaped: InferResponse | undefined;
      try {
        shaped = this.toResponse(response, final);
      } catch (e) {
        // Post-processing (e.g. classification) failed: the request fails, it never hangs.
        channel.fail(InferenceError.from(e));
      }
      if (shaped) {
        channel.push(shaped);
        if (this.version.decoupled) this.reportResponse(shaped);
      }
    }
    this.complete();
  }

  /** Decoupled models only: tells observers about one delivered response (LLM latency metrics). */
  private reportResponse(response: InferResponse): void {
    const version = this.version;
    const now = version.clock.nowNs();
    const hasOutputs = carriesData(response.outputs);
    const previous = this.lastOutputNs;
    if (hasOutputs) this.lastOutputNs = now;
    if (this.firstResponseNs < 0) this.firstResponseNs = now - this.arrivedNs;
    this.observer.onResponse?.({
      model: version.name,
      version: version.label,
      llm: version.info.llm,
      hasOutputs,
      final: response.final,
      sinceArrivalNs: now - this.arrivedNs,
      sincePreviousNs: hasOutputs && previous >= 0 ? now - previous : -1,
      parameters: response.parameters,
    });
  }

  onStart(ns: number): void {
    this.startNs = ns;
    if (this.version.decoupled) {
      this.running = true;
      this.version.started();
    }
  }

  onExecuted(result: { timings: ExecutionTimings } | { error: InferenceError }): void {
    this.executed = true;
    if ('error' in result) this.channel.fail(result.error);
    else {
      this.timings = result.timings;
      if (!this.channel.finished) {
        this.channel.fail(
          new InferenceError('INTERNAL', `model '${this.version.name}' finished executing without a final response`),
        );
      }
    }
    this.complete();
  }

  onDropped(error: InferenceError): void {
    this.startNs = -1;
    this.channel.fail(error);
    this.complete();
  }

  private start(): void {
    this.started = true;
    const version = this.version;
    const signal = this.ctx.signal;
    this.arrivedNs = version.clock.nowNs();
    const trace = this.ctx.trace;
    if (trace) {
      // The run holds the trace until its REQUEST_END (the frontend may be done with it sooner).
      trace.hold();
      trace.capture('QUEUE_START', this.arrivedNs);
      if (trace.tensorLevel) for (const t of this.request.inputs) trace.tensor('TENSOR_QUEUE_INPUT', t);
    }
    version.begin();
    if (signal.aborted) this.handleEvent();
    else signal.addEventListener('abort', this, { once: true });
    version.scheduler.enqueue(this);
  }

  private toResponse(r: BackendResponse | undefined, final: boolean): InferResponse {
    const version = this.version;
    const id = this.inferRequest.id;
    if (!r)
      return {
        modelName: version.name,
        modelVersion: version.label,
        id,
        outputs: [],
        parameters: {},
        final,
        emptyFinal: true,
      };
    const names = this.validated.requestedOutputs;
    const classification = this.validated.classification;
    const produced = r.outputs;
    const trace = this.ctx.trace;
    if (trace?.tensorLevel) for (const t of produced) trace.tensor('TENSOR_BACKEND_OUTPUT', t);
    const outputs: Tensor[] = [];
    for (const name of names) {
      for (const t of produced) {
        if (t.name === name) {
          const shaped = clientShape(t, version);
          const topN = classification?.get(name);
          outputs.push(
            topN === undefined
              ? shaped
              : classify(shaped, topN, version.labels.get(name), version.config.max_batch_size > 0),
          );
          break;
        }
      }
    }
    return {
      modelName: version.name,
      modelVersion: version.label,
      id,
      outputs,
      parameters: r.parameters ?? {},
      final,
      outputBuffersOwned: r.outputBuffersOwned === true,
    };
  }

  /** Records the outcome once the request is over (final response or failure, and executed or dropped). */
  private complete(): void {
    const channel = this.channel;
    if (this.settled || !channel.finished || !(this.executed || this.startNs < 0)) return;
    this.settled = true;
    const version = this.version;
    this.ctx.signal.removeEventListener('abort', this);
    const totalNs = version.clock.nowNs() - this.arrivedNs;
    // Queue time: waiting for the scheduler to hand the request over, plus any wait inside the
    // instance before its execution started.
    const queueNs =
      this.startNs > 0 ? Math.min(totalNs, this.startNs - this.arrivedNs + (this.timings?.queueNs ?? 0)) : totalNs;
    const batchSize = this.batchSize;
    const err = channel.failure;
    if (err) {
      version.stats.recordFailure(totalNs);
      this.observer.onRequest?.({
        model: version.name,
        version: version.label,
        success: false,
        // An ensemble's failures are OTHER, as in Triton: the reason belongs to its failing step.
        reason: version.config.ensemble_scheduling ? 'OTHER' : failureReason(err, this.executed),
        batchSize,
        requestNs: totalNs,
        queueNs,
        computeInputNs: 0,
        computeInferNs: 0,
        computeOutputNs: 0,
      });
    } else {
      const t = this.timings ?? NO_TIMINGS;
      version.stats.recordSuccess(batchSize, {
        totalNs,
        queueNs,
        computeInputNs: t.computeInputNs,
        computeInferNs: t.computeInferNs,
        computeOutputNs: t.computeOutputNs,
      });
      const firstResponseNs = version.decoupled ? this.firstResponseNs : totalNs;
      this.observer.onRequest?.({
        model: version.name,
        version: version.label,
        success: true,
        batchSize,
        requestNs: totalNs,
        queueNs,
        computeInputNs: t.computeInputNs,
        computeInferNs: t.computeInferNs,
        computeOutputNs: t.computeOutputNs,
        ...(firstResponseNs >= 0 ? { firstResponseNs } : {}),
      });
    }
    version.end(this.running);
    if (this.ctx.trace) this.traceEnd(totalNs, queueNs);
    this.ctx.onComplete?.(err ? undefined : (this.timings ?? NO_TIMINGS));
  }

  /**
   * Records the request's end in its trace: the compute timestamps come from the points the
   * statistics measure (hand-over to the instance, the instance's queue, the compute durations),
   * then REQUEST_END. The run's hold on the trace ends here, and a composing model's trace is
   * released for its caller; the frontend releases a root's own reference.
   */
  private traceEnd(totalNs: number, queueNs: number): void {
    const trace = this.ctx.trace!;
    const t = this.timings;
    const end = this.arrivedNs + totalNs;
    if (t && this.executed && !this.version.config.ensemble_scheduling) {
      // Durations measured in the instance's thread; never past the request's end.
      const start = this.arrivedNs + queueNs;
      trace.capture('COMPUTE_START', start);
      trace.capture('COMPUTE_INPUT_END', Math.min(end, start + t.computeInputNs));
      trace.capture('COMPUTE_OUTPUT_START', Math.min(end, start + t.computeInputNs + t.computeInferNs));
      trace.capture('COMPUTE_END', Math.min(end, start + t.computeInputNs + t.computeInferNs + t.computeOutputNs));
    }
    trace.capture('REQUEST_END', end);
    trace.release();
    // A composing model's trace: its caller handed its reference over to this request.
    if (trace.parent !== undefined) trace.release();
  }
}

const NO_TIMINGS: ExecutionTimings = Object.freeze({ computeInputNs: 0, computeInferNs: 0, computeOutputNs: 0 });
