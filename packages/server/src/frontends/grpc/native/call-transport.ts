/**
 * One gRPC call on one HTTP/2 stream, below the handler-facing call objects: reads and
 * reassembles request messages (decompressing and deserializing them, in order), runs the
 * `grpc-timeout` deadline, notices a client cancel (RST_STREAM, disconnect), and writes response
 * messages and the status (Trailers-Only when nothing was sent yet).
 *
 * Ordering behind asynchronous decompression lives in `in-order-inflater.ts`. Stream listeners
 * are module functions that find the transport on the stream (a symbol property), so a call
 * allocates no closures here.
 */
import type { IncomingHttpHeaders, ServerHttp2Stream, ServerStreamResponseOptions } from 'node:http2';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { frameMessage, messagePrefix, MessageReader, ZERO_COPY_MAX_BYTES, type FrameSink } from './grpc-framing.js';
import {
  OK_TRAILERS,
  parseGrpcTimeout,
  RESPONSE_HEADERS,
  statusTrailers,
  trailersOnlyHeaders,
} from './grpc-headers.js';
import type { InflateBudget } from '../../inflate-budget.js';
import type { ConnectionGuard } from './connection-guard.js';
import { InOrderInflater, type InflateSink } from './in-order-inflater.js';
import type { NativeMethod } from './native-method.js';
import { RequestMetadata } from './request-metadata.js';
import { OK_STATUS, WireStatusError, type WireStatus } from './wire-status.js';

/** A call's message size limits, in bytes; a larger message fails the call with RESOURCE_EXHAUSTED. */
export interface MessageLimits {
  /** Largest request message: its length prefix (compressed size) and its decompressed size. */
  readonly receive: number;
  /** Largest response message. */
  readonly send: number;
  /** The server-wide budget for decompression output in flight (`--decompression-budget-bytes`); none when omitted. */
  readonly inflateBudget?: InflateBudget | undefined;
}

/** The call object above a transport: where messages, the half-close and a cancel go. */
export interface TransportOwner {
  /** A deserialized request message. */
  onMessage(message: unknown): void;
  /** The client half-closed: no more messages. */
  onHalfClose(): void;
  /** The call ended before the handler finished it: client cancel or disconnect, deadline, protocol error. */
  onCancel(): void;
}

const TRANSPORT = Symbol('tensorgate.grpcTransport');
type CarryingStream = ServerHttp2Stream & { [TRANSPORT]?: CallTransport | undefined };
const WAIT_FOR_TRAILERS: ServerStreamResponseOptions = { waitForTrailers: true };

function onData(this: CarryingStream, chunk: Buffer): void {
  this[TRANSPORT]?.receive(chunk);
}
function onEnd(this: CarryingStream): void {
  this[TRANSPORT]?.receiveEnd();
}
function onClose(this: CarryingStream): void {
  this[TRANSPORT]?.streamClosed();
}
function onWantTrailers(this: CarryingStream): void {
  this[TRANSPORT]?.sendTrailers();
}
function onDeadline(transport: CallTransport): void {
  transport.deadlinePassed();
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The wire side of one call; see the file comment.
 *
 * @example
 * ```ts
 * const transport = new CallTransport(method, stream, headers, { receive: 64 << 20, send: 2 ** 31 - 1 });
 * transport.owner = call;
 * transport.start();
 * ```
 */
export class CallTransport implements FrameSink, InflateSink {
  /**
   * Where events go: set by the call object that wraps this transport, before {@link start};
   * replaced when a server-streaming call hands over from its request reader to its writable call.
   */
  owner!: TransportOwner;
  /** Epoch milliseconds of the `grpc-timeout` deadline; Infinity without one (grpc-js' `getDeadline()`). */
  readonly deadline: number = Infinity;
  /** True once nothing more can be sent: the status went out, or the stream is gone. */
  done = false;
  private headersSent = false;
  private status: WireStatus = OK_STATUS;
  private timer: NodeJS.Timeout | undefined;
  private readonly reader: MessageReader;
  private readonly inflater: InOrderInflater;
  private consumerPaused = false;
  private readonly badTimeout: string | undefined;
  /**
   * Counted by the connection guard as a call in flight: from its complete request (or, for a bidi
   * stream, its start) until its response is complete or its stream closes.
   */
  private inFlight = false;

  constructor(
    readonly method: NativeMethod,
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    private readonly limits: MessageLimits,
    /** The connection's time limits, told when the call is in flight and when the server sends. */
    private readonly guard?: ConnectionGuard,
  ) {
    this.reader = new MessageReader(limits.receive);
    this.inflater = new InOrderInflater(
      this,
      headers['grpc-encoding'] as string | undefined,
      limits.receive,
      limits.inflateBudget,
    );
    const timeout = headers['grpc-timeout'];
    if (typeof timeout === 'string') {
      const ms = parseGrpcTimeout(timeout);
      if (ms === undefined) this.badTimeout = timeout;
      else this.deadline = Date.now() + ms;
    }
  }

  /** Starts reading the stream and the deadline; call once the owner is ready for events. */
  start(): void {
    const stream = this.stream as CarryingStream;
    stream[TRANSPORT] = this;
    stream.on('close', onClose);
    if (this.guard !== undefined) {
      this.guard.streamOpened(stream.id ?? 0);
      // A bidirectional stream is in flight from the start, however quiet.
      if (this.method.kind === 'bidi') this.markInFlight();
    }
    if (this.badTimeout !== undefined) {
      this.fail(GrpcStatus.INTERNAL, `Invalid grpc-timeout value "${this.badTimeout}"`);
      return;
    }
    stream.on('data', onData);
    stream.on('end', onEnd);
    if (this.deadline !== Infinity) this.timer = setTimeout(onDeadline, Math.max(0, this.deadline - Date.now()), this);
  }

  /** The request metadata (headers), as grpc-js' `call.metadata`: a small view made on each read. */
  metadata(): RequestMetadata {
    return new RequestMetadata(this.headers);
  }

  /** `ip:port` of the client. */
  peer(): string {
    const socket = this.stream.session?.socket;
    return socket?.remoteAddress !== undefined ? `${socket.remoteAddress}:${socket.remotePort}` : 'unknown';
  }

  /** Stops delivering messages (HTTP/2 flow control then pushes back on the client). */
  pauseReading(): void {
    this.consumerPaused = true;
    this.stream.pause();
  }

  /** Delivers messages again after {@link pauseReading}. */
  resumeReading(): void {
    this.consumerPaused = false;
    if (!this.inflater.waiting && !this.done) this.stream.resume();
  }

  /** @internal A DATA chunk. */
  receive(chunk: Buffer): void {
    if (this.done) return;
    this.guard?.requestData();
    try {
      this.reader.push(chunk, this);
    } catch (err) {
      this.failWith(err);
    }
  }

  /** @internal One reassembled message of {@link MessageReader}. */
  onFrame(compressed: boolean, payload: Buffer): void {
    if (!this.done) this.inflater.message(compressed, payload);
  }

  /** @internal The client half-closed. */
  receiveEnd(): void {
    if (this.done) return;
    if (!this.reader.idle) {
      this.fail(GrpcStatus.INTERNAL, `The request ended inside a message (${this.reader.missingBytes} bytes missing)`);
    } else {
      this.markInFlight();
      this.inflater.end();
    }
  }

  private markInFlight(): void {
    if (this.inFlight || this.guard === undefined) return;
    this.inFlight = true;
    this.guard.callStarted();
  }

  /**
   * The call no longer keeps the connection busy: its response is complete (Trailers-Only, or the
   * trailers after its data) or its stream closed. Without this, a finished bidi call whose client
   * never half-closes (a ModelStreamInfer refused by --grpc-restricted-protocol, say) counted as
   * in flight until the client let go, and held the connection past the idle timeout.
   */
  private leaveFlight(): void {
    if (!this.inFlight) return;
    this.inFlight = false;
    this.guard!.callEnded();
  }

  /** @internal The client's half-close, after every earlier message. */
  deliverEnd(): void {
    this.owner.onHalfClose();
  }

  /** @internal A message could not be decompressed: the call fails with its status. */
  inflateFailed(err: unknown): void {
    this.failWith(err);
  }

  /** @internal An asynchronous decompression holds later messages back. */
  pauseForInflate(): void {
    this.stream.pause();
  }

  /** @internal The decompression backlog drained. */
  resumeAfterInflate(): void {
    if (!this.consumerPaused) this.stream.resume();
  }

  /** @internal A message's (decompressed) bytes. */
  deliverBytes(bytes: Buffer): void {
    if (this.done) return;
    let message: unknown;
    try {
      message = this.method.deserialize(bytes);
    } catch (err) {
      this.fail(GrpcStatus.INTERNAL, `Error deserializing request: ${messageOf(err)}`);
      return;
    }
    this.owner.onMessage(message);
  }

  /** Serializes `value`, checks its size, and frames it; undefined after failing the call. */
  private encode(value: unknown): Buffer | undefined {
    let payload: Buffer;
    try {
      payload = this.method.serialize(value);
    } catch (err) {
      this.fail(GrpcStatus.INTERNAL, `Error serializing response: ${messageOf(err)}`);
      return undefined;
    }
    if (payload.length > this.limits.send) {
      this.fail(
        GrpcStatus.RESOURCE_EXHAUSTED,
        `Sent message larger than max (${payload.length} vs. ${this.limits.send})`,
      );
      return undefined;
    }
    return payload;
  }

  /** Response headers, ahead of the first message; the {@link write} that follows tells the guard. */
  private sendHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.stream.respond(RESPONSE_HEADERS, WAIT_FOR_TRAILERS);
    this.stream.on('wantTrailers', onWantTrailers);
  }

  private write(payload: Buffer, callback: (() => void) | undefined, end: boolean): void {
    this.guard?.sent();
    if (payload.length <= ZERO_COPY_MAX_BYTES) {
      const frame = frameMessage(payload);
      if (end) this.stream.end(frame);
      else this.stream.write(frame, callback);
      return;
    }
    this.stream.write(messagePrefix(payload.length));
    if (end) this.stream.end(payload);
    else this.stream.write(payload, callback);
  }

  /** Writes one message of a streaming response; `callback` runs once it is flushed (or dropped). */
  sendMessage(value: unknown, callback: () => void): void {
    const payload = this.done || this.streamGone() ? undefined : this.encode(value);
    if (payload === undefined) {
      callback();
      return;
    }
    this.sendHeaders();
    this.write(payload, callback, false);
  }

  /** Answers a unary call: headers, its one message and OK trailers, in as few writes as possible. */
  sendUnaryResponse(value: unknown): void {
    const payload = this.done || this.streamGone() ? undefined : this.encode(value);
    if (payload === undefined) return;
    this.finish();
    this.sendHeaders();
    this.write(payload, undefined, true);
  }

  /**
   * True once nothing can be sent on the stream. `closed` comes before `destroyed` (and before the
   * 'close' event): a client that resets the stream or drops the connection mid-message gets its
   * 'end' delivered on a closed stream, where `respond()` throws ERR_HTTP2_INVALID_STREAM, which,
   * thrown from an event handler, took the whole process down.
   */
  private streamGone(): boolean {
    return this.stream.destroyed || this.stream.closed;
  }

  /** Ends the call with `status` (Trailers-Only when no headers were sent); later calls do nothing. */
  sendStatus(status: WireStatus): void {
    if (this.done) return;
    this.finish();
    if (this.streamGone()) return;
    // Whatever the client still sends is read and dropped, so the stream can close.
    this.stream.resume();
    if (this.headersSent) {
      this.status = status;
      this.stream.end();
    } else {
      this.guard?.sent();
      this.stream.respond(trailersOnlyHeaders(status.code, status.details), { endStream: true });
      this.leaveFlight();
    }
  }

  /** Ends the call with an error status and tells the owner, as a cancel (its work is moot). */
  fail(code: GrpcStatus, details: string): void {
    if (this.done) return;
    this.sendStatus({ code, details });
    this.owner.onCancel();
  }

  private failWith(err: unknown): void {
    if (err instanceof WireStatusError) this.fail(err.code, err.details);
    else this.fail(GrpcStatus.INTERNAL, messageOf(err));
  }

  private finish(): void {
    this.done = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** @internal The stream's last DATA went out: the status follows. */
  sendTrailers(): void {
    const status = this.status;
    try {
      this.stream.sendTrailers(status === OK_STATUS ? OK_TRAILERS : statusTrailers(status.code, status.details));
    } catch {
      // The stream closed meanwhile: the client no longer waits for a status.
    }
    this.leaveFlight();
  }

  /** @internal The `grpc-timeout` deadline passed before the call ended. */
  deadlinePassed(): void {
    this.timer = undefined;
    this.fail(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded');
  }

  /** @internal The stream closed; a call not yet finished was cancelled by the client. */
  streamClosed(): void {
    (this.stream as CarryingStream)[TRANSPORT] = undefined;
    this.leaveFlight();
    this.guard?.streamClosed();
    if (this.done) return;
    this.finish();
    this.owner.onCancel();
  }
}
