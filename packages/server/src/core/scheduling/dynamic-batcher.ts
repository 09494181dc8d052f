/**
 * Triton's dynamic batcher (config `dynamic_batching`; with `max_batch_size` 0, batches of one
 * request): requests of one model version wait in one priority queue shared by all its instances;
 * whenever an instance is idle, the batcher forms a batch from the head of the queue (see
 * batch-former.ts) and hands it to that instance in one `execute` call.
 *
 * - Only idle instances take a batch. `ModelInstance.concurrency` (accepting the next execution
 *   early) is ignored here: a batch formed for a busy instance is frozen while later requests could
 *   still have joined it. Triton makes the same choice unless a backend opts into eager batching.
 * - Queue policies (per priority level): a full level rejects at once with RESOURCE_EXHAUSTED; a
 *   request whose queue timeout expires is rejected (UNAVAILABLE "Request timeout expired") or,
 *   under DELAY, moved behind the others of its level.
 * - A cancelled request leaves the queue at once and never executes; `close` drops every queued one.
 * - An instance that reports itself unavailable (restarting) is given no batch; while no instance
 *   is available, requests are refused at once with UNAVAILABLE instead of waiting out a restart.
 * - Timing (batch delay, queue timeouts) runs on the injected clock with one timer at a time.
 * - With a rate limiter (`gate`, see execution-gate.ts) a batch ready to go stages an idle instance
 *   instead; the batch is formed when the instance holds its resources, from what is queued then
 *   (so requests that arrive while it waits join it, as in Triton).
 */
import type { ExecutionRequest, ExecutionTimings, ModelInstance } from '../../backend-api/backend.js';
import type { Clock } from '../clock.js';
import type { DynamicBatchingConfig, ModelConfig } from '../config/model-config.js';
import { InferenceError } from '../errors.js';
import { batchRules, formBatch, type BatchRules } from './batch-former.js';
import { batchSignature, type SignatureOf } from './batch-signature.js';
import type { ExecutionListener } from './direct-scheduler.js';
import { GatedDispatch, type ExecutionGate } from './execution-gate.js';
import { OrderedDelivery, type ExecutionOutcome, type OutcomeSink } from './ordered-delivery.js';
import { EntryState, PriorityQueue, QueueEntry, type AbortSink } from './priority-queue.js';
import { QueuePolicies } from './queue-policy.js';
import { noInstanceError, refuseEarly, type Scheduler, type SchedulerJob } from './scheduler.js';

/** What the batcher reads from the model config. */
export type BatcherConfig = Pick<ModelConfig, 'name' | 'max_batch_size' | 'input'> & {
  dynamic_batching: DynamicBatchingConfig;
};

/**
 * @example
 * ```ts
 * const batcher = new DynamicBatcher(model.instances, systemClock, (n, t) => stats.recordExecution(n, t), {
 *   name: 'resnet', max_batch_size: 8, input: config.input, dynamic_batching: config.dynamic_batching!,
 * });
 * batcher.enqueue(job);
 * ```
 */
export class DynamicBatcher implements Scheduler, AbortSink {
  private readonly name: string;
  private readonly rules: BatchRules;
  private readonly policies: QueuePolicies;
  private readonly signatureOf: SignatureOf | undefined;
  private readonly ordering: OrderedDelivery | undefined;
  private readonly queue: PriorityQueue;
  /** Idle, available instances, longest idle first (spreads work round-robin). */
  private readonly idle: ModelInstance[];
  /** Instances that reported themselves unavailable. */
  private readonly down = new Set<ModelInstance>();
  /** Instances executing a batch now. */
  private readonly executing = new Set<ModelInstance>();
  /** Reused buffer for the head of the queue. */
  private readonly head: QueueEntry[] = [];
  /** Earliest queue-timeout deadline of a queued entry (may be stale-early; Infinity = none). */
  private nextDeadlineNs = Infinity;
  private cancelTimer: (() => void) | undefined;
  private timerAtNs = Infinity;
  private pumping = false;
  private pumpAgain = false;
  private closedWith: InferenceError | undefined;
  /** Set with a rate limiter: every dispatch goes through it. */
  private readonly gated: GatedDispatch | undefined;

  constructor(
    /** Every instance, for availability. */
    private readonly instances: readonly ModelInstance[],
    private readonly clock: Clock,
    private readonly onExecution: ExecutionListener,
    config: BatcherConfig,
    /** The rate limiter (`--rate-limit execution_count`); none: idle instances take batches at once. */
    gate?: ExecutionGate,
  ) {
    const db = config.dynamic_batching;
    this.name = config.name;
    // Triton's batcher takes max(1, max_batch_size): a model that cannot batch runs one request at
    // a time, yet keeps the queue policies, priorities and ordering of its dynamic_batching.
    this.rules = batchRules(
      Math.max(1, config.max_batch_size),
      db.preferred_batch_size,
      db.max_queue_delay_microseconds,
    );
    this.policies = new QueuePolicies(db);
    this.signatureOf = batchSignature(config);
    this.ordering = db.preserve_ordering ? new OrderedDelivery() : undefined;
    this.queue = new PriorityQueue(this.policies.levelCount);
    this.idle = [];
    for (const instance of instances) {
      if (instance.unavailable?.() === undefined) this.idle.push(instance);
      else this.down.add(instance);
      instance.onAvailabilityChange?.(() => this.availabilityChanged(instance));
    }
    this.gated = gate && this.gatedDispatch(gate);
  }

  get queued(): number {
    return this.queue.size;
  }

  enqueue(job: SchedulerJob): void {
    if (refuseEarly(job, this.closedWith)) return;
    if (this.instances.length > 0 && this.down.size === this.instances.length) {
      job.onDropped(noInstanceError(this.name, this.instances));
      return;
    }
    const policies = this.policies;
    const level = policies.levelOf(job.priority);
    const max = policies.policy(level).maxQueueSize;
    if (max > 0 && this.queue.sizeAt(level) >= max) {
      const at = policies.label(level);
      job.onDropped(
        new InferenceError(
          'RESOURCE_EXHAUSTED',
          `inference request for model '${this.name}' rejected: Exceeds maximum queue size ` +
            `(max_queue_size ${max}${at === undefined ? '' : ` at priority level ${at}`})`,
        ),
      );
      return;
    }
    const now = this.clock.nowNs();
    const timeoutUs = policies.timeoutUs(level, job.timeoutUs);
    const deadlineNs = timeoutUs > 0 ? now + timeoutUs * 1000 : 0;
    const signature = this.signatureOf ? this.signatureOf(job.request.inputs) : '';
    const entry = new QueueEntry(job, level, now, deadlineNs, signature, this);
    job.request.signal.addEventListener('abort', entry, { once: true });
    this.queue.push(entry);
    if (deadlineNs > 0 && deadlineNs < this.nextDeadlineNs) {
      this.nextDeadlineNs = deadlineNs;
      this.armTimer(deadlineNs, now);
    }
    this.pump();
  }

  close(error: InferenceError): void {
    this.closedWith = error;
    this.gated?.close();
    this.stopTimer();
    this.nextDeadlineNs = Infinity;
    this.dropQueued(error);
  }

  private dropQueued(error: InferenceError): void {
    for (const entry of this.queue.drain()) {
      entry.unlisten();
      entry.job.onDropped(error);
    }
  }

  /** An instance became available (it takes batches again) or unavailable (it takes none). */
  private availabilityChanged(instance: ModelInstance): void {
    const up = instance.unavailable?.() === undefined;
    if (up === !this.down.has(instance)) return;
    if (up) {
      this.down.delete(instance);
      if (!this.executing.has(instance)) this.idle.push(instance);
      this.pump();
      return;
    }
    this.down.add(instance);
    const at = this.idle.indexOf(instance);
    if (at >= 0) this.idle.splice(at, 1);
    // Nothing can take the queued requests until some instance is back: answer them now.
    if (this.down.size === this.instances.length && !this.closedWith) {
      this.dropQueued(noInstanceError(this.name, this.instances));
    }
  }

  /** A queued job's signal aborted: it leaves the queue and never executes. */
  cancelQueued(entry: QueueEntry): void {
    this.queue.remove(entry);
    entry.job.onDropped(new InferenceError('CANCELLED', 'request cancelled while waiting in the queue'));
    // The head of the queue may have changed (e.g. an incompatible request left).
    this.pump();
  }

  /** Dispatches batches while an instance is idle and the rules allow; re-entrant calls fold in. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.pumpOnce();
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(): void {
    if (this.gated) return this.gated.pump();
    while (this.idle.length > 0 && this.queue.size > 0 && !this.closedWith) {
      const now = this.clock.nowNs();
      const count = this.batchNow(now);
      if (count === 0) return;
      this.dispatch(count, now);
    }
  }

  /**
   * The batch that would go now (count 0: none; then the timer is armed for when one may), after
   * expiring timed-out requests.
   */
  private batchNow(now: number): number {
    const queue = this.queue;
    if (now >= this.nextDeadlineNs) this.expire(now);
    if (queue.size === 0) return 0;
    queue.peek(this.rules.maxBatchSize + 1, this.head);
    const decision = formBatch(this.head, this.rules, now);
    this.head.length = 0;
    if (decision.count === 0 && decision.waitUntilNs !== undefined) this.armTimer(decision.waitUntilNs, now);
    return decision.count;
  }

  /** The rate limiter's side: idle instances, a ready batch, and a granted instance taking it. */
  private gatedDispatch(gate: ExecutionGate): GatedDispatch {
    return new GatedDispatch(gate, {
      idle: () => this.idle,
      ready: (staged) =>
        staged === 0 && !this.closedWith && this.idle.length > 0 && this.batchNow(this.clock.nowNs()) > 0,
      start: (instance, done) => {
        if (this.closedWith || this.down.has(instance) || this.executing.has(instance)) return false;
        const now = this.clock.nowNs();
        const count = this.batchNow(now);
        if (count === 0) return false;
        this.dispatch(count, now, instance, done);
        return true;
      },
    });
  }

  /**
   * Sends the first `count` queued requests to `chosen` (default: the longest-idle instance);
   * `done` gives the rate limiter's resources back once the execution settled.
   */
  private dispatch(count: number, now: number, chosen?: ModelInstance, done?: () => void): void {
    const instance = chosen ?? this.idle.shift()!;
    const at = chosen ? this.idle.indexOf(chosen) : -1;
    if (at >= 0) this.idle.splice(at, 1);
    this.executing.add(instance);
    const ordering = this.ordering;
    const sinks: OutcomeSink[] = [];
    const requests: ExecutionRequest[] = [];
    let total = 0;
    for (let i = 0; i < count; i++) {
      const entry = this.queue.shift()!;
      entry.unlisten();
      const job = entry.job;
      total += entry.batchSize;
      job.onStart(now);
      if (ordering) {
        const slot = ordering.admit(job);
        sinks.push(slot);
        requests.push(slot.request);
      } else {
        sinks.push(job);
        requests.push(job.request);
      }
    }
    const settle = (outcome: ExecutionOutcome): void => {
      try {
        if ('timings' in outcome) this.onExecution(total, outcome.timings);
        for (const sink of sinks) sink.onExecuted(outcome);
      } finally {
        this.executing.delete(instance);
        if (!this.down.has(instance)) this.idle.push(instance);
        this.pump();
        // After pump: the instance is staged again before its resources go back (see execution-gate.ts).
        done?.();
      }
    };
    let running: Promise<ExecutionTimings>;
    try {
      running = instance.execute(requests);
    } catch (err) {
      running = Promise.reject(err); // a backend that throws instead of rejecting still frees the instance
    }
    running.then(
      (timings) => settle({ timings }),
      (err: unknown) => settle({ error: InferenceError.from(err) }),
    );
  }

  /** Applies the queue policies to every request whose timeout passed; finds the next deadline. */
  private expire(now: number): void {
    const queue = this.queue;
    const policies = this.policies;
    let next = Infinity;
    const expired: QueueEntry[] = [];
    queue.forEachQueued((e) => {
      if (e.deadlineNs === 0) return;
      if (e.deadlineNs <= now) expired.push(e);
      else if (e.deadlineNs < next) next = e.deadlineNs;
    });
    this.nextDeadlineNs = next;
    for (const e of expired) {
      if (e.state !== EntryState.Queued) continue;
      if (policies.policy(e.level).timeoutAction === 'DELAY') queue.delay(e);
      else {
        queue.remove(e);
        e.unlisten();
        const waitedUs = Math.round((e.deadlineNs - e.enqueuedNs) / 1000);
        e.job.onDropped(
          new InferenceError(
            'UNAVAILABLE',
            `Request timeout expired: the request for model '${this.name}' waited in the queue ` +
              `longer than its timeout of ${waitedUs} us`,
          ),
        );
      }
    }
    if (next < Infinity) this.armTimer(next, now);
  }

  /** Makes sure the timer fires no later than `atNs`. */
  private armTimer(atNs: number, now: number): void {
    if (this.cancelTimer && this.timerAtNs <= atNs) return;
    this.stopTimer();
    this.timerAtNs = atNs;
    // Exact (fractional) ms: a real timer that fires early only costs a re-check and a re-arm.
    const ms = Math.max(0, (atNs - now) / 1e6);
    this.cancelTimer = this.clock.setTimer(() => this.onTimer(), ms);
  }

  private stopTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAtNs = Infinity;
  }

  private onTimer(): void {
    this.cancelTimer = undefined;
    this.timerAtNs = Infinity;
    if (this.closedWith) return;
    const now = this.clock.nowNs();
    // Timeouts apply even while every instance is busy.
    if (now >= this.nextDeadlineNs) this.expire(now);
    else if (this.nextDeadlineNs < Infinity) this.armTimer(this.nextDeadlineNs, now);
    this.pump();
  }
}
