/**
 * The cancellation scope of one gRPC call: a {@link CancelSource} aborted when the client cancels
 * (or disconnects) and when the call's deadline (`grpc-timeout`) passes. Its signal is what the
 * frontend hands the core in the RequestContext (`signal.abortSignal` where an API needs a real
 * AbortSignal).
 *
 * Written as a class with static listeners (the scope is stored on the call) so that opening a
 * scope on the ModelInfer hot path allocates no closures.
 */
import type { EventEmitter } from 'node:events';
import type { Deadline } from '@grpc/grpc-js';
import { CancelSource } from '../../core/cancel-signal.js';
import { InferenceError } from '../../core/errors.js';

/** The parts of a grpc-js server call a scope needs. */
export interface ScopedCall extends EventEmitter {
  getDeadline(): Deadline;
}

const SCOPE = Symbol('tensorgate.callScope');
type CallWithScope = ScopedCall & { [SCOPE]?: CallScope | undefined };

function onCancelled(this: CallWithScope): void {
  this[SCOPE]?.abort(new InferenceError('CANCELLED', 'request cancelled by the client'));
}

function onDeadline(scope: CallScope): void {
  scope.abort(new InferenceError('DEADLINE_EXCEEDED', 'deadline exceeded'));
}

/**
 * Opens a scope on a call; {@link CallScope.close} it when the call is done.
 *
 * @example
 * ```ts
 * const scope = new CallScope(call);
 * try { await run(scope.signal); } finally { scope.close(); }
 * ```
 */
export class CallScope {
  /** Aborted (with an InferenceError reason) on cancel or deadline. */
  readonly signal = new CancelSource();
  private readonly call: CallWithScope;
  private timer: NodeJS.Timeout | undefined;

  constructor(call: ScopedCall) {
    this.call = call;
    (call as CallWithScope)[SCOPE] = this;
    call.once('cancelled', onCancelled);
    const deadline = call.getDeadline();
    const at = deadline instanceof Date ? deadline.getTime() : deadline;
    if (Number.isFinite(at)) {
      this.timer = setTimeout(onDeadline, Math.max(0, at - Date.now()), this);
      this.timer.unref();
    }
  }

  /** Aborts the scope (idempotent). */
  abort(reason: InferenceError): void {
    this.signal.abort(reason);
  }

  /** Stops listening to the call; the signal stays as it is. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.call.removeListener('cancelled', onCancelled);
    this.call[SCOPE] = undefined;
  }
}
