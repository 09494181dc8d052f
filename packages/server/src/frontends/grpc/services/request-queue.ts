/**
 * The request messages of a client- or bidi-streaming call as the handler reads them: an async
 * iterator fed by the packets from the main thread. Each message the handler takes is reported
 * (`onTaken`), which lets the main thread read more from the client (service-host.ts keeps at
 * most MESSAGE_WINDOW messages in flight per call).
 */

/**
 * A one-reader queue of messages.
 *
 * @example
 * ```ts
 * const q = new RequestQueue(() => {});
 * q.push({ width: 1 }); q.end();
 * for await (const m of q) console.log(m);
 * ```
 */
export class RequestQueue implements AsyncIterableIterator<unknown> {
  private readonly items: unknown[] = [];
  private ended = false;
  private error: unknown = undefined;
  private stopped = false;
  private waiter: { resolve: (r: IteratorResult<unknown>) => void; reject: (err: unknown) => void } | undefined;

  constructor(private readonly onTaken: () => void) {}

  /** A message arrived. */
  push(message: unknown): void {
    if (this.ended || this.stopped) return;
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      this.onTaken();
      w.resolve({ value: message, done: false });
    } else this.items.push(message);
  }

  /** The client sent its last message. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  /** The call was cancelled: the reader's next read throws `err`. */
  fail(err: unknown): void {
    if (this.ended || this.error !== undefined) return;
    this.error = err;
    this.items.length = 0;
    this.wake();
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.items.length > 0) {
      this.onTaken();
      return Promise.resolve({ value: this.items.shift(), done: false });
    }
    if (this.error !== undefined) return Promise.reject(this.error);
    if (this.ended || this.stopped) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** The reader left its loop: later messages are dropped. */
  return(): Promise<IteratorResult<unknown>> {
    this.stopped = true;
    this.items.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
    return this;
  }

  private wake(): void {
    const w = this.waiter;
    if (w === undefined) return;
    this.waiter = undefined;
    if (this.error !== undefined) w.reject(this.error);
    else w.resolve({ value: undefined, done: true });
  }
}
