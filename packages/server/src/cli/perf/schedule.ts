/**
 * Arrival schedules for request-rate mode (open loop): the gaps between request send times, for a
 * constant rate or Poisson arrivals (exponentially distributed gaps), from a seeded RNG so a run
 * (and a test) can be reproduced exactly.
 */

/** How requests are spaced in request-rate mode (perf_analyzer's `--request-distribution`). */
export type RequestDistribution = 'constant' | 'poisson';

/**
 * A small seeded PRNG (mulberry32): uniform floats in [0, 1). Hand-written because Math.random
 * cannot be seeded and a 10-line generator is enough for load shaping (not for cryptography).
 *
 * @example
 * ```ts
 * const rnd = seededRandom(42); rnd(); // always the same first value for seed 42
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Returns a function giving the next gap, in milliseconds, between two sends at `ratePerSec`.
 * Constant: always 1000 / rate. Poisson: -ln(1 - U) × 1000 / rate with U uniform in [0, 1), whose
 * mean is 1000 / rate.
 *
 * @example
 * ```ts
 * const gap = intervalGenerator(100, 'poisson', 7);
 * let t = 0; for (let i = 0; i < 1000; i++) t += gap(); // ≈ 10 000 ms
 * ```
 */
export function intervalGenerator(ratePerSec: number, distribution: RequestDistribution, seed = 1): () => number {
  if (!(ratePerSec > 0)) throw new Error(`request rate must be above 0, got ${ratePerSec}`);
  const mean = 1000 / ratePerSec;
  if (distribution === 'constant') return () => mean;
  const rnd = seededRandom(seed);
  return () => -Math.log(1 - rnd()) * mean;
}

/**
 * The first `count` send times (ms from the start) of a schedule: the cumulative sum of the gaps,
 * the first request at 0.
 */
export function sendTimes(
  ratePerSec: number,
  distribution: RequestDistribution,
  count: number,
  seed = 1,
): Float64Array {
  const gap = intervalGenerator(ratePerSec, distribution, seed);
  const out = new Float64Array(count);
  let t = 0;
  for (let i = 0; i < count; i++) {
    out[i] = t;
    t += gap();
  }
  return out;
}
