/**
 * The handler-facing object of a unary call on the native transport: what our unary handlers use
 * of grpc-js' `ServerUnaryCall` (`request`, `cancelled`, `getPath()`, `getDeadline()`, the
 * `'cancelled'` event) and the `callback(err, value)` that answers it.
 *
 * It also reads the one request of a server-streaming call, then hands the call over to a
 * {@link NativeWritableCall}. Like grpc-js, zero or two request messages end the call with
 * UNIMPLEMENTED.
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { CallTransport, type MessageLimits, type TransportOwner } from './call-transport.js';
import type { RequestMetadata } from './request-metadata.js';
import type { ConnectionGuard } from './connection-guard.js';
import type { NativeMethod, NativeUnaryCallback } from './native-method.js';
import { statusOfHandlerError } from './wire-status.js';
import { NativeWritableCall } from './writable-call.js';

function threw(err: unknown): string {
  return `Server method handler threw error ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * One unary (or, until its request is read, server-streaming) call.
 *
 * @example
 * ```ts
 * server.on('stream', (stream, headers) => new NativeUnaryCall(method, stream, headers, limits));
 * ```
 */
export class NativeUnaryCall extends EventEmitter implements TransportOwner {
  /** True once the client cancelled, disconnected, or the deadline passed. */
  cancelled = false;
  /** The deserialized request (set before the handler runs). */
  request: unknown = undefined;
  private received = 0;
  private readonly transport: CallTransport;

  constructor(
    method: NativeMethod,
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    limits: MessageLimits,
    guard?: ConnectionGuard,
  ) {
    super();
    this.transport = new CallTransport(method, stream, headers, limits, guard);
    this.transport.owner = this;
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

  /** @internal */
  onMessage(message: unknown): void {
    if (++this.received > 1) {
      this.transport.fail(
        GrpcStatus.UNIMPLEMENTED,
        `Received a second request message for ${this.transport.method.kind} method ${this.getPath()}`,
      );
      return;
    }
    this.request = message;
  }

  /** @internal The request is complete: run the handler. */
  onHalfClose(): void {
    const transport = this.transport;
    if (this.received === 0) {
      transport.fail(
        GrpcStatus.UNIMPLEMENTED,
        `Received no request message for ${transport.method.kind} method ${this.getPath()}`,
      );
      return;
    }
    if (transport.done) return;
    try {
      if (transport.method.kind === 'unary') {
        const callback: NativeUnaryCallback = (err, value) => this.respond(err, value);
        transport.method.handler(this, callback);
      } else {
        transport.method.handler(new NativeWritableCall(transport, this.request));
      }
    } catch (err) {
      transport.sendStatus({ code: GrpcStatus.UNKNOWN, details: threw(err) });
    }
  }

  /** @internal */
  onCancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
  }

  private respond(err: unknown, value: unknown): void {
    if (err) this.transport.sendStatus(statusOfHandlerError(err));
    else this.transport.sendUnaryResponse(value);
  }
}
