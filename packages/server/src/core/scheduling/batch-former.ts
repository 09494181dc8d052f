/**
 * The batching decision of the dynamic batcher, as a pure function of the queue head, the rules
 * and the time, so each rule can be tested on its own. Our own code, following Triton's documented
 * behaviour (docs/user_guide/batcher.md) and its `DynamicBatchScheduler::GetDynamicBatch`:
 *
 * - Requests join in queue order (priority, then arrival). Each counts with its own batch size.
 * - The batch closes before a request that would push it past `max_batch_size`, and before the
 *   first request that cannot share it (different signature); that request starts the next batch.
 * - If a preferred size can be formed, the batch of the largest such size goes at once. When the
 *   queue holds more than the largest preferred size, the longest prefix that fits in it goes at
 *   once too (it cannot grow into a preferred size by waiting).
 * - Otherwise, with `max_queue_delay_microseconds` > 0, the batcher waits for more requests until
 *   the oldest request of the batch has waited that long, then sends what it has; with 0 it sends
 *   what is queued at once.
 */

/** What the former needs to know of a queued request. */
export interface BatchCandidate {
  /** Leading batch dimension, at least 1. */
  readonly batchSize: number;
  /** Requests batch together only when equal. */
  readonly signature: string;
  /** When it entered the queue (clock ns). */
  readonly enqueuedNs: number;
}

/** The batching settings of a model. */
export interface BatchRules {
  readonly maxBatchSize: number;
  /** Preferred batch sizes (never empty: Triton's normalization puts max_batch_size there). */
  readonly preferred: ReadonlySet<number>;
  /** The largest preferred size. */
  readonly maxPreferred: number;
  /** `max_queue_delay_microseconds` in ns; 0 = send at once. */
  readonly delayNs: number;
}

/** Send the first `count` candidates now, or (count 0) wait until `waitUntilNs`. */
export type BatchDecision = { readonly count: number; readonly waitUntilNs?: undefined } | WaitDecision;

/** Nothing to send before `waitUntilNs` unless more requests arrive. */
export interface WaitDecision {
  readonly count: 0;
  readonly waitUntilNs: number;
}

/**
 * Builds the rules from config values.
 *
 * @example
 * ```ts
 * const rules = batchRules(8, [4, 8], 100); // max 8, preferred 4 and 8, 100 µs delay
 * ```
 */
export function batchRules(maxBatchSize: number, preferred: readonly number[], delayUs: number): BatchRules {
  const sizes = preferred.filter((s) => s > 0 && s <= maxBatchSize);
  if (sizes.length === 0) sizes.push(maxBatchSize);
  return {
    maxBatchSize,
    preferred: new Set(sizes),
    maxPreferred: Math.max(...sizes),
    delayNs: delayUs * 1000,
  };
}

const NOTHING: BatchDecision = Object.freeze({ count: 0 });

/**
 * Decides the next batch from the head of the queue. `candidates` are the first live queued
 * requests in batching order; `maxBatchSize + 1` of them are always enough to decide.
 *
 * @example
 * ```ts
 * const d = formBatch(queueHead, rules, clock.nowNs());
 * if (d.count > 0) dispatch(d.count); else if (d.waitUntilNs !== undefined) armTimer(d.waitUntilNs);
 * ```
 */
export function formBatch(candidates: readonly BatchCandidate[], rules: BatchRules, nowNs: number): BatchDecision {
  const first = candidates[0];
  if (!first) return NOTHING;
  let size = 0;
  let count = 0;
  /** Count of the best batch found: a preferred size, or the most that fits the largest one. */
  let best = 0;
  /** The batch cannot grow: the next request does not fit or cannot share it. */
  let full = false;
  let oldestNs = Infinity;
  for (const c of candidates) {
    const bs = Math.max(1, c.batchSize);
    if (count > 0) {
      if (best === 0 && size + bs > rules.maxPreferred) best = count;
      if (size + bs > rules.maxBatchSize || c.signature !== first.signature) {
        full = true;
        break;
      }
    }
    count++;
    size += bs;
    if (c.enqueuedNs < oldestNs) oldestNs = c.enqueuedNs;
    if (rules.preferred.has(size)) best = count;
  }
  const delayNs = rules.delayNs;
  const delayOver = delayNs > 0 && nowNs - oldestNs >= delayNs;
  // A preferred batch goes at once; once the delay is over, the largest batch goes instead.
  if (best > 0 && !delayOver) return { count: best };
  if (full || size >= rules.maxPreferred || delayNs === 0 || delayOver) return { count };
  return { count: 0, waitUntilNs: oldestNs + delayNs };
}
