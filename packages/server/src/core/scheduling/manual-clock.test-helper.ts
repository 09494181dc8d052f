/**
 * A {@link Clock} that only moves when a test says so, for deterministic tests of timing logic
 * (batch delays, queue timeouts) that never sleep.
 */
import type { Clock } from '../clock.js';

interface Timer {
  readonly atNs: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * @example
 * ```ts
 * const clock = new ManualClock();
 * clock.setTimer(() => fired = true, 5);
 * clock.advanceMs(5); // fired === true
 * ```
 */
export class ManualClock implements Clock {
  private now = 0;
  private seq = 0;
  private timers: Timer[] = [];

  nowNs(): number {
    return this.now;
  }

  wallMs(): number {
    return 1_700_000_000_000 + Math.floor(this.now / 1e6);
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer: Timer = { atNs: this.now + Math.max(0, ms) * 1e6, seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Timers armed and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ns`, firing each due timer at its own time, in order. */
  advanceNs(ns: number): void {
    const end = this.now + ns;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: Timer | undefined;
      for (const t of this.timers) {
        if (t.atNs <= end && (!next || t.atNs < next.atNs || (t.atNs === next.atNs && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      next.cancelled = true;
      this.now = Math.max(this.now, next.atNs);
      next.fn();
    }
    this.now = end;
  }

  /** Moves time forward by `us` microseconds. */
  advanceUs(us: number): void {
    this.advanceNs(us * 1000);
  }

  /** Moves time forward by `ms` milliseconds. */
  advanceMs(ms: number): void {
    this.advanceNs(ms * 1e6);
  }
}
