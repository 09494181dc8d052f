/**
 * The accumulating {@link MetricsObserver} must print exactly what the straightforward
 * prom-client version printed (one `inc` / `observe` per event). The reference below is that
 * earlier implementation, kept only to compare against; both get the same events and their
 * `/metrics` text must be byte-identical.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type {
  CacheEvent,
  FailureReason,
  InferenceObserver,
  InstanceRestartEvent,
  RequestEvent,
} from '../../core/observer.js';
import { LlmMetrics } from './llm-metrics.js';
import { nonNegative } from './metric-factories.js';
import { FAILURE_REASONS, LATENCY_BUCKETS_SECONDS, METRICS, RESTART_REASONS, type MetricSpec } from './metric-names.js';
import { MetricsObserver } from './metrics-observer.js';

type DurationField = 'requestNs' | 'queueNs' | 'computeInputNs' | 'computeInferNs' | 'computeOutputNs';
type Labels = Record<string, string>;

/** The per-event prom-client observer this package used before it accumulated values itself. */
class PromClientObserver implements InferenceObserver {
  private readonly seen = new Set<string>();
  private readonly success: Counter;
  private readonly failure: Counter;
  private readonly inferenceCount: Counter;
  private readonly execCount: Counter;
  private readonly durations: Array<[Counter, DurationField]>;
  private readonly cache: [Counter, Counter, Counter, Counter];
  private readonly pending: Gauge;
  private readonly restarts: Counter;
  private readonly histograms: Array<[Histogram, DurationField]>;

  constructor(registry: Registry) {
    const counter = (spec: MetricSpec): Counter =>
      new Counter({ name: spec.name, help: spec.help, labelNames: spec.labels, registers: [registry] });
    const histogram = (spec: MetricSpec): Histogram =>
      new Histogram({
        name: spec.name,
        help: spec.help,
        labelNames: spec.labels,
        buckets: [...LATENCY_BUCKETS_SECONDS],
        registers: [registry],
      });
    this.success = counter(METRICS.requestSuccess);
    this.failure = counter(METRICS.requestFailure);
    this.inferenceCount = counter(METRICS.inferenceCount);
    this.execCount = counter(METRICS.execCount);
    this.durations = [
      [counter(METRICS.requestDurationUs), 'requestNs'],
      [counter(METRICS.queueDurationUs), 'queueNs'],
      [counter(METRICS.computeInputDurationUs), 'computeInputNs'],
      [counter(METRICS.computeInferDurationUs), 'computeInferNs'],
      [counter(METRICS.computeOutputDurationUs), 'computeOutputNs'],
    ];
    this.cache = [
      counter(METRICS.cacheHits),
      counter(METRICS.cacheMisses),
      counter(METRICS.cacheHitDurationUs),
      counter(METRICS.cacheMissDurationUs),
    ];
    const spec = METRICS.pendingRequestCount;
    this.pending = new Gauge({ name: spec.name, help: spec.help, labelNames: spec.labels, registers: [registry] });
    this.restarts = counter(METRICS.instanceRestarts);
    this.histograms = [
      [histogram(METRICS.requestDurationSeconds), 'requestNs'],
      [histogram(METRICS.queueDurationSeconds), 'queueNs'],
      [histogram(METRICS.computeInferDurationSeconds), 'computeInferNs'],
    ];
    new LlmMetrics(registry);
  }

  onRequest(event: RequestEvent): void {
    const labels = this.ensure(event.model, event.version);
    if (!event.success) {
      this.failure.inc({ ...labels, reason: event.reason ?? 'OTHER' });
      return;
    }
    this.success.inc(labels);
    this.inferenceCount.inc(labels, nonNegative(event.batchSize));
    for (const [metric, field] of this.durations) metric.inc(labels, Math.trunc(nonNegative(event[field]) / 1000));
    for (const [metric, field] of this.histograms) metric.observe(labels, nonNegative(event[field]) / 1e9);
  }

  onCache(event: CacheEvent): void {
    const labels = this.ensure(event.model, event.version);
    const [hits, misses, hitUs, missUs] = this.cache;
    (event.hit ? hits : misses).inc(labels);
    (event.hit ? hitUs : missUs).inc(labels, Math.trunc(nonNegative(event.ns) / 1000));
  }

  onExecution(event: { model: string; version: string }): void {
    this.execCount.inc(this.ensure(event.model, event.version));
  }

  onPending(model: string, version: string, pending: number): void {
    this.pending.set(this.ensure(model, version), nonNegative(pending));
  }

  onInstanceRestart(event: InstanceRestartEvent): void {
    this.restarts.inc({ ...this.ensure(event.model, event.version), reason: event.reason });
  }

  onVersionReady(model: string, version: string): void {
    this.ensure(model, version);
  }

  onVersionUnloaded(model: string, version: string): void {
    const labels = { model, version };
    if (!this.seen.delete(`${model}\0${version}`)) return;
    this.success.remove(labels);
    for (const reason of FAILURE_REASONS) this.failure.remove({ ...labels, reason });
    this.inferenceCount.remove(labels);
    this.execCount.remove(labels);
    for (const [metric] of this.durations) metric.remove(labels);
    for (const metric of this.cache) metric.remove(labels);
    for (const [metric] of this.histograms) metric.remove(labels);
    this.pending.remove(labels);
    for (const reason of RESTART_REASONS) this.restarts.remove({ ...labels, reason });
  }

  private ensure(model: string, version: string): Labels {
    const labels = { model, version };
    const key = `${model}\0${version}`;
    if (this.seen.has(key)) return labels;
    this.seen.add(key);
    this.success.inc(labels, 0);
    for (const reason of FAILURE_REASONS) this.failure.inc({ ...labels, reason }, 0);
    this.inferenceCount.inc(labels, 0);
    this.execCount.inc(labels, 0);
    for (const [metric] of this.durations) metric.inc(labels, 0);
    for (const metric of this.cache) metric.inc(labels, 0);
    for (const [metric] of this.histograms) metric.zero(labels);
    this.pending.set(labels, 0);
    for (const reason of RESTART_REASONS) this.restarts.inc({ ...labels, reason }, 0);
    return labels;
  }
}

/** A deterministic pseudo-random sequence (a 32-bit LCG), so a failure reproduces. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Durations that hit bucket bounds exactly, sit beside them, exceed the top one, or are broken. */
const NS = [
  0,
  1,
  999,
  1000,
  499_999,
  500_000,
  500_001,
  1_000_000,
  2_500_000,
  3_333_333,
  99_999_999,
  100_000_000,
  250_000_001,
  1e9,
  59_999_999_999,
  60e9,
  61e9,
  1e12,
  -5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  123_456.789,
];

test('the /metrics text is byte-identical to the per-event prom-client observer', async () => {
  const ours = new Registry();
  const reference = new Registry();
  const observers: InferenceObserver[] = [new MetricsObserver(ours), new PromClientObserver(reference)];
  const random = lcg(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const models = ['simple', 'other', 'q"uote\\d'];
  const versions = ['1', '2', '10'];
  const reasons: Array<FailureReason | undefined> = [...FAILURE_REASONS, undefined];
  let checkpoints = 0;
  for (let step = 0; step < 3000; step++) {
    const model = pick(models);
    const version = pick(versions);
    const kind = random();
    let feed: (observer: InferenceObserver) => void;
    if (kind < 0.6) {
      const success = random() < 0.8;
      const reason = pick(reasons);
      const event: RequestEvent = {
        model,
        version,
        success,
        batchSize: pick([1, 2, 8, 0, -1, Number.NaN]),
        requestNs: pick(NS),
        queueNs: pick(NS),
        computeInputNs: pick(NS),
        computeInferNs: pick(NS),
        computeOutputNs: pick(NS),
        ...(success || reason === undefined ? {} : { reason }),
      };
      feed = (observer) => observer.onRequest?.(event);
    } else if (kind < 0.7) {
      const event: CacheEvent = { model, version, hit: random() < 0.5, ns: pick(NS) };
      feed = (observer) => observer.onCache?.(event);
    } else if (kind < 0.72) feed = (observer) => observer.onExecution?.({ model, version, batchSize: 1 });
    else if (kind < 0.75) {
      const reason = pick(RESTART_REASONS);
      feed = (observer) => observer.onInstanceRestart?.({ model, version, instance: `${model}_0`, reason });
    } else if (kind < 0.9) {
      const pending = pick([0, 1, 7, -2, Number.NaN]);
      feed = (observer) => observer.onPending?.(model, version, pending);
    } else if (kind < 0.95) feed = (observer) => observer.onVersionReady?.(model, version);
    else feed = (observer) => observer.onVersionUnloaded?.(model, version);
    for (const observer of observers) feed(observer);
    if (step % 250 === 249) {
      checkpoints += 1;
      const [actual, expected] = await Promise.all([ours.metrics(), reference.metrics()]);
      assert.equal(actual, expected, `diverged by step ${step}`);
      assert.deepEqual(await ours.getMetricsAsJSON(), await reference.getMetricsAsJSON());
    }
  }
  assert.equal(checkpoints, 12);
  assert.match(await ours.metrics(), /tensorgate_inference_request_duration_seconds_bucket\{le="\+Inf",model=/);
});
