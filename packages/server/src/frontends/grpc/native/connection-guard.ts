/**
 * The time limits of one HTTP/2 connection on the native gRPC transport (see
 * `../connection-limits.ts` for each setting): the preface deadline, the idle-connection timeout,
 * keepalive pings with their watchdog, the ping abuse policy, and the maximum connection age;
 * and, on each sweep of the server (`../../transfer-limits.ts`), the send-stall timeout and the
 * minimum request rate of its calls.
 *
 * Hand-written because node:http2 has none of these with gRPC's meaning: its `timeout` /
 * `session.setTimeout` counts inactivity whether or not a call is in flight, so it would cut a
 * silent long inference or a quiet ModelStreamInfer, and it does not police client pings.
 *
 * "In flight" here is a call whose request is complete (unary, server streaming) or a
 * bidirectional stream, whatever it is doing, until the server has sent its whole response (its
 * status) or the stream closed; a unary call still receiving its request keeps the connection busy
 * only while request bytes keep arriving, so a stalled upload cannot hold it, and a finished call
 * whose client keeps its side open does not hold it either.
 * Every timer is `unref()`ed (`backgroundClock`) and cleared when the connection closes.
 */
import http2, { type ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../../../core/clock.js';
import { DEFAULT_TRANSFER_LIMITS, observeSocketSend, SendStall, type TransferLimits } from '../../transfer-limits.js';
import type { GrpcConnectionLimits } from '../connection-limits.js';
import type { CallTransport } from './call-transport.js';
import { PingAbusePolicy } from './ping-abuse-policy.js';

const { NGHTTP2_NO_ERROR, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

/**
 * After the server has closed its side (or destroyed the session), a peer that does not close
 * its own within this is dropped: a client that ignores GOAWAY and FIN must not keep the
 * descriptor.
 */
export const LINGER_MS = 2000;

/** Why a connection was closed by the server (for logs and tests). */
export type ShedReason =
  | 'preface timeout'
  | 'idle'
  | 'keepalive timeout'
  | 'too_many_pings'
  | 'max connection age'
  | 'send stall'
  | 'receive too slow';

const NS_PER_MS = 1e6;

/**
 * Guards one session; the transport's call objects report activity through it.
 *
 * @example
 * ```ts
 * server.on('session', (session) => new ConnectionGuard(session, rawSocket, limits, backgroundClock, logger));
 * ```
 */
export class ConnectionGuard {
  private openStreams = 0;
  private callsInFlight = 0;
  /** Since when (monotonic ns) nothing kept the connection busy: no call in flight, no request bytes. */
  private quietSinceNs: number;
  private lastStreamId = 0;
  private pingsWithoutData = 0;
  private readonly pings: PingAbusePolicy;
  private closed = false;
  private cancelPreface: (() => void) | undefined;
  private cancelIdle: (() => void) | undefined;
  private cancelKeepalive: (() => void) | undefined;
  private cancelWatchdog: (() => void) | undefined;
  private cancelAge: (() => void) | undefined;
  private cancelLinger: (() => void) | undefined;
  /** The calls on this connection, for the sweep. */
  private readonly calls = new Set<CallTransport>();
  /** The socket's own output (what nghttp2 has written but the kernel not taken). */
  private readonly socketStall = new SendStall();

  constructor(
    private readonly session: ServerHttp2Session,
    /** The connection's own socket (TCP or TLS): what is destroyed when a peer will not let go. */
    private readonly socket: Socket | undefined,
    private readonly limits: GrpcConnectionLimits,
    private readonly clock: Clock,
    private readonly logger?: Logger,
    private readonly transfer: TransferLimits = DEFAULT_TRANSFER_LIMITS,
  ) {
    this.quietSinceNs = clock.nowNs();
    this.pings = new PingAbusePolicy(limits.minRecvPingIntervalWithoutDataMs, limits.maxPingStrikes);
    this.cancelPreface = clock.setTimer(() => this.shed('preface timeout'), limits.prefaceTimeoutMs);
    session.once('remoteSettings', this.onRemoteSettings);
    session.on('ping', this.onPing);
    session.once('close', this.dispose);
    this.armIdle(limits.idleTimeoutMs);
    if (limits.maxConnectionAgeMs > 0) {
      // ±10% jitter, as gRPC core and grpc-js, so connections opened together do not all reconnect together.
      const jitter = (Math.random() * 0.2 - 0.1) * limits.maxConnectionAgeMs;
      this.cancelAge = clock.setTimer(this.onMaxAge, Math.max(1, limits.maxConnectionAgeMs + jitter));
    }
    // Our FIN went out (a graceful close finished): the peer has LINGER_MS to close its side.
    socket?.once('finish', this.startLinger);
  }

  /** A call's stream opened (before its request is read). */
  streamOpened(id: number, call: CallTransport): void {
    this.openStreams += 1;
    this.calls.add(call);
    if (id > this.lastStreamId) this.lastStreamId = id;
  }

  /** A stream that was answered at once (415, UNIMPLEMENTED) and never counted as a call. */
  streamSeen(id: number): void {
    if (id > this.lastStreamId) this.lastStreamId = id;
  }

  /**
   * The call's request is complete (or it is a bidirectional stream): it is in flight until
   * {@link callEnded}.
   */
  callStarted(): void {
    this.callsInFlight += 1;
  }

  /**
   * A call reported by {@link callStarted} is over: the server's whole response is out (its
   * status sent), or its stream closed, whichever came first. A client that keeps its side of a
   * finished call open does not keep the connection busy.
   */
  callEnded(): void {
    this.callsInFlight -= 1;
    if (this.callsInFlight === 0) this.quietSinceNs = this.clock.nowNs();
  }

  /** A call's stream closed. */
  streamClosed(call: CallTransport): void {
    this.openStreams -= 1;
    this.calls.delete(call);
  }

  /**
   * The server's periodic sweep: closes the connection when its socket has had output waiting
   * without the kernel taking any for the send-stall timeout (the client reads nothing), resets
   * each call whose response made no progress for as long (no flow-control window), and fails
   * each call whose request arrives slower than the minimum rate. When every call on the
   * connection stalled or was too slow, or its whole window is spent, the connection is closed
   * too (GOAWAY `send_stall` / `too_slow`): its time went to calls that could not move, so it was
   * idle in all but name, and a client could otherwise hold it past the idle timeout with one such
   * call after another.
   */
  sweep(nowNs: number): void {
    if (this.closed) return;
    const limits = this.transfer;
    const stallMs = limits.sendStallTimeoutMs;
    if (
      stallMs > 0 &&
      this.socket !== undefined &&
      observeSocketSend(this.socketStall, this.socket, nowNs) >= stallMs
    ) {
      this.shed('send stall');
      return;
    }
    let stalled = 0;
    let slow = 0;
    const calls = this.calls.size;
    for (const call of this.calls) {
      const verdict = call.checkTransfer(nowNs, limits);
      if (verdict === 'send stall') {
        stalled += 1;
        this.logger?.debug({ peer: this.peer(), path: call.method.path }, 'gRPC response stalled: stream reset');
        call.resetStalled();
      } else if (verdict === 'receive too slow') {
        slow += 1;
        this.logger?.debug({ peer: this.peer(), path: call.method.path }, 'gRPC request too slow: call failed');
        call.failTooSlow(limits.minReceiveBytesPerSec);
      }
    }
    if (stalled > 0 && (stalled + slow === calls || this.connectionWindowSpent())) {
      this.shed('send stall', NGHTTP2_NO_ERROR, 'send_stall');
    } else if (slow > 0 && slow === calls) {
      this.closeGracefully('receive too slow', 'too_slow');
    }
  }

  /**
   * GOAWAY, then a graceful close, so that what was just sent (the status of a call failed for a
   * slow request) still reaches the client; the socket goes {@link LINGER_MS} later at most.
   */
  private closeGracefully(reason: ShedReason, debugData: string): void {
    if (this.closed) return;
    this.stopTimers();
    this.logger?.debug({ peer: this.peer(), reason }, 'gRPC connection closed');
    try {
      this.session.goaway(NGHTTP2_NO_ERROR, this.lastStreamId, Buffer.from(debugData));
      this.session.close();
    } catch {
      this.session.destroy();
    }
    this.startLinger();
  }

  private connectionWindowSpent(): boolean {
    try {
      return (this.session.state.remoteWindowSize ?? 1) <= 0;
    } catch {
      return false;
    }
  }

  /** Request bytes arrived for a call still being sent. */
  requestData(): void {
    if (this.callsInFlight === 0) this.quietSinceNs = this.clock.nowNs();
  }

  /** The server sent headers or data: ping strikes and the pings-without-data count start over. */
  sent(): void {
    this.pingsWithoutData = 0;
    this.pings.reset();
  }

  private readonly onRemoteSettings = (): void => {
    this.cancelPreface?.();
    this.cancelPreface = undefined;
    // As gRPC core: the keepalive timer starts once the connection is set up.
    this.armKeepalive();
  };

  private armIdle(ms: number): void {
    this.cancelIdle = this.clock.setTimer(this.onIdleCheck, Math.max(1, Math.ceil(ms)));
  }

  private readonly onIdleCheck = (): void => {
    this.cancelIdle = undefined;
    if (this.closed) return;
    const idleMs = this.limits.idleTimeoutMs;
    if (this.callsInFlight > 0) {
      this.armIdle(idleMs);
      return;
    }
    const quietMs = (this.clock.nowNs() - this.quietSinceNs) / NS_PER_MS;
    if (quietMs < idleMs) this.armIdle(idleMs - quietMs);
    else this.shed('idle', NGHTTP2_NO_ERROR, 'max_idle');
  };

  private armKeepalive(): void {
    if (this.closed) return;
    this.cancelKeepalive = this.clock.setTimer(this.onKeepalive, this.limits.keepaliveTimeMs);
  }

  private readonly onKeepalive = (): void => {
    this.cancelKeepalive = undefined;
    if (this.closed) return;
    const { keepalivePermitWithoutCalls, maxPingsWithoutData } = this.limits;
    const blocked =
      (!keepalivePermitWithoutCalls && this.openStreams === 0) ||
      (maxPingsWithoutData > 0 && this.pingsWithoutData >= maxPingsWithoutData);
    if (blocked) {
      this.armKeepalive();
      return;
    }
    let sent = false;
    try {
      sent = this.session.ping(this.onPingAck);
    } catch {
      // The session is closing: nothing to keep alive.
    }
    if (!sent) {
      this.armKeepalive();
      return;
    }
    this.pingsWithoutData += 1;
    this.cancelWatchdog = this.clock.setTimer(() => this.shed('keepalive timeout'), this.limits.keepaliveTimeoutMs);
  };

  private readonly onPingAck = (err: Error | null): void => {
    this.cancelWatchdog?.();
    this.cancelWatchdog = undefined;
    if (err === null) this.armKeepalive();
  };

  /** A PING from the client (node acknowledges it by itself). */
  private readonly onPing = (): void => {
    if (this.closed) return;
    const transportIdle = !this.limits.keepalivePermitWithoutCalls && this.openStreams === 0;
    if (this.pings.received(this.clock.nowNs() / NS_PER_MS, transportIdle)) {
      this.shed('too_many_pings', NGHTTP2_ENHANCE_YOUR_CALM, 'too_many_pings');
    }
  };

  private readonly onMaxAge = (): void => {
    this.cancelAge = undefined;
    if (this.closed || this.session.closed || this.session.destroyed) return;
    this.logger?.debug({ peer: this.peer() }, 'gRPC connection reached its maximum age: GOAWAY');
    try {
      // As grpc-js: GOAWAY naming the largest stream id, so calls in flight finish; new ones go elsewhere.
      // nghttp2 (node:http2) accepts no new stream once it has sent a GOAWAY, whatever id it names,
      // so a stream the client sent before it saw this one is refused (REFUSED_STREAM) by the
      // final GOAWAY of close(): never processed, so safe to retry. grpc-js retries it once by
      // itself and @tensorgate/client's retries cover the rest (gRPC core's PING dance between two
      // GOAWAYs would not help here, for the same reason).
      this.session.goaway(NGHTTP2_NO_ERROR, 2 ** 31 - 1, Buffer.from('max_age'));
      this.session.close();
    } catch {
      this.session.destroy();
      return;
    }
    const grace = this.limits.maxConnectionAgeGraceMs;
    if (grace > 0) this.cancelAge = this.clock.setTimer(() => this.shed('max connection age'), grace);
  };

  /** Closes the connection now: GOAWAY (when `code` is given), cancel its calls, drop the socket. */
  private shed(reason: ShedReason, code?: number, debugData?: string): void {
    if (this.closed) return;
    this.stopTimers();
    this.logger?.debug({ peer: this.peer(), reason, strikes: this.pings.strikeCount }, 'gRPC connection closed');
    try {
      if (code !== undefined && !this.session.destroyed) {
        this.session.goaway(code, this.lastStreamId, Buffer.from(debugData ?? ''));
      }
    } catch {
      // Already closing: destroy below is all that is left to do.
    }
    this.session.destroy(undefined, code ?? NGHTTP2_NO_ERROR);
    this.startLinger();
  }

  private readonly startLinger = (): void => {
    if (this.cancelLinger !== undefined || this.socket === undefined) return;
    const socket = this.socket;
    this.cancelLinger = this.clock.setTimer(() => socket.destroy(), LINGER_MS);
    socket.once('close', () => this.cancelLinger?.());
  };

  private peer(): string {
    const socket = this.socket;
    return socket?.remoteAddress !== undefined ? `${socket.remoteAddress}:${socket.remotePort}` : 'unknown';
  }

  /** Marks the guard closed and cancels every timer but the linger one. */
  private stopTimers(): void {
    this.closed = true;
    for (const cancel of [
      this.cancelPreface,
      this.cancelIdle,
      this.cancelKeepalive,
      this.cancelWatchdog,
      this.cancelAge,
    ]) {
      cancel?.();
    }
    this.cancelPreface = this.cancelIdle = this.cancelKeepalive = this.cancelWatchdog = this.cancelAge = undefined;
  }

  private readonly dispose = (): void => {
    this.stopTimers();
    this.session.off('ping', this.onPing);
    this.session.off('remoteSettings', this.onRemoteSettings);
  };
}
