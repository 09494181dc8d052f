/**
 * Every metric family tensorgate exports on `/metrics`, in one table (architecture convention 5):
 * name, HELP text, type and labels. The observer and the system collector build their prom-client
 * metrics from these entries, and a test checks that docs/metrics.md lists each of them.
 *
 * Names and label sets of the `nv_*` families follow Triton's metrics documentation so existing
 * dashboards and alerts keep working; the HELP texts are our own wording of the same meaning.
 * Triton's only histogram family (`nv_inference_first_response_histogram_ms`) measures the time to
 * the first response of decoupled models, an instant the core's `RequestEvent` does not
 * carry, so latency histograms use our own `tensorgate_*_seconds` names in Prometheus' base unit.
 * LLM families (`tensorgate_llm_*`) mirror vLLM's `vllm:*` metrics (time to first token,
 * inter-token latency, token counters, running/waiting requests) for models of the LLM contract.
 */
import type { FailureReason, InstanceRestartReason } from '../../core/observer.js';

/** The kind of a Prometheus metric family. */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** One metric family: what Prometheus shows in `# HELP` / `# TYPE` and which labels it carries. */
export interface MetricSpec {
  readonly name: string;
  readonly help: string;
  readonly kind: MetricKind;
  readonly labels: readonly string[];
}

/** Labels of every per-model family, as Triton names them. */
export const MODEL_LABELS = ['model', 'version'] as const;

/** Labels of the failure counter: the model labels plus Triton's `reason`. */
export const FAILURE_LABELS = ['model', 'version', 'reason'] as const;

/**
 * Every failure reason, in the order Triton documents them. The observer creates one zero-valued
 * failure series per reason as soon as a model is first seen, so `rate()` works from the start.
 */
export const FAILURE_REASONS: readonly FailureReason[] = ['REJECTED', 'CANCELED', 'BACKEND', 'OTHER'];

/** Labels of the instance restart counter: the model labels plus why the instance restarted. */
export const RESTART_LABELS = ['model', 'version', 'reason'] as const;

/**
 * Every restart reason: `timeout` (`execution_timeout_ms` exceeded), `memory` (`memory_limit_mb`
 * exceeded, or the heap ran out), `crash` (the worker died). Each has a series from the version's load.
 */
export const RESTART_REASONS: readonly InstanceRestartReason[] = ['timeout', 'memory', 'crash'];

/**
 * Histogram buckets, in seconds, shared by all latency histograms: from 0.5 ms (a tiny model on a
 * warm CPU) to 60 s (a long LLM generation). Roughly 1-2.5-5 steps per decade, which keeps
 * `histogram_quantile()` error under ~2x while staying at 16 series per model and family.
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** Labels of the LLM finished-request counter: the model labels plus vLLM's finish reason. */
export const FINISH_REASON_LABELS = ['model', 'version', 'finish_reason'] as const;

/**
 * Finish reasons of the LLM contract; their series exist (at zero) from the model's load. A
 * model's other values are counted as `other`, so a misbehaving model cannot grow the label set.
 */
export const LLM_FINISH_REASONS: readonly string[] = ['stop', 'length', 'cancelled', 'other'];

/**
 * Buckets, in seconds, of the LLM latency histograms: from 1 ms (one decode step on a GPU) to
 * 10 minutes (a long generation on a CPU).
 */
export const LLM_LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];

/**
 * The metric table. Keys are the identifiers code uses; values are what Prometheus sees.
 *
 * @example
 * ```ts
 * new Counter({ name: METRICS.requestSuccess.name, help: METRICS.requestSuccess.help,
 *               labelNames: METRICS.requestSuccess.labels, registers: [registry] });
 * ```
 */
export const METRICS = {
  requestSuccess: {
    name: 'nv_inference_request_success',
    help: 'Count of inference requests that completed successfully; a batched request counts once',
    kind: 'counter',
    labels: MODEL_LABELS,
  },
  requestFailure: {
    name: 'nv_inference_request_failure',
    help: 'Count of inference requests that failed, by reason (REJECTED, CANCELED, BACKEND, OTHER); a batched request counts once',
    kind: 'counter',
    labels: FAILURE_LABELS,
  },
  inferenceCount: {
    name: 'nv_inference_count',
    help: 'Count of inferences performed by successful requests; a request of batch size n counts n',
    kind: 'counter',
    labels: MODEL_LABELS,
  },
  execCount: {
    name: 'nv_inference_exec_count',
    help: 'Count of model executions (one per batch run on an instance); inference count / execution count is the mean batch size',
    kind: 'counter',
    labels: MODEL_LABELS,
  },
  requestDurationUs: {
    name: 'nv_inference_request_duration_us',
    help: 'Total end-to-end time of successful requests in the server, in microseconds',
    kind: 'counter',
    labels: MODEL_LABELS,
  },
  queueDurationUs: {
    name: 'nv_inference_queue_duration_us',
    help: 'Total time successful requests waited in the scheduler queue, in microseconds',
    kind: 'counter',
    labels: MODEL_LABELS,
  },
  computeInputDurationUs: {
    name: 'nv_inference_compute_input_duration_us',
    help: 'Total time the backend spent preparing inputs of successful requests, in microseconds',
    kind: 'counter',
    labels: MODEL_LABELS,
  },
  computeInferDurationUs: {
    name: 'nv_inference_compute_infer_duration_us',
    help: 'Total time the backend spent running the model for successful requests, in microseconds',
    kind: 'counter',
    labels: MODEL_LABELS,
  },
  computeOutputDurationUs: {
    name: 'nv_inference_compute_output_duration_us',
    help: 'Total time the backend spent producing outputs of successful requests, in microseconds',
    kind: 'counter',
    labels: MODEL_LABELS,
  },
  cacheHits: {
    name: 'nv_cache_num_hits_per_model',
    help: 'Count of response cache hits of the model (requests answered without executing it)',
    kind: 'counter',
    labels: MODEL_LABELS,
  },
  cacheMisses: {
    name: 'nv_cache_num_misses_per_model',
    help: 'Count of response cache misses of the model whose execution then succeeded',
    kind: 'counter',
    labels: MODEL_LABELS,
  },
  cacheHitDurationUs: {
    name: 'nv_cache_hit_duration_per_model',
    help: 'Total time spent looking up response cache hits of the model, in microseconds',
    kind: 'counter',
    labels: MODEL_LABELS,
  },
  cacheMissDurationUs: {
    name: 'nv_cache_miss_duration_per_model',
    help: 'Total time spent on response cache misses of the model (lookup plus insertion), in microseconds',
    kind: 'counter',
    labels: MODEL_LABELS,
  },
  cacheFailures: {
    name: 'tensorgate_response_cache_failures_total',
    help: 'Count of response cache lookups and insertions that failed because the cache (Redis) did not answer in time; the request ran uncached',
    kind: 'counter',
    labels: [],
  },
  cacheOversized: {
    name: 'tensorgate_response_cache_oversized_total',
    help: 'Count of responses not cached because they are larger than the cache',
    kind: 'counter',
    labels: [],
  },
  cacheCorrupt: {
    name: 'tensorgate_response_cache_unreadable_entries_total',
    help: 'Count of cache entries found but unreadable (malformed, or not answering the request); answered as misses',
    kind: 'counter',
    labels: [],
  },
  jobsQueued: {
    name: 'tensorgate_jobs_queued',
    help: 'Async jobs waiting to run, over the whole job store (every replica sharing a Redis store reports the same total)',
    kind: 'gauge',
    labels: [],
  },
  jobsRunning: {
    name: 'tensorgate_jobs_running',
    help: 'Async jobs running, over the whole job store (every replica sharing a Redis store reports the same total)',
    kind: 'gauge',
    labels: [],
  },
  jobsFinished: {
    name: 'tensorgate_jobs_finished_total',
    help: 'Count of async jobs this replica finished (ran, or cancelled), by model and final status (succeeded, failed, cancelled)',
    kind: 'counter',
    labels: ['model', 'status'],
  },
  jobsQueueSeconds: {
    name: 'tensorgate_jobs_queue_duration_seconds',
    help: 'Distribution of the time async jobs waited from submission until this replica started them, in seconds',
    kind: 'histogram',
    labels: ['model'],
  },
  jobsRunSeconds: {
    name: 'tensorgate_jobs_run_duration_seconds',
    help: 'Distribution of the time async jobs ran on this replica until they finished, in seconds',
    kind: 'histogram',
    labels: ['model'],
  },
  grpcServiceRequests: {
    name: 'tensorgate_grpc_service_requests_total',
    help: 'Calls to an rpc of a custom gRPC service (--grpc-services), counted when they start',
    kind: 'counter',
    labels: ['service', 'method'],
  },
  grpcServiceFailures: {
    name: 'tensorgate_grpc_service_failures_total',
    help: 'Calls to an rpc of a custom gRPC service that ended with a status other than OK, by status',
    kind: 'counter',
    labels: ['service', 'method', 'code'],
  },
  grpcServiceDuration: {
    name: 'tensorgate_grpc_service_request_duration_seconds',
    help: 'Time from the start of a call to an rpc of a custom gRPC service to its status, in seconds',
    kind: 'histogram',
    labels: ['service', 'method'],
  },
  pendingRequestCount: {
    name: 'nv_inference_pending_request_count',
    help: 'Requests of the model currently queued or executing',
    kind: 'gauge',
    labels: MODEL_LABELS,
  },
  instanceRestarts: {
    name: 'tensorgate_model_instance_restarts_total',
    help: 'Count of model instance restarts, by reason: timeout (execution_timeout_ms exceeded), memory (memory_limit_mb exceeded), crash (the worker died)',
    kind: 'counter',
    labels: RESTART_LABELS,
  },
  requestDurationSeconds: {
    name: 'tensorgate_inference_request_duration_seconds',
    help: 'Distribution of the end-to-end time of successful requests in the server, in seconds',
    kind: 'histogram',
    labels: MODEL_LABELS,
  },
  queueDurationSeconds: {
    name: 'tensorgate_inference_queue_duration_seconds',
    help: 'Distribution of the time successful requests waited in the scheduler queue, in seconds',
    kind: 'histogram',
    labels: MODEL_LABELS,
  },
  computeInferDurationSeconds: {
    name: 'tensorgate_inference_compute_infer_duration_seconds',
    help: 'Distribution of the time the backend spent running the model for successful requests, in seconds',
    kind: 'histogram',
    labels: MODEL_LABELS,
  },
  llmTimeToFirstToken: {
    name: 'tensorgate_llm_time_to_first_token_seconds',
    help: 'Distribution of the time from a request of an LLM model arriving to its first text reaching the frontend, in seconds',
    kind: 'histogram',
    labels: MODEL_LABELS,
  },
  llmInterTokenLatency: {
    name: 'tensorgate_llm_inter_token_latency_seconds',
    help: 'Distribution of the time between consecutive text chunks (usually one token each) of streamed LLM requests, in seconds',
    kind: 'histogram',
    labels: MODEL_LABELS,
  },
  llmE2eRequestLatency: {
    name: 'tensorgate_llm_e2e_request_latency_seconds',
    help: 'Distribution of the time from a request of an LLM model arriving to its final response, for requests that finished, in seconds',
    kind: 'histogram',
    labels: MODEL_LABELS,
  },
  llmPromptTokens: {
    name: 'tensorgate_llm_prompt_tokens_total',
    help: 'Count of prompt tokens processed by LLM models, as their final responses report (num_input_tokens)',
    kind: 'counter',
    labels: MODEL_LABELS,
  },
  llmGenerationTokens: {
    name: 'tensorgate_llm_generation_tokens_total',
    help: 'Count of tokens generated by LLM models, as their final responses report (num_output_tokens)',
    kind: 'counter',
    labels: MODEL_LABELS,
  },
  llmRequestSuccess: {
    name: 'tensorgate_llm_request_success_total',
    help: 'Count of LLM requests that finished, by finish reason (stop, length, cancelled, other)',
    kind: 'counter',
    labels: FINISH_REASON_LABELS,
  },
  llmRequestsRunning: {
    name: 'tensorgate_llm_num_requests_running',
    help: 'Requests of an LLM model handed to an instance and not finished (generating or waiting inside the backend)',
    kind: 'gauge',
    labels: MODEL_LABELS,
  },
  llmRequestsWaiting: {
    name: 'tensorgate_llm_num_requests_waiting',
    help: 'Requests of an LLM model waiting in the scheduler queue for an instance',
    kind: 'gauge',
    labels: MODEL_LABELS,
  },
  cpuUtilization: {
    name: 'nv_cpu_utilization',
    help: 'Host CPU utilization over all cores since the previous scrape, from 0.0 to 1.0',
    kind: 'gauge',
    labels: [],
  },
  cpuMemoryTotalBytes: {
    name: 'nv_cpu_memory_total_bytes',
    help: 'Host memory (RAM) in total, in bytes',
    kind: 'gauge',
    labels: [],
  },
  cpuMemoryUsedBytes: {
    name: 'nv_cpu_memory_used_bytes',
    help: 'Host memory (RAM) in use (total minus available), in bytes',
    kind: 'gauge',
    labels: [],
  },
} as const satisfies Record<string, MetricSpec>;

/** Identifier of one metric family in {@link METRICS}. */
export type MetricId = keyof typeof METRICS;
