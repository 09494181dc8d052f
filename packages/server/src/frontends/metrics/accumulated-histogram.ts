/**
 * A histogram family whose series are plain bucket counters that the caller holds and feeds.
 *
 * Hand-written rather than a prom-client `Histogram`: prom-client's `observe(labels, value)`
 * validates the labels and rebuilds a label hash string on every call, and request latencies are
 * observed on the per-request path (three histograms per request). Here the caller keeps the
 * {@link HistogramSeries} of a label set and {@link AccumulatedHistogram.observe} only bumps
 * numbers; the Prometheus values are built when the registry is scraped, in exactly the shape
 * prom-client's `Histogram` produces (same `_bucket` / `_sum` / `_count` lines, `le` first, then
 * the series' labels), so `/metrics` reads the same.
 */
import type { Aggregator, Metric, Registry } from 'prom-client';
import type { MetricSpec } from './metric-names.js';

/** The label values of one series, in the order they are printed. */
export type SeriesLabels = Readonly<Record<string, string>>;

/** One series of an {@link AccumulatedHistogram}: non-cumulative bucket counts, sum and count. */
export interface HistogramSeries {
  /** The series' labels (without `le`); printed in this object's key order. */
  readonly labels: SeriesLabels;
  /** Observations per bucket: index i counts values in (bound[i-1], bound[i]]; none above the top. */
  readonly counts: Float64Array;
  /** Sum of every observed value. */
  sum: number;
  /** Number of observations (the `+Inf` bucket). */
  count: number;
}

/** One exported sample, shaped like prom-client's histogram values (registry formatting reads them). */
interface HistogramValue {
  readonly value: number;
  readonly metricName: string;
  readonly exemplar: null | undefined;
  readonly labels: Record<string, string | number>;
  readonly sharedLabels: SeriesLabels;
}

/** What {@link AccumulatedHistogram.get} returns: prom-client's metric object shape. */
export interface AccumulatedHistogramData {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: Aggregator;
  readonly values: Array<{ value: number; metricName: string; labels: Record<string, string | number> }>;
}

/**
 * A histogram family registered on a prom-client {@link Registry} whose series are created,
 * observed and removed through the {@link HistogramSeries} objects it hands out, with no label
 * lookup per observation. Series are exported in creation order.
 *
 * @example
 * ```ts
 * const latency = new AccumulatedHistogram(registry, METRICS.requestDurationSeconds, LATENCY_BUCKETS_SECONDS);
 * const series = latency.add({ model: 'simple', version: '1' }); // at zero
 * latency.observe(series, 0.003);
 * latency.remove(series);
 * ```
 */
export class AccumulatedHistogram {
  /** The family's name. */
  readonly name: string;
  /** The family's `# HELP` text. */
  readonly help: string;
  /** Always `histogram`. */
  readonly type = 'histogram' as const;
  /** How prom-client's cluster mode merges workers' values: summed, like its own histograms. */
  readonly aggregator: Aggregator = 'sum';
  private readonly bounds: Float64Array;
  private readonly series = new Set<HistogramSeries>();

  /** Registers the family on `registry`; `buckets` are upper bounds in increasing order. */
  constructor(registry: Registry, spec: MetricSpec, buckets: readonly number[]) {
    this.name = spec.name;
    this.help = spec.help;
    this.bounds = Float64Array.from(buckets);
    // The registry only calls name, help, type, aggregator, get/getForPromString and reset; its
    // types name prom-client's own classes, hence the cast.
    registry.registerMetric(this as unknown as Metric);
  }

  /** Creates a series at zero with `labels` and returns it; it is exported after those created before. */
  add(labels: SeriesLabels): HistogramSeries {
    const series: HistogramSeries = { labels, counts: new Float64Array(this.bounds.length), sum: 0, count: 0 };
    this.series.add(series);
    return series;
  }

  /** Counts `value` (finite; others are ignored, where prom-client would throw) in `series`. */
  observe(series: HistogramSeries, value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        series.counts[i]! += 1;
        break;
      }
    }
    series.sum += value;
    series.count += 1;
  }

  /** Stops exporting `series`. */
  remove(series: HistogramSeries): void {
    this.series.delete(series);
  }

  /** Zeroes every series (the registry's `resetMetrics()`); the series stay exported. */
  reset(): void {
    for (const series of this.series) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }

  /** The family with each sample's labels merged (`le` first), as `registry.getMetricsAsJSON()` shows it. */
  get(): Promise<AccumulatedHistogramData> {
    const values = this.values().map(({ sharedLabels, labels, ...rest }) => ({
      ...rest,
      labels: { ...labels, ...sharedLabels },
    }));
    return Promise.resolve(this.data(values));
  }

  /** The family as `registry.metrics()` formats it: `le` in `labels`, the series' labels shared. */
  getForPromString(): Promise<AccumulatedHistogramData> {
    return Promise.resolve(this.data(this.values()));
  }

  private data(values: AccumulatedHistogramData['values']): AccumulatedHistogramData {
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Cumulative `_bucket` samples, then `+Inf`, `_sum` and `_count`, per series (prom-client's order). */
  private values(): HistogramValue[] {
    const bucket = `${this.name}_bucket`;
    const values: HistogramValue[] = [];
    for (const series of this.series) {
      const sharedLabels = series.labels;
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += series.counts[i]!;
        values.push({
          labels: { le: this.bounds[i]! },
          sharedLabels,
          value: cumulative,
          metricName: bucket,
          exemplar: null,
        });
      }
      values.push(
        { labels: { le: '+Inf' }, sharedLabels, value: series.count, metricName: bucket, exemplar: null },
        { labels: {}, sharedLabels, value: series.sum, metricName: `${this.name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels, value: series.count, metricName: `${this.name}_count`, exemplar: undefined },
      );
    }
    return values;
  }
}
