/**
 * Per-method numbers of the custom gRPC services (requests, failures by status, latency), kept
 * in plain fields on the call path and exported by the metrics frontend at scrape time
 * (frontends/metrics/service-metrics.ts), as the per-model numbers are.
 */
import type { HistogramSeries } from '../../metrics/accumulated-histogram.js';
import { LATENCY_BUCKETS_SECONDS } from '../../metrics/metric-names.js';
import { GRPC_STATUS_NAMES } from './handler-status.js';

/** The numbers of one rpc. */
export class MethodStats {
  requests = 0;
  /** Failed calls by gRPC status name. */
  readonly failures = new Map<string, number>();
  /**
   * Call durations in the buckets of `LATENCY_BUCKETS_SECONDS`; the metrics frontend replaces it
   * with the series it exports (`registerServiceMetrics`).
   */
  latency: HistogramSeries;

  constructor(
    readonly service: string,
    readonly method: string,
  ) {
    this.latency = {
      labels: { service, method },
      counts: new Float64Array(LATENCY_BUCKETS_SECONDS.length),
      sum: 0,
      count: 0,
    };
  }

  /** A call started. */
  started(): void {
    this.requests++;
  }

  /** A call ended with gRPC `code` after `seconds`. */
  finished(code: number, seconds: number): void {
    if (code !== 0) {
      const name = GRPC_STATUS_NAMES[code] ?? String(code);
      this.failures.set(name, (this.failures.get(name) ?? 0) + 1);
    }
    const s = this.latency;
    for (let i = 0; i < LATENCY_BUCKETS_SECONDS.length; i++) {
      if (seconds <= LATENCY_BUCKETS_SECONDS[i]!) {
        s.counts[i]! += 1;
        break;
      }
    }
    s.sum += seconds;
    s.count += 1;
  }
}
