/**
 * Reads each instance's `instance_group { rate_limiter { resources [...] priority } }` for the rate
 * limiter, and the device its per-device resources count on: the backends create instances group
 * by group, `count` per device (each GPU of a KIND_GPU group; device 0 otherwise, as Triton counts
 * CPU instances), and this expands the normalized groups in that same order.
 */
import type { ModelInstance } from '../../backend-api/backend.js';
import type { InstanceGroupConfig, ModelConfig } from '../config/model-config.js';
import { internal, invalidArg } from '../errors.js';
import type { LimitedInstance } from './rate-limiter.js';
import type { ResourceNeed } from './rate-limit-resources.js';

/** The rate limiter settings of one instance group. */
interface GroupLimits {
  readonly resources: ResourceNeed[];
  readonly priority: number;
}

const MAX_UINT32 = 0xffff_ffff;

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_UINT32;
}

/** Validates and reads `rate_limiter` of group `gi` (absent: no resources, priority 1). */
function groupLimits(model: string, g: InstanceGroupConfig, gi: number): GroupLimits {
  const at = `model '${model}': instance_group[${gi}].rate_limiter`;
  const rl = (g['rate_limiter'] ?? {}) as { resources?: unknown; priority?: unknown };
  const priority = rl.priority ?? 0;
  if (!isCount(priority)) throw invalidArg(`${at}.priority must be a whole number from 0 to ${MAX_UINT32}`);
  const list = rl.resources ?? [];
  if (!Array.isArray(list)) throw invalidArg(`${at}.resources must be a list`);
  const seen = new Set<string>();
  const resources = list.map((raw: unknown, ri): ResourceNeed => {
    const r = (raw ?? {}) as { name?: unknown; count?: unknown; global?: unknown };
    const name = r.name ?? '';
    if (typeof name !== 'string' || name.trim() === '')
      throw invalidArg(`${at}.resources[${ri}].name must not be empty`);
    if (seen.has(name)) {
      throw invalidArg(`${at}.resources lists '${name}' twice: give each resource once, with its count`);
    }
    seen.add(name);
    const count = r.count ?? 0;
    if (!isCount(count))
      throw invalidArg(`${at}.resources[${ri}].count must be a whole number from 0 to ${MAX_UINT32}`);
    const global = r.global ?? false;
    if (typeof global !== 'boolean') throw invalidArg(`${at}.resources[${ri}].global must be true or false`);
    return { name, count, global };
  });
  return { resources, priority };
}

/**
 * The rate limiter's view of `instances`, the instances a backend created for `config`.
 *
 * @throws InferenceError INVALID_ARG for an empty or repeated resource name or a bad count
 * @example
 * ```ts
 * limiter.register(name, limitedInstances(config, model.instances));
 * ```
 */
export function limitedInstances(config: ModelConfig, instances: readonly ModelInstance[]): LimitedInstance[] {
  const planned: Array<{ device: number; limits: GroupLimits }> = [];
  let limited = false;
  config.instance_group.forEach((g, gi) => {
    const limits = groupLimits(config.name, g, gi);
    if (limits.resources.length > 0 || limits.priority > 1) limited = true;
    const devices = g.kind === 'KIND_GPU' && g.gpus.length > 0 ? g.gpus : [0];
    for (const device of devices) {
      for (let c = 0; c < Math.max(0, g.count); c++) planned.push({ device, limits });
    }
  });
  if (planned.length !== instances.length) {
    // A backend that does not create one instance per planned one (e.g. an ensemble's single
    // scheduling instance): fine while no group asks for resources or a priority.
    if (limited) {
      throw internal(
        `model '${config.name}': its instance groups plan ${planned.length} instance(s) but the backend ` +
          `created ${instances.length}, so the rate limiter cannot tell which rate_limiter applies to which`,
      );
    }
    return instances.map((instance) => ({ instance, device: 0, resources: [], priority: 1 }));
  }
  return instances.map((instance, i) => ({
    instance,
    device: planned[i]!.device,
    resources: planned[i]!.limits.resources,
    priority: planned[i]!.limits.priority,
  }));
}
