/**
 * Time sources, injectable so timing logic (schedulers, statistics) can be tested without sleeping.
 */

/** A monotonic clock in nanoseconds plus timers. */
export interface Clock {
  /** Monotonic time in nanoseconds. */
  nowNs(): number;
  /** Wall-clock milliseconds since the epoch. */
  wallMs(): number;
  /** Schedules `fn` after `ms` milliseconds; returns a cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
}

/** The real clock. */
export const systemClock: Clock = {
  nowNs: () => Number(process.hrtime.bigint()),
  wallMs: () => Date.now(),
  setTimer: preciseTimer,
};

/** The longest delay setTimeout honours. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The real clock for background timers: connection timeouts and keepalive pings, execution
 * watchdogs, memory sampling and restart delays. Its timers are whole-millisecond `setTimeout`s
 * (they may fire a millisecond or two late, and skip {@link systemClock}'s fine-grained last
 * stretch, which only batching delays need) and are `unref()`ed, so a pending one never keeps the
 * process alive (a server shutting down exits as soon as its work is done, not when the last idle
 * timer would fire).
 *
 * @example
 * ```ts
 * const cancel = backgroundClock.setTimer(() => session.destroy(), 30_000);
 * ```
 */
export const backgroundClock: Clock = {
  nowNs: systemClock.nowNs,
  wallMs: systemClock.wallMs,
  setTimer(fn: () => void, ms: number): () => void {
    // setTimeout fires at once past 2^31-1 ms (~24.8 days); such a long limit means "not soon".
    const timer = setTimeout(fn, Math.min(Math.max(0, Math.ceil(ms)), MAX_TIMEOUT_MS));
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** The last stretch of a timer shorter than this (ms) is waited for with setImmediate checks. */
const FINE_MS = 1.5;

/**
 * A timer that honours fractional milliseconds. Node's setTimeout rounds up to whole milliseconds
 * and usually fires later still (measured here: a 0.2 ms dynamic-batching delay cost about 1.4 ms).
 * Timers a user sets in microseconds (`max_queue_delay_microseconds`) need better, so the last
 * stretch below {@link FINE_MS} is checked once per event-loop turn (setImmediate) against the
 * monotonic clock. This keeps the loop turning for at most that long; other I/O is served between
 * the checks.
 */
function preciseTimer(fn: () => void, ms: number): () => void {
  const deadline = performance.now() + ms;
  let cancelled = false;
  let timeout: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const check = (): void => {
    timeout = undefined;
    immediate = undefined;
    if (cancelled) return;
    const left = deadline - performance.now();
    if (left <= 0) fn();
    else if (left > FINE_MS) timeout = setTimeout(check, Math.floor(left - 1));
    else immediate = setImmediate(check);
  };
  // Never fire synchronously: callers set timers from code that is not ready to be re-entered.
  if (ms > FINE_MS) timeout = setTimeout(check, Math.floor(ms - 1));
  else immediate = setImmediate(check);
  return () => {
    cancelled = true;
    if (timeout) clearTimeout(timeout);
    if (immediate) clearImmediate(immediate);
  };
}
