/**
 * Triton's sequence batcher (config `sequence_batching`) for stateful models. Our own code,
 * following Triton's documented behaviour (docs/user_guide/architecture.md "Stateful Models") and
 * its SequenceBatchScheduler:
 *
 * - Every instance has sequence slots (`direct`: `max(1, max_batch_size)`; `oldest`:
 *   `max_candidate_sequences`). A START request takes a free slot (lowest index first); its
 *   sequence keeps it, so all its requests run on that instance, until its END request executed,
 *   it is idle for `max_sequence_idle_microseconds`, or it is cancelled.
 * - With no free slot a new sequence waits in the backlog (FIFO) with its requests; at most
 *   `backlogLimit` sequences wait, one more is refused with RESOURCE_EXHAUSTED. A backlogged
 *   request's `timeout` parameter bounds the wait (UNAVAILABLE "timeout of the corresponding
 *   sequence has been expired", Triton's message).
 * - Each idle instance forms a batch from the front requests of its sequences (slot-batch.ts) and
 *   executes it with the control tensors added (sequence-inputs.ts).
 * - A request continuing an unknown, ended or released sequence fails with Triton's "must specify
 *   the START flag" error. START for a live sequence continues it in its slot (the model sees
 *   START again: Triton's "previous sequence terminated early").
 * - A cancelled waiting request cancels its sequence (Triton does the same): its other waiting
 *   requests fail with CANCELLED and its slot goes to the next backlogged sequence.
 * - An instance that becomes unavailable (restarting) loses its sequences: their waiting
 *   requests fail with UNAVAILABLE. While no instance is available, requests are refused at once.
 *
 * Timing (idle release, backlog timeouts, batch delays) runs on the injected clock.
 *
 * With the rate limiter (`--rate-limit execution_count`), a lane with a batch ready first asks the
 * version's {@link ExecutionGate} for its instance's resources; the batch is formed again when they
 * are granted (requests that arrived meanwhile join it) and the resources go back when it settles.
 * A sequence keeps its instance, so the gate is asked for that instance, not for any idle one.
 */
import type { ModelInstance } from '../../../backend-api/backend.js';
import type { Clock } from '../../clock.js';
import type { ModelConfig } from '../../config/model-config.js';
import { InferenceError } from '../../errors.js';
import { batchRules, type BatchRules } from '../batch-former.js';
import { batchSignature, type SignatureOf } from '../batch-signature.js';
import type { ExecutionListener } from '../direct-scheduler.js';
import type { ExecutionGate } from '../execution-gate.js';
import { noInstanceError, refuseEarly, type Scheduler, type SchedulerJob } from '../scheduler.js';
import { executeBatch, type BatchOutcome } from './execute-batch.js';
import { buildLanes, lowestFreeSlot, slotted } from './sequence-lanes.js';
import {
  PendingRequest,
  SequenceRecord,
  sequenceKey,
  type Lane,
  type PendingSink,
  type SequenceSlot,
} from './sequence-record.js';
import { notStartedError, readSequenceRequest } from './sequence-request.js';
import type { SequenceSettings } from './sequence-settings.js';
import { directBatch, oldestBatch, type LaneDecision } from './slot-batch.js';
import { SequenceTimers } from './sequence-timers.js';
import type { LoadedStateSpec } from './state-config.js';
import { SequenceStateStore } from './state-store.js';

/**
 * @example
 * ```ts
 * const s = new SequenceScheduler(model.instances, systemClock, onExecution, config, sequenceSettings(config));
 * s.enqueue(job);
 * ```
 */
export class SequenceScheduler implements Scheduler, PendingSink {
  private readonly lanes: Lane[];
  /** Sequences that accept requests, by {@link sequenceKey}. */
  private readonly live = new Map<string, SequenceRecord>();
  /** Sequences waiting for a slot, oldest first. */
  private backlog: SequenceRecord[] = [];
  private readonly signatureOf: SignatureOf | undefined;
  private readonly rules: BatchRules;
  private readonly timers: SequenceTimers;
  private closedWith: InferenceError | undefined;
  /** The sequences' implicit states (`sequence_batching.state`), when the model has any. */
  readonly states: SequenceStateStore | undefined;
  /** Set once the version unloads: new sequences are refused with it. */
  private retiredWith: InferenceError | undefined;
  /** Lanes waiting for the rate limiter to grant their instance's resources. */
  private readonly staged = new Set<Lane>();

  constructor(
    private readonly instances: readonly ModelInstance[],
    private readonly clock: Clock,
    private readonly onExecution: ExecutionListener,
    config: Pick<ModelConfig, 'input' | 'max_batch_size'>,
    readonly settings: SequenceSettings,
    /** The implicit states with their initial values (state-config.ts `loadStateSpecs`). */
    stateSpecs: readonly LoadedStateSpec[] = [],
    /** Most bytes of implicit state per sequence (`--max-sequence-state-bytes`; default 64 MiB). */
    maxStateBytes?: number,
    /** The version's place in the rate limiter; none: an idle instance executes at once. */
    private readonly gate?: ExecutionGate,
  ) {
    // One sequence holds state per slot: that bounds the states' memory.
    this.states =
      stateSpecs.length > 0
        ? new SequenceStateStore(stateSpecs, {
            model: settings.name,
            batching: settings.batching,
            maxSequences: Math.max(1, instances.length) * settings.slotsPerInstance,
            ...(maxStateBytes !== undefined && { maxBytesPerSequence: maxStateBytes }),
          })
        : undefined;
    this.signatureOf = batchSignature(config);
    this.rules = batchRules(settings.maxBatch, settings.preferredBatchSizes, settings.oldestDelayUs);
    this.lanes = buildLanes(instances, settings.slotsPerInstance, (lane) => this.availabilityChanged(lane));
    this.timers = new SequenceTimers(clock, settings.idleNs, {
      forEach: (fn) => this.forEachTracked(fn),
      idle: (record) => this.releaseIdle(record),
      expired: (record) => this.expireBacklogged(record),
      wake: () => this.pumpAll(),
    });
  }

  get queued(): number {
    let n = 0;
    for (const r of slotted(this.lanes)) n += r.queue.length;
    for (const r of this.backlog) n += r.queue.length;
    return n;
  }

  /** Sequences holding a slot or waiting for one (for tests and statistics). */
  get sequences(): { readonly active: number; readonly backlogged: number } {
    let active = 0;
    for (const _ of slotted(this.lanes)) active++;
    return { active, backlogged: this.backlog.length };
  }

  enqueue(job: SchedulerJob): void {
    if (refuseEarly(job, this.closedWith)) return;
    if (this.lanes.length > 0 && !this.lanes.some((l) => l.up)) {
      job.onDropped(noInstanceError(this.settings.name, this.instances));
      return;
    }
    let seq;
    try {
      seq = readSequenceRequest(job, this.settings);
    } catch (e) {
      job.onDropped(InferenceError.from(e));
      return;
    }
    const key = sequenceKey(seq.id);
    const now = this.clock.nowNs();
    let record = this.live.get(key);
    if (!record) {
      if (!seq.start) {
        job.onDropped(notStartedError(seq.id, this.settings.name));
        return;
      }
      if (this.retiredWith) {
        job.onDropped(this.retiredWith);
        return;
      }
      const slot = lowestFreeSlot(this.lanes);
      if (!slot && this.backlog.length >= this.settings.backlogLimit) {
        job.onDropped(this.backlogFull(seq.id));
        return;
      }
      record = new SequenceRecord(seq.id, key, now);
      this.live.set(key, record);
      if (slot) this.assign(slot, record);
      else this.backlog.push(record);
    }
    record.lastNs = now;
    const signature = this.signatureOf ? this.signatureOf(job.request.inputs) : '';
    const pending = new PendingRequest(job, record, now, seq.start, seq.end, signature, this);
    job.request.signal.addEventListener('abort', pending, { once: true });
    record.queue.push(pending);
    if (seq.end) {
      // Its END is queued: a later request with this id starts (or fails as) a new sequence.
      record.closed = true;
      this.live.delete(key);
    }
    if (!record.slot && job.timeoutUs > 0) {
      record.expiresNs = Math.min(record.expiresNs, now + job.timeoutUs * 1000);
      this.timers.expiresAt(record.expiresNs);
    }
    if (record.slot) this.timers.idleFrom(record);
    if (record.slot) this.pump(record.slot.lane);
  }

  /**
   * The version is unloading: new sequences are refused, backlogged ones fail with `error` (no
   * request can end the sequences holding the slots they wait for), and live sequences end once
   * their queued requests have executed.
   */
  retire(error: InferenceError): void {
    this.retiredWith = error;
    for (const r of this.backlog.splice(0)) {
      if (this.live.get(r.key) === r) this.live.delete(r.key);
      r.closed = true;
      this.failQueued(r, error);
    }
    for (const r of [...this.live.values()]) this.endSequence(r, undefined);
  }

  close(error: InferenceError): void {
    this.closedWith = error;
    this.timers.stop();
    for (const lane of this.staged) this.gate?.withdraw(lane.instance);
    this.staged.clear();
    for (const r of slotted(this.lanes)) this.failQueued(r, error);
    for (const r of this.backlog) this.failQueued(r, error);
    this.backlog = [];
    this.live.clear();
    this.states?.clear();
  }

  /** A waiting request's signal aborted: it and the rest of its sequence are cancelled. */
  cancelPending(pending: PendingRequest): void {
    const record = pending.record;
    const at = record.queue.indexOf(pending);
    if (at >= 0) record.queue.splice(at, 1);
    pending.done = true;
    pending.job.onDropped(new InferenceError('CANCELLED', 'request cancelled while waiting in the queue'));
    this.endSequence(
      record,
      new InferenceError(
        'CANCELLED',
        `sequence ${String(record.id)} of model '${this.settings.name}' was cancelled: an earlier request of it was cancelled`,
      ),
    );
  }

  private assign(slot: SequenceSlot, record: SequenceRecord): void {
    slot.record = record;
    record.slot = slot;
    record.expiresNs = Infinity;
  }

  private backlogFull(id: number | string): InferenceError {
    const slots = this.lanes.length * this.settings.slotsPerInstance;
    return new InferenceError(
      'RESOURCE_EXHAUSTED',
      `inference request for sequence ${String(id)} to model '${this.settings.name}' rejected: all ${slots} ` +
        `sequence slots are taken and ${this.settings.backlogLimit} sequences already wait for one ` +
        '(--max-sequence-backlog)',
    );
  }

  /** Fails every waiting request of `record` with `error`. */
  private failQueued(record: SequenceRecord, error: InferenceError): void {
    const queue = record.queue.splice(0);
    for (const p of queue) {
      p.done = true;
      p.unlisten();
      p.job.onDropped(error);
    }
  }

  /**
   * Ends `record` early (cancelled, idle, instance lost): it accepts no more requests, its waiting
   * ones fail with `error`, and its slot is freed once nothing of it executes.
   */
  private endSequence(record: SequenceRecord, error: InferenceError | undefined): void {
    if (this.live.get(record.key) === record) this.live.delete(record.key);
    record.closed = true;
    if (error) this.failQueued(record, error);
    if (!record.slot) {
      const at = this.backlog.indexOf(record);
      if (at >= 0 && record.queue.length === 0) this.backlog.splice(at, 1);
      return;
    }
    this.releaseIfDone(record);
  }

  /** Frees the slot of a closed sequence that has nothing waiting or executing. */
  private releaseIfDone(record: SequenceRecord): void {
    const slot = record.slot;
    if (!slot || !record.closed || record.inFlight || record.queue.length > 0) return;
    slot.record = undefined;
    record.slot = undefined;
    // Its END executed, or it was released (idle, cancelled, instance lost): its states are freed.
    this.states?.release(record);
    this.refill(slot);
    this.pump(slot.lane);
  }

  /** Gives a freed slot to the oldest backlogged sequence that still has requests. */
  private refill(slot: SequenceSlot): void {
    if (!slot.lane.up) return;
    while (this.backlog.length > 0) {
      const next = this.backlog.shift()!;
      if (next.queue.length === 0 && next.closed) continue;
      this.assign(slot, next);
      // Its idle time counts from when it got a slot, not from its wait in the backlog.
      next.lastNs = this.clock.nowNs();
      this.timers.idleFrom(next);
      return;
    }
  }

  /** The reaper found `record` idle: it is released (Triton: its slot goes to another sequence). */
  private releaseIdle(record: SequenceRecord): void {
    if (!record.slot || this.live.get(record.key) !== record) return;
    this.endSequence(record, undefined);
  }

  /** A backlogged sequence's timeout passed: its requests fail. */
  private expireBacklogged(record: SequenceRecord): void {
    const at = this.backlog.indexOf(record);
    if (at < 0) return;
    this.backlog.splice(at, 1);
    if (this.live.get(record.key) === record) this.live.delete(record.key);
    record.closed = true;
    this.failQueued(
      record,
      new InferenceError('UNAVAILABLE', 'timeout of the corresponding sequence has been expired'),
    );
  }

  /** Every sequence holding a slot or waiting for one, for the timers. */
  private forEachTracked(fn: (record: SequenceRecord) => void): void {
    for (const r of slotted(this.lanes)) fn(r);
    for (const r of this.backlog) fn(r);
  }

  private pumpAll(): void {
    for (const lane of this.lanes) this.pump(lane);
  }

  /**
   * Whether `lane` may start an execution now, and claims it when it may: the one place where an
   * instance is acquired. With the rate limiter, false while the lane waits for its resources.
   */
  private acquireInstance(lane: Lane): boolean {
    if (lane.busy || !lane.up || this.staged.has(lane)) return false;
    lane.busy = true;
    return true;
  }

  /** Gives an instance back after an execution (and its rate limiter resources, `executed`). */
  private releaseInstance(lane: Lane, granted: boolean, executed: boolean): void {
    lane.busy = false;
    if (granted) this.gate?.release(lane.instance, executed);
  }

  /** The next batch `lane` would run now, or undefined (nothing ready, or waiting for a delay). */
  private decide(lane: Lane, now: number): Extract<LaneDecision, { slots: unknown }> | undefined {
    const decision: LaneDecision | undefined =
      this.settings.strategy === 'direct' ? directBatch(lane, this.settings, now) : oldestBatch(lane, this.rules, now);
    if (!decision) return undefined;
    if ('waitUntilNs' in decision) {
      this.timers.wakeAt(decision.waitUntilNs);
      return undefined;
    }
    return decision;
  }

  /** Starts the next batch of `lane` when it is idle and its rules allow. */
  private pump(lane: Lane): void {
    if (lane.busy || !lane.up || this.closedWith || this.staged.has(lane)) return;
    const now = this.clock.nowNs();
    const decision = this.decide(lane, now);
    if (!decision) return;
    if (this.gate) {
      // Wait for the instance's resources; the batch is formed again once they are granted.
      this.staged.add(lane);
      this.gate.request(lane.instance, () => this.granted(lane));
      return;
    }
    if (!this.acquireInstance(lane)) return;
    this.run(lane, decision, now, false);
  }

  /** The rate limiter granted `lane`'s instance its resources: run what is ready, or give them back. */
  private granted(lane: Lane): void {
    if (!this.staged.delete(lane)) return;
    const now = this.clock.nowNs();
    const decision = this.closedWith || !lane.up ? undefined : this.decide(lane, now);
    if (!decision || !this.acquireInstance(lane)) {
      this.gate?.release(lane.instance, false);
      return;
    }
    this.run(lane, decision, now, true);
  }

  private run(lane: Lane, decision: Extract<LaneDecision, { slots: unknown }>, now: number, granted: boolean): void {
    executeBatch(
      lane.instance,
      decision.slots,
      this.settings,
      now,
      (taken, outcome) => this.afterBatch(lane, taken, outcome, granted),
      this.states,
    );
  }

  /** After a batch of `lane`: statistics, the sequences' idle clocks and slots, the next batch. */
  private afterBatch(lane: Lane, taken: readonly PendingRequest[], outcome: BatchOutcome, granted: boolean): void {
    try {
      if ('timings' in outcome) this.onExecution(taken.length, outcome.timings);
    } finally {
      this.releaseInstance(lane, granted, true);
      const doneNs = this.clock.nowNs();
      for (const p of taken) {
        const r = p.record;
        r.inFlight = false;
        // Idle time counts from the sequence's latest activity: an arrival or, here, a completion.
        r.lastNs = doneNs;
        this.releaseIfDone(r);
        if (r.slot && !r.closed) this.timers.idleFrom(r);
      }
      this.pump(lane);
    }
  }

  /** An instance became available (its slots take sequences again) or unavailable (its sequences end). */
  private availabilityChanged(lane: Lane): void {
    const up = lane.instance.unavailable?.() === undefined;
    if (up === lane.up) return;
    lane.up = up;
    if (up) {
      for (const slot of lane.slots) if (!slot.record) this.refill(slot);
      this.pump(lane);
      return;
    }
    const error = noInstanceError(this.settings.name, [lane.instance]);
    for (const slot of lane.slots) {
      const r = slot.record;
      if (!r) continue;
      this.endSequence(r, error);
    }
    if (!this.lanes.some((l) => l.up)) {
      for (const r of this.backlog.splice(0)) {
        if (this.live.get(r.key) === r) this.live.delete(r.key);
        this.failQueued(r, noInstanceError(this.settings.name, this.instances));
      }
    }
  }
}
