/**
 * Retries with capped exponential backoff and full jitter, for retryable failures only.
 *
 * Written by hand (rather than with a retry library) because it is ~60 lines, must stay
 * dependency-free for browsers, and has to honour the call's AbortSignal and overall deadline.
 */
import { InferenceServerError, type ErrorCode } from './errors.js';

/** How a client retries failed calls. Retries are off unless `maxAttempts` is above 1. */
export interface RetryOptions {
  /** Total attempts including the first; 1 (the default) disables retries. */
  readonly maxAttempts?: number;
  /** Delay cap before the first retry, in milliseconds (default 50). */
  readonly initialDelayMs?: number;
  /** Upper bound of any single delay, in milliseconds (default 2000). */
  readonly maxDelayMs?: number;
  /** Growth factor of the delay cap per attempt (default 2). */
  readonly multiplier?: number;
  /**
   * Codes that are retried (default UNAVAILABLE, which includes a lost or refused connection and
   * HTTP 502/503, and RESOURCE_EXHAUSTED, i.e. gRPC 8 or HTTP 429). Errors of any other code,
   * e.g. INVALID_ARG or DEADLINE_EXCEEDED, are returned at once.
   */
  readonly retryOn?: readonly ErrorCode[];
  /**
   * Extra retries, on top of `maxAttempts` and whatever `retryOn` says, of failures that provably
   * never reached a server ({@link InferenceServerError.notDelivered}: connection refused, stream
   * refused at a GOAWAY), as gRPC's transparent retries (default 2; 0 turns them off). They make a
   * replica that is down, or a connection closed by `--grpc-max-connection-age`, cost no failed
   * call even with retries off.
   */
  readonly transparentRetries?: number;
}

/** {@link RetryOptions} with every field set. */
export type RetryPolicy = Required<RetryOptions>;

/**
 * The default policy: one attempt (no retries), plus up to 2 transparent retries of undelivered
 * failures; the other fields apply once maxAttempts > 1.
 */
export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 1,
  initialDelayMs: 50,
  maxDelayMs: 2000,
  multiplier: 2,
  retryOn: ['UNAVAILABLE', 'RESOURCE_EXHAUSTED'],
  transparentRetries: 2,
};

/** Fills in defaults; `undefined` gives {@link DEFAULT_RETRY}. */
export function retryPolicy(options: RetryOptions | undefined): RetryPolicy {
  return { ...DEFAULT_RETRY, ...options };
}

/**
 * Delay before retry number `retry` (1 = the first retry): a uniformly random value in
 * [0, min(maxDelayMs, initialDelayMs × multiplier^(retry-1))] ("full jitter", which spreads the
 * retries of many clients that failed together). A server `Retry-After` hint raises the delay to
 * at least that hint, still capped by maxDelayMs.
 *
 * @param random - source of [0, 1) values, injectable for tests.
 * @example
 * ```ts
 * backoffDelay(3, DEFAULT_RETRY, () => 0.5) // 0.5 × min(2000, 50 × 4) = 100
 * ```
 */
export function backoffDelay(
  retry: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
  retryAfterMs?: number,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (retry - 1));
  const jittered = random() * cap;
  return retryAfterMs === undefined ? jittered : Math.min(policy.maxDelayMs, Math.max(jittered, retryAfterMs));
}

/** Hooks for tests: a random source, a sleep function and a clock (ms since epoch). */
export interface RetryRuntime {
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  readonly now?: () => number;
}

/** What the retry loop must know about the call it repeats. */
export interface RetryContext {
  /**
   * Whether running the call twice is harmless (default true). Every call of the clients is,
   * except an inference that belongs to a sequence (`sequenceId`): the server keeps the
   * sequence's state, so such a call is repeated only when its failure proves that the request
   * never reached the server ({@link InferenceServerError.notDelivered}).
   */
  readonly idempotent?: boolean;
  /** The call's absolute deadline (ms since epoch): no retry starts whose wait would end past it. */
  readonly deadline?: number | undefined;
  /**
   * gRPC's wait-for-ready semantics: failures that never reached a server (no connection) are
   * retried until the deadline or an abort, without counting against `maxAttempts`.
   */
  readonly waitForReady?: boolean | undefined;
}

/**
 * Whether `e` may be retried under `policy`: its code is one the policy retries, and the call is
 * safe to repeat (idempotent, or the request was certainly not delivered).
 */
export function isRetryable(e: unknown, policy: RetryPolicy, idempotent = true): e is InferenceServerError {
  if (!(e instanceof InferenceServerError) || !policy.retryOn.includes(e.code)) return false;
  return idempotent || e.notDelivered;
}

/** Sleeps `ms`, rejecting early (with the signal's reason) when `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, fails in a way that may not be retried ({@link isRetryable}),
 * the attempts run out, the next wait would pass the deadline, or `signal` aborts. The last error
 * is thrown. Undelivered failures are first retried `transparentRetries` times without counting
 * against `maxAttempts`; with `context.waitForReady`, without limit (until the deadline).
 *
 * @example
 * ```ts
 * const res = await withRetries(() => send(), retryPolicy({ maxAttempts: 3 }), signal);
 * ```
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  runtime: RetryRuntime = {},
  context: RetryContext = {},
): Promise<T> {
  const sleep = runtime.sleep ?? abortableSleep;
  const now = runtime.now ?? Date.now;
  const waitForReady = context.waitForReady === true;
  let counted = 0;
  let transparentLeft = policy.transparentRetries;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (signal?.aborted) throw e;
      const undelivered = e instanceof InferenceServerError && e.notDelivered && e.code === 'UNAVAILABLE';
      if (undelivered && !waitForReady && transparentLeft > 0) {
        transparentLeft -= 1;
      } else if (!(undelivered && waitForReady)) {
        counted += 1;
        if (!isRetryable(e, policy, context.idempotent ?? true) || counted >= policy.maxAttempts) throw e;
      }
      const delay = backoffDelay(n, policy, runtime.random, (e as InferenceServerError).retryAfterMs);
      // A wait that would end past the deadline cannot lead to a success: fail now, with the real cause.
      if (context.deadline !== undefined && now() + delay >= context.deadline) throw e;
      // Aborted while waiting: the abort's reason (a deadline or a cancellation) is what is thrown.
      await sleep(delay, signal);
    }
  }
}
