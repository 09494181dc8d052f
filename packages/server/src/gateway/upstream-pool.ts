/**
 * The gateway's upstream servers: periodic health checks (an upstream that fails its readiness
 * check leaves the pool and comes back once it passes again), least-loaded choice (fewest requests
 * in flight, ties taken in turn) and retry on another upstream for failures that are not the
 * request's fault. The transport is injected (the real one wraps @tensorgate/client), and so is
 * the clock, so balancing and health are tested without sockets or sleeping.
 */
import type { Logger } from 'pino';
import { NoUpstreamError, isRetryable } from './upstream-errors.js';

/** What the pool needs from a connection to one upstream. */
export interface UpstreamTransport {
  /** The server's readiness; rejects or resolves false when it is not ready or cannot be reached. */
  isServerReady(timeoutMs: number): Promise<boolean>;
  close(): void | Promise<void>;
}

/** Timers for health checks (the real one is `systemGatewayClock`). */
export interface GatewayClock {
  /** Milliseconds since some fixed point. */
  now(): number;
  /** Runs `fn` after `ms`; returns a cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
}

/** The real clock. */
export const systemGatewayClock: GatewayClock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

/** One upstream as `/health` shows it. */
export interface UpstreamStatus {
  readonly address: string;
  readonly ready: boolean;
  readonly inFlight: number;
  /** Requests sent to it since start (including failed ones). */
  readonly requests: number;
  /** Why the last check or request failed, while it is not ready. */
  readonly lastError?: string;
}

/** Pool settings. */
export interface UpstreamPoolOptions<T extends UpstreamTransport> {
  readonly addresses: readonly string[];
  readonly createTransport: (address: string) => T;
  readonly healthIntervalMs: number;
  /** Limit of one readiness check (default: the interval, within 1 to 5 s). */
  readonly healthTimeoutMs?: number;
  readonly clock?: GatewayClock;
  readonly logger?: Logger;
}

/** Per-request choices for {@link UpstreamPool.run}. */
export interface RunOptions {
  /** Whether a failure may be retried elsewhere; default: {@link isRetryable}. */
  readonly canRetry?: (err: unknown) => boolean;
}

interface Upstream<T> {
  readonly address: string;
  readonly transport: T;
  ready: boolean;
  inFlight: number;
  requests: number;
  checking: boolean;
  lastError?: string;
}

/**
 * A set of upstream servers.
 *
 * @example
 * ```ts
 * const pool = new UpstreamPool({ addresses: ['a:8001', 'b:8001'], createTransport, healthIntervalMs: 2000 });
 * await pool.start();
 * const result = await pool.run((client) => client.infer('simple', inputs));
 * ```
 */
export class UpstreamPool<T extends UpstreamTransport> {
  private readonly upstreams: Upstream<T>[];
  private readonly clock: GatewayClock;
  private readonly interval: number;
  private readonly checkTimeout: number;
  private readonly logger: Logger | undefined;
  private cursor = 0;
  private cancelTimer: (() => void) | undefined;
  private closed = false;

  constructor(options: UpstreamPoolOptions<T>) {
    if (options.addresses.length === 0) throw new Error('the gateway needs at least one upstream');
    const unique = [...new Set(options.addresses)];
    this.upstreams = unique.map((address) => ({
      address,
      transport: options.createTransport(address),
      ready: false,
      inFlight: 0,
      requests: 0,
      checking: false,
      lastError: 'not checked yet',
    }));
    this.clock = options.clock ?? systemGatewayClock;
    this.interval = options.healthIntervalMs;
    // A first check includes connecting, so even a short interval gets at least a second.
    this.checkTimeout = options.healthTimeoutMs ?? Math.min(Math.max(options.healthIntervalMs, 1000), 5000);
    this.logger = options.logger;
  }

  /** Runs a first round of checks, then one every interval until {@link close}. */
  async start(): Promise<void> {
    await this.checkAll();
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    this.cancelTimer = this.clock.setTimer(() => {
      void this.checkAll().finally(() => this.schedule());
    }, this.interval);
  }

  /** Checks every upstream now (one check per upstream at a time). */
  async checkAll(): Promise<void> {
    await Promise.all(this.upstreams.map((u) => this.check(u)));
  }

  private async check(u: Upstream<T>): Promise<void> {
    if (u.checking || this.closed) return;
    u.checking = true;
    let ready = false;
    let why: string | undefined;
    let cancel: (() => void) | undefined;
    try {
      const timeout = new Promise<boolean>((_, reject) => {
        cancel = this.clock.setTimer(() => reject(new Error('readiness check timed out')), this.checkTimeout);
      });
      ready = await Promise.race([u.transport.isServerReady(this.checkTimeout), timeout]);
      if (!ready) why = 'server is not ready';
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
    } finally {
      cancel?.();
      u.checking = false;
    }
    this.setReady(u, ready, why);
  }

  private setReady(u: Upstream<T>, ready: boolean, why: string | undefined): void {
    if (u.ready !== ready) {
      if (ready) this.logger?.info({ upstream: u.address }, 'upstream is ready; back in the pool');
      else this.logger?.warn({ upstream: u.address, reason: why }, 'upstream is not ready; out of the pool');
    }
    u.ready = ready;
    if (ready) delete u.lastError;
    else u.lastError = why ?? 'not ready';
  }

  /** The upstreams as `/health` reports them, in configuration order. */
  status(): UpstreamStatus[] {
    return this.upstreams.map((u) => ({
      address: u.address,
      ready: u.ready,
      inFlight: u.inFlight,
      requests: u.requests,
      ...(u.lastError !== undefined && !u.ready && { lastError: u.lastError }),
    }));
  }

  /** Whether at least one upstream is ready. */
  anyReady(): boolean {
    return this.upstreams.some((u) => u.ready);
  }

  /** The ready upstream with the fewest requests in flight, not in `skip`; ties go in turn. */
  private pick(skip: ReadonlySet<Upstream<T>>): Upstream<T> | undefined {
    const n = this.upstreams.length;
    let best: Upstream<T> | undefined;
    let bestIndex = -1;
    for (let k = 0; k < n; k++) {
      const i = (this.cursor + k) % n;
      const u = this.upstreams[i]!;
      if (!u.ready || skip.has(u)) continue;
      if (!best || u.inFlight < best.inFlight) {
        best = u;
        bestIndex = i;
      }
    }
    if (best) this.cursor = (bestIndex + 1) % n;
    return best;
  }

  /**
   * Runs `fn` on the least-loaded ready upstream. A retryable failure (see `canRetry`) is tried
   * again on another ready upstream not tried yet, and makes the failed one re-check its health
   * at once; other failures, and the last retryable one, are thrown as they are. Throws
   * {@link NoUpstreamError} when no upstream is ready to begin with.
   */
  async run<R>(fn: (transport: T, address: string) => Promise<R>, options: RunOptions = {}): Promise<R> {
    const canRetry = options.canRetry ?? isRetryable;
    const tried = new Set<Upstream<T>>();
    let lastError: unknown = new NoUpstreamError();
    for (;;) {
      const u = this.pick(tried);
      if (!u) throw lastError;
      tried.add(u);
      u.inFlight++;
      u.requests++;
      try {
        return await fn(u.transport, u.address);
      } catch (err) {
        if (!canRetry(err)) throw err;
        lastError = err;
        this.logger?.warn({ upstream: u.address, err }, 'upstream failed; trying another one');
        void this.check(u);
      } finally {
        u.inFlight--;
      }
    }
  }

  /** Stops health checks and closes every transport. */
  async close(): Promise<void> {
    this.closed = true;
    this.cancelTimer?.();
    await Promise.all(this.upstreams.map((u) => u.transport.close()));
  }
}
