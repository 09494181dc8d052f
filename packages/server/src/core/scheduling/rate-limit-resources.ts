/**
 * The rate limiter's resource accounting, as Triton's `RateLimiter::ResourceManager`: how many
 * copies of each resource exist (per device, or one pool for a global resource), what each
 * registered instance needs per execution, and what is taken now.
 *
 * - Without any `--rate-limit-resource`, a resource has as many copies as the largest need of any
 *   registered instance (so every instance can run), recomputed when instances come and go.
 * - With any `--rate-limit-resource`, only the resources given there exist: a resource of a device
 *   has the largest count given for that device or for every device (no device in the flag); a
 *   global resource the largest count given for it on any device. A registered need above that
 *   count is a load error, with Triton's message ("Resource count for "R" is limited to 0 ...").
 * - A resource named global by one instance and per device by another is a load error.
 *
 * Hand-written: a few maps of counters; no library models Triton's accounting.
 */
import { invalidArg } from '../errors.js';

/** The key of the global pool in {@link ResourceMap}s (Triton's GLOBAL_RESOURCE_KEY). */
export const GLOBAL_DEVICE = -2;
/** The device of a `--rate-limit-resource` given without one: every device (Triton's PER_DEVICE_RESOURCE_KEY). */
export const EVERY_DEVICE = -1;

/** Counts by device (or {@link GLOBAL_DEVICE}, {@link EVERY_DEVICE}), then by resource name. */
export type ResourceMap = Map<number, Map<string, number>>;

/** One `--rate-limit-resource <name>:<count>[:<device>]`; device {@link EVERY_DEVICE} when absent. */
export interface ResourceLimit {
  readonly name: string;
  readonly count: number;
  readonly device: number;
}

/** One resource an instance needs for each execution (config `rate_limiter.resources`). */
export interface ResourceNeed {
  readonly name: string;
  readonly count: number;
  /** One pool for the whole server, instead of one per device. */
  readonly global: boolean;
}

function add(map: ResourceMap, device: number, name: string, count: number, combine: (a: number, b: number) => number) {
  let byName = map.get(device);
  if (!byName) map.set(device, (byName = new Map()));
  const had = byName.get(name);
  byName.set(name, had === undefined ? count : combine(had, count));
}

/** The needs of one instance as a map (global ones under {@link GLOBAL_DEVICE}). */
export function needsOf(needs: readonly ResourceNeed[], device: number): ResourceMap {
  const map: ResourceMap = new Map();
  for (const n of needs) add(map, n.global ? GLOBAL_DEVICE : device, n.name, n.count, (_a, b) => b);
  return map;
}

/**
 * @example
 * ```ts
 * const pool = new ResourcePool([{ name: 'R1', count: 1, device: -1 }]);
 * pool.add(key, needsOf([{ name: 'R1', count: 1, global: false }], 0)); // throws when R1 cannot fit
 * if (pool.tryTake(key)) { ... pool.give(key); }
 * ```
 */
export class ResourcePool {
  private readonly explicit: ResourceMap = new Map();
  private readonly needs = new Map<object, ResourceMap>();
  /** Copies of each resource. */
  private max: ResourceMap = new Map();
  private readonly taken: ResourceMap = new Map();
  /**
   * What each holder took and how many times (an instance handed its next execution early holds
   * twice); given back exactly, even if its needs were unregistered meanwhile.
   */
  private readonly held = new Map<object, { needs: ResourceMap; times: number }>();

  constructor(limits: readonly ResourceLimit[]) {
    // As Triton's server options: a later entry for the same name and device replaces an earlier one.
    for (const l of limits) add(this.explicit, l.device, l.name, l.count, (_a, b) => b);
  }

  /**
   * Registers the needs of `keys` (instances) at once; throws INVALID_ARG, registering nothing,
   * when the resources cannot serve them.
   */
  add(entries: ReadonlyArray<readonly [object, ResourceMap]>): void {
    for (const [key, needs] of entries) this.needs.set(key, needs);
    try {
      this.recompute();
    } catch (e) {
      for (const [key] of entries) this.needs.delete(key);
      this.recompute();
      throw e;
    }
  }

  /** Forgets the needs of `keys`; the copies shrink back to what the remaining instances need. */
  remove(keys: readonly object[]): void {
    for (const key of keys) this.needs.delete(key);
    this.recompute();
  }

  /** Takes the needs of `key` (once more) when every one of them fits; false (taking nothing) otherwise. */
  tryTake(key: object): boolean {
    const needs = this.needs.get(key);
    if (!needs) return false;
    for (const [device, byName] of needs) {
      const max = this.max.get(device);
      const taken = this.taken.get(device);
      for (const [name, count] of byName) {
        if ((taken?.get(name) ?? 0) + count > (max?.get(name) ?? 0)) return false;
      }
    }
    for (const [device, byName] of needs) {
      for (const [name, count] of byName) add(this.taken, device, name, count, (a, b) => a + b);
    }
    const held = this.held.get(key);
    if (held) held.times++;
    else this.held.set(key, { needs, times: 1 });
    return true;
  }

  /** Gives back what `key` took once (nothing when it holds nothing). */
  give(key: object): void {
    const held = this.held.get(key);
    if (!held) return;
    if (--held.times === 0) this.held.delete(key);
    for (const [device, byName] of held.needs) {
      for (const [name, count] of byName) add(this.taken, device, name, count, (a, b) => a - b);
    }
  }

  /** The copies of each resource now, `GLOBAL` or a device id, for logs and tests. */
  describe(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [device, byName] of this.max) {
      if (byName.size > 0) out[device === GLOBAL_DEVICE ? 'GLOBAL' : String(device)] = Object.fromEntries(byName);
    }
    return out;
  }

  /** Triton's UpdateResourceLimits: the largest need of each resource, checked against the flags. */
  private recompute(): void {
    const max: ResourceMap = new Map();
    for (const needs of this.needs.values()) {
      for (const [device, byName] of needs) {
        for (const [name, count] of byName) add(max, device, name, count, Math.max);
      }
    }
    if (this.explicit.size > 0) this.applyExplicit(max);
    const global = max.get(GLOBAL_DEVICE);
    if (global) {
      for (const [device, byName] of max) {
        if (device === GLOBAL_DEVICE) continue;
        for (const name of byName.keys()) {
          if (global.has(name)) {
            throw invalidArg(
              `Resource "${name}" is present as both global and device-specific resource in the model configuration.`,
            );
          }
        }
      }
    }
    this.max = max;
  }

  private applyExplicit(max: ResourceMap): void {
    for (const [device, byName] of max) {
      for (const [name, need] of byName) {
        // A resource the flags do not give has no copies.
        let count = 0;
        if (device === GLOBAL_DEVICE) {
          for (const given of this.explicit.values()) count = Math.max(count, given.get(name) ?? 0);
        } else {
          count = Math.max(this.explicit.get(device)?.get(name) ?? 0, this.explicit.get(EVERY_DEVICE)?.get(name) ?? 0);
        }
        if (count < need) {
          throw invalidArg(
            `Resource count for "${name}" is limited to ${count} which will prevent scheduling of one or more ` +
              `model instances, the minimum required count is ${need}`,
          );
        }
        byName.set(name, count);
      }
    }
  }
}
