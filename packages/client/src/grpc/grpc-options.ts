/**
 * Options of the gRPC client: the shared client options plus channel settings (TLS, keepalive,
 * message sizes, compression) that grpc-js applies to the connection.
 */
import type { ClientOptions } from '../options.js';

/**
 * TLS settings. `true` uses the system's root certificates; give `rootCerts` for a private CA and
 * `privateKey` + `certChain` for mutual TLS. All are PEM bytes (e.g. `readFileSync('ca.pem')`).
 */
export interface GrpcTlsOptions {
  readonly rootCerts?: Uint8Array;
  readonly privateKey?: Uint8Array;
  readonly certChain?: Uint8Array;
  /** Overrides the name checked against the server certificate (`grpc.ssl_target_name_override`). */
  readonly serverNameOverride?: string;
}

/**
 * HTTP/2 keepalive pings (grpc-js `grpc.keepalive_*` channel options): they find a dead
 * connection (a replica whose host vanished without closing it) while calls wait on it.
 *
 * A server polices pings: tensorgate and Triton by default answer more than 2 pings that come
 * less than 5 minutes apart with no data sent in between (`--grpc-http2-min-recv-ping-interval-without-data`
 * 300000, `--grpc-http2-max-ping-strikes` 2) with GOAWAY `too_many_pings`, and allow a ping with
 * no call in flight once per 2 hours (`--grpc-keepalive-permit-without-calls` false). Pings more
 * often than that need the server's settings raised to match.
 */
export interface GrpcKeepaliveOptions {
  /**
   * Interval between pings in milliseconds (default 360000: the servers' default minimum of 5
   * minutes plus 20%, so that timer and network jitter never make a ping arrive early).
   */
  readonly timeMs?: number;
  /** How long to wait for a ping's acknowledgement before dropping the connection (default 20000). */
  readonly timeoutMs?: number;
  /**
   * Also ping while no call is in flight (default false; true needs the server's
   * `--grpc-keepalive-permit-without-calls` and a matching minimum ping interval).
   */
  readonly permitWithoutCalls?: boolean;
}

/** The keepalive a gRPC client uses unless told otherwise: within the default server policy. */
export const DEFAULT_GRPC_KEEPALIVE: Required<GrpcKeepaliveOptions> = {
  timeMs: 360_000,
  timeoutMs: 20_000,
  permitWithoutCalls: false,
};

/** Options of {@link InferenceClient.grpc}. */
export interface GrpcClientOptions extends ClientOptions {
  /** TLS or mutual TLS; omitted (or false), the connection is plaintext. */
  readonly tls?: boolean | GrpcTlsOptions;
  /** Keepalive pings (default {@link DEFAULT_GRPC_KEEPALIVE}); `false` sends none. */
  readonly keepalive?: GrpcKeepaliveOptions | false;
  /**
   * How calls are spread over the addresses the target resolves to: `round_robin` (default: each
   * call to the next ready address, so a `dns:///` name of several replicas or an address list
   * is balanced) or `pick_first` (grpc-js' own default: one connection, to the first address
   * that answers). Set as the channel's default service config.
   */
  readonly loadBalancing?: 'round_robin' | 'pick_first';
  /** Largest message the client sends, in bytes (default -1: unlimited, as Triton's client). */
  readonly maxSendMessageBytes?: number;
  /** Largest message the client accepts, in bytes (default -1: unlimited). */
  readonly maxReceiveMessageBytes?: number;
  /**
   * Compresses request messages (`grpc.default_compression_algorithm`); the server compresses
   * its replies in kind if it supports it. Default 'none'.
   */
  readonly compression?: 'none' | 'gzip' | 'deflate';
  /** Further grpc-js channel options, applied last (e.g. `grpc.primary_user_agent`). */
  readonly channelOptions?: Readonly<Record<string, string | number>>;
}
