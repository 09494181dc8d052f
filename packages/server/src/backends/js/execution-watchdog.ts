/**
 * The execution watchdog of one worker-thread instance (config `execution_timeout_ms`): notices
 * an instance that has work in flight and makes no progress for longer than the timeout, so its
 * worker can be terminated (which stops even a synchronous endless loop) and restarted.
 *
 * Progress is any execution that returned and any response sent, counted by the worker itself in
 * a shared counter (a SharedArrayBuffer the main thread reads), so it is seen at once, not when
 * the worker's next packet of answers arrives (a worker runs queued executions back to back and
 * posts their answers when its event loop turns). The worker runs executions one after another,
 * so for a model that is not decoupled the time without progress is how long the current
 * execution has been running; for a decoupled model it is the time without any response (or
 * return from `execute`) on that instance.
 *
 * While the instance waits on other models (its BLS calls are in flight), it is not stalled: the
 * wait counts as progress, and the time without progress starts again once the calls are over.
 * The callee has its own watchdog and each call its timeout (by default this same
 * `execution_timeout_ms`), which is what ends a model that waits on itself.
 *
 * Cost on the hot path: one counter increment in the worker per execution or response, and one
 * field check per execution handed over. No timer per execution (at 30k requests/s that would be
 * 30k timers); a sweep runs every quarter of the timeout (5 ms to 1 s) only while the instance has
 * work in flight, so an overrun is noticed between 1x and about 1.25x the timeout after the last
 * progress.
 */
import type { Clock } from '../../core/clock.js';

/** Sweep period for a timeout: a quarter of it, from 5 ms to 1 s. */
export function sweepPeriodMs(timeoutMs: number): number {
  return Math.min(1000, Math.max(5, Math.floor(timeoutMs / 4)));
}

/**
 * @example
 * ```ts
 * const progress = new Int32Array(new SharedArrayBuffer(4)); // the worker increments progress[0]
 * const dog = new ExecutionWatchdog(2000, backgroundClock, () => inFlight.busy, () => progress[0]!, () => kill());
 * dog.arm(); // when work is handed to the instance
 * ```
 */
export class ExecutionWatchdog {
  private readonly periodMs: number;
  private readonly timeoutNs: number;
  private seen = 0;
  private lastProgressNs = 0;
  private cancel: (() => void) | undefined;
  private readonly sweep = (): void => this.onSweep();

  /**
   * @param timeoutMs - the timeout; 0 makes every method a no-op
   * @param busy - whether the instance has work in flight now
   * @param progress - a count that grows with every execution that returned and every response
   * @param onTimeout - called once when the timeout passed without progress (the sweep stops)
   * @param waiting - whether the instance waits on something outside it now (its calls to other
   *   models): counted as progress, so the time without progress starts once the wait is over
   */
  constructor(
    readonly timeoutMs: number,
    private readonly clock: Clock,
    private readonly busy: () => boolean,
    private readonly progress: () => number,
    private readonly onTimeout: () => void,
    private readonly waiting: () => boolean = () => false,
  ) {
    this.periodMs = sweepPeriodMs(timeoutMs);
    this.timeoutNs = timeoutMs * 1e6;
  }

  /** Work was handed to the instance: starts the sweep unless it runs already. */
  arm(): void {
    if (this.cancel !== undefined || this.timeoutMs === 0) return;
    this.seen = this.progress();
    this.lastProgressNs = this.clock.nowNs();
    this.cancel = this.clock.setTimer(this.sweep, this.periodMs);
  }

  /** Stops the sweep (the worker is gone or the instance stops); {@link arm} starts it again. */
  disarm(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  private onSweep(): void {
    this.cancel = undefined;
    if (!this.busy()) return;
    const now = this.clock.nowNs();
    const count = this.progress();
    if (count !== this.seen || this.waiting()) {
      this.seen = count;
      this.lastProgressNs = now;
    } else if (now - this.lastProgressNs >= this.timeoutNs) {
      this.onTimeout();
      return;
    }
    this.cancel = this.clock.setTimer(this.sweep, this.periodMs);
  }
}
