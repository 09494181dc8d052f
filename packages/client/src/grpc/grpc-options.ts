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

/** HTTP/2 keepalive pings (grpc-js `grpc.keepalive_*` channel options). */
export interface GrpcKeepaliveOptions {
  /** Interval between pings in milliseconds. */
  readonly timeMs: number;
  /** How long to wait for a ping's acknowledgement before dropping the connection (default 20000). */
  readonly timeoutMs?: number;
  /** Also ping while no call is in flight (default false). */
  readonly permitWithoutCalls?: boolean;
}

/** Options of {@link InferenceClient.grpc}. */
export interface GrpcClientOptions extends ClientOptions {
  /** TLS or mutual TLS; omitted (or false), the connection is plaintext. */
  readonly tls?: boolean | GrpcTlsOptions;
  /** Keepalive pings; omitted, grpc-js' defaults (none). */
  readonly keepalive?: GrpcKeepaliveOptions;
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
