/**
 * The scheduler interface: the core hands validated requests to a model version's scheduler, which
 * decides when and on which instance they execute. The default scheduler runs one request per
 * execution on the first free instance; the dynamic batcher (config `dynamic_batching`) plugs in here.
 */
import type { ExecutionRequest, ExecutionTimings, ModelInstance } from '../../backend-api/backend.js';
import { InferenceError } from '../errors.js';

/** One request waiting for (or in) execution, with the callbacks the core uses for bookkeeping. */
export interface SchedulerJob {
  /** What the backend receives. */
  readonly request: ExecutionRequest;
  /** Leading batch dimension of the request. */
  readonly batchSize: number;
  /**
   * Request parameter `priority` (0 when absent: the model's default level). Only the dynamic
   * batcher reads it; values above the model's `priority_levels` also mean the default level.
   */
  readonly priority: number;
  /**
   * Request parameter `timeout` in microseconds (0 when absent). Only the dynamic batcher reads it,
   * and only when the queue policy has `allow_timeout_override`.
   */
  readonly timeoutUs: number;
  /** Called once when the job leaves the queue for an instance. */
  onStart(startNs: number): void;
  /** Called once when the execution that included this job settled. */
  onExecuted(result: { timings: ExecutionTimings } | { error: InferenceError }): void;
  /** Called once when the job leaves the queue without executing (cancelled, timed out, closed). */
  onDropped(error: InferenceError): void;
}

/** A scheduler of one model version. */
export interface Scheduler {
  /** Queues a job; it executes later, or is dropped. */
  enqueue(job: SchedulerJob): void;
  /** Jobs waiting in the queue (not executing). */
  readonly queued: number;
  /** Drops every queued job with the given error and accepts no more. */
  close(error: InferenceError): void;
  /**
   * The version stops taking new requests (unload, or replaced by a reload); its in-flight requests
   * are drained next, then it is closed. A scheduler whose queued work waits on requests that will
   * no longer come (the sequence batcher's backlog) fails that work here with `error`.
   */
  retire?(error: InferenceError): void;
}

/**
 * Drops a job that must not be queued, because the scheduler is closed (with `closedWith`) or the
 * request was cancelled before it got here; returns true when it did. Every scheduler's
 * `enqueue` starts with it.
 *
 * @example
 * ```ts
 * enqueue(job) { if (refuseEarly(job, this.closedWith)) return; ... }
 * ```
 */
export function refuseEarly(job: SchedulerJob, closedWith: InferenceError | undefined): boolean {
  if (closedWith) {
    job.onDropped(closedWith);
    return true;
  }
  if (job.request.signal.aborted) {
    job.onDropped(new InferenceError('CANCELLED', 'request cancelled before it was scheduled'));
    return true;
  }
  return false;
}

/** How many instances' reasons {@link noInstanceError} quotes. */
const REASONS_QUOTED = 3;

/**
 * UNAVAILABLE for a request that no instance of the model can take now, with each instance's own
 * reason (e.g. restarting after a crash, and when it tries again).
 *
 * @example
 * ```ts
 * job.onDropped(noInstanceError('crashy', instances));
 * ```
 */
export function noInstanceError(model: string, instances: readonly ModelInstance[]): InferenceError {
  const reasons: string[] = [];
  for (const instance of instances) {
    const why = instance.unavailable?.();
    if (why && reasons.length < REASONS_QUOTED) reasons.push(why.message);
  }
  const more =
    instances.length > reasons.length ? `; ${instances.length - reasons.length} more instance(s) unavailable` : '';
  return new InferenceError(
    'UNAVAILABLE',
    `model '${model}' has no instance that can serve the request now: ${reasons.join('; ')}${more}`,
  );
}
