/**
 * Per-connection time limits of the gRPC port: how long a new connection may take to send the
 * HTTP/2 preface, how long one may sit with no call in flight, and Triton's keepalive settings
 * (gRPC core's channel arguments of the same meaning, see github.com/grpc/grpc doc/keepalive.md).
 * Both transports take them from here; the native one enforces them all
 * (`native/connection-guard.ts`), grpc-js those its server implements (`grpc-transport.ts`).
 */

/** The limits, in milliseconds; a 0 where noted turns a limit off. */
export interface GrpcConnectionLimits {
  /**
   * A new connection (after its TLS handshake, which gets as long again) must send the HTTP/2
   * preface and its first SETTINGS frame within this; otherwise it is closed. tensorgate's own.
   */
  readonly prefaceTimeoutMs: number;
  /**
   * A connection with no call in flight (and no request bytes arriving for a call still being
   * sent) for this long gets GOAWAY and is closed. tensorgate's own (gRPC core's
   * `GRPC_ARG_MAX_CONNECTION_IDLE_MS`, which Triton does not expose).
   */
  readonly idleTimeoutMs: number;
  /** `--grpc-keepalive-time`: the server pings the client this often. */
  readonly keepaliveTimeMs: number;
  /** `--grpc-keepalive-timeout`: a ping not acknowledged within this closes the connection. */
  readonly keepaliveTimeoutMs: number;
  /**
   * `--grpc-keepalive-permit-without-calls`: the server's keepalive pings also go out, and a
   * client's pings are judged by `minRecvPingIntervalWithoutDataMs`, when no call is in flight
   * (otherwise the server does not ping such a connection and allows a client ping every 2 hours).
   */
  readonly keepalivePermitWithoutCalls: boolean;
  /** `--grpc-http2-max-pings-without-data`: keepalive pings the server sends between two data/header frames it sends (0: no limit). */
  readonly maxPingsWithoutData: number;
  /** `--grpc-http2-min-recv-ping-interval-without-data`: client pings closer than this, with no data/headers sent in between, are strikes. */
  readonly minRecvPingIntervalWithoutDataMs: number;
  /** `--grpc-http2-max-ping-strikes`: more strikes than this → GOAWAY ENHANCE_YOUR_CALM "too_many_pings" (0: no limit). */
  readonly maxPingStrikes: number;
  /** `--grpc-max-connection-age`: a connection older than this (±10%) gets GOAWAY; 0: no limit. */
  readonly maxConnectionAgeMs: number;
  /** `--grpc-max-connection-age-grace`: calls still running that long after the age GOAWAY are cancelled; 0: they may run on. */
  readonly maxConnectionAgeGraceMs: number;
}

/**
 * The defaults: Triton's (gRPC core's) keepalive values, and preface / idle limits short enough
 * that a flood of silent connections is shed within a minute even under a 1,024-descriptor limit.
 */
export const DEFAULT_GRPC_CONNECTION_LIMITS: GrpcConnectionLimits = {
  prefaceTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  keepaliveTimeMs: 7_200_000,
  keepaliveTimeoutMs: 20_000,
  keepalivePermitWithoutCalls: false,
  maxPingsWithoutData: 2,
  minRecvPingIntervalWithoutDataMs: 300_000,
  maxPingStrikes: 2,
  maxConnectionAgeMs: 0,
  maxConnectionAgeGraceMs: 0,
};
