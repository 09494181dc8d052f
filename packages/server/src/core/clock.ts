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
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};
