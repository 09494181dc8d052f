/**
 * The `tensorgate_llm_*` families: vLLM-style serving metrics for models of the LLM contract,
 * computed from the core's per-response events of decoupled models. Other models never create
 * these series; their events are ignored at the cost of one boolean test.
 */
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { llmCompletionInfo } from '../../core/llm-contract.js';
import type { ResponseEvent, VersionInfo } from '../../core/observer.js';
import { counter, gauge, histogram, nonNegative } from './metric-factories.js';
import { LLM_FINISH_REASONS, LLM_LATENCY_BUCKETS_SECONDS, METRICS } from './metric-names.js';

type ModelLabel = 'model' | 'version';
type ReasonLabel = ModelLabel | 'finish_reason';

/** Nanoseconds to seconds; negative or non-finite values (a broken clock) become 0. */
const seconds = (ns: number): number => nonNegative(ns) / 1e9;

/** The label value of a finish reason: one of {@link LLM_FINISH_REASONS}. */
function reasonLabel(reason: string | undefined): string {
  return reason !== undefined && reason !== 'other' && LLM_FINISH_REASONS.includes(reason) ? reason : 'other';
}

/**
 * Keeps the LLM families of a registry. {@link MetricsObserver} forwards the core's events here.
 *
 * - time to first token: the first response with text, from the request's arrival (for a
 *   non-streamed request that is its whole reply, so it equals the end-to-end latency);
 * - inter-token latency: the gap between consecutive responses with text;
 * - end-to-end latency, token counters and finish reasons: from the final response, whose
 *   parameters carry `num_input_tokens`, `num_output_tokens` and `finish_reason`;
 * - running / waiting: requests handed to an instance vs waiting in the core's queue.
 *
 * @example
 * ```ts
 * const llm = new LlmMetrics(registry);
 * llm.onVersionReady('llm', '1', { decoupled: true, llm: true }); // series at zero
 * ```
 */
export class LlmMetrics {
  private readonly ttft: Histogram<ModelLabel>;
  private readonly itl: Histogram<ModelLabel>;
  private readonly e2e: Histogram<ModelLabel>;
  private readonly promptTokens: Counter<ModelLabel>;
  private readonly generationTokens: Counter<ModelLabel>;
  private readonly finished: Counter<ReasonLabel>;
  private readonly running: Gauge<ModelLabel>;
  private readonly waiting: Gauge<ModelLabel>;
  /** `model\0version` keys of LLM versions whose series exist. */
  private readonly seen = new Set<string>();

  /** Registers the LLM families on `registry`. */
  constructor(registry: Registry) {
    this.ttft = histogram(registry, METRICS.llmTimeToFirstToken, LLM_LATENCY_BUCKETS_SECONDS);
    this.itl = histogram(registry, METRICS.llmInterTokenLatency, LLM_LATENCY_BUCKETS_SECONDS);
    this.e2e = histogram(registry, METRICS.llmE2eRequestLatency, LLM_LATENCY_BUCKETS_SECONDS);
    this.promptTokens = counter(registry, METRICS.llmPromptTokens);
    this.generationTokens = counter(registry, METRICS.llmGenerationTokens);
    this.finished = counter(registry, METRICS.llmRequestSuccess);
    this.running = gauge(registry, METRICS.llmRequestsRunning);
    this.waiting = gauge(registry, METRICS.llmRequestsWaiting);
  }

  /** Creates an LLM version's series at zero when it becomes ready. */
  onVersionReady(model: string, version: string, info: VersionInfo | undefined): void {
    if (info?.llm === true) this.ensureSeries(model, version);
  }

  /** Removes an LLM version's series when it stops serving. */
  onVersionUnloaded(model: string, version: string): void {
    if (!this.seen.delete(`${model}\0${version}`)) return;
    const labels = { model, version };
    for (const metric of [this.ttft, this.itl, this.e2e]) metric.remove(labels);
    this.promptTokens.remove(labels);
    this.generationTokens.remove(labels);
    for (const finish_reason of LLM_FINISH_REASONS) this.finished.remove({ ...labels, finish_reason });
    this.running.remove(labels);
    this.waiting.remove(labels);
  }

  /** Sets the running and waiting gauges of an LLM version. */
  onRunning(model: string, version: string, info: { llm: boolean; running: number; waiting: number }): void {
    if (!info.llm) return;
    const labels = this.ensureSeries(model, version);
    this.running.set(labels, Math.max(0, info.running));
    this.waiting.set(labels, Math.max(0, info.waiting));
  }

  /** Records the latencies, and on the final response the tokens and finish reason, of one response. */
  onResponse(event: ResponseEvent): void {
    if (!event.llm) return;
    const labels = this.ensureSeries(event.model, event.version);
    if (event.hasOutputs) {
      if (event.sincePreviousNs < 0) this.ttft.observe(labels, seconds(event.sinceArrivalNs));
      else this.itl.observe(labels, seconds(event.sincePreviousNs));
    }
    if (!event.final) return;
    this.e2e.observe(labels, seconds(event.sinceArrivalNs));
    const info = llmCompletionInfo(event.parameters);
    if (info.inputTokens !== undefined) this.promptTokens.inc(labels, info.inputTokens);
    if (info.outputTokens !== undefined) this.generationTokens.inc(labels, info.outputTokens);
    this.finished.inc({ ...labels, finish_reason: reasonLabel(info.finishReason) });
  }

  private ensureSeries(model: string, version: string): Record<ModelLabel, string> {
    const labels = { model, version };
    const key = `${model}\0${version}`;
    if (this.seen.has(key)) return labels;
    this.seen.add(key);
    for (const metric of [this.ttft, this.itl, this.e2e]) metric.zero(labels);
    this.promptTokens.inc(labels, 0);
    this.generationTokens.inc(labels, 0);
    for (const finish_reason of LLM_FINISH_REASONS) this.finished.inc({ ...labels, finish_reason }, 0);
    this.running.set(labels, 0);
    this.waiting.set(labels, 0);
    return labels;
  }
}
