/**
 * When to check the memory of worker-thread instances that have a memory cap (`memory_limit_mb`).
 *
 * A worker's heap is capped by V8 (`resourceLimits`), but ArrayBuffers live outside the heap, and
 * Node 20 can read a worker's ArrayBuffer total only from inside that worker, whose event loop a
 * synchronous model blocks. So the main thread watches the process's resident set size (cheap:
 * about 5 µs per read) on a short period while any capped instance has work in flight; when it
 * has grown by more than a gate since the last look, every capped instance is asked to measure
 * itself (`check()`: an interrupt-based probe that answers even from inside a synchronous loop, see
 * worker-memory-probe.ts) and restarts itself when over its cap. Growth that no instance owns (the
 * main thread's own buffers under load) costs one round of probes per gate and nothing else.
 *
 * The overshoot is bounded by the gate plus what a model allocates in one sampling period and in
 * one uninterruptible operation (e.g. filling a single huge typed array): the probe, and the
 * termination after it, take effect when that operation returns.
 */
import { backgroundClock, type Clock } from '../../core/clock.js';

/** An instance under watch. */
export interface MemoryWatched {
  /** Its cap, bytes (what the gate is derived from). */
  readonly memoryLimitBytes: number;
  /** Whether it has work in flight (the watch samples only while some instance does). */
  busy(): boolean;
  /** Measures itself and restarts itself when over its cap; must return at once (measures async). */
  check(): void;
}

/** Options of a {@link MemoryWatch}; the defaults suit production. */
export interface MemoryWatchOptions {
  readonly clock?: Clock;
  /** The process's resident set size in bytes (tests inject one). */
  readonly rss?: () => number;
  /** Sampling period while some instance is busy, ms. */
  readonly periodMs?: number;
  /** Largest RSS growth, bytes, that goes without probing (a quarter of the smallest cap if less). */
  readonly maxGateBytes?: number;
}

/** Default sampling period: 10 ms, so a model filling memory at ~2 GB/s overshoots by ~20 MB per period. */
export const MEMORY_SAMPLE_PERIOD_MS = 10;
/** Default largest gate: 64 MiB of growth before the instances are probed. */
export const MAX_MEMORY_GATE_BYTES = 64 * 2 ** 20;

/**
 * @example
 * ```ts
 * const unwatch = processMemoryWatch.add(instance); // instance implements MemoryWatched
 * processMemoryWatch.arm();                          // whenever work is handed to an instance
 * ```
 */
export class MemoryWatch {
  private readonly watched = new Set<MemoryWatched>();
  private readonly clock: Clock;
  private readonly rss: () => number;
  private readonly periodMs: number;
  private readonly maxGateBytes: number;
  private gateBytes: number;
  /** RSS when the instances were last probed, lowered whenever RSS is lower. */
  private referenceRss = -1;
  private cancel: (() => void) | undefined;
  private readonly sample = (): void => this.onSample();

  constructor(options: MemoryWatchOptions = {}) {
    this.clock = options.clock ?? backgroundClock;
    this.rss = options.rss ?? process.memoryUsage.rss;
    this.periodMs = options.periodMs ?? MEMORY_SAMPLE_PERIOD_MS;
    this.maxGateBytes = options.maxGateBytes ?? MAX_MEMORY_GATE_BYTES;
    this.gateBytes = this.maxGateBytes;
  }

  /** Watches `w` until the returned function is called. */
  add(w: MemoryWatched): () => void {
    this.watched.add(w);
    this.updateGate();
    return () => {
      this.watched.delete(w);
      this.updateGate();
      if (this.watched.size === 0) this.stop();
    };
  }

  /** Work was handed to an instance: starts sampling unless it runs already (the hot path: one check). */
  arm(): void {
    if (this.cancel !== undefined || this.watched.size === 0) return;
    this.cancel = this.clock.setTimer(this.sample, this.periodMs);
  }

  /** The growth that triggers a round of probes, bytes. */
  get gate(): number {
    return this.gateBytes;
  }

  private stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  private updateGate(): void {
    let gate = this.maxGateBytes;
    for (const w of this.watched) gate = Math.min(gate, Math.floor(w.memoryLimitBytes / 4));
    this.gateBytes = gate;
  }

  private onSample(): void {
    this.cancel = undefined;
    let busy = false;
    for (const w of this.watched) {
      if (w.busy()) {
        busy = true;
        break;
      }
    }
    // Nothing in flight: stop. The reference is kept, so growth left behind by one burst (a leak)
    // still counts at the next.
    if (!busy) return;
    let rss: number;
    try {
      rss = this.rss();
    } catch {
      // Reading RSS opens /proc/self/stat: at the descriptor limit (EMFILE) it throws, and thrown
      // from this timer it ended the whole server (a flood of connections during an inference).
      // The sample is skipped; the heap caps hold meanwhile, and the next sample looks again.
      this.cancel = this.clock.setTimer(this.sample, this.periodMs);
      return;
    }
    if (this.referenceRss < 0 || rss < this.referenceRss) this.referenceRss = rss;
    else if (rss - this.referenceRss >= this.gateBytes) {
      this.referenceRss = rss;
      for (const w of this.watched) w.check();
    }
    this.cancel = this.clock.setTimer(this.sample, this.periodMs);
  }
}

/** The watch shared by every instance of the process (RSS is a per-process number). */
export const processMemoryWatch: MemoryWatch = new MemoryWatch();
