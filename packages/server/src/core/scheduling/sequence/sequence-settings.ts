/**
 * The sequence batcher's reading of a model config (`sequence_batching`, already normalized and
 * validated by core/config): the strategy and its knobs, the idle limit, the control inputs and
 * how many sequence slots each instance has. Computed once per loaded version.
 */
import type { ModelConfig } from '../../config/model-config.js';
import { controlSpecs, type ControlSpecs } from './control-tensors.js';

/** Default bound on sequences waiting for a slot, per model version (`--max-sequence-backlog`). */
export const DEFAULT_SEQUENCE_BACKLOG = 1024;

/** What the sequence scheduler needs of the config. */
export interface SequenceSettings {
  /** Model name, for messages. */
  readonly name: string;
  /** True when the model batches (control tensors then have shape [1, 1], else [1]). */
  readonly batching: boolean;
  /** `max(1, max_batch_size)`: the most requests in one execution. */
  readonly maxBatch: number;
  readonly strategy: 'direct' | 'oldest';
  /** Sequence slots per instance: `max(1, max_batch_size)` for direct, `max_candidate_sequences` for oldest. */
  readonly slotsPerInstance: number;
  /** `max_sequence_idle_microseconds` in ns. */
  readonly idleNs: number;
  /** direct: `max_queue_delay_microseconds` in ns (only with a `minimum_slot_utilization`). */
  readonly directDelayNs: number;
  /** direct: `minimum_slot_utilization` (0: execute as soon as one slot has a request). */
  readonly minSlotUtilization: number;
  /** oldest: `preferred_batch_size`. */
  readonly preferredBatchSizes: readonly number[];
  /** oldest: `max_queue_delay_microseconds`. */
  readonly oldestDelayUs: number;
  /** The control inputs the server adds to every request. */
  readonly controls: ControlSpecs;
  /** Sequences that may wait for a slot at once; one more is refused with RESOURCE_EXHAUSTED. */
  readonly backlogLimit: number;
}

type Obj = Record<string, unknown>;
const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : 0);

/**
 * Reads `config.sequence_batching` (which must be present).
 *
 * @example
 * ```ts
 * const settings = sequenceSettings(config, 1024);
 * settings.strategy; // 'direct' unless the config has an `oldest { }` block
 * ```
 */
export function sequenceSettings(config: ModelConfig, backlogLimit = DEFAULT_SEQUENCE_BACKLOG): SequenceSettings {
  const sb = (config.sequence_batching ?? {}) as Obj;
  const maxBatch = Math.max(1, config.max_batch_size);
  const oldest = sb['oldest'] as Obj | undefined;
  const direct = (sb['direct'] as Obj | undefined) ?? {};
  // As Triton's normalization: max_candidate_sequences 0 means max(1, max_batch_size).
  const candidates = oldest ? num(oldest['max_candidate_sequences']) : 0;
  return {
    name: config.name,
    batching: config.max_batch_size > 0,
    maxBatch,
    strategy: oldest ? 'oldest' : 'direct',
    slotsPerInstance: oldest && candidates > 0 ? candidates : maxBatch,
    idleNs: num(sb['max_sequence_idle_microseconds']) * 1000,
    directDelayNs: num(direct['max_queue_delay_microseconds']) * 1000,
    minSlotUtilization: num(direct['minimum_slot_utilization']),
    preferredBatchSizes: ((oldest?.['preferred_batch_size'] as unknown[] | undefined) ?? []).map(num),
    oldestDelayUs: oldest ? num(oldest['max_queue_delay_microseconds']) : 0,
    controls: controlSpecs(sb['control_input']),
    backlogLimit,
  };
}
