/**
 * The cancellation signal a request carries from its frontend through the core to the backend.
 *
 * The core only needs an AbortSignal's reading side (`aborted`, `reason`, abort listeners), so it
 * takes this structural subset: a real AbortSignal fits it, and so does {@link CancelSource}, a
 * plain object that frontends create per request instead of an AbortController. Hand-written
 * because measured on the ModelInfer hot path (Node 20), one AbortController per call cost more
 * than any other single step of the core (~2.3 µs to create in a tight loop, and ~5 µs of main
 * thread per request under load once the garbage collection of its EventTarget machinery is
 * counted), while a request almost never gets cancelled.
 */

/** An abort listener: a function or an object with `handleEvent` (both called with no argument). */
export type CancelListener = (() => void) | { handleEvent(): void };

/** The reading side of a cancellation: what the core and backends may use of a request's signal. */
export interface CancelSignal {
  /** True once the request was cancelled. */
  readonly aborted: boolean;
  /** Why (an InferenceError from the frontends); undefined until aborted. */
  readonly reason: unknown;
  /** Calls `listener` once when the signal aborts (never when it already has). */
  addEventListener(type: 'abort', listener: CancelListener, options?: { once?: boolean }): void;
  /** Removes a listener added with {@link CancelSignal.addEventListener}. */
  removeEventListener(type: 'abort', listener: CancelListener): void;
}

function call(listener: CancelListener): void {
  try {
    if (typeof listener === 'function') listener();
    else listener.handleEvent();
  } catch (err) {
    // As with an EventTarget: a throwing listener neither stops the others nor the caller of
    // abort(); the error surfaces as an uncaught exception.
    process.nextTick(() => {
      throw err;
    });
  }
}

/**
 * A cheap, single-use cancellation source: the signal and its `abort` in one object. Listeners run
 * once, in the order added, when {@link CancelSource.abort} is first called.
 *
 * @example
 * ```ts
 * const cancel = new CancelSource();
 * core.infer(request, { signal: cancel, protocol: 'grpc', allowDecoupled: false });
 * call.once('cancelled', () => cancel.abort(new InferenceError('CANCELLED', 'request cancelled by the client')));
 * ```
 */
export class CancelSource implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  /** The first listener (most requests have one or two), then the rest. */
  private first: CancelListener | undefined;
  private rest: CancelListener[] | undefined;
  private bridged: AbortController | undefined;

  addEventListener(_type: 'abort', listener: CancelListener): void {
    // As on an EventTarget: a listener already added is not added twice.
    if (this.aborted || this.first === listener || this.rest?.includes(listener) === true) return;
    if (this.first === undefined) this.first = listener;
    else (this.rest ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: CancelListener): void {
    if (this.first === listener) {
      this.first = this.rest?.shift();
      return;
    }
    const rest = this.rest;
    if (rest === undefined) return;
    const i = rest.indexOf(listener);
    if (i >= 0) rest.splice(i, 1);
  }

  /** Aborts with `reason` (idempotent) and runs the listeners. */
  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const first = this.first;
    const rest = this.rest;
    this.first = undefined;
    this.rest = undefined;
    if (first !== undefined) call(first);
    if (rest !== undefined) for (const l of rest) call(l);
  }

  /**
   * A real AbortSignal that follows this source, for APIs that need one (`events.once`,
   * third-party libraries). Made on first use, then the same one.
   */
  get abortSignal(): AbortSignal {
    if (this.bridged === undefined) {
      const controller = new AbortController();
      this.bridged = controller;
      if (this.aborted) controller.abort(this.reason);
      else this.addEventListener('abort', () => controller.abort(this.reason));
    }
    return this.bridged.signal;
  }
}

/**
 * `signal` as a real AbortSignal: itself when it is one, a {@link CancelSource}'s bridge, or a new
 * AbortSignal that follows any other CancelSignal.
 *
 * @example
 * ```ts
 * await llama.generate(prompt, { signal: toAbortSignal(request.signal) });
 * ```
 */
export function toAbortSignal(signal: CancelSignal): AbortSignal {
  if (signal instanceof AbortSignal) return signal;
  if (signal instanceof CancelSource) return signal.abortSignal;
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  return controller.signal;
}
