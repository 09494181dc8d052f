/**
 * The queue rules of the dynamic batcher, resolved once from the model config: which priority
 * level a request lands on, and the policy (timeout, timeout action, size limit) of each level.
 *
 * Triton's rules, checked against its core (`InferenceRequest::SetPriority`, `PolicyQueue`):
 * - `priority` 0, or above `priority_levels`, means `default_priority_level`; 1 is the highest.
 * - With `priority_levels` 0 there is a single queue under `default_queue_policy`.
 * - A level without an entry in `priority_queue_policy` uses `default_queue_policy`, and a missing
 *   `default_queue_policy` is a policy with every field at its default (no timeout, no limit).
 * - A request's `timeout` replaces the level's default timeout only when the policy allows
 *   overrides and the request's value is non-zero and smaller than the default. A default of 0
 *   means no timeout, and then the request's value is ignored, as in Triton.
 */
import type { DynamicBatchingConfig, ModelQueuePolicy } from '../config/model-config.js';

/** The policy of one priority level, in the batcher's units. */
export interface LevelPolicy {
  /** What happens to a request whose queue timeout expires. */
  readonly timeoutAction: 'REJECT' | 'DELAY';
  /** Default queue timeout, microseconds; 0 = none. */
  readonly defaultTimeoutUs: number;
  /** Whether a request's `timeout` parameter may shorten the default. */
  readonly allowTimeoutOverride: boolean;
  /** Most requests queued at this level (delayed ones included); 0 = unlimited. */
  readonly maxQueueSize: number;
}

const DEFAULT_POLICY: LevelPolicy = Object.freeze({
  timeoutAction: 'REJECT',
  defaultTimeoutUs: 0,
  allowTimeoutOverride: false,
  maxQueueSize: 0,
});

function toLevelPolicy(p: ModelQueuePolicy | undefined): LevelPolicy {
  if (!p) return DEFAULT_POLICY;
  return {
    timeoutAction: p.timeout_action === 'DELAY' ? 'DELAY' : 'REJECT',
    defaultTimeoutUs: p.default_timeout_microseconds,
    allowTimeoutOverride: p.allow_timeout_override,
    maxQueueSize: p.max_queue_size,
  };
}

/**
 * The resolved queue rules of one model.
 *
 * @example
 * ```ts
 * const rules = new QueuePolicies(config.dynamic_batching!);
 * const level = rules.levelOf(job.priority); // 0-based queue index, 0 = highest priority
 * const timeoutUs = rules.timeoutUs(level, job.timeoutUs);
 * ```
 */
export class QueuePolicies {
  /** Number of queues: `priority_levels`, or 1 when priorities are off. */
  readonly levelCount: number;
  private readonly defaultLevel: number;
  private readonly prioritiesOn: boolean;
  private readonly policies: readonly LevelPolicy[];

  constructor(db: DynamicBatchingConfig) {
    const levels = db.priority_levels;
    this.levelCount = Math.max(1, levels);
    this.prioritiesOn = levels > 0;
    // Config validation guarantees default_priority_level is in [1, levels] when levels > 0.
    this.defaultLevel = levels > 0 ? Math.min(Math.max(db.default_priority_level, 1), levels) - 1 : 0;
    const fallback = toLevelPolicy(db.default_queue_policy);
    const policies: LevelPolicy[] = [];
    for (let i = 0; i < this.levelCount; i++) {
      const own = levels > 0 ? db.priority_queue_policy[String(i + 1)] : undefined;
      policies.push(own ? toLevelPolicy(own) : fallback);
    }
    this.policies = policies;
  }

  /** True when some level can time requests out (the batcher then keeps a deadline per request). */
  get anyTimeouts(): boolean {
    return this.policies.some((p) => p.defaultTimeoutUs > 0);
  }

  /** The 0-based queue index of a request with the given `priority` parameter. */
  levelOf(priority: number): number {
    if (this.levelCount === 1) return 0;
    return priority >= 1 && priority <= this.levelCount ? priority - 1 : this.defaultLevel;
  }

  /** The policy of a 0-based level. */
  policy(level: number): LevelPolicy {
    return this.policies[level] ?? DEFAULT_POLICY;
  }

  /** The queue timeout of a request at `level` that asked for `requestedUs` (0 = none asked); 0 = none. */
  timeoutUs(level: number, requestedUs: number): number {
    const p = this.policy(level);
    if (p.allowTimeoutOverride && requestedUs > 0 && requestedUs < p.defaultTimeoutUs) return requestedUs;
    return p.defaultTimeoutUs;
  }

  /** The level as users write it: 1-based when priorities are on, otherwise undefined. */
  label(level: number): number | undefined {
    return this.prioritiesOn ? level + 1 : undefined;
  }
}
