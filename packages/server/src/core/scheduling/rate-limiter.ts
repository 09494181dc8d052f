/**
 * Triton's rate limiter (`--rate-limit execution_count`; docs/rate-limiter.md), one per server,
 * shared by every model version. Following Triton's `core/src/rate_limiter.cc`:
 *
 * - A model instance executes only while it holds every resource its `instance_group` lists in
 *   `rate_limiter { resources [...] }`; it takes them when its execution is allowed to start and
 *   gives them back when the execution is over (success, failure, crash).
 * - A scheduler with work stages one of its idle instances (the one with the lowest
 *   executions × priority). Staged instances of every model wait in one order: lowest
 *   executions × priority first (Triton's ScaledPriority; priority 0 counts as 1), so an instance
 *   of priority 2 gets half the chances of one of priority 1; equal values go in staging order.
 * - Only the first staged instance may take its resources: when they are not free, every other
 *   staged instance waits too, even one whose resources are free. That is Triton's rule and what
 *   keeps an instance that needs many resources from starving behind small ones.
 *   (Triton tries one allocation per release; this limiter keeps allocating while the first staged
 *   instance fits, so two instances freed by one release both start at once.)
 *
 * Per-device resources are counted per device id: every CPU instance is on device 0, as in
 * Triton; a KIND_GPU instance on its GPU id (see `rate-limit-instances.ts`).
 */
import type { ModelInstance } from '../../backend-api/backend.js';
import { InferenceError } from '../errors.js';
import type { ExecutionGate } from './execution-gate.js';
import { needsOf, ResourcePool, type ResourceLimit, type ResourceNeed } from './rate-limit-resources.js';

/** One instance as the limiter sees it. */
export interface LimitedInstance {
  readonly instance: ModelInstance;
  /** Device id its per-device resources are counted on (0 for CPU instances, as in Triton). */
  readonly device: number;
  /** Resources it needs for each execution. */
  readonly resources: readonly ResourceNeed[];
  /** Config `rate_limiter.priority` (0 counts as 1); higher values get fewer chances. */
  readonly priority: number;
}

/** A registered model version: its gate for the scheduler, and how to leave the limiter. */
export interface RegisteredVersion extends ExecutionGate {
  /** Removes the version's instances (withdrawing their requests); their resource needs go too. */
  unregister(): void;
}

/** The limiter's state of one instance (Triton's ModelInstanceContext). */
class InstanceState {
  executions = 0;
  /** Set while staged. */
  onGrant: (() => void) | undefined;
  stagedSeq = 0;
  /** Executions holding resources now (more than 1 for an instance that takes work early). */
  holding = 0;
  removed = false;

  constructor(
    readonly instance: ModelInstance,
    readonly weight: number,
  ) {}

  /** Triton's ScaledPriority. */
  scaled(): number {
    return this.executions * this.weight;
  }
}

/**
 * @example
 * ```ts
 * const limiter = new RateLimiter([{ name: 'R1', count: 1, device: -1 }]);
 * const gate = limiter.register('resnet', [{ instance, device: 0, resources: [{ name: 'R1', count: 1, global: false }], priority: 1 }]);
 * new DirectScheduler(instances, clock, onExecution, 'resnet', gate);
 * gate.unregister(); // at unload
 * ```
 */
export class RateLimiter {
  private readonly pool: ResourcePool;
  private readonly states = new Map<ModelInstance, InstanceState>();
  /** Staged instances, in no particular order (few: one per model version at most). */
  private staged: InstanceState[] = [];
  private seq = 0;
  private allocating = false;
  private allocateAgain = false;

  /** @param limits the `--rate-limit-resource` entries (none: resources sized by the largest need) */
  constructor(limits: readonly ResourceLimit[] = []) {
    this.pool = new ResourcePool(limits);
  }

  /**
   * Registers the instances of one model version; throws INVALID_ARG (the model fails to load)
   * when the server's resources cannot ever run one of them, with Triton's message.
   */
  register(model: string, instances: readonly LimitedInstance[]): RegisteredVersion {
    const states = instances.map((i) => new InstanceState(i.instance, Math.max(1, i.priority)));
    try {
      this.pool.add(states.map((s, k) => [s, needsOf(instances[k]!.resources, instances[k]!.device)] as const));
    } catch (e) {
      const err = InferenceError.from(e);
      throw new InferenceError(err.code, `failed to load '${model}': ${err.message}`);
    }
    for (const s of states) this.states.set(s.instance, s);
    return {
      pick: (candidates) => this.pick(candidates),
      request: (instance, onGrant) => this.request(instance, onGrant),
      withdraw: (instance) => this.withdraw(instance),
      release: (instance, executed) => this.release(instance, executed),
      unregister: () => this.unregister(states),
    };
  }

  /** The copies of each resource now (`GLOBAL` or a device id → name → count). */
  resources(): Record<string, Record<string, number>> {
    return this.pool.describe();
  }

  private state(instance: ModelInstance): InstanceState {
    const s = this.states.get(instance);
    if (!s) throw new InferenceError('INTERNAL', `instance '${instance.name}' is not registered with the rate limiter`);
    return s;
  }

  private pick(candidates: readonly ModelInstance[]): ModelInstance {
    let best = candidates[0]!;
    let bestScaled = this.state(best).scaled();
    for (let i = 1; i < candidates.length; i++) {
      const scaled = this.state(candidates[i]!).scaled();
      if (scaled < bestScaled) {
        best = candidates[i]!;
        bestScaled = scaled;
      }
    }
    return best;
  }

  private request(instance: ModelInstance, onGrant: () => void): void {
    const s = this.state(instance);
    if (s.onGrant) throw new InferenceError('INTERNAL', `instance '${instance.name}' asked the rate limiter twice`);
    s.onGrant = onGrant;
    s.stagedSeq = this.seq++;
    this.staged.push(s);
    this.allocate();
  }

  private withdraw(instance: ModelInstance): void {
    const s = this.states.get(instance);
    if (!s?.onGrant) return;
    s.onGrant = undefined;
    this.staged = this.staged.filter((x) => x !== s);
    // The first staged instance may have been the one blocking the others.
    this.allocate();
  }

  private release(instance: ModelInstance, executed: boolean): void {
    const s = this.states.get(instance);
    if (!s || s.holding === 0) return;
    s.holding--;
    if (executed) s.executions++;
    this.pool.give(s);
    this.allocate();
  }

  private unregister(states: readonly InstanceState[]): void {
    for (const s of states) {
      s.removed = true;
      s.onGrant = undefined;
      this.states.delete(s.instance);
      // Unloads drain first, so nothing should be held here; if it is, it goes back now.
      for (; s.holding > 0; s.holding--) this.pool.give(s);
    }
    this.staged = this.staged.filter((s) => !s.removed);
    this.pool.remove(states);
    this.allocate();
  }

  /** The staged instance that goes first: lowest executions × priority, then staging order. */
  private first(): number {
    let best = -1;
    for (let i = 0; i < this.staged.length; i++) {
      const s = this.staged[i]!;
      if (best < 0) {
        best = i;
        continue;
      }
      const b = this.staged[best]!;
      const d = s.scaled() - b.scaled();
      if (d < 0 || (d === 0 && s.stagedSeq < b.stagedSeq)) best = i;
    }
    return best;
  }

  /** Grants the first staged instance while its resources are free; re-entrant calls fold in. */
  private allocate(): void {
    if (this.allocating) {
      this.allocateAgain = true;
      return;
    }
    this.allocating = true;
    try {
      do {
        this.allocateAgain = false;
        for (;;) {
          const at = this.first();
          if (at < 0) break;
          const s = this.staged[at]!;
          if (!this.pool.tryTake(s)) break;
          this.staged.splice(at, 1);
          s.holding++;
          const grant = s.onGrant!;
          s.onGrant = undefined;
          grant();
        }
      } while (this.allocateAgain);
    } finally {
      this.allocating = false;
    }
  }
}
