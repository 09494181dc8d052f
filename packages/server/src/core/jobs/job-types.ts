/**
 * The async job API's shared vocabulary (docs/jobs.md): a job is one inference request as the
 * HTTP frontend received it (JSON, or JSON plus binary tensor data), queued under an id, run later
 * by a worker of this replica or, with a Redis store, of any replica, and kept with its result
 * for a while. The stores (`memory-job-store.ts`, `redis-job-store.ts`) keep jobs as bytes, so a
 * job can cross processes; the HTTP frontend supplies the {@link JobExecutor} that turns the bytes
 * into an inference and the response back into bytes.
 */
import { hostname } from 'node:os';
import type { CancelSignal } from '../cancel-signal.js';
import { InferenceError, type ErrorCode } from '../errors.js';

/** Where a job is in its life. `queued` and `running` are live; the others are final. */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** The inference request a job runs, as received. */
export interface JobRequest {
  readonly model: string;
  /** `''`: the server's choice when the job runs (the highest ready version). */
  readonly version: string;
  /** The request body: JSON, or the JSON header followed by binary tensor data. */
  readonly body: Buffer;
  /** `Inference-Header-Content-Length` when the body has binary data; undefined for JSON. */
  readonly headerLength: number | undefined;
}

/** A successful job's infer response, as the infer endpoint would have sent it. */
export interface JobResult {
  /** JSON, or the JSON header followed by binary output data. */
  readonly body: Buffer;
  /** The JSON header's length when the body has binary data; undefined for JSON. */
  readonly headerLength: number | undefined;
}

/** Runs a job's request; throws an `InferenceError` when it fails. Supplied by the HTTP frontend. */
export type JobExecutor = (request: JobRequest, signal: CancelSignal) => Promise<JobResult>;

/** A job's record: what GET `.../jobs/{id}` reports (the result itself is read separately). */
export interface JobRecord {
  readonly id: string;
  readonly model: string;
  readonly version: string;
  readonly status: JobStatus;
  /** Who submitted it (the quota key: a header's value or the remote address). */
  readonly client: string;
  /** Wall-clock milliseconds. */
  readonly createdMs: number;
  readonly startedMs?: number | undefined;
  readonly finishedMs?: number | undefined;
  /** How many times a worker started it (above 1 after a replica running it died). */
  readonly attempts: number;
  /** The replica that started it last ({@link RUNNER_ID}). */
  readonly runner?: string | undefined;
  /** For a failed (or cancelled) job: the error's Triton code and message. */
  readonly error?: { readonly code: ErrorCode; readonly message: string } | undefined;
  /** The callback URL given at submission, if any. */
  readonly callbackUrl?: string | undefined;
  /** Whether the result has binary sections (read it from `.../result`). */
  readonly binaryResult?: boolean | undefined;
}

/** This process as a job runner: `<hostname>:<pid>`, reported as a job's `runner`. */
export const RUNNER_ID = `${hostname()}:${process.pid}`;

/** What a submission carries besides the request. */
export interface NewJob {
  readonly request: JobRequest;
  readonly client: string;
  readonly callbackUrl?: string | undefined;
}

/** Bounds every store enforces (flags `--jobs-*`, docs/jobs.md). */
export interface JobLimits {
  /** Jobs queued (not yet running) over the whole store; more are refused (429). */
  readonly maxQueued: number;
  /** Live (queued or running) jobs of one client; more are refused (429). */
  readonly maxPerClient: number;
  /** How long a finished job and its result are kept, in milliseconds. */
  readonly resultTtlMs: number;
  /** Jobs this replica runs at once. */
  readonly concurrency: number;
}

/** Events a store reports, for metrics and webhooks (only the replica that ran the job reports it finished). */
export interface JobEvents {
  onStarted(record: JobRecord): void;
  onFinished(record: JobRecord, result: JobResult | undefined): void;
}

/** A job store with its workers: the in-process one or the Redis one. */
export interface JobStore {
  /** `memory` or `redis`, for logs and metrics. */
  readonly kind: 'memory' | 'redis';
  /** Queues a job; throws {@link JobsBusyError} when the backlog or the client's quota is full. */
  submit(job: NewJob): Promise<JobRecord>;
  /** The job's record, or undefined when there is none (never was, or expired). */
  get(id: string): Promise<JobRecord | undefined>;
  /** A succeeded job's result (undefined otherwise). */
  result(id: string): Promise<JobResult | undefined>;
  /** Cancels a live job (a queued one never runs; a running one is cancelled); returns the record after. */
  cancel(id: string): Promise<JobRecord | undefined>;
  /** Queued and running jobs (over the whole store), for metrics. */
  counts(): Promise<{ queued: number; running: number }>;
  /** Starts the workers. */
  start(events: JobEvents): Promise<void>;
  /** Takes no more jobs from the queue (called when shutdown starts, before the core refuses requests). */
  stopTaking(): void;
  /**
   * Stops for good: the in-process store cancels its running jobs (they are lost with it); the
   * Redis store waits for them (bounded by the server's exit timeout), then closes its connections.
   */
  close(): Promise<void>;
}

/** A submission refused because the backlog or the client's quota is full (HTTP 429 with Retry-After). */
export class JobsBusyError extends InferenceError {
  /** Seconds after which trying again makes sense. */
  readonly retryAfterSecs: number;

  constructor(message: string, retryAfterSecs: number) {
    super('RESOURCE_EXHAUSTED', message);
    this.retryAfterSecs = retryAfterSecs;
  }
}

/** The Retry-After advice: 1 second, as the backlog drains at the workers' pace. */
export const RETRY_AFTER_SECS = 1;

/** The message of a full backlog. */
export function backlogFullMessage(maxQueued: number): string {
  return `job backlog is full: ${maxQueued} jobs are queued (--jobs-max-queued); retry later`;
}

/** The message of a client over its quota. */
export function quotaFullMessage(maxPerClient: number): string {
  return `this client already has ${maxPerClient} queued or running jobs (--jobs-max-per-client); retry when some finish`;
}
