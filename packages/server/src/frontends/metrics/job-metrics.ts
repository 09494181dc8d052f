/**
 * The async job API's families (`tensorgate_jobs_*`, docs/metrics.md#async-jobs): the queued and
 * running gauges are read from the job store at scrape time (store totals: with Redis, the same
 * on every replica); finished counts and the queue and run time histograms count what this
 * replica did.
 */
import type { Registry } from 'prom-client';
import type { JobService } from '../../core/jobs/job-service.js';
import { counter, gauge, histogram, nonNegative } from './metric-factories.js';
import { METRICS } from './metric-names.js';

/** Buckets of the job histograms, in seconds: jobs take from milliseconds to hours. */
export const JOB_BUCKETS_SECONDS: readonly number[] = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600];

/**
 * Registers the job families on `registry` and subscribes them to `jobs`.
 *
 * @example
 * ```ts
 * registerJobMetrics(metrics.registry, jobs);
 * ```
 */
export function registerJobMetrics(registry: Registry, jobs: Pick<JobService, 'observe' | 'counts'>): void {
  let last = { queued: 0, running: 0 };
  const refresh = async (): Promise<{ queued: number; running: number }> => {
    // A store that does not answer (Redis down) keeps the last values rather than failing the scrape.
    last = await jobs.counts().catch(() => last);
    return last;
  };
  const queued = gauge(registry, METRICS.jobsQueued, async () => {
    queued.set((await refresh()).queued);
  });
  const running = gauge(registry, METRICS.jobsRunning, async () => {
    running.set((await refresh()).running);
  });
  const finished = counter<'model' | 'status'>(registry, METRICS.jobsFinished);
  const queueSeconds = histogram<'model'>(registry, METRICS.jobsQueueSeconds, JOB_BUCKETS_SECONDS);
  const runSeconds = histogram<'model'>(registry, METRICS.jobsRunSeconds, JOB_BUCKETS_SECONDS);
  jobs.observe({
    onStarted(record) {
      queueSeconds.observe({ model: record.model }, nonNegative(((record.startedMs ?? 0) - record.createdMs) / 1000));
    },
    onFinished(record) {
      finished.inc({ model: record.model, status: record.status });
      if (record.startedMs !== undefined) {
        runSeconds.observe({ model: record.model }, nonNegative(((record.finishedMs ?? 0) - record.startedMs) / 1000));
      }
    },
  });
}
