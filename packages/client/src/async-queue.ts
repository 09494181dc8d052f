/**
 * A small single-consumer async queue: producers push values (or end / fail it) from event
 * callbacks, and one `for await` loop pulls them. Hand-written because Node's `events.on` cannot
 * end on one event and fail on another while also reporting its length for backpressure.
 */
export class AsyncQueue<T> {
  private readonly items: T[] = [];
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private failer: ((e: unknown) => void) | undefined;
  private ended = false;
  private error: { readonly e: unknown } | undefined;

  /** Values waiting to be pulled. */
  get size(): number {
    return this.items.length;
  }

  /** Adds a value (ignored after end or failure). */
  push(value: T): void {
    if (this.ended || this.error) return;
    if (this.waiter) this.settle().resolve({ value, done: false });
    else this.items.push(value);
  }

  /** Ends the queue once the values already pushed are pulled. */
  end(): void {
    if (this.ended || this.error) return;
    this.ended = true;
    if (this.waiter) this.settle().resolve({ value: undefined, done: true });
  }

  /** Fails the queue: pending values are still delivered, then `next` rejects with `e`. */
  fail(e: unknown): void {
    if (this.ended || this.error) return;
    this.error = { e };
    if (this.waiter) this.settle().reject(e);
  }

  /** The next value, or done. */
  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.error) return Promise.reject(this.error.e);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failer = reject;
    });
  }

  private settle(): { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } {
    const out = { resolve: this.waiter!, reject: this.failer! };
    this.waiter = undefined;
    this.failer = undefined;
    return out;
  }
}
