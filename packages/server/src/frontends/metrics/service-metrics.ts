/**
 * The per-method families of the custom gRPC services (`tensorgate_grpc_service_*`), read from
 * the frontend's {@link MethodStats} at scrape time: requests, failures by gRPC status, and the
 * latency histogram, whose series are the stats' own (nothing is copied per call).
 */
import type { Counter, Registry } from 'prom-client';
import type { MethodStats } from '../grpc/services/service-stats.js';
import { AccumulatedHistogram } from './accumulated-histogram.js';
import { counter } from './metric-factories.js';
import { LATENCY_BUCKETS_SECONDS, METRICS } from './metric-names.js';

/**
 * Registers the three families on `registry` for every rpc of `stats`.
 *
 * @example
 * ```ts
 * registerServiceMetrics(metrics.registry, grpc.serviceStats);
 * ```
 */
export function registerServiceMetrics(registry: Registry, stats: ReadonlyMap<string, MethodStats>): void {
  const all = [...stats.values()];
  const requests: Counter<'service' | 'method'> = counter(registry, METRICS.grpcServiceRequests, () => {
    requests.reset();
    for (const s of all) requests.inc({ service: s.service, method: s.method }, s.requests);
  });
  const failures: Counter<'service' | 'method' | 'code'> = counter(registry, METRICS.grpcServiceFailures, () => {
    failures.reset();
    for (const s of all) {
      for (const [code, n] of s.failures) failures.inc({ service: s.service, method: s.method, code }, n);
    }
  });
  const latency = new AccumulatedHistogram(registry, METRICS.grpcServiceDuration, LATENCY_BUCKETS_SECONDS);
  for (const s of all) {
    const series = latency.add({ service: s.service, method: s.method });
    series.counts.set(s.latency.counts);
    series.sum = s.latency.sum;
    series.count = s.latency.count;
    s.latency = series;
  }
}
