/**
 * One AbortSignal per client call that combines the caller's `signal` and `timeoutMs`, and whose
 * abort reason is already the {@link InferenceServerError} the call should fail with
 * (DEADLINE_EXCEEDED for the timeout, CANCELLED for the caller's signal). Both transports use it,
 * so a timeout or an abort reads the same whichever protocol was used.
 */
import { InferenceServerError, type Transport } from './errors.js';

// gRPC status codes (from the gRPC spec; this module must not import grpc-js).
const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;

/** A call's combined signal and the cleanup to run when the call settles. */
export interface CallSignal {
  /** Undefined when the call has neither a timeout nor a caller signal. */
  readonly signal: AbortSignal | undefined;
  /** Absolute deadline (ms since epoch) of the call, when it has a timeout. */
  readonly deadline: number | undefined;
  /** Clears the timer and listeners. */
  dispose(): void;
}

/**
 * Builds the call signal.
 *
 * @example
 * ```ts
 * const call = callSignal(1000, options.signal, 'http', 'req-1');
 * try { await fetch(url, { signal: call.signal }); } finally { call.dispose(); }
 * ```
 */
export function callSignal(
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
  transport: Transport,
  requestId = '',
): CallSignal {
  if (timeoutMs === undefined && signal === undefined) {
    return { signal: undefined, deadline: undefined, dispose: () => undefined };
  }
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onAbort = (): void => controller.abort(cancelledError(signal?.reason, transport, requestId));
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  if (timeoutMs !== undefined && !controller.signal.aborted) {
    timer = setTimeout(
      () =>
        controller.abort(
          new InferenceServerError(`Deadline Exceeded: the call did not complete within ${timeoutMs} ms`, {
            code: 'DEADLINE_EXCEEDED',
            status: transport === 'grpc' ? GRPC_DEADLINE_EXCEEDED : undefined,
            transport,
            requestId,
          }),
        ),
      timeoutMs,
    );
  }
  return {
    signal: controller.signal,
    deadline: timeoutMs === undefined ? undefined : Date.now() + timeoutMs,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** The error of a call whose caller aborted it. */
export function cancelledError(reason: unknown, transport: Transport, requestId = ''): InferenceServerError {
  if (reason instanceof InferenceServerError) return reason;
  const why = reason instanceof Error ? `: ${reason.message}` : '';
  return new InferenceServerError(`Cancelled: the call was aborted${why}`, {
    code: 'CANCELLED',
    status: transport === 'grpc' ? GRPC_CANCELLED : undefined,
    transport,
    requestId,
    cause: reason,
  });
}
