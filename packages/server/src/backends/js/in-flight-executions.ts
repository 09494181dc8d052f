/**
 * The main-thread bookkeeping of one JS model instance: which executions and requests are in
 * flight in its worker, turning the worker's answers into validated responses for each request's
 * sender, and settling each execution once the model returned and every request had its final
 * response. The worker's lifecycle (start, crash, restart, stop) lives in `js-instance.ts`.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { BackendResponse, ExecutionRequest, ExecutionTimings } from '../../backend-api/backend.js';
import type { CancelSignal } from '../../core/cancel-signal.js';
import type { RequestTrace } from '../../core/trace/request-trace.js';
import { InferenceError } from '../../core/errors.js';
import type { OutputValidator } from './output-validation.js';
import { NOT_EXECUTED, Op, readLog, readResponse } from './wire-codec.js';
import { WireReader, type Packet } from './wire-packet.js';
import { SlotTable } from './slot-table.js';
import type { WireResponse } from './worker-messages.js';

/** One execution (batch) sent to the worker. */
export interface ExecState {
  readonly id: number;
  /** Request keys, in batch order. */
  readonly keys: number[];
  remaining: number;
  returned: boolean;
  /** The worker ran nothing (all requests cancelled while waiting there). */
  skipped: boolean;
  /** How long the batch waited in the worker behind earlier executions. */
  waitNs: number;
  inputNs: number;
  inferNs: number;
  outputNs: number;
  resolve(t: ExecutionTimings): void;
  reject(e: InferenceError): void;
}

/** A request in flight; it is its own abort listener (no closure per request). */
class PendingRequest {
  /** Whether it listens to the request's signal. */
  listening = false;

  constructor(
    readonly req: ExecutionRequest,
    readonly exec: ExecState,
    private readonly key: number,
    private readonly cancel: (key: number) => void,
  ) {}

  /** The request's signal aborted while it was in flight. */
  handleEvent(): void {
    this.listening = false;
    this.cancel(this.key);
  }
}

/** Nanoseconds since `fromMs` (a performance.now() reading). */
export const nsSince = (fromMs: number): number => Math.round((performance.now() - fromMs) * 1e6);

/** Where the Call and CallCancel ops of a packet go (the instance's ModelCalls, model-calls.ts). */
export interface CallOps {
  /** A Call op: the reader stands after its op code. */
  call(r: WireReader): void;
  /** A CallCancel op. */
  cancelCall(callId: number): void;
}

/**
 * @example
 * ```ts
 * const inFlight = new InFlightExecutions(validator, log, () => (crashes = 0));
 * const { exec, done } = inFlight.open(batch, (key) => sendCancel(key));
 * ```
 */
export class InFlightExecutions {
  // Slot tables, not Maps: see slot-table.ts for why a churned Map costs every request a promotion.
  private readonly pending = new SlotTable<PendingRequest>();
  private readonly execs = new SlotTable<ExecState>();
  /** Called once no execution is in flight (unload's drain). */
  private idleWaiters: Array<() => void> = [];
  private nextKey = 1;
  private nextExec = 1;

  /**
   * @param onSucceeded called after every execution that settled normally (resets crash back-off).
   * @param calls where the model's calls to other models go (BLS); absent: such ops are logged.
   */
  constructor(
    private readonly validator: OutputValidator,
    private readonly log: Logger,
    private readonly onSucceeded: () => void,
    private readonly calls?: CallOps,
  ) {}

  /**
   * Registers a batch about to be sent: a key per request (its cancellation calls `cancel(key)`),
   * and the promise the instance's `execute` returns.
   */
  open(
    batch: readonly ExecutionRequest[],
    cancel: (key: number) => void,
  ): { exec: ExecState; done: Promise<ExecutionTimings> } {
    let resolve!: (t: ExecutionTimings) => void;
    let reject!: (e: InferenceError) => void;
    const done = new Promise<ExecutionTimings>((res, rej) => ((resolve = res), (reject = rej)));
    const exec: ExecState = {
      id: this.nextExec++,
      keys: [],
      remaining: batch.length,
      returned: false,
      skipped: false,
      waitNs: 0,
      inputNs: 0,
      inferNs: 0,
      outputNs: 0,
      resolve,
      reject,
    };
    for (const req of batch) {
      const key = this.nextKey++;
      const pending = new PendingRequest(req, exec, key, cancel);
      if (!req.signal.aborted) {
        pending.listening = true;
        req.signal.addEventListener('abort', pending, { once: true });
      }
      this.pending.set(key, pending);
      exec.keys.push(key);
    }
    this.execs.set(exec.id, exec);
    return { exec, done };
  }

  /** The cancellation signal of in-flight request `key` (undefined once it is over). */
  signalOf(key: number): CancelSignal | undefined {
    return this.pending.get(key)?.req.signal;
  }

  /** The trace of in-flight request `key`, when it is traced. */
  traceOf(key: number): RequestTrace | undefined {
    return this.pending.get(key)?.req.trace;
  }

  /** Resolves once nothing is in flight, or after `timeoutMs`. */
  async whenIdle(timeoutMs: number): Promise<void> {
    if (this.execs.size === 0) return;
    const idle = new Promise<void>((res) => this.idleWaiters.push(res));
    await Promise.race([idle, sleep(timeoutMs, undefined, { ref: false })]);
  }

  /** Runs the ops of a packet from the worker, in order (responses, executions' ends, log lines). */
  onPacket(packet: Packet): void {
    const r = new WireReader(packet);
    while (!r.done) {
      const op = r.number();
      if (op === Op.Response) {
        const key = r.number();
        const final = r.boolean();
        const outputNs = r.number();
        const wire = r.boolean() ? readResponse(r) : undefined;
        this.onResponse(key, final, outputNs, wire);
      } else if (op === Op.Executed) {
        const execId = r.number();
        const waitNs = r.number();
        const inputNs = r.number();
        const inferNs = r.number();
        const outputNs = r.number();
        const error = r.value() as string | null;
        const count = r.number();
        let responses: WireResponse[] | undefined;
        if (count >= 0) {
          responses = new Array<WireResponse>(count);
          for (let i = 0; i < count; i++) responses[i] = readResponse(r);
        }
        this.onExecuted(execId, waitNs, inputNs, inferNs, outputNs, error, responses);
      } else if (op === Op.Log) {
        const log = readLog(r);
        // A model's fields may hold `msg`: pino would write a second `msg` key, so it moves aside.
        const { msg: fieldMsg, ...fields } = (log.obj ?? {}) as Record<string, unknown>;
        this.log[log.level](fieldMsg === undefined ? fields : { ...fields, message: fieldMsg }, log.msg);
      } else if (op === Op.Call && this.calls) {
        this.calls.call(r);
      } else if (op === Op.CallCancel && this.calls) {
        this.calls.cancelCall(r.number());
      } else {
        this.log.error({ op }, 'unknown op in a packet from the model worker');
        return;
      }
    }
  }

  /** A response of one request (decoupled models send them any time; `final` ends the request). */
  onResponse(key: number, final: boolean, outputNs: number, wire: WireResponse | undefined): void {
    const p = this.pending.get(key);
    if (!p) return;
    const t0 = performance.now();
    const response = wire ? this.toBackendResponse(p.req, wire) : undefined;
    p.exec.outputNs += outputNs + nsSince(t0);
    if (final) this.finishRequest(key, response);
    else if (response) this.deliver(p.req, response, false);
  }

  /** The model's `execute` returned (or threw): one response per request, or the error. */
  onExecuted(
    execId: number,
    waitNs: number,
    inputNs: number,
    inferNs: number,
    outputNs: number,
    error: string | null,
    responses: readonly WireResponse[] | undefined,
  ): void {
    const exec = this.execs.get(execId);
    if (!exec) return;
    exec.skipped = inferNs === NOT_EXECUTED;
    exec.waitNs = waitNs;
    exec.inputNs += inputNs;
    if (!exec.skipped) exec.inferNs += inferNs;
    const t0 = performance.now();
    const keys = exec.keys;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const p = this.pending.get(key);
      if (!p) continue;
      const wire = responses?.[i];
      if (error !== null) this.finishRequest(key, { outputs: [], error: new InferenceError('INTERNAL', error) });
      else if (wire) this.finishRequest(key, this.toBackendResponse(p.req, wire));
    }
    exec.outputNs += outputNs + nsSince(t0);
    exec.returned = true;
    this.maybeDone(exec);
  }

  /** True while some execution is in flight (sent and not settled). */
  get busy(): boolean {
    return this.execs.size > 0;
  }

  /**
   * Fails every in-flight request and execution with `err`; with `notStarted`, the executions
   * the worker had not started yet fail with that one instead. The worker runs executions in
   * order, one at a time, so the started ones are those whose `execute` returned (decoupled models
   * still answering) and the oldest one that has not returned.
   */
  failAll(err: InferenceError, notStarted: InferenceError = err): void {
    const execs = this.execs.list();
    let running = Infinity;
    for (const exec of execs) if (!exec.returned && exec.id < running) running = exec.id;
    for (const exec of execs) this.failExec(exec, exec.returned || exec.id <= running ? err : notStarted);
  }

  private toBackendResponse(req: ExecutionRequest, wire: WireResponse): BackendResponse {
    if ('error' in wire) return { outputs: [], error: new InferenceError(wire.code, wire.error) };
    try {
      const outputs = this.validator.validate(wire.outputs, req.requestedOutputs, req.batchSize);
      // Output bytes live in buffers of the worker's packet: one buffer of its own for a large
      // output (or one the model moved), which nothing else holds.
      return wire.parameters
        ? { outputs, parameters: wire.parameters, outputBuffersOwned: true }
        : { outputs, outputBuffersOwned: true };
    } catch (err) {
      return { outputs: [], error: InferenceError.from(err) };
    }
  }

  private deliver(req: ExecutionRequest, response: BackendResponse | undefined, final: boolean): void {
    try {
      req.sender.send(response, { final });
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'response sender threw');
    }
  }

  private finishRequest(key: number, response: BackendResponse | undefined): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    if (p.listening) p.req.signal.removeEventListener('abort', p);
    this.deliver(p.req, response, true);
    p.exec.remaining--;
    this.maybeDone(p.exec);
  }

  private maybeDone(exec: ExecState): void {
    if (!exec.returned || exec.remaining > 0 || !this.execs.has(exec.id)) return;
    this.execEnded(exec.id);
    if (exec.skipped) {
      // Not an execution: the scheduler must not count it in execution statistics.
      exec.reject(new InferenceError('CANCELLED', 'every request of the batch was cancelled before it executed'));
      return;
    }
    this.onSucceeded();
    exec.resolve({
      queueNs: exec.waitNs,
      computeInputNs: exec.inputNs,
      computeInferNs: exec.inferNs,
      computeOutputNs: exec.outputNs,
    });
  }

  private failExec(exec: ExecState, err: InferenceError): void {
    for (const key of exec.keys) this.finishRequest(key, { outputs: [], error: err });
    this.execEnded(exec.id);
    exec.reject(err);
  }

  private execEnded(id: number): void {
    this.execs.delete(id);
    if (this.execs.size > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
