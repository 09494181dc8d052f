/**
 * Admission to the context's sequences: at most `capacity` requests generate at once; up to
 * `maxQueue` more wait in FIFO order; beyond that a request is refused with RESOURCE_EXHAUSTED. A
 * waiting request whose signal aborts leaves the queue at once.
 */
import type { CancelSignal } from '../../core/cancel-signal.js';
import { InferenceError } from '../../core/errors.js';

/** A queued request. */
interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: InferenceError) => void;
  readonly signal: CancelSignal;
  readonly onAbort: () => void;
}

/**
 * @example
 * ```ts
 * const admission = new SequenceAdmission(4, 64, 'llm');
 * await admission.enter(request.signal); // may wait; throws RESOURCE_EXHAUSTED or CANCELLED
 * try { await generate(); } finally { admission.leave(); }
 * ```
 */
export class SequenceAdmission {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private closedWith: InferenceError | undefined;

  constructor(
    private readonly capacity: number,
    private readonly maxQueue: number,
    private readonly model: string,
  ) {}

  /** Requests generating now. */
  get active(): number {
    return this.running;
  }

  /** Requests waiting for a sequence. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves when the caller may take a sequence; the caller must call {@link leave} after. */
  enter(signal: CancelSignal): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (signal.aborted) return Promise.reject(new InferenceError('CANCELLED', 'request cancelled'));
    if (this.running < this.capacity) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxQueue) {
      return Promise.reject(
        new InferenceError(
          'RESOURCE_EXHAUSTED',
          `model '${this.model}' is busy: ${this.running} requests generating and ${this.waiting.length} queued ` +
            `(max_parallel_sequences ${this.capacity}, max_queue_size ${this.maxQueue})`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new InferenceError('CANCELLED', 'request cancelled while waiting for a free sequence'));
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** A request finished and gave its sequence back: the first waiter takes it. */
  leave(): void {
    const next = this.waiting.shift();
    if (next) {
      next.signal.removeEventListener('abort', next.onAbort);
      next.resolve();
    } else {
      this.running--;
    }
  }

  /** Refuses every waiting and future request with `error` (unload). */
  close(error: InferenceError): void {
    this.closedWith = error;
    for (const w of this.waiting.splice(0)) {
      w.signal.removeEventListener('abort', w.onAbort);
      w.reject(error);
    }
  }
}
