/**
 * Reading the job API's status documents (docs/jobs.md) into the client's {@link Job}, and the
 * polling pause of `waitJob`.
 */
import type { Job, JobStatus } from './job-types.js';

/** A job status document (snake_case, docs/jobs.md) as a {@link Job}, without its result. */
export function jobFromDocument(doc: Record<string, unknown>): Job {
  const text = (key: string): string | undefined => (typeof doc[key] === 'string' ? (doc[key] as string) : undefined);
  const optional = (name: keyof Job, key: string): Partial<Job> =>
    text(key) === undefined ? {} : ({ [name]: text(key) } as Partial<Job>);
  return {
    id: text('id') ?? '',
    model: text('model') ?? '',
    ...optional('version', 'version'),
    status: (text('status') ?? 'failed') as JobStatus,
    createdAt: text('created_at') ?? '',
    ...optional('startedAt', 'started_at'),
    ...optional('finishedAt', 'finished_at'),
    attempts: typeof doc['attempts'] === 'number' ? doc['attempts'] : 0,
    ...optional('runner', 'runner'),
    ...optional('error', 'error'),
    ...optional('errorCode', 'error_code'),
  };
}

/** Waits `ms`, or rejects when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
