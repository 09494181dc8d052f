/**
 * What the connection guard's sweep needs of one call to apply the transfer limits
 * (`../../transfer-limits.ts`): counters the call's I/O path bumps (bytes handed to the stream,
 * request bytes received, whether its trailers wait behind its data) and the check the sweep
 * runs on them. A base class of `CallTransport`, so that a call carries the counters without an
 * object of their own.
 */
import { receivedTooSlowly, SendStall, type TransferLimits } from '../../transfer-limits.js';
import type { SentBytesCounter } from './paced-write.js';

/** What the sweep found wrong with a call: its response stalled, or its request is too slow. */
export type TransferVerdict = 'send stall' | 'receive too slow' | undefined;

const NS_PER_MS = 1e6;

/**
 * The counters and the check; see the file comment.
 *
 * @example
 * ```ts
 * class CallTransport extends CallTransferCounters { ... }
 * if (call.checkTransfer(clock.nowNs(), limits) === 'send stall') call.resetStalled();
 * ```
 */
export abstract class CallTransferCounters implements SentBytesCounter {
  /** Bytes handed to the stream; `sentBytes − stream.writableLength` grows as they go out. */
  sentBytes = 0;
  /** The stream's end was written after response headers: the trailers follow once all data is out. */
  protected trailersPending = false;
  /** Request DATA bytes received. */
  protected receivedBytes = 0;
  /** The request is complete (the client half-closed). */
  protected requestComplete = false;
  /** When the sweep first saw the request (message) being received; -1: not receiving (or measure afresh). */
  protected receiveSinceNs = -1;
  /** {@link receivedBytes} then. */
  private receiveBaseBytes = 0;
  /** Made by the sweep once it sees this call's response waiting. */
  private stall: SendStall | undefined;

  /** Response bytes written to the stream and not yet sent; undefined once the stream is gone. */
  protected abstract bufferedOutput(): number | undefined;

  /** Whether the client should be sending request bytes now. */
  protected abstract receiving(): boolean;

  /**
   * The connection's sweep (`ConnectionGuard.sweep`): whether this call's response has waited
   * without progress for the send-stall timeout (the client grants no window or reads nothing),
   * or its request arrives slower than the minimum rate. The receive clock starts at the first
   * sweep that sees the request arriving, so nothing on the request path reads a clock.
   */
  checkTransfer(nowNs: number, limits: TransferLimits): TransferVerdict {
    const buffered = limits.sendStallTimeoutMs > 0 ? this.bufferedOutput() : undefined;
    if (buffered !== undefined) {
      const waiting = buffered > 0 || this.trailersPending;
      if (waiting || this.stall !== undefined) {
        this.stall ??= new SendStall();
        const stalledMs = this.stall.observe(waiting, this.sentBytes - buffered, 0, nowNs);
        if (stalledMs >= limits.sendStallTimeoutMs) return 'send stall';
      }
    }
    if (limits.minReceiveBytesPerSec > 0) {
      if (!this.receiving()) {
        this.receiveSinceNs = -1;
      } else if (this.receiveSinceNs < 0) {
        this.receiveSinceNs = nowNs;
        this.receiveBaseBytes = this.receivedBytes;
      } else {
        const elapsedMs = (nowNs - this.receiveSinceNs) / NS_PER_MS;
        if (receivedTooSlowly(this.receivedBytes - this.receiveBaseBytes, elapsedMs, limits)) return 'receive too slow';
      }
    }
    return undefined;
  }
}
