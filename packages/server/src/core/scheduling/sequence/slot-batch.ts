/**
 * The batching decisions of the sequence batcher for one idle instance, as pure functions of its
 * slots and the time (so each rule is tested on its own). At most one request per sequence goes in
 * a batch: the front of its queue, so a sequence's requests execute in arrival order.
 *
 * - `direct` (Triton's DirectSequenceBatch): the batch spans slots 0 to the highest slot holding a
 *   request; a slot without one (or whose request cannot share the batch's shapes) gets a null
 *   request (READY false). With `max_queue_delay_microseconds` and `minimum_slot_utilization` both
 *   set, the batch waits until that share of the slots holds a request or the oldest has waited
 *   the delay; otherwise it goes at once.
 * - `oldest` (Triton's OldestSequenceBatch): the fronts of the instance's sequences, oldest first,
 *   batched by the dynamic batcher's rules (preferred sizes, `max_queue_delay_microseconds`,
 *   `max_batch_size`; see batch-former.ts). No null requests.
 */
import { formBatch, type BatchRules } from '../batch-former.js';
import type { Lane, PendingRequest } from './sequence-record.js';
import type { SequenceSettings } from './sequence-settings.js';

/** Send these requests now (direct: one entry per slot from 0, undefined = null request), or wait. */
export type LaneDecision =
  { readonly slots: readonly (PendingRequest | undefined)[] } | { readonly waitUntilNs: number };

/**
 * The next `direct` batch of `lane`, or when to look again; undefined when no slot has a request.
 *
 * @example
 * ```ts
 * const d = directBatch(lane, settings, clock.nowNs());
 * ```
 */
export function directBatch(lane: Lane, settings: SequenceSettings, nowNs: number): LaneDecision | undefined {
  const slots = lane.slots;
  let last = -1;
  let ready = 0;
  let earliestNs = Infinity;
  let representative: PendingRequest | undefined;
  for (let i = 0; i < slots.length; i++) {
    const front = slots[i]!.record?.queue[0];
    if (!front) continue;
    last = i;
    ready++;
    if (front.enqueuedNs < earliestNs) earliestNs = front.enqueuedNs;
    representative ??= front;
  }
  if (!representative) return undefined;
  const delayNs = settings.directDelayNs;
  const minShare = settings.minSlotUtilization;
  if (delayNs > 0 && minShare > 0 && nowNs - earliestNs < delayNs && ready / settings.maxBatch < minShare) {
    return { waitUntilNs: earliestNs + delayNs };
  }
  const out: (PendingRequest | undefined)[] = [];
  for (let i = 0; i <= last; i++) {
    const front = slots[i]!.record?.queue[0];
    out.push(front && front.signature === representative.signature ? front : undefined);
  }
  return { slots: out };
}

/**
 * The next `oldest` batch of `lane`, or when to look again; undefined when nothing waits.
 *
 * @example
 * ```ts
 * const d = oldestBatch(lane, rules, clock.nowNs());
 * ```
 */
export function oldestBatch(lane: Lane, rules: BatchRules, nowNs: number): LaneDecision | undefined {
  const fronts: PendingRequest[] = [];
  for (const slot of lane.slots) {
    const front = slot.record?.queue[0];
    if (front) fronts.push(front);
  }
  if (fronts.length === 0) return undefined;
  fronts.sort((a, b) => a.enqueuedNs - b.enqueuedNs);
  if (fronts.length > rules.maxBatchSize + 1) fronts.length = rules.maxBatchSize + 1;
  const d = formBatch(fronts, rules, nowNs);
  if (d.count > 0) return { slots: fronts.slice(0, d.count) };
  return d.waitUntilNs === undefined ? undefined : { waitUntilNs: d.waitUntilNs };
}
