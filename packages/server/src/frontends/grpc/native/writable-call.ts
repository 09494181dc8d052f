/**
 * The handler-facing object of a server-streaming call on the native transport (LLM
 * StreamGenerate, health Watch): an object-mode Writable like grpc-js' `ServerWritableStream`.
 * `write(msg)` returns false while the client does not read (then `'drain'`), `end()` sends the
 * status (OK, or the one of an `'error'` the handler emitted), and a cancel sets `cancelled`,
 * emits `'cancelled'` and destroys the stream.
 */
import { Writable } from 'node:stream';
import type { CallTransport, TransportOwner } from './call-transport.js';
import { OK_STATUS, statusOfHandlerError, type WireStatus } from './wire-status.js';

/** grpc-js ends a server stream with the status of an `'error'` event; so does this. */
function onHandlerError(this: NativeWritableCall, err: unknown): void {
  this.endWith(statusOfHandlerError(err));
}

/**
 * One server-streaming call, after its request was read.
 *
 * @example
 * ```ts
 * const call = new NativeWritableCall(transport, request);
 * method.handler(call);
 * ```
 */
export class NativeWritableCall extends Writable implements TransportOwner {
  /** True once the client cancelled, disconnected, or the deadline passed. */
  cancelled = false;
  private pendingStatus: WireStatus = OK_STATUS;

  constructor(
    private readonly transport: CallTransport,
    /** The deserialized request. */
    readonly request: unknown,
  ) {
    super({ objectMode: true });
    this.on('error', onHandlerError);
  }

  /** The method's `/package.Service/Method`. */
  getPath(): string {
    return this.transport.method.path;
  }

  /** Epoch milliseconds of the call's deadline, or Infinity (as grpc-js). */
  getDeadline(): number {
    return this.transport.deadline;
  }

  /** `ip:port` of the client. */
  getPeer(): string {
    return this.transport.peer();
  }

  /** @internal Ends the stream with `status` instead of OK. */
  endWith(status: WireStatus): void {
    this.pendingStatus = status;
    if (!this.writableEnded) this.end();
    else this.transport.sendStatus(status);
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: () => void): void {
    this.transport.sendMessage(chunk, callback);
  }

  override _final(callback: () => void): void {
    callback();
    this.transport.sendStatus(this.pendingStatus);
  }

  /** @internal Never called: the request was read before this object existed. */
  onMessage(): void {}

  /** @internal */
  onHalfClose(): void {}

  /** @internal */
  onCancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
    this.destroy();
  }
}
