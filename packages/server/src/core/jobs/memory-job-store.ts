/**
 * The in-process job store (`--jobs-store memory`, the default): a FIFO queue and a map of
 * records in this process, run by up to `concurrency` workers of this replica. Bounded by the
 * backlog and per-client limits; finished jobs are forgotten after the result TTL (one timer per
 * finished job on the injected clock). Everything is lost when the process stops (docs/jobs.md).
 */
import { randomUUID } from 'node:crypto';
import { CancelSource } from '../cancel-signal.js';
import { backgroundClock, type Clock } from '../clock.js';
import { InferenceError } from '../errors.js';
import {
  backlogFullMessage,
  JobsBusyError,
  quotaFullMessage,
  RETRY_AFTER_SECS,
  RUNNER_ID,
  type JobEvents,
  type JobExecutor,
  type JobLimits,
  type JobRecord,
  type JobRequest,
  type JobResult,
  type JobStore,
  type NewJob,
} from './job-types.js';

interface Entry {
  record: JobRecord;
  /** Dropped once the job has finished. */
  request: JobRequest | undefined;
  result: JobResult | undefined;
  cancel: CancelSource | undefined;
  clearExpiry: (() => void) | undefined;
}

/**
 * The in-process store.
 *
 * @example
 * ```ts
 * const store = new MemoryJobStore(executor, { maxQueued: 1000, maxPerClient: 100, resultTtlMs: 3_600_000, concurrency: 4 });
 * await store.start(events);
 * const { id } = await store.submit({ request, client: '127.0.0.1' });
 * ```
 */
export class MemoryJobStore implements JobStore {
  readonly kind = 'memory' as const;
  private readonly jobs = new Map<string, Entry>();
  /** Ids in submission order; a cancelled id stays until it reaches the head and is skipped. */
  private queue: string[] = [];
  private queueHead = 0;
  private queued = 0;
  private running = 0;
  private readonly perClient = new Map<string, number>();
  private events: JobEvents | undefined;
  private closed = false;

  constructor(
    private readonly executor: JobExecutor,
    private readonly limits: JobLimits,
    private readonly clock: Clock = backgroundClock,
  ) {}

  async start(events: JobEvents): Promise<void> {
    this.events = events;
    this.pump();
  }

  async submit(job: NewJob): Promise<JobRecord> {
    if (this.closed) throw new InferenceError('UNAVAILABLE', 'the server is shutting down: no new jobs');
    if (this.queued >= this.limits.maxQueued) {
      throw new JobsBusyError(backlogFullMessage(this.limits.maxQueued), RETRY_AFTER_SECS);
    }
    const live = this.perClient.get(job.client) ?? 0;
    if (live >= this.limits.maxPerClient) {
      throw new JobsBusyError(quotaFullMessage(this.limits.maxPerClient), RETRY_AFTER_SECS);
    }
    const record: JobRecord = {
      id: randomUUID(),
      model: job.request.model,
      version: job.request.version,
      status: 'queued',
      client: job.client,
      createdMs: this.clock.wallMs(),
      attempts: 0,
      callbackUrl: job.callbackUrl,
    };
    this.jobs.set(record.id, {
      record,
      request: job.request,
      result: undefined,
      cancel: undefined,
      clearExpiry: undefined,
    });
    this.perClient.set(job.client, live + 1);
    this.queued++;
    this.queue.push(record.id);
    this.pump();
    return record;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return this.jobs.get(id)?.record;
  }

  async result(id: string): Promise<JobResult | undefined> {
    return this.jobs.get(id)?.result;
  }

  async cancel(id: string): Promise<JobRecord | undefined> {
    const entry = this.jobs.get(id);
    if (entry === undefined) return undefined;
    if (entry.record.status === 'queued') {
      this.queued--;
      this.finish(entry, 'cancelled', undefined, { code: 'CANCELLED', message: 'job cancelled before it ran' });
    } else if (entry.record.status === 'running') {
      // The inference is cancelled; the worker's settle (below) records the job as cancelled.
      entry.cancel?.abort();
      entry.record = { ...entry.record, status: 'cancelled' };
    }
    return entry.record;
  }

  async counts(): Promise<{ queued: number; running: number }> {
    return { queued: this.queued, running: this.running };
  }

  stopTaking(): void {
    this.closed = true;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.jobs.values()) {
      entry.cancel?.abort();
      entry.clearExpiry?.();
    }
  }

  /** Starts queued jobs while workers are free. */
  private pump(): void {
    while (!this.closed && this.events !== undefined && this.running < this.limits.concurrency) {
      const id = this.queue[this.queueHead];
      if (id === undefined) break;
      this.queueHead++;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.queueHead);
        this.queueHead = 0;
      }
      const entry = this.jobs.get(id);
      if (entry === undefined || entry.record.status !== 'queued' || entry.request === undefined) continue;
      this.queued--;
      this.run(entry, entry.request);
    }
  }

  private run(entry: Entry, request: JobRequest): void {
    const cancel = new CancelSource();
    entry.cancel = cancel;
    entry.record = {
      ...entry.record,
      status: 'running',
      startedMs: this.clock.wallMs(),
      attempts: 1,
      runner: RUNNER_ID,
    };
    this.running++;
    this.events?.onStarted(entry.record);
    this.executor(request, cancel).then(
      (result) => {
        this.running--;
        if (cancel.aborted) this.finish(entry, 'cancelled', undefined, cancelledError());
        else this.finish(entry, 'succeeded', result, undefined);
        this.pump();
      },
      (err: unknown) => {
        this.running--;
        const error = InferenceError.from(err);
        if (cancel.aborted) this.finish(entry, 'cancelled', undefined, cancelledError());
        else this.finish(entry, 'failed', undefined, { code: error.code, message: error.message });
        this.pump();
      },
    );
  }

  private finish(
    entry: Entry,
    status: 'succeeded' | 'failed' | 'cancelled',
    result: JobResult | undefined,
    error: JobRecord['error'],
  ): void {
    entry.record = {
      ...entry.record,
      status,
      finishedMs: this.clock.wallMs(),
      error,
      binaryResult: result === undefined ? undefined : result.headerLength !== undefined,
    };
    entry.result = result;
    entry.request = undefined;
    entry.cancel = undefined;
    const client = entry.record.client;
    const live = (this.perClient.get(client) ?? 1) - 1;
    if (live > 0) this.perClient.set(client, live);
    else this.perClient.delete(client);
    const id = entry.record.id;
    entry.clearExpiry = this.clock.setTimer(() => this.jobs.delete(id), this.limits.resultTtlMs);
    this.events?.onFinished(entry.record, result);
  }
}

function cancelledError(): JobRecord['error'] {
  return { code: 'CANCELLED', message: 'job cancelled while it ran' };
}
