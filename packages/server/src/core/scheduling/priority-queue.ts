/**
 * The dynamic batcher's queue: one FIFO per priority level, each split in two, the requests still
 * within their queue timeout first and, behind them, the ones whose timeout expired under a DELAY
 * policy (Triton's `PolicyQueue` keeps the same two lists). Requests are taken level by level,
 * highest priority (level 0) first.
 *
 * Removing a request from the middle (cancelled, timed out, delayed) only marks it; the arrays are
 * compacted once marked slots make up half of them, so memory follows the live queue and every
 * operation stays amortized O(1) (a sweep is O(n)).
 */
import type { SchedulerJob } from './scheduler.js';

/** Where a queue entry is. */
export enum EntryState {
  /** Waiting, within its timeout. */
  Queued = 0,
  /** Waiting behind the others of its level: its timeout expired under a DELAY policy. */
  Delayed = 1,
  /** Left the queue (dispatched, cancelled, rejected, closed). */
  Gone = 2,
}

/** Receives the abort of a queued job's signal. */
export interface AbortSink {
  cancelQueued(entry: QueueEntry): void;
}

/**
 * One queued job. It is its own abort listener (`handleEvent`), so queueing a request allocates no
 * closure.
 */
export class QueueEntry {
  state: EntryState = EntryState.Queued;

  constructor(
    readonly job: SchedulerJob,
    /** 0-based priority level, 0 the highest. */
    readonly level: number,
    /** When it entered the queue (clock ns). */
    readonly enqueuedNs: number,
    /** When its queue timeout expires (clock ns); 0 = never. */
    readonly deadlineNs: number,
    /** Requests batch together only when their signatures are equal (see batch-signature.ts). */
    readonly signature: string,
    private readonly sink: AbortSink,
  ) {}

  /** Leading batch dimension, at least 1. */
  get batchSize(): number {
    return Math.max(1, this.job.batchSize);
  }

  /** The job's signal aborted. */
  handleEvent(): void {
    if (this.state !== EntryState.Gone) this.sink.cancelQueued(this);
  }

  /** Stops listening to the job's signal. */
  unlisten(): void {
    this.job.request.signal.removeEventListener('abort', this);
  }
}

/** A FIFO with O(1) removal by marking; `keep` says which entries still belong to it. */
class MarkedFifo {
  private items: QueueEntry[] = [];
  private head = 0;
  private holes = 0;

  constructor(private readonly keep: EntryState) {}

  push(e: QueueEntry): void {
    this.items.push(e);
  }

  /** An entry in this list changed state: it now leaves a hole. */
  markHole(): void {
    this.holes++;
    if (this.holes > 16 && this.holes * 2 > this.items.length - this.head) this.compact();
  }

  /** Removes and returns the first entry that still belongs here. */
  shift(): QueueEntry | undefined {
    const items = this.items;
    while (this.head < items.length) {
      const e = items[this.head]!;
      items[this.head++] = undefined as unknown as QueueEntry; // drop the reference at once
      if (e.state === this.keep) {
        this.trim();
        return e;
      }
      this.holes--;
    }
    this.trim();
    return undefined;
  }

  /** Calls `fn` on the live entries in order until it returns false; returns false if stopped. */
  each(fn: (e: QueueEntry) => boolean): boolean {
    const items = this.items;
    for (let i = this.head; i < items.length; i++) {
      const e = items[i]!;
      if (e.state === this.keep && !fn(e)) return false;
    }
    return true;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.holes = 0;
  }

  private trim(): void {
    if (this.head === this.items.length) this.clear();
    else if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  private compact(): void {
    this.items = this.items.slice(this.head).filter((e) => e.state === this.keep);
    this.head = 0;
    this.holes = 0;
  }
}

/** The queues of one level. */
interface Level {
  readonly main: MarkedFifo;
  readonly delayed: MarkedFifo;
  size: number;
}

/**
 * @example
 * ```ts
 * const q = new PriorityQueue(2);
 * q.push(entry);                 // entry.level picks the queue
 * q.peek(9, candidates);         // the first 9 live entries in batching order
 * const first = q.shift();       // takes the first one
 * ```
 */
export class PriorityQueue {
  private readonly levels: Level[] = [];
  private total = 0;

  constructor(levelCount: number) {
    for (let i = 0; i < levelCount; i++) {
      this.levels.push({
        main: new MarkedFifo(EntryState.Queued),
        delayed: new MarkedFifo(EntryState.Delayed),
        size: 0,
      });
    }
  }

  /** Live entries in all levels. */
  get size(): number {
    return this.total;
  }

  /** Live entries (delayed included) at a 0-based level. */
  sizeAt(level: number): number {
    return this.levels[level]?.size ?? 0;
  }

  push(e: QueueEntry): void {
    const level = this.levels[e.level]!;
    level.main.push(e);
    level.size++;
    this.total++;
  }

  /** Takes a live entry out of the queue (cancelled, rejected); it becomes Gone. */
  remove(e: QueueEntry): void {
    if (e.state === EntryState.Gone) return;
    const level = this.levels[e.level]!;
    const list = e.state === EntryState.Queued ? level.main : level.delayed;
    e.state = EntryState.Gone;
    list.markHole();
    level.size--;
    this.total--;
  }

  /** Moves a queued entry behind the others of its level (timeout expired under DELAY). */
  delay(e: QueueEntry): void {
    if (e.state !== EntryState.Queued) return;
    const level = this.levels[e.level]!;
    e.state = EntryState.Delayed;
    level.main.markHole();
    level.delayed.push(e);
  }

  /** Fills `out` (cleared first) with up to `limit` live entries in batching order. */
  peek(limit: number, out: QueueEntry[]): void {
    out.length = 0;
    if (limit <= 0) return;
    const add = (e: QueueEntry): boolean => out.push(e) < limit;
    for (const level of this.levels) {
      if (level.size === 0) continue;
      if (!level.main.each(add) || !level.delayed.each(add)) return;
    }
  }

  /** Removes and returns the first live entry in batching order; it becomes Gone. */
  shift(): QueueEntry | undefined {
    for (const level of this.levels) {
      if (level.size === 0) continue;
      const e = level.main.shift() ?? level.delayed.shift();
      if (e) {
        e.state = EntryState.Gone;
        level.size--;
        this.total--;
        return e;
      }
    }
    return undefined;
  }

  /** Calls `fn` on every live entry that is still within its timeout (not delayed). */
  forEachQueued(fn: (e: QueueEntry) => void): void {
    for (const level of this.levels) {
      if (level.size > 0)
        level.main.each((e) => {
          fn(e);
          return true;
        });
    }
  }

  /** Removes every live entry and returns them in batching order (each becomes Gone). */
  drain(): QueueEntry[] {
    const all: QueueEntry[] = [];
    for (const level of this.levels) {
      const collect = (e: QueueEntry): boolean => all.push(e) > 0;
      level.main.each(collect);
      level.delayed.each(collect);
      level.main.clear();
      level.delayed.clear();
      level.size = 0;
    }
    for (const e of all) e.state = EntryState.Gone;
    this.total = 0;
    return all;
  }
}
