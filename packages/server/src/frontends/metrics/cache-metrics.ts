/**
 * The server-wide response cache counters (`tensorgate_response_cache_*`), read from the cache
 * at scrape time. The per-model `nv_cache_*` families come from the core's cache events
 * (metrics-observer.ts).
 */
import type { Counter, Registry } from 'prom-client';
import type { ResponseCache } from '../../core/cache/response-cache.js';
import { counter } from './metric-factories.js';
import { METRICS, type MetricSpec } from './metric-names.js';

/**
 * Registers the cache's failure, oversized and unreadable-entry counters on `registry`.
 *
 * @example
 * ```ts
 * registerCacheMetrics(metrics.registry, responseCache);
 * ```
 */
export function registerCacheMetrics(registry: Registry, cache: ResponseCache): void {
  const exported = (spec: MetricSpec, read: () => number): void => {
    const metric: Counter<string> = counter(registry, spec, () => {
      metric.reset();
      metric.inc(read());
    });
  };
  exported(METRICS.cacheFailures, () => cache.store.failures);
  exported(METRICS.cacheOversized, () => cache.store.oversized);
  exported(METRICS.cacheCorrupt, () => cache.corruptEntries);
}
