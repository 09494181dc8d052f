/**
 * How many gRPC calls (HTTP/2 streams) the server holds open at once, over all connections
 * (`--grpc-max-concurrent-calls`), next to the per-connection `SETTINGS_MAX_CONCURRENT_STREAMS`
 * (`--grpc-max-concurrent-streams`). A stream costs the server memory for as long as it is open
 * (node:http2's and nghttp2's state, the call objects; ~7-25 KB when idle), and a ModelStreamInfer
 * stream may legitimately stay open and idle for hours, so no timeout sheds it: without a ceiling,
 * 50,000 idle streams on 4 connections grew the server by ~1.3 GB, and more connections bring more.
 *
 * A stream over the ceiling is refused at once with `RST_STREAM` `REFUSED_STREAM`: HTTP/2's "not
 * processed, safe to retry" (RFC 9113 §8.7), which gRPC clients (gRPC core, grpc-js) retry
 * transparently once and then report as `UNAVAILABLE`, the status gRPC documents as retryable.
 * Nothing is queued. Both transports count through one {@link CallLimit}.
 *
 * Hand-written: a counter with a ceiling and a rate-limited log line.
 */
import type { Logger } from 'pino';
import { backgroundClock, type Clock } from '../../core/clock.js';

/**
 * Default per connection: 1,000 streams. h2load, perf_analyzer and `tensorgate perf` open as many
 * streams on one connection as their concurrency (bench/ uses up to -m 64); well-behaved clients
 * queue streams past the limit instead of failing, so only concurrency above 1,000 on a single
 * connection waits. gRPC core and node:http2 have no limit by default; Envoy recommends 100 at
 * the edge, nginx uses 128.
 */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 1000;

/** Default server-wide ceiling: 10,000 open calls (~250 MB of idle streams on the native transport). */
export const DEFAULT_MAX_CONCURRENT_CALLS = 10_000;

/** At most one warning per this period; refusals in between are counted into the next one. */
export const CALL_LIMIT_LOG_PERIOD_MS = 10_000;

/**
 * The server-wide count of open gRPC calls.
 *
 * @example
 * ```ts
 * const calls = new CallLimit(10_000, logger);
 * if (!calls.tryOpen()) return stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
 * stream.once('close', () => calls.close());
 * ```
 */
export class CallLimit {
  private open = 0;
  private refused = 0;
  private quietUntilNs = 0;

  constructor(
    /** Calls allowed open at once. */
    readonly max: number,
    private readonly logger?: Logger,
    private readonly clock: Clock = backgroundClock,
  ) {}

  /** Calls open now. */
  get openCalls(): number {
    return this.open;
  }

  /** Counts a new call in; false (and a rate-limited warning) when the ceiling is reached. */
  tryOpen(): boolean {
    if (this.open < this.max) {
      this.open++;
      return true;
    }
    this.refused++;
    const now = this.clock.nowNs();
    if (now >= this.quietUntilNs) {
      this.quietUntilNs = now + CALL_LIMIT_LOG_PERIOD_MS * 1e6;
      this.logger?.warn(
        { openCalls: this.open, refused: this.refused, maxConcurrentCalls: this.max },
        'gRPC: refusing new calls (REFUSED_STREAM) while --grpc-max-concurrent-calls are open',
      );
      this.refused = 0;
    }
    return false;
  }

  /** A call counted by {@link tryOpen} ended (its stream closed). */
  close(): void {
    if (this.open > 0) this.open--;
  }
}
