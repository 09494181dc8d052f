/**
 * The two load shapes of perf_analyzer:
 *
 * - closed loop (`--concurrency-range`): N requests always in flight; each completion starts the
 *   next one, so the offered load follows the server's speed;
 * - open loop (`--request-rate-range`): requests start on a schedule (constant or Poisson gaps)
 *   whatever the server does. The schedule is kept against the clock, not against completions: a
 *   timer that fires late sends every overdue request at once, and each send's lag is recorded
 *   (late ones count as delayed). Requests beyond `maxInflight` outstanding are not sent and are
 *   counted, so an overloaded server cannot make the generator grow without bound.
 *
 * Both write into `target()`, the current window's recorder, which the runner swaps at each
 * window boundary.
 */
import { performance } from 'node:perf_hooks';
import type { RequestDriver } from './request-driver.js';
import { intervalGenerator, type RequestDistribution } from './schedule.js';
import type { RequestOutcome, WindowRecorder } from './window-recorder.js';

/** A running generator. */
export interface LoadGenerator {
  /** Stops starting requests and resolves once every in-flight request has finished. */
  stop(): Promise<void>;
  /** Requests in flight now. */
  readonly inFlight: number;
}

/** Drain bookkeeping both generators share. */
class InFlight {
  count = 0;
  private idle: (() => void) | undefined;

  begin(): void {
    this.count++;
  }

  end(): void {
    if (--this.count === 0) this.idle?.();
  }

  drained(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idle = resolve));
  }
}

/**
 * Starts a closed loop of `concurrency` requests.
 *
 * @example
 * ```ts
 * const gen = closedLoop(driver, 8, () => window); // ... later: await gen.stop();
 * ```
 */
export function closedLoop(driver: RequestDriver, concurrency: number, target: () => WindowRecorder): LoadGenerator {
  const flight = new InFlight();
  let running = true;
  const onDone = (o: RequestOutcome): void => {
    target().record(o);
    flight.end();
    if (running) issue();
  };
  const issue = (): void => {
    flight.begin();
    driver.start(onDone);
  };
  for (let i = 0; i < concurrency; i++) issue();
  return {
    stop() {
      running = false;
      return flight.drained();
    },
    get inFlight() {
      return flight.count;
    },
  };
}

/** Options of {@link openLoop}. */
export interface OpenLoopOptions {
  readonly ratePerSec: number;
  readonly distribution: RequestDistribution;
  readonly seed: number;
  /** Scheduled requests are skipped (and counted) while this many are outstanding. */
  readonly maxInflight: number;
}

/**
 * Starts an open loop at `ratePerSec`.
 *
 * @example
 * ```ts
 * const gen = openLoop(driver, { ratePerSec: 200, distribution: 'poisson', seed: 1, maxInflight: 1000 }, () => window);
 * ```
 */
export function openLoop(driver: RequestDriver, opts: OpenLoopOptions, target: () => WindowRecorder): LoadGenerator {
  const flight = new InFlight();
  const gap = intervalGenerator(opts.ratePerSec, opts.distribution, opts.seed);
  const onDone = (o: RequestOutcome): void => {
    target().record(o);
    flight.end();
  };
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let nextAt = performance.now();
  const tick = (): void => {
    timer = undefined;
    if (!running) return;
    const now = performance.now();
    while (nextAt <= now) {
      const rec = target();
      if (flight.count >= opts.maxInflight) {
        rec.notSent++;
      } else {
        rec.recordSend(now - nextAt);
        flight.begin();
        driver.start(onDone);
      }
      nextAt += gap();
    }
    // Node timers fire no sooner than 1 ms; the catch-up loop above keeps the mean rate exact.
    timer = setTimeout(tick, Math.max(0, nextAt - performance.now()));
  };
  tick();
  return {
    stop() {
      running = false;
      if (timer) clearTimeout(timer);
      return flight.drained();
    },
    get inFlight() {
      return flight.count;
    },
  };
}
