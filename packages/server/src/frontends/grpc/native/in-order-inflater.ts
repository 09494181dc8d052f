/**
 * Keeps a call's request messages in order when some of them are decompressed asynchronously:
 * large compressed messages are inflated on the thread pool (see `message-decompress.ts`), and
 * every message (and the half-close) behind one waits until it is done. The stream is paused while
 * anything waits, so HTTP/2 flow control pushes back on the client instead of the backlog growing.
 *
 * Hand-written because it is a few lines of ordering glue between our framing and zlib; a stream
 * library would add a Transform per call to the hot path, where messages are not compressed.
 */
import type { InflateBudget } from '../../inflate-budget.js';
import { decompressMessage } from './message-decompress.js';

/** Where the inflater hands its results: the call's wire side. */
export interface InflateSink {
  /** True once the call ended: nothing more is delivered. */
  readonly done: boolean;
  /** One message's bytes, decompressed when they were compressed. */
  deliverBytes(bytes: Buffer): void;
  /** Every message before the client's half-close was delivered. */
  deliverEnd(): void;
  /** A message could not be decompressed (a `WireStatusError`). */
  inflateFailed(err: unknown): void;
  /** An asynchronous decompression started: stop reading the stream. */
  pauseForInflate(): void;
  /** The backlog drained: the stream may be read again (unless the consumer paused it). */
  resumeAfterInflate(): void;
}

const END_OF_REQUESTS = Symbol('end');
type Pending = { readonly compressed: boolean; readonly payload: Buffer } | typeof END_OF_REQUESTS;

/**
 * One call's message ordering; see the file comment.
 *
 * @example
 * ```ts
 * const inflater = new InOrderInflater(transport, headers['grpc-encoding'], maxBytes, budget);
 * inflater.message(compressed, payload); // per reassembled message
 * inflater.end(); // on the client's half-close
 * ```
 */
export class InOrderInflater {
  /** Messages (and the end) waiting behind an asynchronous decompression, in order. */
  private backlog: Pending[] | undefined;

  constructor(
    private readonly sink: InflateSink,
    private readonly encoding: string | undefined,
    private readonly maxBytes: number,
    /** The server-wide decompression budget; none when omitted. */
    private readonly budget?: InflateBudget,
  ) {}

  /** True while an asynchronous decompression holds later messages back. */
  get waiting(): boolean {
    return this.backlog !== undefined;
  }

  /** One reassembled message, as framed (compressed flag and payload). */
  message(compressed: boolean, payload: Buffer): void {
    if (this.backlog !== undefined) this.backlog.push({ compressed, payload });
    else this.deliver(compressed, payload);
  }

  /** The client half-closed: delivered once every earlier message was. */
  end(): void {
    if (this.backlog !== undefined) this.backlog.push(END_OF_REQUESTS);
    else this.sink.deliverEnd();
  }

  private deliver(compressed: boolean, payload: Buffer): void {
    if (!compressed) {
      this.sink.deliverBytes(payload);
      return;
    }
    let bytes: Buffer | Promise<Buffer>;
    try {
      bytes = decompressMessage(payload, this.encoding, this.maxBytes, this.budget);
    } catch (err) {
      this.sink.inflateFailed(err);
      return;
    }
    if (!(bytes instanceof Promise)) {
      this.sink.deliverBytes(bytes);
      return;
    }
    this.backlog = [];
    this.sink.pauseForInflate();
    bytes.then(
      (inflated) => this.afterInflate(inflated),
      (err: unknown) => this.sink.inflateFailed(err),
    );
  }

  private afterInflate(bytes: Buffer): void {
    const pending = this.backlog ?? [];
    this.backlog = undefined;
    if (this.sink.done) return;
    this.sink.deliverBytes(bytes);
    for (let i = 0; i < pending.length; i++) {
      if (this.sink.done) return;
      const next = pending[i]!;
      if (next === END_OF_REQUESTS) this.sink.deliverEnd();
      else this.deliver(next.compressed, next.payload);
      // deliver() may have started another asynchronous decompression: the rest waits behind it.
      const waiting = this.backlog as Pending[] | undefined;
      if (waiting !== undefined) {
        waiting.push(...pending.slice(i + 1));
        return;
      }
    }
    if (!this.sink.done) this.sink.resumeAfterInflate();
  }
}
