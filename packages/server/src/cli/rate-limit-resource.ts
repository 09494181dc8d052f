/**
 * Triton's `--rate-limit-resource <name>:<count>[:<device>]` (docs/rate-limiter.md): how many
 * copies of a resource the rate limiter has, on one device or (no device) on every device. As in
 * Triton's command-line parser: exactly one or two colons, a whole-number count and device; the
 * name is kept as given (case matters). Unlike Triton, a negative count (Triton wraps it to a huge
 * unsigned one) and a device this server has no instances on are refused at start-up.
 */
import type { Logger } from 'pino';
import { EVERY_DEVICE, type ResourceLimit } from '../core/scheduling/rate-limit-resources.js';
import { RateLimiter } from '../core/scheduling/rate-limiter.js';
import type { ServerSettings } from './settings-schema.js';

/** A `--rate-limit-resource` entry that cannot be used; the message names it. */
export class RateLimitResourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RateLimitResourceError';
  }
}

const WHOLE = /^[+-]?\d+$/;

function whole(text: string, what: string, entry: string): number {
  const trimmed = text.trim();
  const n = WHOLE.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new RateLimitResourceError(
      `--rate-limit-resource ${entry}: the ${what} must be a whole number (got '${text}')`,
    );
  }
  return n;
}

/**
 * Parses one entry.
 *
 * @throws RateLimitResourceError with Triton's format message, or for a bad number
 * @example
 * ```ts
 * parseRateLimitResource('R1:4');   // { name: 'R1', count: 4, device: -1 }
 * parseRateLimitResource('R2:5:0'); // { name: 'R2', count: 5, device: 0 }
 * ```
 */
export function parseRateLimitResource(entry: string): ResourceLimit {
  const parts = entry.split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw new RateLimitResourceError(
      `--rate-limit-resource option format is '<resource_name>:<count>:<device>' or '<resource_name>:<count>'. Got ${entry}`,
    );
  }
  const name = parts[0]!;
  if (name.trim() === '')
    throw new RateLimitResourceError(`--rate-limit-resource ${entry}: the resource name is empty`);
  const count = whole(parts[1]!, 'count', entry);
  if (count < 0) throw new RateLimitResourceError(`--rate-limit-resource ${entry}: the count must not be negative`);
  const device = parts.length === 3 ? whole(parts[2]!, 'device', entry) : EVERY_DEVICE;
  if (device < EVERY_DEVICE) {
    throw new RateLimitResourceError(
      `--rate-limit-resource ${entry}: the device must be a device id (0 or more), or -1 for every device`,
    );
  }
  return { name, count, device };
}

/**
 * Parses every entry, then refuses a device no instance of this server can run on: device 0 is
 * the host (where every CPU instance runs, counted as device 0 as Triton does) and GPU 0; other ids
 * must be GPUs this server uses (`--gpus`).
 *
 * @throws RateLimitResourceError naming the entry
 * @example
 * ```ts
 * const limits = parseRateLimitResources(settings.rateLimitResource, gpus.ids);
 * ```
 */
export function parseRateLimitResources(entries: readonly string[], gpuIds?: readonly number[]): ResourceLimit[] {
  const limits = entries.map(parseRateLimitResource);
  if (gpuIds) {
    for (const [i, l] of limits.entries()) {
      if (l.device > 0 && !gpuIds.includes(l.device)) {
        const gpus = gpuIds.length > 0 ? `GPUs ${gpuIds.join(', ')}` : 'no GPU';
        throw new RateLimitResourceError(
          `--rate-limit-resource ${entries[i]}: no instance can run on device ${l.device}: this server has device 0 ` +
            `(the host, where CPU instances run, and GPU 0 if it has one) and ${gpus}; give device 0, ` +
            'a GPU it uses, or no device (every device)',
        );
      }
    }
  }
  return limits;
}

/**
 * The server's rate limiter for `--rate-limit execution_count` (undefined with `off`), its
 * resources from `--rate-limit-resource`, checked against the GPUs this server uses.
 *
 * @throws RateLimitResourceError for an entry it cannot honour
 * @example
 * ```ts
 * const rateLimiter = openRateLimiter(settings, gpus.ids, logger);
 * ```
 */
export function openRateLimiter(
  settings: Pick<ServerSettings, 'rateLimit' | 'rateLimitResource'>,
  gpuIds: readonly number[],
  logger: Pick<Logger, 'info'>,
): RateLimiter | undefined {
  if (settings.rateLimit !== 'execution_count') return undefined;
  const limits = parseRateLimitResources(settings.rateLimitResource, gpuIds);
  logger.info({ resources: limits }, 'rate limiter: execution_count');
  return new RateLimiter(limits);
}
