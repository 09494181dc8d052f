/**
 * Triton's optional latency metrics (`--metrics-config`):
 *
 * - `summary_latencies=true`: summaries
 *   `nv_inference_{request,queue,compute_input,compute_infer,compute_output}_summary_us`, per model
 *   and version, with the configured quantiles over Triton's (prometheus-cpp's) sliding window of
 *   60 s in 5 age buckets. prom-client's Summary estimates quantiles with a t-digest, so the
 *   per-quantile error bounds Triton takes are accepted but not used.
 * - `histogram_latencies=true`: `nv_inference_first_response_histogram_ms`, arrival to the first
 *   response of each successful request, with Triton's buckets (100, 500, 2000, 5000 ms).
 */
import { Histogram, Summary, type Registry } from 'prom-client';
import type { MetricsConfig } from '../../cli/metrics-config.js';
import type { RequestEvent } from '../../core/observer.js';
import type { SummaryQuantile } from '../../cli/metrics-config.js';
import { nonNegative } from './metric-factories.js';
import { MODEL_LABELS, type MetricSpec } from './metric-names.js';

type ModelLabel = 'model' | 'version';

/** The summary families, in Triton's names and help texts. */
export const SUMMARY_METRICS = {
  request: {
    name: 'nv_inference_request_summary_us',
    help: 'Summary of inference request duration in microseconds (includes cached requests)',
    kind: 'summary',
    labels: MODEL_LABELS,
  },
  queue: {
    name: 'nv_inference_queue_summary_us',
    help: 'Summary of inference queuing duration in microseconds (includes cached requests)',
    kind: 'summary',
    labels: MODEL_LABELS,
  },
  computeInput: {
    name: 'nv_inference_compute_input_summary_us',
    help: 'Summary of compute input duration in microseconds (does not include cached requests)',
    kind: 'summary',
    labels: MODEL_LABELS,
  },
  computeInfer: {
    name: 'nv_inference_compute_infer_summary_us',
    help: 'Summary of compute infer duration in microseconds (does not include cached requests)',
    kind: 'summary',
    labels: MODEL_LABELS,
  },
  computeOutput: {
    name: 'nv_inference_compute_output_summary_us',
    help: 'Summary of inference compute output duration in microseconds (does not include cached requests)',
    kind: 'summary',
    labels: MODEL_LABELS,
  },
} as const satisfies Record<string, Omit<MetricSpec, 'kind'> & { kind: 'summary' }>;

/** Triton's first-response histogram. */
export const FIRST_RESPONSE_HISTOGRAM = {
  name: 'nv_inference_first_response_histogram_ms',
  help: 'Duration from request to first response in milliseconds',
  kind: 'histogram',
  labels: MODEL_LABELS,
} as const satisfies MetricSpec;

/** Triton's buckets of {@link FIRST_RESPONSE_HISTOGRAM} (its `metric_model_reporter.h`). */
export const FIRST_RESPONSE_BUCKETS_MS: readonly number[] = [100, 500, 2000, 5000];

/** prometheus-cpp's default window, which Triton keeps. */
const MAX_AGE_SECONDS = 60;
const AGE_BUCKETS = 5;

/**
 * The summaries of a registry, all five.
 *
 * @example
 * ```ts
 * const summaries = new LatencySummaries(registry, DEFAULT_SUMMARY_QUANTILES);
 * summaries.observe({ model: 'simple', version: '1' }, requestEvent);
 * ```
 */
export class LatencySummaries {
  private readonly request: Summary<ModelLabel>;
  private readonly queue: Summary<ModelLabel>;
  private readonly computeInput: Summary<ModelLabel>;
  private readonly computeInfer: Summary<ModelLabel>;
  private readonly computeOutput: Summary<ModelLabel>;

  constructor(registry: Registry, quantiles: readonly SummaryQuantile[]) {
    const make = (spec: (typeof SUMMARY_METRICS)[keyof typeof SUMMARY_METRICS]): Summary<ModelLabel> =>
      new Summary<ModelLabel>({
        name: spec.name,
        help: spec.help,
        labelNames: MODEL_LABELS,
        percentiles: quantiles.map((q) => q.quantile),
        maxAgeSeconds: MAX_AGE_SECONDS,
        ageBuckets: AGE_BUCKETS,
        registers: [registry],
      });
    this.request = make(SUMMARY_METRICS.request);
    this.queue = make(SUMMARY_METRICS.queue);
    this.computeInput = make(SUMMARY_METRICS.computeInput);
    this.computeInfer = make(SUMMARY_METRICS.computeInfer);
    this.computeOutput = make(SUMMARY_METRICS.computeOutput);
  }

  /** Records a successful request's durations (as whole microseconds, like the counters). */
  observe(labels: Readonly<Record<ModelLabel, string>>, event: RequestEvent): void {
    const us = (ns: number): number => Math.trunc(nonNegative(ns) / 1000);
    this.request.observe(labels, us(event.requestNs));
    this.queue.observe(labels, us(event.queueNs));
    this.computeInput.observe(labels, us(event.computeInputNs));
    this.computeInfer.observe(labels, us(event.computeInferNs));
    this.computeOutput.observe(labels, us(event.computeOutputNs));
  }

  /** Drops an unloaded version's series. */
  remove(labels: Readonly<Record<ModelLabel, string>>): void {
    for (const summary of [this.request, this.queue, this.computeInput, this.computeInfer, this.computeOutput]) {
      summary.remove(labels);
    }
  }
}

/**
 * The optional latency metrics `config` turns on (none by default); the metrics observer feeds
 * it every successful request.
 *
 * @example
 * ```ts
 * const optional = OptionalLatencies.create(registry, parseMetricsConfig(['histogram_latencies=true']));
 * optional?.observe({ model: 'simple', version: '1' }, requestEvent);
 * ```
 */
export class OptionalLatencies {
  private constructor(
    private readonly summaries: LatencySummaries | undefined,
    private readonly firstResponse: Histogram<ModelLabel> | undefined,
  ) {}

  /** Registers what `config` asks for; undefined when it asks for nothing. */
  static create(registry: Registry, config: MetricsConfig | undefined): OptionalLatencies | undefined {
    if (!config?.summaryLatencies && !config?.histogramLatencies) return undefined;
    const summaries = config.summaryLatencies ? new LatencySummaries(registry, config.summaryQuantiles) : undefined;
    const firstResponse = config.histogramLatencies
      ? new Histogram<ModelLabel>({
          name: FIRST_RESPONSE_HISTOGRAM.name,
          help: FIRST_RESPONSE_HISTOGRAM.help,
          labelNames: MODEL_LABELS,
          buckets: [...FIRST_RESPONSE_BUCKETS_MS],
          registers: [registry],
        })
      : undefined;
    return new OptionalLatencies(summaries, firstResponse);
  }

  /** Records a successful request. */
  observe(labels: Readonly<Record<ModelLabel, string>>, event: RequestEvent): void {
    this.summaries?.observe(labels, event);
    if (this.firstResponse && event.firstResponseNs !== undefined) {
      this.firstResponse.observe(labels, nonNegative(event.firstResponseNs) / 1e6);
    }
  }

  /** Drops an unloaded version's series. */
  remove(labels: Readonly<Record<ModelLabel, string>>): void {
    this.summaries?.remove(labels);
    this.firstResponse?.remove(labels);
  }
}
