/**
 * Moves the sending of streamed text off llama.cpp's critical path. node-llama-cpp samples each
 * sequence's next token on the event loop and only then dispatches the next decode batch, so
 * anything a text callback does synchronously (building the response, the frontend writing it to
 * a socket) delays the next decode of every sequence. Chunks are therefore queued here and
 * delivered right after the next batch is dispatched (the context's `dispatchSchedule` hook), while
 * llama.cpp decodes on its own thread. Chunks of one generation that pile up before a delivery (a
 * busy event loop) are coalesced into one: one response, one SSE event or gRPC message, instead
 * of one per token. A generation's last chunks are delivered before its final response
 * ({@link DeferredChunks.flushOne}); a timer makes sure nothing waits when no batch follows.
 */
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

/** The longest a queued chunk waits when no decode batch is dispatched after it. */
export const MAX_DEFER_MS = 5;

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
  private timer: NodeJS.Timeout | undefined;

  /** node-llama-cpp's `batching.dispatchSchedule`: dispatch the batch, then deliver the chunks. */
  readonly schedule = (dispatch: () => void): void => {
    setImmediate(() => {
      dispatch();
      this.flush();
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
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, MAX_DEFER_MS);
  }

  /** Delivers the queued chunk of `key` now, if any. */
  flushOne(key: object): void {
    const queued = this.pending.get(key);
    if (queued === undefined) return;
    this.pending.delete(key);
    queued.deliver(
      queued.logprobs === undefined ? { text: queued.text } : { text: queued.text, logprobs: queued.logprobs },
    );
  }

  /** Delivers every queued chunk. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    for (const key of [...this.pending.keys()]) this.flushOne(key);
  }
}
