/**
 * Builds prom-client metric families from their specs in metric-names.ts, so every family is
 * declared the same way (name, help, label names, registry) by both observers.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MetricSpec } from './metric-names.js';

/**
 * A counter family registered on `registry`. `collect`, when given, runs at every scrape before
 * the values are read (to copy values kept elsewhere into the counter).
 *
 * @example
 * ```ts
 * const success = counter<'model' | 'version'>(registry, METRICS.requestSuccess);
 * ```
 */
export function counter<L extends string>(registry: Registry, spec: MetricSpec, collect?: () => void): Counter<L> {
  return new Counter<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labels as readonly L[],
    registers: [registry],
    ...(collect === undefined ? {} : { collect }),
  });
}

/**
 * A gauge family registered on `registry`. `collect`, when given, runs at every scrape before
 * the values are read (to copy values kept elsewhere into the gauge).
 *
 * @example
 * ```ts
 * const pending = gauge<'model' | 'version'>(registry, METRICS.pendingRequestCount);
 * ```
 */
export function gauge<L extends string>(registry: Registry, spec: MetricSpec, collect?: () => void): Gauge<L> {
  return new Gauge<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labels as readonly L[],
    registers: [registry],
    ...(collect === undefined ? {} : { collect }),
  });
}

/**
 * A histogram family with `buckets` (seconds) registered on `registry`.
 *
 * @example
 * ```ts
 * const latency = histogram<'model' | 'version'>(registry, METRICS.requestDurationSeconds, LATENCY_BUCKETS_SECONDS);
 * ```
 */
export function histogram<L extends string>(
  registry: Registry,
  spec: MetricSpec,
  buckets: readonly number[],
): Histogram<L> {
  return new Histogram<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labels as readonly L[],
    buckets: [...buckets],
    registers: [registry],
  });
}

/**
 * A non-negative finite number, or 0: counters reject negatives and NaN, and observers must not
 * throw (a broken clock gives 0, not an exception).
 */
export function nonNegative(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}
