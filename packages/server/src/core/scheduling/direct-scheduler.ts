/**
 * Triton's default scheduler: no batching across requests. Requests wait in one FIFO queue shared by
 * all instances of the version; each free instance takes the next request. A request cancelled
 * while queued leaves the queue at once and never executes. An instance that reports itself
 * unavailable (restarting) takes nothing; while no instance is available, requests are refused at
 * once with UNAVAILABLE instead of waiting out a restart back-off.
 *
 * With a rate limiter (`gate`, see execution-gate.ts) an instance takes each request only once it
 * holds the resources for it: with `concurrency` > 1 it may hold them several times over (a request
 * handed early holds its resources while it waits inside the instance), so with ample resources it
 * keeps taking work early, and with scarce ones the next request waits for the copies.
 */
import type { ExecutionTimings, ModelInstance } from '../../backend-api/backend.js';
import type { Clock } from '../clock.js';
import { InferenceError } from '../errors.js';
import { GatedDispatch, type ExecutionGate } from './execution-gate.js';
import { noInstanceError, refuseEarly, type Scheduler, type SchedulerJob } from './scheduler.js';

/** Called after every execution, for statistics. */
export type ExecutionListener = (batchSize: number, timings: ExecutionTimings) => void;

/** An instance and how many batches it holds (executing or waiting inside it). */
interface Slot {
  readonly instance: ModelInstance;
  readonly capacity: number;
  outstanding: number;
  /** False while the instance reports itself unavailable: it then takes no work. */
  up: boolean;
}

/** A queued job; it is its own abort listener (no closures per queued request). */
class Entry {
  done = false;

  constructor(readonly job: SchedulerJob) {}

  /** The job's signal aborted while it waited. */
  handleEvent(): void {
    if (this.done) return;
    this.done = true;
    this.job.onDropped(new InferenceError('CANCELLED', 'request cancelled while waiting in the queue'));
  }

  unlisten(): void {
    this.job.request.signal.removeEventListener('abort', this);
  }
}

/**
 * @example
 * ```ts
 * const s = new DirectScheduler(model.instances, systemClock, (n, t) => stats.recordExecution(n, t));
 * s.enqueue(job);
 * ```
 */
export class DirectScheduler implements Scheduler {
  private queue: Entry[] = [];
  private head = 0;
  private readonly slots: Slot[];
  /** Batches the available instances can still take in all. */
  private free: number;
  /** Instances available now. */
  private upCount: number;
  /** Where the next search for the least-busy instance starts (spreads ties round-robin). */
  private cursor = 0;
  private closedWith: InferenceError | undefined;
  /** Set with a rate limiter: every dispatch goes through it. */
  private readonly gated: GatedDispatch | undefined;
  /** With a rate limiter: the job being enqueued while nothing waits, taken if a grant comes at once. */
  private incoming: SchedulerJob | undefined;

  /**
   * @param name the model's name, for the error when no instance is available
   * @param gate the rate limiter (`--rate-limit execution_count`); none: instances run work at once
   */
  constructor(
    private readonly instances: readonly ModelInstance[],
    private readonly clock: Clock,
    private readonly onExecution: ExecutionListener,
    private readonly name = '',
    gate?: ExecutionGate,
  ) {
    this.slots = instances.map((instance) => ({
      instance,
      capacity: Math.max(1, instance.concurrency ?? 1),
      outstanding: 0,
      up: instance.unavailable?.() === undefined,
    }));
    this.free = 0;
    this.upCount = 0;
    for (const slot of this.slots) {
      if (slot.up) {
        this.free += slot.capacity;
        this.upCount++;
      }
      slot.instance.onAvailabilityChange?.(() => this.availabilityChanged(slot));
    }
    this.gated = gate && this.gatedDispatch(gate);
  }

  get queued(): number {
    let n = 0;
    for (let i = this.head; i < this.queue.length; i++) if (!this.queue[i]!.done) n++;
    return n;
  }

  enqueue(job: SchedulerJob): void {
    if (refuseEarly(job, this.closedWith)) return;
    if (this.upCount === 0 && this.slots.length > 0) {
      job.onDropped(noInstanceError(this.name, this.instances));
      return;
    }
    if (this.head === this.queue.length && this.free > 0 && !this.gated) {
      // Fast path: nothing waits and a slot is free, so the job never sits in the queue.
      this.run(this.leastBusy(), job);
      return;
    }
    if (this.gated && this.head === this.queue.length) {
      // The same with a rate limiter: a grant that comes at once takes the job unqueued.
      this.incoming = job;
      this.gated.pump();
      if (this.incoming === undefined) return;
      this.incoming = undefined;
    }
    const entry = new Entry(job);
    job.request.signal.addEventListener('abort', entry, { once: true });
    this.queue.push(entry);
    this.pump();
  }

  close(error: InferenceError): void {
    this.closedWith = error;
    this.gated?.close();
    this.dropQueued(error);
  }

  /** Drops every queued job with `error`. */
  private dropQueued(error: InferenceError): void {
    for (let i = this.head; i < this.queue.length; i++) {
      const e = this.queue[i]!;
      if (!e.done) {
        e.done = true;
        e.unlisten();
        e.job.onDropped(error);
      }
    }
    this.queue = [];
    this.head = 0;
  }

  /** An instance became available or unavailable. */
  private availabilityChanged(slot: Slot): void {
    const up = slot.instance.unavailable?.() === undefined;
    if (up === slot.up) return;
    slot.up = up;
    if (up) {
      this.upCount++;
      this.free += slot.capacity - slot.outstanding;
      this.pump();
      return;
    }
    this.upCount--;
    this.free -= slot.capacity - slot.outstanding;
    // Nothing can take the queued jobs until some instance is back: answer them now.
    if (this.upCount === 0 && !this.closedWith) this.dropQueued(noInstanceError(this.name, this.instances));
  }

  private next(): Entry | undefined {
    while (this.head < this.queue.length) {
      const e = this.queue[this.head++]!;
      if (!e.done) return e;
    }
    this.queue = [];
    this.head = 0;
    return undefined;
  }

  private pump(): void {
    if (this.gated) return this.gated.pump();
    while (this.free > 0) {
      const entry = this.next();
      if (!entry) return;
      entry.done = true;
      entry.unlisten();
      this.run(this.leastBusy(), entry.job);
    }
  }

  /**
   * The instance with the fewest batches outstanding that can take one more. An idle instance
   * always wins over one that would queue the batch behind a running execution, so look-ahead
   * never leaves an instance idle while another holds work. Requires `free > 0`.
   */
  private leastBusy(): Slot {
    const slots = this.slots;
    let best: Slot | undefined;
    for (let k = 0; k < slots.length; k++) {
      const slot = slots[(this.cursor + k) % slots.length]!;
      if (slot.up && slot.outstanding < slot.capacity && (!best || slot.outstanding < best.outstanding)) {
        best = slot;
        if (slot.outstanding === 0) break;
      }
    }
    this.cursor = (this.cursor + 1) % slots.length;
    return best!;
  }

  /** `done`: gives the rate limiter's resources back, once the execution settled. */
  private run(slot: Slot, job: SchedulerJob, done?: () => void): void {
    slot.outstanding++;
    this.free--;
    const instance = slot.instance;
    job.onStart(this.clock.nowNs());
    let running: Promise<ExecutionTimings>;
    try {
      running = instance.execute([job.request]);
    } catch (err) {
      running = Promise.reject(err); // a backend that throws instead of rejecting still frees the slot
    }
    // One `then` with both outcomes (no `finally`): one promise and one hop fewer per request.
    running.then(
      (timings) => {
        try {
          this.onExecution(job.batchSize, timings);
          job.onExecuted({ timings });
        } finally {
          this.release(slot, done);
        }
      },
      (err: unknown) => {
        try {
          job.onExecuted({ error: InferenceError.from(err) });
        } finally {
          this.release(slot, done);
        }
      },
    );
  }

  /** The rate limiter's side: idle instances, the queue, and a granted instance taking its job. */
  private gatedDispatch(gate: ExecutionGate): GatedDispatch {
    return new GatedDispatch(gate, {
      idle: () => {
        const idle: ModelInstance[] = [];
        for (const s of this.slots) if (s.up && s.outstanding < s.capacity) idle.push(s.instance);
        return idle;
      },
      ready: (staged) => this.queue.length - this.head + (this.incoming ? 1 : 0) > staged && !this.closedWith,
      start: (instance, done) => {
        const slot = this.slots.find((s) => s.instance === instance);
        if (!slot?.up || slot.outstanding >= slot.capacity) return false;
        let job = this.incoming;
        if (job) this.incoming = undefined;
        else {
          const entry = this.next();
          if (!entry) return false;
          entry.done = true;
          entry.unlisten();
          job = entry.job;
        }
        this.run(slot, job, done);
        return true;
      },
    });
  }

  /** An instance slot is free again: it takes the next queued job (when available). */
  private release(slot: Slot, done?: () => void): void {
    slot.outstanding--;
    if (slot.up) {
      this.free++;
      this.pump();
    }
    // After pump: the instance is staged again before its resources go back (see execution-gate.ts).
    done?.();
  }
}
