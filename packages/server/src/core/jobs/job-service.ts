/**
 * The async job API's facade (docs/jobs.md), between the HTTP routes and a job store: checks
 * callback URLs at submission, scopes jobs to the model of the URL they are read through, turns
 * records into the status documents clients and callbacks receive, sends callbacks when a job
 * finishes on this replica, and fans the store's events out to observers (the metrics).
 */
import type { Logger } from 'pino';
import { WebhookSender } from './webhook.js';
import type { JobEvents, JobRecord, JobResult, JobStore, NewJob } from './job-types.js';

/** The path of a job: `/v2/models/{m}[/versions/{v}]/jobs/{id}`. */
export function jobPath(record: Pick<JobRecord, 'model' | 'version' | 'id'>): string {
  const version = record.version === '' ? '' : `/versions/${encodeURIComponent(record.version)}`;
  return `/v2/models/${encodeURIComponent(record.model)}${version}/jobs/${encodeURIComponent(record.id)}`;
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

/**
 * The status document of GET `.../jobs/{id}`, DELETE and callbacks. A succeeded job carries the
 * infer response: inline as `response` when it is JSON, else (binary tensor data was asked for)
 * `binary_result: true` and the bytes at `result_url`.
 *
 * @example
 * ```ts
 * jobDocument(record, result); // { id, model, status: 'succeeded', response: { outputs: [...] }, ... }
 * ```
 */
export function jobDocument(record: JobRecord, result: JobResult | undefined): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    id: record.id,
    model: record.model,
    ...(record.version === '' ? {} : { version: record.version }),
    status: record.status,
    created_at: iso(record.createdMs),
    ...(record.startedMs === undefined ? {} : { started_at: iso(record.startedMs) }),
    ...(record.finishedMs === undefined ? {} : { finished_at: iso(record.finishedMs) }),
    attempts: record.attempts,
    ...(record.runner === undefined ? {} : { runner: record.runner }),
  };
  if (record.error !== undefined) {
    doc['error'] = record.error.message;
    doc['error_code'] = record.error.code;
  }
  if (record.status === 'succeeded') {
    doc['result_url'] = `${jobPath(record)}/result`;
    if (result !== undefined && result.headerLength === undefined) {
      doc['response'] = JSON.parse(result.body.toString('utf8')) as unknown;
    } else {
      doc['binary_result'] = true;
    }
  }
  return doc;
}

/**
 * The job API.
 *
 * @example
 * ```ts
 * const jobs = new JobService(store, webhooks, logger);
 * await jobs.start();
 * const record = await jobs.submit({ request, client: '127.0.0.1' });
 * ```
 */
export class JobService {
  private readonly observers: JobEvents[] = [];

  constructor(
    /** The store (in-process or Redis). */
    readonly store: JobStore,
    private readonly webhooks: WebhookSender,
    private readonly logger: Logger,
  ) {}

  /** Adds an observer of started and finished jobs (this replica's). */
  observe(observer: JobEvents): void {
    this.observers.push(observer);
  }

  /** Starts the store's workers. */
  async start(): Promise<void> {
    await this.store.start({
      onStarted: (record) => {
        for (const o of this.observers) o.onStarted(record);
      },
      onFinished: (record, result) => {
        for (const o of this.observers) o.onFinished(record, result);
        if (record.callbackUrl !== undefined) this.callBack(record, result);
      },
    });
  }

  /** Queues a job (throws INVALID_ARG for a callback URL that is not allowed, JobsBusyError when full). */
  async submit(job: NewJob): Promise<JobRecord> {
    if (job.callbackUrl !== undefined) this.webhooks.check(job.callbackUrl);
    return this.store.submit(job);
  }

  /** The job, when it exists and belongs to `model` (and `version`, when the URL names one). */
  async get(model: string, version: string | undefined, id: string): Promise<JobRecord | undefined> {
    const record = await this.store.get(id);
    if (record === undefined || record.model !== model) return undefined;
    if (version !== undefined && record.version !== version) return undefined;
    return record;
  }

  /** A succeeded job's result. */
  result(id: string): Promise<JobResult | undefined> {
    return this.store.result(id);
  }

  /** Cancels the job (see {@link JobStore.cancel}); undefined when {@link get} would find none. */
  async cancel(model: string, version: string | undefined, id: string): Promise<JobRecord | undefined> {
    if ((await this.get(model, version, id)) === undefined) return undefined;
    return this.store.cancel(id);
  }

  /** Queued and running jobs over the store. */
  counts(): Promise<{ queued: number; running: number }> {
    return this.store.counts();
  }

  /** Takes no more jobs (shutdown begins). */
  stopTaking(): void {
    this.store.stopTaking();
  }

  /** Stops the store and drops callbacks waiting for a retry. */
  async close(): Promise<void> {
    this.webhooks.close();
    await this.store.close();
  }

  private callBack(record: JobRecord, result: JobResult | undefined): void {
    let body: string;
    try {
      body = JSON.stringify(jobDocument(record, result));
    } catch (err) {
      this.logger.warn({ err, jobId: record.id }, 'jobs: callback body could not be built');
      return;
    }
    this.webhooks.send(record.callbackUrl!, record.id, body);
  }
}
