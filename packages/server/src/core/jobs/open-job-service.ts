/**
 * Builds the job API from the `--jobs-*` settings (docs/jobs.md): the store `--jobs-store` names
 * (none, the in-process one, or Redis through BullMQ) and the callback sender. Bad values stop
 * start-up with a message naming the flag.
 */
import type { Logger } from 'pino';
import type { JobsSettings } from '../../cli/settings-schema-jobs.js';
import { JobService } from './job-service.js';
import type { JobExecutor, JobLimits, JobStore } from './job-types.js';
import { MemoryJobStore } from './memory-job-store.js';
import { RedisJobStore } from './redis-job-store.js';
import { WebhookSender } from './webhook.js';

/** The store the `--jobs-store` value names, checked: `memory`, `none` or a Redis URL. */
export function parseJobsStore(value: string): { kind: 'memory' | 'none' } | { kind: 'redis'; url: string } {
  if (value === 'memory' || value === 'none') return { kind: value };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`--jobs-store: '${value}' is neither memory, none nor a redis:// URL`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(`--jobs-store: '${url.protocol}' URLs are not supported; use redis:// or rediss://`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new Error('--jobs-store: query parameters are not supported in the Redis URL');
  }
  return { kind: 'redis', url: value };
}

/**
 * The job service of these settings, not yet started; undefined for `--jobs-store none`.
 *
 * @example
 * ```ts
 * const jobs = openJobService(settings, httpJobExecutor(core, traces), logger);
 * await jobs?.start();
 * ```
 */
export function openJobService(settings: JobsSettings, executor: JobExecutor, logger: Logger): JobService | undefined {
  const store = parseJobsStore(settings.jobsStore);
  if (store.kind === 'none') return undefined;
  const webhooks = new WebhookSender({
    allow: settings.jobsWebhookAllow,
    secret: settings.jobsWebhookSecret,
    attempts: settings.jobsWebhookAttempts,
    firstBackoffMs: 1000,
    timeoutMs: 10_000,
    logger,
  });
  const limits: JobLimits = {
    maxQueued: settings.jobsMaxQueued,
    maxPerClient: settings.jobsMaxPerClient,
    resultTtlMs: settings.jobsResultTtlSecs * 1000,
    concurrency: settings.jobsConcurrency,
  };
  const jobStore: JobStore =
    store.kind === 'redis'
      ? new RedisJobStore(executor, { url: store.url, limits, lockMs: settings.jobsLockSecs * 1000, logger })
      : new MemoryJobStore(executor, limits);
  return new JobService(jobStore, webhooks, logger);
}
