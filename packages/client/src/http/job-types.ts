/**
 * Types of the async job API (tensorgate's `POST /v2/models/{m}/jobs`, docs/jobs.md) as the HTTP
 * client returns them.
 */
import type { InferResult } from '../infer-result.js';
import type { CallOptions, InferOptions, ModelVersion } from '../options.js';

/** Where a job is: `queued` and `running` are live, the others final. */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A job as the server reports it. */
export interface Job {
  readonly id: string;
  readonly model: string;
  /** The version named at submission; undefined: the server's choice. */
  readonly version?: string;
  readonly status: JobStatus;
  /** ISO 8601 times (in the `Job` `submitJob` returns, `createdAt` is the client's clock at submission). */
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** Times a worker started it (above 1 after the replica running it died). */
  readonly attempts: number;
  /** The replica (`<hostname>:<pid>`) that started it last. */
  readonly runner?: string;
  /** For a failed or cancelled job: the server's message and Triton error code. */
  readonly error?: string;
  readonly errorCode?: string;
  /** For a succeeded job: the inference result, decoded like {@link HttpInferenceClient.infer}'s. */
  readonly result?: InferResult;
}

/** Options of `submitJob`: an inference's options plus the callback. */
export interface SubmitJobOptions extends InferOptions {
  /** A URL the server POSTs the finished job to (its origin must be in the server's `--jobs-webhook-allow`). */
  readonly callbackUrl?: string;
}

/** Options of `getJob` / `cancelJob`. */
export interface JobCallOptions extends CallOptions {
  /** The version the job was submitted to, when one was named. */
  readonly modelVersion?: ModelVersion;
}

/** Options of `waitJob`; `timeoutMs` bounds the whole wait, `signal` stops it. */
export interface WaitJobOptions extends JobCallOptions {
  /** First wait between polls (default 100 ms), doubled up to `maxPollIntervalMs`. */
  readonly pollIntervalMs?: number;
  /** Longest wait between polls (default 2000 ms). */
  readonly maxPollIntervalMs?: number;
}
