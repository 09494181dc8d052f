/**
 * Turns the core's per-request and per-execution events into Prometheus series. The core reports
 * each event once for every protocol, so counting here (and nowhere else) keeps HTTP, gRPC and
 * in-process requests in the same numbers.
 */
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type {
  ExecutionEvent,
  InferenceObserver,
  RequestEvent,
  ResponseEvent,
  VersionInfo,
} from '../../core/observer.js';
import { LlmMetrics } from './llm-metrics.js';
import { counter, gauge, histogram, nonNegative } from './metric-factories.js';
import { FAILURE_REASONS, LATENCY_BUCKETS_SECONDS, METRICS } from './metric-names.js';

type ModelLabel = 'model' | 'version';
type FailureLabel = ModelLabel | 'reason';
type DurationField = 'requestNs' | 'queueNs' | 'computeInputNs' | 'computeInferNs' | 'computeOutputNs';

/** Nanoseconds to whole microseconds, truncated like Triton's integer division. */
function toMicros(ns: number): number {
  return Math.trunc(nonNegative(ns) / 1000);
}

/**
 * An {@link InferenceObserver} that keeps Triton's per-model metric families (and our latency
 * histograms) in a prom-client {@link Registry}.
 *
 * A model version's series appear, all at zero, when it becomes ready (or at its first event), and
 * are removed when it is unloaded, so dashboards see exactly the versions being served.
 * Durations are counted for successful requests only, as Triton does; failures only bump
 * `nv_inference_request_failure{reason}`.
 *
 * @example
 * ```ts
 * const registry = new Registry();
 * core.addObserver(new MetricsObserver(registry));
 * const text = await registry.metrics();
 * ```
 */
export class MetricsObserver implements InferenceObserver {
  private readonly success: Counter<ModelLabel>;
  private readonly failure: Counter<FailureLabel>;
  private readonly inferenceCount: Counter<ModelLabel>;
  private readonly execCount: Counter<ModelLabel>;
  private readonly durationCounters: ReadonlyArray<readonly [Counter<ModelLabel>, DurationField]>;
  private readonly durationHistograms: ReadonlyArray<readonly [Histogram<ModelLabel>, DurationField]>;
  private readonly pending: Gauge<ModelLabel>;
  /** The `tensorgate_llm_*` families (LLM-contract models only). */
  private readonly llm: LlmMetrics;
  /** `model\0version` keys whose series were already created. */
  private readonly seen = new Set<string>();

  /** Registers the per-model families on `registry` (which must not already hold them). */
  constructor(registry: Registry) {
    this.success = counter(registry, METRICS.requestSuccess);
    this.failure = counter(registry, METRICS.requestFailure);
    this.inferenceCount = counter(registry, METRICS.inferenceCount);
    this.execCount = counter(registry, METRICS.execCount);
    this.durationCounters = [
      [counter(registry, METRICS.requestDurationUs), 'requestNs'],
      [counter(registry, METRICS.queueDurationUs), 'queueNs'],
      [counter(registry, METRICS.computeInputDurationUs), 'computeInputNs'],
      [counter(registry, METRICS.computeInferDurationUs), 'computeInferNs'],
      [counter(registry, METRICS.computeOutputDurationUs), 'computeOutputNs'],
    ];
    this.pending = gauge(registry, METRICS.pendingRequestCount);
    this.durationHistograms = [
      [histogram(registry, METRICS.requestDurationSeconds, LATENCY_BUCKETS_SECONDS), 'requestNs'],
      [histogram(registry, METRICS.queueDurationSeconds, LATENCY_BUCKETS_SECONDS), 'queueNs'],
      [histogram(registry, METRICS.computeInferDurationSeconds, LATENCY_BUCKETS_SECONDS), 'computeInferNs'],
    ];
    this.llm = new LlmMetrics(registry);
  }

  /** Counts one finished request: success with its batch size and durations, or a failure. */
  onRequest(event: RequestEvent): void {
    const labels = this.ensureSeries(event.model, event.version);
    if (!event.success) {
      this.failure.inc({ ...labels, reason: event.reason ?? 'OTHER' });
      return;
    }
    this.success.inc(labels);
    this.inferenceCount.inc(labels, nonNegative(event.batchSize));
    for (const [metric, field] of this.durationCounters) metric.inc(labels, toMicros(event[field]));
    for (const [metric, field] of this.durationHistograms) {
      metric.observe(labels, nonNegative(event[field]) / 1e9);
    }
  }

  /** Counts one model execution (one batch on one instance). */
  onExecution(event: ExecutionEvent): void {
    this.execCount.inc(this.ensureSeries(event.model, event.version));
  }

  /** Sets the number of queued plus executing requests of a model version. */
  onPending(model: string, version: string, pending: number): void {
    this.pending.set(this.ensureSeries(model, version), nonNegative(pending));
  }

  /** Decoupled models: running and waiting requests (LLM gauges). */
  onRunning(model: string, version: string, info: { llm: boolean; running: number; waiting: number }): void {
    this.llm.onRunning(model, version, info);
  }

  /** Decoupled models: one response delivered (LLM latencies and token counters). */
  onResponse(event: ResponseEvent): void {
    this.llm.onResponse(event);
  }

  onVersionReady(model: string, version: string, info?: VersionInfo): void {
    this.ensureSeries(model, version);
    this.llm.onVersionReady(model, version, info);
  }

  onVersionUnloaded(model: string, version: string): void {
    this.llm.onVersionUnloaded(model, version);
    const labels = { model, version };
    if (!this.seen.delete(`${model}\0${version}`)) return;
    this.success.remove(labels);
    for (const reason of FAILURE_REASONS) this.failure.remove({ ...labels, reason });
    this.inferenceCount.remove(labels);
    this.execCount.remove(labels);
    for (const [metric] of this.durationCounters) metric.remove(labels);
    for (const [metric] of this.durationHistograms) metric.remove(labels);
    this.pending.remove(labels);
  }

  /** Creates every series of a model version at zero the first time it is seen; returns its labels. */
  private ensureSeries(model: string, version: string): Record<ModelLabel, string> {
    const labels = { model, version };
    const key = `${model}\0${version}`;
    if (this.seen.has(key)) return labels;
    this.seen.add(key);
    this.success.inc(labels, 0);
    for (const reason of FAILURE_REASONS) this.failure.inc({ ...labels, reason }, 0);
    this.inferenceCount.inc(labels, 0);
    this.execCount.inc(labels, 0);
    for (const [metric] of this.durationCounters) metric.inc(labels, 0);
    for (const [metric] of this.durationHistograms) metric.zero(labels);
    this.pending.set(labels, 0);
    return labels;
  }
}
