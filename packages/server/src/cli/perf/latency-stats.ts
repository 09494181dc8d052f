/**
 * Latency statistics over one measurement: percentiles by the nearest-rank method on a sorted copy
 * (exact, no histogram approximation; a window holds at most a few hundred thousand samples).
 */

/** Summary of a set of latencies, in the unit they were recorded in (microseconds in perf). */
export interface LatencySummary {
  readonly count: number;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  /** The `--percentile` value when one was asked for, else absent. */
  readonly pN?: number;
}

/**
 * The nearest-rank percentile of already-sorted values: the smallest value with at least `p`% of
 * the values at or below it. `p` in (0, 100]; 0 values give NaN.
 *
 * @example
 * ```ts
 * percentileSorted(Float64Array.of(1, 2, 3, 4), 50); // 2
 * ```
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = Math.ceil((p / 100) * n);
  return sorted[Math.min(n, Math.max(1, rank)) - 1]!;
}

/**
 * Summarizes the first `count` values of `samples` (a growable sample buffer may be longer).
 *
 * @example
 * ```ts
 * summarize(Float64Array.of(5, 1, 3), 3).p50; // 3
 * ```
 */
export function summarize(samples: Float64Array, count = samples.length, percentile?: number): LatencySummary {
  const sorted = samples.slice(0, count).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i]!;
  const summary: LatencySummary = {
    count: sorted.length,
    avg: sorted.length ? sum / sorted.length : NaN,
    min: sorted.length ? sorted[0]! : NaN,
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    p50: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p95: percentileSorted(sorted, 95),
    p99: percentileSorted(sorted, 99),
  };
  return percentile === undefined ? summary : { ...summary, pN: percentileSorted(sorted, percentile) };
}

/**
 * A growable buffer of samples: one Float64Array doubled when full, so recording a latency
 * allocates nothing in the steady state.
 */
export class SampleBuffer {
  private buf: Float64Array;
  private n = 0;

  constructor(initial = 4096) {
    this.buf = new Float64Array(Math.max(16, initial));
  }

  /** Appends one value. */
  push(v: number): void {
    if (this.n === this.buf.length) {
      const bigger = new Float64Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.n++] = v;
  }

  /** Number of values pushed. */
  get length(): number {
    return this.n;
  }

  /** The values pushed so far (a view, valid until the next push). */
  values(): Float64Array {
    return this.buf.subarray(0, this.n);
  }

  /** Appends every value of another buffer. */
  append(other: SampleBuffer): void {
    for (const v of other.values()) this.push(v);
  }
}
