/**
 * The Redis job store (`--jobs-store redis://...`): several replicas share one queue. BullMQ holds
 * the queue of job ids and hands each to one replica's worker under a lock that the worker renews;
 * when a replica dies its locks expire and BullMQ's stalled-job check puts the job back, so another
 * replica runs it (at least once, docs/jobs.md). The job's record, request and result live in a
 * hash of ours, changed only by the scripts of `redis-job-scripts.ts`. A cancel of a job running
 * elsewhere travels over a pub/sub channel to every replica; the one running it cancels the
 * inference.
 */
import { randomUUID } from 'node:crypto';
import { Queue, WaitingError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CancelSource } from '../cancel-signal.js';
import { backgroundClock, type Clock } from '../clock.js';
import { InferenceError, unavailable, type ErrorCode } from '../errors.js';
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
  type JobResult,
  type JobStatus,
  type JobStore,
  type NewJob,
} from './job-types.js';
import { CANCEL_SCRIPT, FINISH_SCRIPT, START_SCRIPT, SUBMIT_SCRIPT } from './redis-job-scripts.js';

/** Options of {@link RedisJobStore}. */
export interface RedisJobStoreOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://...` (TLS). */
  readonly url: string;
  readonly limits: JobLimits;
  /**
   * How long a worker's lock on a running job lasts without renewal (renewed every half of it);
   * a replica that died loses its jobs to others after about this long.
   */
  readonly lockMs: number;
  /** Key prefix of every key (BullMQ's and ours). */
  readonly prefix?: string;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/** A killed replica's job is started again at most this many times, then fails (BullMQ's maxStalledCount). */
export const MAX_RESTARTS = 5;
const QUEUE_NAME = 'jobs';
const RECORD_FIELDS = [
  'model',
  'version',
  'client',
  'created',
  'callback',
  'status',
  'attempts',
  'started',
  'finished',
  'error',
  'binary',
  'runner',
] as const;

type Scripted = Redis & {
  tgSubmit(...args: Array<string | number | Buffer>): Promise<number>;
  tgStart(...args: Array<string | number>): Promise<string>;
  tgFinish(...args: Array<string | number | Buffer>): Promise<string>;
  tgCancel(...args: Array<string | number>): Promise<string>;
};

/**
 * The Redis store.
 *
 * @example
 * ```ts
 * const store = new RedisJobStore(executor, { url: 'redis://127.0.0.1:6379', limits, lockMs: 30_000, logger });
 * await store.start(events);
 * ```
 */
export class RedisJobStore implements JobStore {
  readonly kind = 'redis' as const;
  private readonly prefix: string;
  private readonly clock: Clock;
  private readonly redis: Scripted;
  private readonly subscriber: Redis;
  private readonly queue: Queue;
  private worker: Worker | undefined;
  private closingWorker: Promise<void> | undefined;
  /** Jobs this replica runs, by id. */
  private readonly running = new Map<string, CancelSource>();
  private readonly channel: string;
  /** Every connection opened, closed at the end (BullMQ leaves connections it was given open). */
  private readonly connections: Redis[] = [];

  constructor(
    private readonly executor: JobExecutor,
    private readonly options: RedisJobStoreOptions,
  ) {
    this.prefix = options.prefix ?? 'tensorgate';
    this.clock = options.clock ?? backgroundClock;
    this.channel = `${this.prefix}:jobs:cancel`;
    this.redis = this.connect(false) as Scripted;
    this.redis.defineCommand('tgSubmit', { numberOfKeys: 3, lua: SUBMIT_SCRIPT });
    this.redis.defineCommand('tgStart', { numberOfKeys: 2, lua: START_SCRIPT });
    this.redis.defineCommand('tgFinish', { numberOfKeys: 1, lua: FINISH_SCRIPT });
    this.redis.defineCommand('tgCancel', { numberOfKeys: 2, lua: CANCEL_SCRIPT });
    this.subscriber = this.connect(true);
    this.queue = new Queue(QUEUE_NAME, { connection: this.connect(true), prefix: this.prefix });
    this.queue.on('error', (err) => options.logger.warn({ err }, 'jobs: Redis queue error'));
  }

  private connect(blocking: boolean): Redis {
    const redis = new Redis(this.options.url, {
      // BullMQ's blocking connections must retry for ever; our commands fail fast instead.
      maxRetriesPerRequest: blocking ? null : 2,
      enableOfflineQueue: true,
      lazyConnect: false,
    });
    redis.on('error', (err: Error) => this.options.logger.debug({ err }, 'jobs: Redis connection error'));
    this.connections.push(redis);
    return redis;
  }

  private jobKey(id: string): string {
    return `${this.prefix}:job:${id}`;
  }

  private get queuedKey(): string {
    return `${this.prefix}:queued`;
  }

  async start(events: JobEvents): Promise<void> {
    await this.redis.ping().catch((err: Error) => {
      throw unavailable(`jobs: Redis at ${redactUrl(this.options.url)} does not answer: ${err.message}`);
    });
    await this.subscriber.subscribe(this.channel);
    this.subscriber.on('message', (_channel: string, id: string) => this.running.get(id)?.abort());
    const worker = new Worker(QUEUE_NAME, (job: Job, token?: string) => this.process(job, events, token), {
      connection: this.connect(true),
      prefix: this.prefix,
      concurrency: this.options.limits.concurrency,
      lockDuration: this.options.lockMs,
      stalledInterval: this.options.lockMs,
      maxStalledCount: MAX_RESTARTS,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 0 },
    });
    worker.on('error', (err) => this.options.logger.warn({ err }, 'jobs: Redis worker error'));
    // A job BullMQ gave up on (stalled too often: replicas kept dying while running it).
    worker.on('failed', (job, err) => {
      if (job === undefined) return;
      void this.finish(job.id ?? '', 'failed', undefined, { code: 'UNAVAILABLE', message: err.message }, events);
    });
    this.worker = worker;
  }

  async submit(job: NewJob): Promise<JobRecord> {
    const id = randomUUID();
    const created = this.clock.wallMs();
    const req = job.request;
    const fields: Array<string | Buffer> = [
      'model',
      req.model,
      'version',
      req.version,
      'client',
      job.client,
      'created',
      String(created),
      'callback',
      job.callbackUrl ?? '',
      'status',
      'queued',
      'live',
      '1',
      'attempts',
      '0',
      'request',
      req.body,
      'request_hl',
      req.headerLength === undefined ? '' : String(req.headerLength),
    ];
    const { maxQueued, maxPerClient } = this.options.limits;
    const verdict = await this.redis.tgSubmit(
      this.queuedKey,
      `${this.prefix}:client:${job.client}`,
      this.jobKey(id),
      maxQueued,
      maxPerClient,
      ...fields,
    );
    if (verdict === 1) throw new JobsBusyError(backlogFullMessage(maxQueued), RETRY_AFTER_SECS);
    if (verdict === 2) throw new JobsBusyError(quotaFullMessage(maxPerClient), RETRY_AFTER_SECS);
    try {
      await this.queue.add('infer', {}, { jobId: id, removeOnComplete: true, removeOnFail: true });
    } catch (err) {
      await this.cancel(id).catch(() => undefined);
      throw unavailable(`jobs: could not queue the job in Redis: ${(err as Error).message}`);
    }
    return {
      id,
      model: req.model,
      version: req.version,
      status: 'queued',
      client: job.client,
      createdMs: created,
      attempts: 0,
      callbackUrl: job.callbackUrl,
    };
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const values = await this.redis.hmget(this.jobKey(id), ...RECORD_FIELDS);
    return toRecord(id, values);
  }

  async result(id: string): Promise<JobResult | undefined> {
    const [status, body, hl] = await this.redis.hmgetBuffer(this.jobKey(id), 'status', 'result', 'result_hl');
    if (status?.toString() !== 'succeeded' || !body) return undefined;
    const headerLength = hl && hl.length > 0 ? Number(hl.toString()) : undefined;
    return { body, headerLength };
  }

  async cancel(id: string): Promise<JobRecord | undefined> {
    const ttl = this.ttlSecs();
    const queuedError = JSON.stringify({ code: 'CANCELLED', message: 'job cancelled before it ran' });
    const runningError = JSON.stringify({ code: 'CANCELLED', message: 'job cancelled while it ran' });
    const was = await this.redis.tgCancel(
      this.jobKey(id),
      this.queuedKey,
      this.prefix,
      this.clock.wallMs(),
      ttl,
      queuedError,
      runningError,
    );
    if (was === 'gone') return undefined;
    if (was === 'queued') {
      // Its queue entry goes too; should a worker hold it already, START sees it cancelled.
      await this.queue.remove(id).catch(() => 0);
    } else if (was === 'running') {
      await this.redis.publish(this.channel, id);
    }
    return this.get(id);
  }

  async counts(): Promise<{ queued: number; running: number }> {
    const [queued, active] = await Promise.all([this.redis.get(this.queuedKey), this.queue.getActiveCount()]);
    return { queued: Math.max(0, Number(queued ?? 0)), running: active };
  }

  stopTaking(): void {
    // Graceful: BullMQ takes no new job and waits for the running ones (bounded by the server's
    // exit timeout; past it the process exits, the locks lapse and another replica reruns them).
    this.closingWorker ??= (this.worker?.close() ?? Promise.resolve()).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.stopTaking();
    await this.closingWorker;
    await this.queue.close().catch(() => undefined);
    for (const connection of this.connections) connection.disconnect();
  }

  private ttlSecs(): number {
    return Math.max(1, Math.ceil(this.options.limits.resultTtlMs / 1000));
  }

  /** BullMQ's processor: run one job (or skip it when it is cancelled or already final). */
  private async process(job: Job, events: JobEvents, token: string | undefined): Promise<void> {
    const id = job.id ?? '';
    const key = this.jobKey(id);
    const started = await this.redis.tgStart(key, this.queuedKey, this.prefix, this.clock.wallMs(), RUNNER_ID);
    if (started !== 'running') return;
    const [body, hl] = await this.redis.hmgetBuffer(key, 'request', 'request_hl');
    const record = await this.get(id);
    if (!body || record === undefined) return;
    events.onStarted(record);
    const cancel = new CancelSource();
    this.running.set(id, cancel);
    try {
      const request = {
        model: record.model,
        version: record.version,
        body,
        headerLength: hl && hl.length > 0 ? Number(hl.toString()) : undefined,
      };
      let result: JobResult;
      try {
        result = await this.executor(request, cancel);
      } catch (err) {
        if (this.closingWorker !== undefined && !cancel.aborted) {
          // This replica is stopping (its models are going): back to the queue for another one.
          await job.moveToWait(token);
          throw new WaitingError();
        }
        const error = InferenceError.from(err);
        await this.finish(id, 'failed', undefined, { code: error.code, message: error.message }, events);
        return;
      }
      await this.finish(id, 'succeeded', result, undefined, events);
    } finally {
      this.running.delete(id);
    }
  }

  private async finish(
    id: string,
    status: JobStatus,
    result: JobResult | undefined,
    error: { code: ErrorCode; message: string } | undefined,
    events: JobEvents,
  ): Promise<void> {
    const final = await this.redis.tgFinish(
      this.jobKey(id),
      this.prefix,
      status,
      this.clock.wallMs(),
      error === undefined ? '' : JSON.stringify(error),
      this.ttlSecs(),
      result?.body ?? '',
      result?.headerLength === undefined ? '' : String(result.headerLength),
    );
    if (final === '') return;
    const record = await this.get(id);
    if (record !== undefined) events.onFinished(record, final === 'succeeded' ? result : undefined);
  }
}

function toRecord(id: string, values: Array<string | null>): JobRecord | undefined {
  const [model, version, client, created, callback, status, attempts, started, finished, error, binary, runner] =
    values;
  if (status === null || status === undefined || model === null || model === undefined) return undefined;
  return {
    id,
    model,
    version: version ?? '',
    status: status as JobStatus,
    client: client ?? '',
    createdMs: Number(created ?? 0),
    startedMs: started ? Number(started) : undefined,
    finishedMs: finished ? Number(finished) : undefined,
    attempts: Number(attempts ?? 0),
    error: error ? (JSON.parse(error) as JobRecord['error']) : undefined,
    callbackUrl: callback ? callback : undefined,
    binaryResult: binary === '1' ? true : binary === '0' ? false : undefined,
    runner: runner ? runner : undefined,
  };
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '<unparsable URL>';
  }
}
