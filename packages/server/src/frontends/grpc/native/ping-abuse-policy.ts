/**
 * gRPC core's server-side ping abuse policy (chttp2 `Chttp2PingAbusePolicy`), which Triton's
 * `--grpc-http2-min-recv-ping-interval-without-data` and `--grpc-http2-max-ping-strikes` set: a
 * client PING that comes sooner than the allowed interval after the previous one is a strike;
 * more strikes than allowed and the server answers GOAWAY ENHANCE_YOUR_CALM "too_many_pings".
 * Sending data or headers forgives: strikes and the interval start over.
 *
 * Hand-written: node:http2 acknowledges pings itself and has no such policy.
 */

/** With no call in flight (and keepalive pings not permitted without calls), one ping per 2 hours, as TCP keepalive. */
export const IDLE_PING_INTERVAL_MS = 2 * 60 * 60 * 1000;

/**
 * Counts ping strikes on one connection.
 *
 * @example
 * ```ts
 * const policy = new PingAbusePolicy(300_000, 2);
 * if (policy.received(nowMs, false)) session.goaway(ENHANCE_YOUR_CALM, lastId, Buffer.from('too_many_pings'));
 * ```
 */
export class PingAbusePolicy {
  private lastPingMs = Number.NEGATIVE_INFINITY;
  private strikes = 0;

  /**
   * @param minIntervalMs least time between two client pings with no data sent in between.
   * @param maxStrikes strikes tolerated; 0 tolerates any number.
   */
  constructor(
    private readonly minIntervalMs: number,
    private readonly maxStrikes: number,
  ) {}

  /**
   * Notes a PING from the client at `nowMs`; `transportIdle` when no stream is open and pings
   * without calls are not permitted. True when the client is over the limit.
   */
  received(nowMs: number, transportIdle: boolean): boolean {
    const interval = transportIdle ? IDLE_PING_INTERVAL_MS : this.minIntervalMs;
    const nextAllowed = this.lastPingMs + interval;
    this.lastPingMs = nowMs;
    if (nextAllowed <= nowMs) return false;
    this.strikes += 1;
    return this.maxStrikes !== 0 && this.strikes > this.maxStrikes;
  }

  /** The server sent data or headers: strikes and the interval start over. */
  reset(): void {
    this.lastPingMs = Number.NEGATIVE_INFINITY;
    this.strikes = 0;
  }

  /** Strikes so far (for logs). */
  get strikeCount(): number {
    return this.strikes;
  }
}
