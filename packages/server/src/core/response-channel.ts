/**
 * A one-consumer async queue between a backend's response sender (push side, any time) and the
 * request's iterator (pull side). Kept by hand because it must also carry a terminal error and
 * report whether the request already has its final outcome; a generic stream adds nothing here.
 * The pull side hands out iterator results directly, so a request's iterator is this queue plus
 * bookkeeping, with no async generator (and its promise hops) in between.
 */
import type { InferenceError } from './errors.js';
import type { InferResponse } from './types.js';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * @example
 * ```ts
 * const ch = new ResponseChannel();
 * ch.push(response);            // from the backend's sender
 * const r = await ch.next();    // { done: false, value: response }
 * ```
 */
export class ResponseChannel {
  /** Responses pushed while nobody waited (rare: decoupled models); created on first use. */
  private items: InferResponse[] | undefined;
  private resolveNext: ((r: IteratorResult<InferResponse, undefined>) => void) | undefined;
  private rejectNext: ((e: unknown) => void) | undefined;
  private error: InferenceError | undefined;
  private ended = false;
  /** True once the consumer got the end (final response, error, or closed). */
  private drained = false;

  /** True once a final response was pushed or the channel failed. */
  get finished(): boolean {
    return this.ended;
  }

  /** The error that ended the channel, if any. */
  get failure(): InferenceError | undefined {
    return this.error;
  }

  /** Adds a response; a final response ends the channel. Ignored after the end. */
  push(response: InferResponse): void {
    if (this.ended) return;
    if (response.final) this.ended = true;
    const resolve = this.resolveNext;
    if (resolve) {
      this.resolveNext = this.rejectNext = undefined;
      if (response.final) this.drained = true;
      resolve({ done: false, value: response });
    } else {
      (this.items ??= []).push(response);
    }
  }

  /** Ends the channel with an error (ignored after the end). Queued responses are still delivered first. */
  fail(error: InferenceError): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    const reject = this.rejectNext;
    if (reject) {
      this.resolveNext = this.rejectNext = undefined;
      this.drained = true;
      reject(error);
    }
  }

  /** The consumer stopped: from now on {@link next} reports the end. */
  close(): void {
    this.drained = true;
    this.items = undefined;
  }

  /**
   * The next response; after the final one, `done`. Rejects once with the failure when the
   * queued responses are drained, and reports `done` after that.
   */
  next(): Promise<IteratorResult<InferResponse, undefined>> {
    if (this.drained) return Promise.resolve(DONE);
    const item = this.items?.shift();
    if (item) {
      if (item.final) this.drained = true;
      return Promise.resolve({ done: false, value: item });
    }
    if (this.error) {
      this.drained = true;
      return Promise.reject(this.error);
    }
    if (this.ended) {
      this.drained = true;
      return Promise.resolve(DONE);
    }
    return new Promise((resolve, reject) => {
      this.resolveNext = resolve;
      this.rejectNext = reject;
    });
  }
}
