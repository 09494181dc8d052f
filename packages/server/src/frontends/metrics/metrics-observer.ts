/**
 * Turns the core's per-request and per-execution events into Prometheus series. The core reports
 * each event once for every protocol, so counting here (and nowhere else) keeps HTTP, gRPC and
 * in-process requests in the same numbers.
 */
import type { Counter, Gauge, Registry } from 'prom-client';
import type {
  CacheEvent,
  ExecutionEvent,
  FailureReason,
  InferenceObserver,
  InstanceRestartEvent,
  InstanceRestartReason,
  RequestEvent,
  ResponseEvent,
  VersionInfo,
} from '../../core/observer.js';
import { AccumulatedHistogram, type HistogramSeries } from './accumulated-histogram.js';
import { LlmMetrics } from './llm-metrics.js';
import { OptionalLatencies } from './optional-latencies.js';
import type { MetricsConfig } from '../../cli/metrics-config.js';
import { counter, gauge, nonNegative } from './metric-factories.js';
import { FAILURE_REASONS, LATENCY_BUCKETS_SECONDS, METRICS, RESTART_REASONS, type MetricSpec } from './metric-names.js';
import { SeriesTable, type VersionKeyed } from './series-table.js';

type ModelLabel = 'model' | 'version';
type FailureLabel = ModelLabel | 'reason';

/** Nanoseconds to whole microseconds, truncated like Triton's integer division. */
function toMicros(ns: number): number {
  return Math.trunc(nonNegative(ns) / 1000);
}

/**
 * Everything counted for one model version. Events only add to these numbers; the prom-client
 * families read them at scrape time, so the per-request path hashes no labels.
 */
interface ModelSeries extends VersionKeyed {
  readonly labels: Readonly<Record<ModelLabel, string>>;
  readonly failureLabels: Readonly<Record<FailureReason, Readonly<Record<FailureLabel, string>>>>;
  success: number;
  inferences: number;
  executions: number;
  /** Sums of per-request durations, each truncated to whole microseconds. */
  requestUs: number;
  queueUs: number;
  computeInputUs: number;
  computeInferUs: number;
  computeOutputUs: number;
  cacheHits: number;
  cacheMisses: number;
  cacheHitUs: number;
  cacheMissUs: number;
  readonly failures: Record<FailureReason, number>;
  pending: number;
  readonly restartLabels: Readonly<Record<InstanceRestartReason, Readonly<Record<FailureLabel, string>>>>;
  readonly restarts: Record<InstanceRestartReason, number>;
  readonly requestSeconds: HistogramSeries;
  readonly queueSeconds: HistogramSeries;
  readonly computeInferSeconds: HistogramSeries;
}

/**
 * An {@link InferenceObserver} that keeps Triton's per-model metric families (and our latency
 * histograms) in a prom-client {@link Registry}.
 *
 * A model version's series appear, all at zero, when it becomes ready (or at its first event), and
 * are removed when it is unloaded, so dashboards see exactly the versions being served.
 * Durations are counted for successful requests only, as Triton does; failures only bump
 * `nv_inference_request_failure{reason}` (a reason outside {@link FAILURE_REASONS} counts as `OTHER`).
 *
 * Events only add to plain numbers kept per version (found through a two-level map, no label
 * hashing); the prom-client families read them when the registry is scraped, through their
 * `collect` hooks, and the latency histograms are {@link AccumulatedHistogram}s. The text on
 * `/metrics` is the same as if every event had called prom-client directly.
 *
 * @example
 * ```ts
 * const registry = new Registry();
 * core.addObserver(new MetricsObserver(registry));
 * const text = await registry.metrics();
 * ```
 */
export class MetricsObserver implements InferenceObserver {
  private readonly requestSeconds: AccumulatedHistogram;
  private readonly queueSeconds: AccumulatedHistogram;
  private readonly computeInferSeconds: AccumulatedHistogram;
  /** The `tensorgate_llm_*` families (LLM-contract models only). */
  private readonly llm: LlmMetrics;
  private readonly optional: OptionalLatencies | undefined;
  /** The series of every version seen and not unloaded, in the order they are exported. */
  private readonly table = new SeriesTable<ModelSeries>((model, version) => this.createSeries(model, version));

  /** Registers the per-model families on `registry` (which must not already hold them). */
  /**
   * `latencies`: Triton's `--metrics-config` choices (default: the duration counters, no
   * summaries, no first-response histogram).
   */
  constructor(registry: Registry, latencies?: MetricsConfig) {
    // Registration order is the order of the families on /metrics.
    this.exportCounter(registry, METRICS.requestSuccess, (s) => s.success);
    const failure: Counter<FailureLabel> = counter(registry, METRICS.requestFailure, () => {
      failure.reset();
      for (const s of this.table) {
        for (const reason of FAILURE_REASONS) failure.inc(s.failureLabels[reason], s.failures[reason]);
      }
    });
    this.exportCounter(registry, METRICS.inferenceCount, (s) => s.inferences);
    this.exportCounter(registry, METRICS.execCount, (s) => s.executions);
    if (latencies?.counterLatencies ?? true) {
      this.exportCounter(registry, METRICS.requestDurationUs, (s) => s.requestUs);
      this.exportCounter(registry, METRICS.queueDurationUs, (s) => s.queueUs);
      this.exportCounter(registry, METRICS.computeInputDurationUs, (s) => s.computeInputUs);
      this.exportCounter(registry, METRICS.computeInferDurationUs, (s) => s.computeInferUs);
      this.exportCounter(registry, METRICS.computeOutputDurationUs, (s) => s.computeOutputUs);
    }
    this.exportCounter(registry, METRICS.cacheHits, (s) => s.cacheHits);
    this.exportCounter(registry, METRICS.cacheMisses, (s) => s.cacheMisses);
    this.exportCounter(registry, METRICS.cacheHitDurationUs, (s) => s.cacheHitUs);
    this.exportCounter(registry, METRICS.cacheMissDurationUs, (s) => s.cacheMissUs);
    const pending: Gauge<ModelLabel> = gauge(registry, METRICS.pendingRequestCount, () => {
      pending.reset();
      for (const s of this.table) pending.set(s.labels, s.pending);
    });
    const restarts: Counter<FailureLabel> = counter(registry, METRICS.instanceRestarts, () => {
      restarts.reset();
      for (const s of this.table) {
        for (const reason of RESTART_REASONS) restarts.inc(s.restartLabels[reason], s.restarts[reason]);
      }
    });
    this.requestSeconds = new AccumulatedHistogram(registry, METRICS.requestDurationSeconds, LATENCY_BUCKETS_SECONDS);
    this.queueSeconds = new AccumulatedHistogram(registry, METRICS.queueDurationSeconds, LATENCY_BUCKETS_SECONDS);
    this.computeInferSeconds = new AccumulatedHistogram(
      registry,
      METRICS.computeInferDurationSeconds,
      LATENCY_BUCKETS_SECONDS,
    );
    this.llm = new LlmMetrics(registry);
    this.optional = OptionalLatencies.create(registry, latencies);
  }

  /** Counts one finished request: success with its batch size and durations, or a failure. */
  onRequest(event: RequestEvent): void {
    const s = this.table.ensure(event.model, event.version);
    if (!event.success) {
      const reason = event.reason;
      if (reason === 'REJECTED' || reason === 'CANCELED' || reason === 'BACKEND') s.failures[reason] += 1;
      else s.failures.OTHER += 1;
      return;
    }
    s.success += 1;
    s.inferences += nonNegative(event.batchSize);
    s.requestUs += toMicros(event.requestNs);
    s.queueUs += toMicros(event.queueNs);
    s.computeInputUs += toMicros(event.computeInputNs);
    s.computeInferUs += toMicros(event.computeInferNs);
    s.computeOutputUs += toMicros(event.computeOutputNs);
    this.requestSeconds.observe(s.requestSeconds, nonNegative(event.requestNs) / 1e9);
    this.queueSeconds.observe(s.queueSeconds, nonNegative(event.queueNs) / 1e9);
    this.computeInferSeconds.observe(s.computeInferSeconds, nonNegative(event.computeInferNs) / 1e9);
    this.optional?.observe(s.labels, event);
  }

  /** Counts one response-cache hit or successful miss (Triton's `nv_cache_*_per_model`). */
  onCache(event: CacheEvent): void {
    const s = this.table.ensure(event.model, event.version);
    if (event.hit) {
      s.cacheHits += 1;
      s.cacheHitUs += toMicros(event.ns);
    } else {
      s.cacheMisses += 1;
      s.cacheMissUs += toMicros(event.ns);
    }
  }

  /** Counts one model execution (one batch on one instance). */
  onExecution(event: ExecutionEvent): void {
    this.table.ensure(event.model, event.version).executions += 1;
  }

  /** Sets the number of queued plus executing requests of a model version. */
  onPending(model: string, version: string, pending: number): void {
    this.table.ensure(model, version).pending = nonNegative(pending);
  }

  /** Counts one instance restart of a model version, by reason. */
  onInstanceRestart(event: InstanceRestartEvent): void {
    const s = this.table.ensure(event.model, event.version);
    if (RESTART_REASONS.includes(event.reason)) s.restarts[event.reason] += 1;
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
    this.table.ensure(model, version);
    this.llm.onVersionReady(model, version, info);
  }

  onVersionUnloaded(model: string, version: string): void {
    this.llm.onVersionUnloaded(model, version);
    const s = this.table.delete(model, version);
    if (s === undefined) return;
    this.optional?.remove(s.labels);
    this.requestSeconds.remove(s.requestSeconds);
    this.queueSeconds.remove(s.queueSeconds);
    this.computeInferSeconds.remove(s.computeInferSeconds);
  }

  /**
   * Registers a `model` / `version` counter family whose values are `read` from every series at
   * scrape time (prom-client calls `collect` before reading a metric).
   */
  private exportCounter(registry: Registry, spec: MetricSpec, read: (s: ModelSeries) => number): void {
    const metric: Counter<ModelLabel> = counter(registry, spec, () => {
      metric.reset();
      for (const s of this.table) metric.inc(s.labels, read(s));
    });
  }

  /** A version's series, all at zero (the table creates it at the version's first event). */
  private createSeries(model: string, version: string): ModelSeries {
    const labels = { model, version };
    const failureLabel = (reason: string): Record<FailureLabel, string> => ({ ...labels, reason });
    return {
      model,
      version,
      labels,
      failureLabels: {
        REJECTED: failureLabel('REJECTED'),
        CANCELED: failureLabel('CANCELED'),
        BACKEND: failureLabel('BACKEND'),
        OTHER: failureLabel('OTHER'),
      },
      success: 0,
      inferences: 0,
      executions: 0,
      requestUs: 0,
      queueUs: 0,
      computeInputUs: 0,
      computeInferUs: 0,
      computeOutputUs: 0,
      cacheHits: 0,
      cacheMisses: 0,
      cacheHitUs: 0,
      cacheMissUs: 0,
      failures: { REJECTED: 0, CANCELED: 0, BACKEND: 0, OTHER: 0 },
      pending: 0,
      restartLabels: {
        timeout: failureLabel('timeout'),
        memory: failureLabel('memory'),
        crash: failureLabel('crash'),
      },
      restarts: { timeout: 0, memory: 0, crash: 0 },
      requestSeconds: this.requestSeconds.add(labels),
      queueSeconds: this.queueSeconds.add(labels),
      computeInferSeconds: this.computeInferSeconds.add(labels),
    };
  }
}
