/**
 * The handler-facing object of a bidirectional call on the native transport (ModelStreamInfer):
 * an object-mode Duplex like grpc-js' `ServerDuplexStream`. Requests arrive as `'data'` then
 * `'end'`; `pause()` stops them and, once the read buffer is full, HTTP/2 flow control pushes
 * back on the client; `write` / `'drain'` / `end()` and `'error'` / `'cancelled'` behave as on
 * {@link NativeWritableCall}.
 */
import { Duplex } from 'node:stream';
import type { CallTransport, TransportOwner } from './call-transport.js';
import type { RequestMetadata } from './request-metadata.js';
import { OK_STATUS, statusOfHandlerError, type WireStatus } from './wire-status.js';

function onHandlerError(this: NativeDuplexCall, err: unknown): void {
  this.endWith(statusOfHandlerError(err));
}

/**
 * One bidirectional call.
 *
 * @example
 * ```ts
 * const call = new NativeDuplexCall(new CallTransport(method, stream, headers, limits));
 * call.start();
 * method.handler(call);
 * ```
 */
export class NativeDuplexCall extends Duplex implements TransportOwner {
  /** True once the client cancelled, disconnected, or the deadline passed. */
  cancelled = false;
  private pendingStatus: WireStatus = OK_STATUS;

  /** Takes over `transport`'s events; the caller starts the transport. */
  constructor(private readonly transport: CallTransport) {
    super({ objectMode: true });
    this.on('error', onHandlerError);
    transport.owner = this;
  }

  /** Starts reading requests (and the deadline). */
  start(): void {
    this.transport.start();
  }

  /** The method's `/package.Service/Method`. */
  getPath(): string {
    return this.transport.method.path;
  }

  /** Epoch milliseconds of the call's deadline, or Infinity (as grpc-js). */
  getDeadline(): number {
    return this.transport.deadline;
  }

  /** The request metadata, read as grpc-js' `call.metadata.get(key)` (restricted-API checks). */
  get metadata(): RequestMetadata {
    return this.transport.metadata();
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

  override _read(): void {
    this.transport.resumeReading();
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: () => void): void {
    this.transport.sendMessage(chunk, callback);
  }

  override _final(callback: () => void): void {
    callback();
    this.transport.sendStatus(this.pendingStatus);
  }

  /** @internal */
  onMessage(message: unknown): void {
    if (!this.push(message)) this.transport.pauseReading();
  }

  /** @internal */
  onHalfClose(): void {
    this.push(null);
  }

  /** @internal */
  onCancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
    this.destroy();
  }
}
