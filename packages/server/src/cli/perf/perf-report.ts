/**
 * The result of a `tensorgate perf` run: what every renderer (table, CSV, JSON, HTML) reads. The
 * JSON output is this object as is, so its field names are a public format: add, never rename.
 * Times are microseconds (as in perf_analyzer's reports), rates per second.
 */
import type { LatencySummary } from './latency-stats.js';
import type { RequestDistribution } from './schedule.js';

/** Server-side averages per request over the step's windows (statistics API deltas). */
export interface ServerBreakdown {
  /** Successful inferences the server counted in the windows (batch items, not requests). */
  readonly inferences: number;
  /** Model executions (a batch is one execution). */
  readonly executions: number;
  /** inferences / executions: the batch size the server formed on average. */
  readonly avgBatchSize: number;
  /** Average time from arrival to response, per request (the statistics' `success` duration). */
  readonly requestUs: number;
  readonly queueUs: number;
  readonly computeInputUs: number;
  readonly computeInferUs: number;
  readonly computeOutputUs: number;
}

/** Streaming (decoupled) figures: every request gets any number of responses. */
export interface StreamingFigures {
  /** Responses carrying outputs, over all completed requests. */
  readonly responses: number;
  readonly responsesPerRequest: number;
  /** Send to first response. */
  readonly firstResponseUs: LatencySummary;
  /** Between consecutive responses of one request. */
  readonly interResponseUs: LatencySummary;
}

/**
 * Generated tokens, for models whose responses carry `num_output_tokens` (the LLM contract's final
 * response parameter); absent for other models.
 */
export interface TokenFigures {
  /** Output tokens of the requests that reported a count. */
  readonly outputTokens: number;
  /** outputTokens over the windows' length. */
  readonly outputTokensPerSec: number;
  /** outputTokens per request that reported a count. */
  readonly perRequest: number;
}

/** Request-rate (open loop) schedule keeping. */
export interface ScheduleFigures {
  /** Requests sent in the windows. */
  readonly sent: number;
  /** Requests sent more than {@link LATE_THRESHOLD_US} after their scheduled time. */
  readonly delayed: number;
  /** Largest lag between a scheduled and an actual send. */
  readonly maxSendLagUs: number;
  /** Scheduled requests not sent because `--max-inflight` requests were already outstanding. */
  readonly notSent: number;
}

/** A send this much later than scheduled counts as delayed (Node timers have ~1 ms resolution). */
export const LATE_THRESHOLD_US = 2000;

/** One load level (a concurrency or a request rate). */
export interface PerfStep {
  /** Requests kept in flight (concurrency mode). */
  readonly concurrency?: number;
  /** Target requests per second (request-rate mode). */
  readonly requestRate?: number;
  /** Whether the last windows met the stability rule before `--max-trials` ran out. */
  readonly stable: boolean;
  /** Measurement windows taken. */
  readonly trials: number;
  /** Windows merged into these figures (the last three, or fewer). */
  readonly windowsUsed: number;
  /** Length of the merged windows, milliseconds. */
  readonly durationMs: number;
  readonly requests: {
    readonly ok: number;
    readonly failed: number;
    /** Failed requests by error code (gRPC status name or HTTP status). */
    readonly errors: Readonly<Record<string, number>>;
    /** First error message seen, for the report. */
    readonly firstError?: string;
  };
  readonly throughput: { readonly requestsPerSec: number; readonly inferencesPerSec: number };
  /** Client-side latency of successful requests (send to last response). */
  readonly latencyUs: LatencySummary;
  /** Null when the statistics API could not be read. */
  readonly server: ServerBreakdown | null;
  readonly streaming?: StreamingFigures;
  /** Generated tokens (LLMs: responses with `num_output_tokens`). */
  readonly tokens?: TokenFigures;
  readonly schedule?: ScheduleFigures;
  /** perf's own CPU time per completed request (user + system): its overhead as a client. */
  readonly clientCpuUsPerRequest: number;
}

/** A whole run. */
export interface PerfReport {
  readonly tool: 'tensorgate perf';
  readonly version: string;
  readonly startedAt: string;
  readonly model: string;
  readonly modelVersion: string;
  readonly protocol: 'grpc' | 'http';
  readonly url: string;
  readonly mode: 'concurrency' | 'request-rate';
  readonly requestDistribution?: RequestDistribution;
  readonly streaming: boolean;
  readonly batchSize: number;
  readonly inputData: string;
  readonly measurementIntervalMs: number;
  readonly stabilityPercentage: number;
  readonly maxTrials: number;
  /** `--percentile`, when given: stability uses it, and `latencyUs.pN` carries it. */
  readonly percentile?: number;
  readonly steps: PerfStep[];
}

/** The load level of a step as a number (concurrency or request rate). */
export function stepLevel(step: PerfStep): number {
  return step.concurrency ?? step.requestRate ?? NaN;
}

/** Column title of the load level for a report's mode. */
export function levelTitle(report: PerfReport): string {
  return report.mode === 'concurrency' ? 'Concurrency' : 'Request Rate';
}
