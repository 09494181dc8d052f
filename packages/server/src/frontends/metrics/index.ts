/** The metrics frontend: Prometheus `/metrics` fed by the core's observer events. */
export { createMetricsFrontend, METRICS_PATH } from './metrics-server.js';
export type { MetricsFrontend, MetricsFrontendOptions } from './metrics-server.js';
export { MetricsObserver } from './metrics-observer.js';
export { registerHostMetrics, osHostSampler } from './host-metrics.js';
export type { CpuTimes, HostMemory, HostSampler } from './host-metrics.js';
export { METRICS, MODEL_LABELS, FAILURE_LABELS, FAILURE_REASONS, LATENCY_BUCKETS_SECONDS } from './metric-names.js';
export type { MetricId, MetricKind, MetricSpec } from './metric-names.js';
