/**
 * A one-consumer async queue between a backend's response sender (push side, any time) and the
 * request's async generator (pull side). Kept by hand because it must also carry a terminal error
 * and report whether the request already has its final outcome; a generic stream adds nothing here.
 */
import type { InferenceError } from './errors.js';
import type { InferResponse } from './types.js';

/** The pull side resolves to a response, or undefined when the channel ended without one. */
export class ResponseChannel {
  private readonly items: InferResponse[] = [];
  private waiter: { resolve: (v: InferResponse | undefined) => void; reject: (e: unknown) => void } | undefined;
  private error: InferenceError | undefined;
  private ended = false;

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
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(response);
    } else {
      this.items.push(response);
    }
  }

  /** Ends the channel with an error (ignored after the end). Queued responses are still delivered first. */
  fail(error: InferenceError): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.reject(error);
    }
  }

  /** Next response; rejects with the failure once queued responses are drained. */
  next(): Promise<InferResponse | undefined> {
    const item = this.items.shift();
    if (item) return Promise.resolve(item);
    if (this.error) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }
}
