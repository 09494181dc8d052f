/**
 * Builds the server's response cache from `--cache-config` (none when it is not given: models
 * with `response_cache { enable: true }` then load and run uncached, as in Triton, whose
 * `ResponseCacheEnabled()` is false without a cache).
 */
import type { Logger } from 'pino';
import { describeCacheConfig, parseCacheConfig } from '../../cli/cache-config.js';
import type { ServerSettings } from '../../cli/settings-schema.js';
import { systemClock } from '../clock.js';
import { LocalCacheStore } from './cache-store.js';
import { RedisCacheStore } from './redis-cache-store.js';
import { ResponseCache } from './response-cache.js';

/**
 * The response cache of `settings.cacheConfig`, or undefined. A Redis that does not answer yet is
 * logged, not fatal: requests run uncached until it does.
 *
 * @example
 * ```ts
 * const cache = await openResponseCache({ ...settings, cacheConfig: ['local,size=1048576'] }, logger);
 * ```
 */
export async function openResponseCache(
  settings: Pick<ServerSettings, 'cacheConfig'>,
  logger: Logger,
): Promise<ResponseCache | undefined> {
  const config = parseCacheConfig(settings.cacheConfig);
  if (config === undefined) return undefined;
  if (config.kind === 'local') {
    logger.info(describeCacheConfig(config), 'response cache');
    return new ResponseCache(new LocalCacheStore(config.sizeBytes), systemClock);
  }
  const store = new RedisCacheStore(config, logger);
  try {
    await store.ready();
    logger.info(describeCacheConfig(config), 'response cache');
  } catch (err) {
    logger.warn(
      { ...describeCacheConfig(config), err: (err as Error).message },
      'response cache: Redis does not answer yet; requests run uncached until it does',
    );
  }
  return new ResponseCache(store, systemClock);
}
