/**
 * The instances of a sequence-batched model as the sequence batcher sees them: one lane per
 * instance with its sequence slots, and the choice of a free slot for a new sequence.
 */
import type { ModelInstance } from '../../../backend-api/backend.js';
import type { Lane, SequenceRecord, SequenceSlot } from './sequence-record.js';

/**
 * One lane per instance with `slotsPerInstance` empty slots; `onChange(lane)` runs when the
 * instance's availability changes.
 *
 * @example
 * ```ts
 * const lanes = buildLanes(model.instances, 8, (lane) => availabilityChanged(lane));
 * ```
 */
export function buildLanes(
  instances: readonly ModelInstance[],
  slotsPerInstance: number,
  onChange: (lane: Lane) => void,
): Lane[] {
  return instances.map((instance) => {
    const lane: Lane = { instance, slots: [], busy: false, up: instance.unavailable?.() === undefined };
    for (let i = 0; i < slotsPerInstance; i++) lane.slots.push({ lane, index: i, record: undefined });
    instance.onAvailabilityChange?.(() => onChange(lane));
    return lane;
  });
}

/**
 * A free slot of an available instance for a new sequence: the lowest index first (a `direct`
 * batch spans slots 0 to the highest used one, so low slots mean fewer null requests), then the
 * instance holding the fewest sequences (spreads sequences over instances).
 *
 * @example
 * ```ts
 * const slot = lowestFreeSlot(lanes); // undefined: every slot is taken, the sequence waits
 * ```
 */
export function lowestFreeSlot(lanes: readonly Lane[]): SequenceSlot | undefined {
  let best: SequenceSlot | undefined;
  let bestLoad = Infinity;
  for (const lane of lanes) {
    if (!lane.up) continue;
    let load = 0;
    let first: SequenceSlot | undefined;
    for (const slot of lane.slots) {
      if (slot.record) load++;
      else first ??= slot;
    }
    if (first && (!best || first.index < best.index || (first.index === best.index && load < bestLoad))) {
      best = first;
      bestLoad = load;
    }
  }
  return best;
}

/**
 * Every sequence holding a slot of `lanes`.
 *
 * @example
 * ```ts
 * for (const record of slotted(lanes)) fail(record);
 * ```
 */
export function* slotted(lanes: readonly Lane[]): Generator<SequenceRecord> {
  for (const lane of lanes) for (const slot of lane.slots) if (slot.record) yield slot.record;
}
