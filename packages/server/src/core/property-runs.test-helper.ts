/**
 * Shared settings of the fast-check properties in the test suite (the untrusted decoders of issue
 * #12). The default run counts keep `npm test` quick; a longer campaign raises them all at once:
 *
 * ```sh
 * TENSORGATE_PROPERTY_RUNS_SCALE=200 node scripts/run-tests.mjs property
 * TENSORGATE_PROPERTY_SEED=1234 node scripts/run-tests.mjs property   # replay one seed
 * ```
 *
 * fast-check reports a failure with its seed and the shrunk counterexample.
 */
import assert from 'node:assert/strict';
import { InferenceError } from './errors.js';

/** fast-check options for a property whose default is `base` runs. */
export function propertyOptions(base: number): { numRuns: number; seed?: number } {
  const scale = Number(process.env['TENSORGATE_PROPERTY_RUNS_SCALE'] ?? '1');
  const numRuns = Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
  const seed = Number(process.env['TENSORGATE_PROPERTY_SEED']);
  return Number.isInteger(seed) ? { numRuns, seed } : { numRuns };
}

/**
 * Most one run of a property may take, in ms. Not a speed check: the inputs are a few KB and a
 * decode takes well under a millisecond; a run this slow is a hang or a blow-up (a declared length
 * taken at its word, a quadratic loop), which the property must report rather than sit in.
 */
export const RUN_TIME_LIMIT_MS = 2000;

/**
 * Runs one synchronous property body and fails it when it took longer than
 * {@link RUN_TIME_LIMIT_MS} (fast-check cannot interrupt synchronous code; a true infinite loop is
 * left to the test runner's timeout).
 */
export function withinTimeLimit<T>(run: () => T): T {
  const started = performance.now();
  const result = run();
  const ms = performance.now() - started;
  assert.ok(ms < RUN_TIME_LIMIT_MS, `one run took ${ms.toFixed(0)} ms`);
  return result;
}

/**
 * Runs `f` within {@link withinTimeLimit}: its value, or the InferenceError it threw (returned);
 * any other exception fails the property. What "any input gives a value or an InferenceError"
 * means for each untrusted decoder.
 */
export function valueOrInferenceError<T>(f: () => T): T | InferenceError {
  return withinTimeLimit(() => {
    try {
      return f();
    } catch (e) {
      if (e instanceof InferenceError) return e;
      throw e;
    }
  });
}
