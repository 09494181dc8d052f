/**
 * Whether a worker-thread instance can take work, and if not why and until when: the availability
 * signal of {@link ModelInstance.unavailable}, which the schedulers use to route around an
 * instance that is restarting and to answer UNAVAILABLE at once when no instance can serve. It
 * also counts failures in a row, which set the restart back-off.
 */
import type { Clock } from '../../core/clock.js';
import { unavailable, type InferenceError } from '../../core/errors.js';

/** Immediate first restart, then 100 ms doubling up to 30 s while failures keep repeating. */
export const defaultRestartDelayMs = (n: number): number => (n <= 1 ? 0 : Math.min(30_000, 100 * 2 ** (n - 2)));

interface Down {
  /** What happened last (e.g. "it exceeded execution_timeout_ms (500 ms)"). */
  readonly cause: string;
  /** When the next start attempt begins (clock ns); undefined while a start is under way. */
  retryAtNs: number | undefined;
}

/**
 * @example
 * ```ts
 * const health = new InstanceHealth('m_0', clock);
 * const delayMs = health.failed('it crashed: exit code 3'); // 0: the first restart is immediate
 * health.error()?.message; // "model instance m_0 is restarting after it crashed: exit code 3; ..."
 * health.markUp();
 * ```
 */
export class InstanceHealth {
  private down: Down | undefined;
  private listeners: Array<() => void> = [];
  private failuresInARow = 0;

  /** @param restartDelayMs the back-off before the next start after `n` failures in a row */
  constructor(
    private readonly name: string,
    private readonly clock: Clock,
    private readonly restartDelayMs: (n: number) => number = defaultRestartDelayMs,
  ) {}

  /** Failures since the last successful execution. */
  get failures(): number {
    return this.failuresInARow;
  }

  /**
   * A failure (crash, kill, failed restart): counts it, marks the instance down and returns the
   * back-off (ms) before its next start attempt.
   */
  failed(cause: string): number {
    this.failuresInARow++;
    const delay = this.restartDelayMs(this.failuresInARow);
    const wasUp = this.down === undefined;
    this.down = { cause, retryAtNs: undefined };
    this.retryIn(delay);
    if (wasUp) this.notify();
    return delay;
  }

  /** An execution succeeded: the back-off starts over. */
  succeeded(): void {
    this.failuresInARow = 0;
  }

  /** True while the instance can take work. */
  get up(): boolean {
    return this.down === undefined;
  }

  /** The next start attempt begins in `delayMs` (0: it is under way). */
  retryIn(delayMs: number): void {
    if (this.down) this.down.retryAtNs = delayMs > 0 ? this.clock.nowNs() + delayMs * 1e6 : undefined;
  }

  /** The instance serves again. */
  markUp(): void {
    if (this.down === undefined) return;
    this.down = undefined;
    this.notify();
  }

  /** UNAVAILABLE saying why the instance cannot serve and when it tries again; undefined when up. */
  error(): InferenceError | undefined {
    const d = this.down;
    if (!d) return undefined;
    // No execution succeeds while the instance is down, so the count is the one `failed` saw.
    const n = this.failuresInARow;
    const after = n > 1 ? `${n} failures in a row, the last: ${d.cause}` : d.cause;
    let when = 'it is starting again now';
    if (d.retryAtNs !== undefined) {
      const secs = Math.max(0, (d.retryAtNs - this.clock.nowNs()) / 1e9);
      when = `next start attempt in ${secs.toFixed(1)} s`;
    }
    return unavailable(`model instance ${this.name} is restarting after ${after}; ${when}`);
  }

  /** Calls `listener` on every change between up and down. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Drops every listener (the instance is stopping for good). */
  clearListeners(): void {
    this.listeners = [];
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}
