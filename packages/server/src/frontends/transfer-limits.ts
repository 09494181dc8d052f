/**
 * How slowly a peer may move data, on every port (issue #12): a **send-stall timeout** for
 * responses the peer does not take, and a **minimum receive rate** for request bodies and gRPC
 * request messages. The timeouts of `http-timeouts.ts` and `grpc/connection-limits.ts` shed peers
 * that go silent; these shed the ones that keep a connection just alive (a byte every 25 s, a
 * response never read, an HTTP/2 flow-control window never opened), which silence-based limits
 * cannot tell from a good client.
 *
 * The models are the production servers': nginx's `send_timeout` (no write progress for so long
 * closes the connection; a slow reader that keeps reading is never cut), Envoy's per-stream idle
 * timeout on HTTP/2 (a stream is reset, its connection lives on), and Apache mod_reqtimeout's
 * `MinRate` (after a grace period, a body must keep up with a minimum rate, the grace counting as
 * credit) with Kestrel's `MinRequestBodyDataRate` (which, as here, does not count time the server
 * itself was not reading).
 *
 * Nothing here runs per request or per write: each listener runs one coarse sweep
 * ({@link startSweeps}) over its connections, which compares counters the I/O path keeps anyway.
 */
import type { Socket } from 'node:net';
import type { Clock } from '../core/clock.js';

/** The limits; a 0 where noted turns one off. */
export interface TransferLimits {
  /**
   * A response with bytes waiting that make no progress for this long (the peer reads nothing,
   * or grants no HTTP/2 flow-control window) is cancelled and its memory freed; 0: never.
   */
  readonly sendStallTimeoutMs: number;
  /**
   * After {@link receiveRateGraceMs}, a request body (HTTP) or request message (gRPC) being
   * received must have delivered at least this many bytes per second since it began, the grace
   * counting as credit; 0: no minimum.
   */
  readonly minReceiveBytesPerSec: number;
  /** See {@link minReceiveBytesPerSec}. */
  readonly receiveRateGraceMs: number;
}

/**
 * The defaults: 60 s without send progress (nginx's `send_timeout`), and 1 KiB/s after 30 s for
 * uploads. A client on a 50 kB/s mobile link uploads at 50 times the minimum; one that sends a
 * byte every 25 s is shed after ~31 s.
 */
export const DEFAULT_TRANSFER_LIMITS: TransferLimits = {
  sendStallTimeoutMs: 60_000,
  minReceiveBytesPerSec: 1024,
  receiveRateGraceMs: 30_000,
};

const NS_PER_MS = 1e6;

/**
 * How often a listener sweeps its connections: a quarter of the shortest limit in force, between
 * 100 ms and 1 s, so a limit is noticed at most that late; undefined when both limits are off.
 */
export function sweepPeriodMs(limits: TransferLimits): number | undefined {
  const spans: number[] = [];
  if (limits.sendStallTimeoutMs > 0) spans.push(limits.sendStallTimeoutMs);
  if (limits.minReceiveBytesPerSec > 0) spans.push(Math.max(1000, limits.receiveRateGraceMs));
  if (spans.length === 0) return undefined;
  return Math.min(1000, Math.max(100, Math.floor(Math.min(...spans) / 4)));
}

/**
 * True when `receivedBytes` over `elapsedMs` fall short of the minimum rate: past the grace
 * period, fewer than `rate × (elapsed − grace)` bytes (mod_reqtimeout's `MinRate`).
 *
 * @example
 * ```ts
 * receivedTooSlowly(2, 31_000, DEFAULT_TRANSFER_LIMITS); // true: 2 bytes in 31 s
 * ```
 */
export function receivedTooSlowly(receivedBytes: number, elapsedMs: number, limits: TransferLimits): boolean {
  const rate = limits.minReceiveBytesPerSec;
  if (rate <= 0 || elapsedMs <= limits.receiveRateGraceMs) return false;
  return receivedBytes < (rate * (elapsedMs - limits.receiveRateGraceMs)) / 1000;
}

/**
 * Since when something has had bytes waiting to go out without progress. Each sweep reports
 * whether bytes are waiting and two counters that move when they do; any change of a counter is
 * progress.
 *
 * @example
 * ```ts
 * const stall = new SendStall();
 * if (stall.observe(pending, sent, 0, clock.nowNs()) >= limits.sendStallTimeoutMs) socket.destroy();
 * ```
 */
export class SendStall {
  private a = -1;
  private b = -1;
  private sinceNs = -1;

  /** Milliseconds without progress while `pending`; 0 on progress or when nothing is waiting. */
  observe(pending: boolean, a: number, b: number, nowNs: number): number {
    if (!pending || this.sinceNs < 0 || a !== this.a || b !== this.b) {
      this.a = a;
      this.b = b;
      this.sinceNs = pending ? nowNs : -1;
      return 0;
    }
    return (nowNs - this.sinceNs) / NS_PER_MS;
  }
}

interface StreamHandle {
  readonly writeQueueSize?: number;
  /** Below a TLS wrap: the TCP handle it writes to. */
  readonly _parent?: StreamHandle | null;
}

/**
 * Bytes of a socket's output that libuv still holds because the kernel would not take them.
 * node has no public counter for this: it is the TCP handle's `writeQueueSize` (for a TLS
 * socket, the handle below the TLS wrap, whose own counter does not move while the peer reads).
 * It falls as the peer reads, even inside one large write, which `writableLength` does not show.
 */
function kernelBacklog(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
  const tcp = handle?._parent ?? handle;
  const size = tcp?.writeQueueSize;
  return typeof size === 'number' ? size : 0;
}

/**
 * Whether `socket` has output waiting: written by node (HTTP/1) but not yet taken by the kernel,
 * or queued in libuv (any writer, including an HTTP/2 session writing from C++).
 */
export function socketSendPending(socket: Socket): boolean {
  return !socket.destroyed && (socket.writableLength > 0 || kernelBacklog(socket) > 0);
}

/**
 * Observes the socket's output for {@link SendStall}: the bytes whose writes completed (new
 * writes queued behind a stalled one do not move it) and the libuv backlog (which moves as the
 * kernel takes bytes of a write in progress). `waitingAbove`: output waits above the socket too
 * (an HTTP/2 stream's data held back by flow control), which only bytes written to the socket
 * move.
 */
export function observeSocketSend(stall: SendStall, socket: Socket, nowNs: number, waitingAbove = false): number {
  const buffered = socket.writableLength;
  const completed = (socket.bytesWritten ?? 0) - buffered;
  const waiting = waitingAbove ? !socket.destroyed : socketSendPending(socket);
  return stall.observe(waiting, completed, kernelBacklog(socket), nowNs);
}

/**
 * Runs `sweep` every `periodMs` on `clock` (unref'd with `backgroundClock`) until the
 * returned function is called.
 *
 * @example
 * ```ts
 * const stop = startSweeps(backgroundClock, 1000, () => checkConnections());
 * server.once('close', stop);
 * ```
 */
export function startSweeps(clock: Clock, periodMs: number, sweep: () => void): () => void {
  let cancel: (() => void) | undefined;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    try {
      sweep();
    } finally {
      if (!stopped) cancel = clock.setTimer(tick, periodMs);
    }
  };
  cancel = clock.setTimer(tick, periodMs);
  return () => {
    stopped = true;
    cancel?.();
  };
}
