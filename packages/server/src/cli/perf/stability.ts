/**
 * perf_analyzer's stability rule: a load level's measurement is stable when the last three
 * windows agree on both throughput and latency within `--stability-percentage`, meaning the
 * largest of the three is at most (100 + pct)% of the smallest. Latency is the average, or the
 * `--percentile` value when one is given. A window with no completed request is never stable.
 */

/** The two numbers of one window the rule compares. */
export interface WindowFigures {
  /** Completed requests per second in the window. */
  readonly throughput: number;
  /** Average (or `--percentile`) latency in the window. */
  readonly latency: number;
}

/** Number of trailing windows compared, as in perf_analyzer. */
export const STABILITY_WINDOWS = 3;

/**
 * True when the last {@link STABILITY_WINDOWS} windows are within `percentage` of each other.
 *
 * @example
 * ```ts
 * isStable([{ throughput: 100, latency: 10 }, { throughput: 104, latency: 10.5 }, { throughput: 98, latency: 10 }], 10); // true
 * ```
 */
export function isStable(windows: readonly WindowFigures[], percentage: number, count = STABILITY_WINDOWS): boolean {
  if (windows.length < count) return false;
  const last = windows.slice(-count);
  return (
    withinBand(
      last.map((w) => w.throughput),
      percentage,
    ) &&
    withinBand(
      last.map((w) => w.latency),
      percentage,
    )
  );
}

/** max / min ≤ 1 + pct/100, with every value a positive finite number. */
export function withinBand(values: readonly number[], percentage: number): boolean {
  if (values.some((v) => !Number.isFinite(v) || v <= 0)) return false;
  const max = Math.max(...values);
  const min = Math.min(...values);
  return max / min <= 1 + percentage / 100 + 1e-12;
}
