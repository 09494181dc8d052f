/**
 * Whether a worker-thread instance can take work, and if not why and until when: the availability
 * signal of {@link ModelInstance.unavailable}, which the schedulers use to route around an
 * instance that is restarting and to answer UNAVAILABLE at once when no instance can serve.
 */
import type { Clock } from '../../core/clock.js';
import { unavailable, type InferenceError } from '../../core/errors.js';

interface Down {
  /** What happened last (e.g. "it exceeded execution_timeout_ms (500 ms)"). */
  readonly cause: string;
  /** Failures in a row (the restart back-off grows with them). */
  readonly failures: number;
  /** When the next start attempt begins (clock ns); undefined while a start is under way. */
  retryAtNs: number | undefined;
}

/**
 * @example
 * ```ts
 * const health = new InstanceHealth('m_0', clock);
 * health.markDown('it crashed: exit code 3', 1, 100);
 * health.error()?.message; // "model instance m_0 is restarting after it crashed: exit code 3; ..."
 * health.markUp();
 * ```
 */
export class InstanceHealth {
  private down: Down | undefined;
  private listeners: Array<() => void> = [];

  constructor(
    private readonly name: string,
    private readonly clock: Clock,
  ) {}

  /** True while the instance can take work. */
  get up(): boolean {
    return this.down === undefined;
  }

  /**
   * The instance cannot take work until {@link markUp}; its next start attempt begins in
   * `retryInMs` (0: at once).
   */
  markDown(cause: string, failures: number, retryInMs: number): void {
    const wasUp = this.down === undefined;
    this.down = { cause, failures, retryAtNs: undefined };
    this.retryIn(retryInMs);
    if (wasUp) this.notify();
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
    const after = d.failures > 1 ? `${d.failures} failures in a row, the last: ${d.cause}` : d.cause;
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
