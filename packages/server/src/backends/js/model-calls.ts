/**
 * The main-thread side of Business Logic Scripting for one JS instance: runs the calls its worker
 * makes to other models (Call ops) through the server's core with protocol 'internal', and writes
 * their responses back into the worker's packet stream (CallResponse ops). Each call is cancelled
 * (in the core: the callee's queue, scheduler and worker see it) when the model gives it up, when
 * the request it was made for is cancelled, when its timeout passes, and when the instance's
 * worker is terminated or stopped, so nothing outlives the worker that asked for it.
 * The worker side is worker-calls.ts.
 */
import type { Logger } from 'pino';
import type { ModelCaller } from '../../backend-api/backend.js';
import { CancelSource, type CancelSignal } from '../../core/cancel-signal.js';
import type { Clock } from '../../core/clock.js';
import { InferenceError } from '../../core/errors.js';
import type { InferRequest, InferResponse, RequestContext } from '../../core/types.js';
import type { PacketOutbox } from './message-batcher.js';
import { SlotTable } from './slot-table.js';
import { writeCallResponse } from './wire-codec.js';
import { PACK_THRESHOLD_BYTES } from './wire-packet.js';
import type { RequestTrace } from '../../core/trace/request-trace.js';
import type { WireCall, WireResponse } from './worker-messages.js';

/** Options of {@link ModelCalls}. */
export interface ModelCallsOptions {
  /** The core's infer; absent: every call answers UNAVAILABLE. */
  readonly caller: ModelCaller | undefined;
  /** The timeout of a call that names none (the model's `execution_timeout_ms`; 0: none). */
  readonly defaultTimeoutMs: number;
  /** Runs the call timeouts. */
  readonly clock: Clock;
  readonly log: Logger;
  /** The signal of this instance's in-flight request `key` (a call's parent), while in flight. */
  readonly parentSignal: (key: number) => CancelSignal | undefined;
  /** The trace of this instance's in-flight request `key`, when it is traced (a call traces as its child). */
  readonly parentTrace?: (key: number) => RequestTrace | undefined;
  /**
   * Samples a call made for no request (parent key 0: a custom gRPC service's handler) for
   * tracing; such a trace is the call's own, released when the call ends.
   */
  readonly rootTrace?: (model: string) => RequestTrace | undefined;
}

/** One call running in the core; its own listener for the parent request's abort. */
class ActiveCall {
  readonly source = new CancelSource();
  /** No more answers go to the worker (the call ended, or its worker is gone). */
  closed = false;
  stopTimer: (() => void) | undefined;
  parent: CancelSignal | undefined;

  constructor(
    readonly call: WireCall,
    readonly outbox: PacketOutbox,
  ) {}

  /** The request the call was made for was cancelled. */
  handleEvent(): void {
    this.parent = undefined;
    this.source.abort(
      new InferenceError('CANCELLED', `the call to model '${this.call.model}' was cancelled with its request`),
    );
  }
}

/** The buffers of a response's outputs that may move to the worker instead of being copied. */
function transferable(response: InferResponse): ArrayBuffer[] {
  if (response.outputBuffersOwned !== true) return [];
  const out: ArrayBuffer[] = [];
  for (const t of response.outputs) {
    const d = t.data;
    const buffer = d.buffer;
    // Only a large tensor spanning its whole buffer: nothing else can be in it.
    if (
      d.byteLength >= PACK_THRESHOLD_BYTES &&
      buffer instanceof ArrayBuffer &&
      d.byteOffset === 0 &&
      d.byteLength === buffer.byteLength &&
      !out.includes(buffer)
    ) {
      out.push(buffer);
    }
  }
  return out;
}

/**
 * The calls of one instance's worker that are running in the core, by call id.
 *
 * @example
 * ```ts
 * const calls = new ModelCalls({ caller, defaultTimeoutMs: 60000, clock, log, parentSignal });
 * calls.start(readCall(reader), outbox); // a Call op from the worker
 * calls.cancelAll(new InferenceError('CANCELLED', 'the instance stopped')); // its worker is gone
 * ```
 */
export class ModelCalls {
  private readonly active = new SlotTable<ActiveCall>();

  constructor(private readonly opts: ModelCallsOptions) {}

  /** Calls in flight. */
  get size(): number {
    return this.active.size;
  }

  /** Starts a call the worker made; its answers go to `outbox` (the worker's, as it was then). */
  start(call: WireCall, outbox: PacketOutbox): void {
    const c = new ActiveCall(call, outbox);
    const caller = this.opts.caller;
    if (!caller) {
      this.answer(c, true, '', {
        error: 'calls to other models are not available in this server',
        code: 'UNAVAILABLE',
      });
      return;
    }
    // Ids are unique per worker, and a replaced worker's calls left the table (cancelAll).
    this.active.set(call.callId, c);
    const parent = call.parentKey > 0 ? this.opts.parentSignal(call.parentKey) : undefined;
    if (parent) {
      if (parent.aborted) c.handleEvent();
      else {
        c.parent = parent;
        parent.addEventListener('abort', c, { once: true });
      }
    }
    const timeoutMs = call.timeoutMs < 0 ? this.opts.defaultTimeoutMs : call.timeoutMs;
    if (timeoutMs > 0) {
      c.stopTimer = this.opts.clock.setTimer(() => {
        c.stopTimer = undefined;
        c.source.abort(
          new InferenceError(
            'DEADLINE_EXCEEDED',
            `the call to model '${call.model}' timed out after ${timeoutMs} ms` +
              (call.timeoutMs < 0 ? ` (the calling model's execution_timeout_ms; set timeoutMs to change it)` : ''),
          ),
        );
      }, timeoutMs);
    }
    void this.run(c, caller);
  }

  /** The model gave call `callId` up (it answers nothing more). */
  cancel(callId: number): void {
    const c = this.active.get(callId);
    if (!c) return;
    c.closed = true;
    c.source.abort(new InferenceError('CANCELLED', `the call to model '${c.call.model}' was cancelled by the model`));
  }

  /** The worker is gone: cancels every call in the core; their answers go nowhere. */
  cancelAll(reason: InferenceError): void {
    const all = this.active.list();
    for (const c of all) {
      c.closed = true;
      this.finish(c);
      c.source.abort(reason);
    }
  }

  private async run(c: ActiveCall, caller: ModelCaller): Promise<void> {
    const call = c.call;
    const request: InferRequest = {
      modelName: call.model,
      modelVersion: call.version,
      id: call.id,
      inputs: call.inputs,
      outputs: call.outputs.map((name) => ({ name, parameters: {} })),
      parameters: call.parameters,
    };
    // The inputs are views over the buffers of the worker's packet, which nothing else reads: the
    // callee's instance may move its large ones on to its own worker.
    const root = call.parentKey > 0 ? undefined : this.opts.rootTrace?.(call.model);
    const ctx: RequestContext = {
      signal: c.source,
      protocol: 'internal',
      allowDecoupled: call.stream,
      inputBuffersOwned: true,
      trace: call.parentKey > 0 ? this.opts.parentTrace?.(call.parentKey)?.child() : root,
    };
    let ended = false;
    try {
      for await (const r of caller.infer(request, ctx)) {
        if (c.closed) break;
        ended = r.final;
        let wire: WireResponse | undefined;
        if (r.error) wire = { error: r.error.message, code: r.error.code };
        else if (!r.emptyFinal) wire = { outputs: r.outputs, parameters: r.parameters };
        this.answer(c, r.final, r.modelVersion, wire, r.error ? [] : transferable(r));
        if (ended) break;
      }
      if (!ended) this.answer(c, true, '', undefined);
    } catch (e) {
      const err = InferenceError.from(e);
      this.answer(c, true, '', { error: err.message, code: err.code });
    } finally {
      this.finish(c);
      root?.release();
    }
  }

  /** Writes one answer into the worker's packet stream (unless the call is closed). */
  private answer(
    c: ActiveCall,
    final: boolean,
    version: string,
    response: WireResponse | undefined,
    transfer: readonly ArrayBuffer[] = [],
  ): void {
    if (c.closed) return;
    if (final) c.closed = true;
    try {
      writeCallResponse(c.outbox.open(), { callId: c.call.callId, final, version, response }, transfer);
      c.outbox.endOp();
    } catch (err) {
      this.opts.log.error(
        { err: err instanceof Error ? err.message : String(err), model: c.call.model },
        'could not send a call response to the model worker',
      );
    }
  }

  /** The call is over: stops its timer and parent listener and forgets it. */
  private finish(c: ActiveCall): void {
    c.stopTimer?.();
    c.stopTimer = undefined;
    c.parent?.removeEventListener('abort', c);
    c.parent = undefined;
    if (this.active.get(c.call.callId) === c) this.active.delete(c.call.callId);
  }
}
