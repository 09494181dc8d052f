/**
 * The sequence batcher's one timer (Triton's reaper thread): releases sequences idle for longer
 * than `max_sequence_idle_microseconds` (measured from their latest activity: a request's arrival
 * or completion; a sequence with a request waiting or executing is never idle),
 * expires backlogged sequences whose request `timeout` passed, and wakes the batcher when a batch
 * delay ends. It scans the tracked sequences only when it fires, so a request costs no timer work
 * beyond comparing one deadline.
 */
import type { Clock } from '../../clock.js';
import type { SequenceRecord } from './sequence-record.js';

/** What the timer calls back into. */
export interface TimerHooks {
  /** Calls `fn` for every sequence holding a slot or waiting in the backlog. */
  forEach(fn: (record: SequenceRecord) => void): void;
  /** `record` (holding a slot, accepting requests) has been idle too long. */
  idle(record: SequenceRecord): void;
  /** `record` (in the backlog) passed its timeout. */
  expired(record: SequenceRecord): void;
  /** Time to look at the batch delays again. */
  wake(): void;
}

/**
 * @example
 * ```ts
 * const timers = new SequenceTimers(clock, 1e9, hooks);
 * timers.idleFrom(record); // after each request of a slotted sequence
 * ```
 */
export class SequenceTimers {
  private cancel: (() => void) | undefined;
  private atNs = Infinity;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly idleNs: number,
    private readonly hooks: TimerHooks,
  ) {}

  /** A slotted sequence just received a request: it may go idle `idleNs` later. */
  idleFrom(record: SequenceRecord): void {
    this.arm(record.lastNs + this.idleNs);
  }

  /** A backlogged sequence times out at `ns`. */
  expiresAt(ns: number): void {
    this.arm(ns);
  }

  /** A batch waits for its delay until `ns`. */
  wakeAt(ns: number): void {
    this.arm(ns);
  }

  /** Cancels the timer for good (the scheduler closed). */
  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = undefined;
    this.atNs = Infinity;
  }

  private arm(ns: number): void {
    if (this.stopped || (this.cancel && this.atNs <= ns)) return;
    this.cancel?.();
    this.atNs = ns;
    const now = this.clock.nowNs();
    this.cancel = this.clock.setTimer(() => this.fire(), Math.max(0, (ns - now) / 1e6));
  }

  private fire(): void {
    this.cancel = undefined;
    this.atNs = Infinity;
    if (this.stopped) return;
    const now = this.clock.nowNs();
    const idle: SequenceRecord[] = [];
    const expired: SequenceRecord[] = [];
    let next = Infinity;
    this.hooks.forEach((r) => {
      if (r.slot) {
        // Not idle while a request of it waits or executes (its completion re-arms the timer).
        if (r.closed || r.inFlight || r.queue.length > 0) return;
        const due = r.lastNs + this.idleNs;
        if (due <= now) idle.push(r);
        else next = Math.min(next, due);
      } else if (r.expiresNs <= now) expired.push(r);
      else if (r.expiresNs < Infinity) next = Math.min(next, r.expiresNs);
    });
    for (const r of idle) this.hooks.idle(r);
    for (const r of expired) this.hooks.expired(r);
    if (next < Infinity) this.arm(next);
    this.hooks.wake();
  }
}
