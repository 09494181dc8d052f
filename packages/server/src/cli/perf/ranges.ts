/**
 * The load levels a perf run steps through, from perf_analyzer-style ranges:
 * `--concurrency-range start[:end[:step]]` (whole numbers; step may be `Nx` to multiply, e.g.
 * `1:64:2x` gives 1, 2, 4, … 64) and `--request-rate-range start[:end[:step]]` (requests per
 * second, decimals allowed).
 */

/** A bad range argument. */
export class LevelRangeError extends Error {
  override readonly name = 'LevelRangeError';
}

const MAX_LEVELS = 1000;

/**
 * Expands a concurrency range into its levels. `end` defaults to `start` (one level) and `step`
 * to 1; `end` is included when the steps land on it.
 *
 * @example
 * ```ts
 * parseConcurrencyRange('1:64:2x'); // [1, 2, 4, 8, 16, 32, 64]
 * parseConcurrencyRange('2:8:3');   // [2, 5, 8]
 * ```
 */
export function parseConcurrencyRange(text: string): number[] {
  const { start, end, step, multiply } = parseParts(text, true);
  if (start < 1) throw new LevelRangeError(`--concurrency-range ${text}: start must be at least 1`);
  return expand(text, start, end, step, multiply);
}

/**
 * Expands a request-rate range (requests per second).
 *
 * @example
 * ```ts
 * parseRequestRateRange('50:200:50'); // [50, 100, 150, 200]
 * ```
 */
export function parseRequestRateRange(text: string): number[] {
  const { start, end, step, multiply } = parseParts(text, false);
  if (!(start > 0)) throw new LevelRangeError(`--request-rate-range ${text}: start must be above 0`);
  return expand(text, start, end, step, multiply);
}

function parseParts(text: string, integers: boolean): { start: number; end: number; step: number; multiply: boolean } {
  const flag = integers ? '--concurrency-range' : '--request-rate-range';
  const parts = text.split(':').map((p) => p.trim());
  if (parts.length > 3 || parts[0] === '') throw new LevelRangeError(`${flag} ${text}: expected start[:end[:step]]`);
  const num = (p: string, what: string): number => {
    const n = Number(p);
    if (p === '' || !Number.isFinite(n) || n < 0 || (integers && !Number.isInteger(n))) {
      throw new LevelRangeError(
        `${flag} ${text}: ${what} ${JSON.stringify(p)} is not a ${integers ? 'whole ' : ''}number`,
      );
    }
    return n;
  };
  const start = num(parts[0]!, 'start');
  const end = parts[1] === undefined || parts[1] === '' ? start : num(parts[1], 'end');
  let stepText = parts[2] ?? '1';
  const multiply = /x$/i.test(stepText);
  if (multiply) stepText = stepText.slice(0, -1);
  const step = Number(stepText);
  if (stepText === '' || !Number.isFinite(step) || (multiply ? step <= 1 : step <= 0)) {
    throw new LevelRangeError(`${flag} ${text}: step must be ${multiply ? 'a factor above 1 (e.g. 2x)' : 'above 0'}`);
  }
  if (integers && !multiply && !Number.isInteger(step))
    throw new LevelRangeError(`${flag} ${text}: step must be whole`);
  if (end < start) throw new LevelRangeError(`${flag} ${text}: end is below start`);
  return { start, end, step, multiply };
}

function expand(text: string, start: number, end: number, step: number, multiply: boolean): number[] {
  const out: number[] = [];
  // Small epsilon so decimal steps (0.1 + 0.2 …) still reach an `end` they land on.
  const eps = 1e-9 * Math.max(1, end);
  for (let v = start; v <= end + eps; v = multiply ? v * step : v + step) {
    out.push(roundLevel(v));
    if (out.length > MAX_LEVELS) throw new LevelRangeError(`range ${text} has more than ${MAX_LEVELS} levels`);
  }
  return out;
}

function roundLevel(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
