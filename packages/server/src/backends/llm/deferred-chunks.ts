/**
 * Moves the sending of streamed text off llama.cpp's critical path. node-llama-cpp samples each
 * sequence's next token on the event loop and only then dispatches the next decode batch, so
 * anything a text callback does synchronously (building the response, the frontend writing it to
 * a socket) delays the next decode of every sequence. Chunks are therefore queued here and
 * delivered right after the next batch is dispatched (the context's `dispatchSchedule` hook), while
 * llama.cpp decodes on its own thread. Chunks of one generation that pile up before a delivery (a
 * busy event loop) are coalesced into one: one response, one SSE event or gRPC message, instead
 * of one per token. A generation's last chunks are delivered before its final response
 * ({@link DeferredChunks.flushOne}); nothing waits past the end of the event-loop turn it was
 * queued in (or the scheduled dispatch that ends it).
 *
 * With a stream interval (the model parameter `stream_interval_ms`), a generation gets at most one
 * chunk per interval after its first: what is generated meanwhile waits and goes out as one chunk,
 * trading inter-token latency for less work per token (the first chunk, hence the time to first
 * token, is never held).
 */
import { backgroundClock, type Clock } from '../../core/clock.js';
import type { TokenLogprob } from './token-logprobs.js';

/** A piece of streamed text and its tokens' log-probabilities. */
export interface StreamChunk {
  readonly text: string;
  readonly logprobs?: TokenLogprob[];
}

interface Pending {
  text: string;
  logprobs: TokenLogprob[] | undefined;
  readonly deliver: (chunk: StreamChunk) => void;
}

/**
 * @example
 * ```ts
 * const deferred = new DeferredChunks();
 * await model.createContext({ batching: { dispatchSchedule: deferred.schedule } });
 * deferred.push(key, { text: 'Hi' }, send); // sent after the next dispatch
 * deferred.flushOne(key); // before the final response
 * ```
 */
export class DeferredChunks {
  private readonly pending = new Map<object, Pending>();
  /** When each generation's last chunk went out (ns), with a stream interval only. */
  private readonly lastSent = new Map<object, number>();
  private cancelTimer: (() => void) | undefined;
  private timerDueNs = Infinity;
  /** A flush queued for the end of this event-loop turn. */
  private immediate: NodeJS.Immediate | undefined;
  /** A batch dispatch node-llama-cpp scheduled through {@link schedule} and that has not run yet. */
  private dispatchPending = false;

  constructor(
    /** The least time between two chunks of one generation, in ms (0: every chunk at once). */
    private readonly intervalMs = 0,
    private readonly clock: Clock = backgroundClock,
  ) {}

  /**
   * node-llama-cpp's `batching.dispatchSchedule`: dispatch the batch, then deliver the chunks. It
   * is called when a decode is queued while no batch is being decoded (one stream, or streams out
   * of step); while one is, node-llama-cpp dispatches the next batch itself as soon as every
   * sequence has queued its token, in the same turn, and the end-of-turn flush comes after it.
   */
  readonly schedule = (dispatch: () => void): void => {
    this.dispatchPending = true;
    setImmediate(() => {
      dispatch();
      // dispatch() only starts node-llama-cpp's batch task, which reaches the native decode a few
      // awaits later: deliver in the next turn, by when the decode runs (measured by
      // bench/llm-chunk-overlap.mjs).
      setImmediate(() => {
        this.dispatchPending = false;
        this.flush();
      });
    });
  };

  /** Queues a chunk of generation `key`, merged with any still queued for it. */
  push(key: object, chunk: StreamChunk, deliver: (chunk: StreamChunk) => void): void {
    const queued = this.pending.get(key);
    if (queued === undefined) {
      this.pending.set(key, { text: chunk.text, logprobs: chunk.logprobs?.slice(), deliver });
    } else {
      queued.text += chunk.text;
      if (chunk.logprobs !== undefined) (queued.logprobs ??= []).push(...chunk.logprobs);
    }
    // End of this turn: after the next batch was dispatched (unless a scheduled dispatch, still to
    // run in this turn's check phase, will flush right after itself).
    this.immediate ??= setImmediate(() => {
      this.immediate = undefined;
      if (!this.dispatchPending) this.flush();
    });
  }

  /** Delivers the queued chunk of `key` now, if any, and forgets the generation (its end). */
  flushOne(key: object): void {
    this.deliver(key);
    this.lastSent.delete(key);
  }

  /** Delivers every queued chunk that is due (all of them without a stream interval). */
  flush(): void {
    let nextDueNs = Infinity;
    const now = this.intervalMs > 0 ? this.clock.nowNs() : 0;
    for (const key of [...this.pending.keys()]) {
      const last = this.lastSent.get(key);
      const due = last === undefined ? now : last + this.intervalMs * 1e6;
      if (due <= now) this.deliver(key);
      else nextDueNs = Math.min(nextDueNs, due);
    }
    if (nextDueNs < this.timerDueNs) {
      this.cancelTimer?.();
      this.timerDueNs = nextDueNs;
      this.cancelTimer = this.clock.setTimer(
        () => {
          this.cancelTimer = undefined;
          this.timerDueNs = Infinity;
          this.flush();
        },
        (nextDueNs - now) / 1e6,
      );
    }
  }

  private deliver(key: object): void {
    const queued = this.pending.get(key);
    if (queued === undefined) return;
    this.pending.delete(key);
    if (this.intervalMs > 0) this.lastSent.set(key, this.clock.nowNs());
    queued.deliver(
      queued.logprobs === undefined ? { text: queued.text } : { text: queued.text, logprobs: queued.logprobs },
    );
  }
}
