/**
 * The server transport under the gRPC frontend, chosen by `--grpc-transport`: tensorgate's own
 * node:http2 server (`native`, the default: see native/native-grpc-server.ts for why) or
 * @grpc/grpc-js (`grpc-js`). Both serve the same service definitions and handlers.
 */
import { Server, type ServerOptions, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { backgroundClock } from '../../core/clock.js';
import type { GrpcTlsMaterial } from '../tls-files.js';
import { CallLimit } from './call-limit.js';
import { DEFAULT_GRPC_CONNECTION_LIMITS, type GrpcConnectionLimits } from './connection-limits.js';
import { createGrpcJsListener } from './grpc-js-listener.js';
import type { MessageLimits } from './native/call-transport.js';
import { NativeGrpcServer } from './native/native-grpc-server.js';

/** Which server implementation carries gRPC. */
export type GrpcTransportKind = 'native' | 'grpc-js';

/** What the frontend needs of a transport: the grpc-js server's shape, with a promise-returning bind. */
export interface GrpcTransport {
  addService(definition: ServiceDefinition, implementation: UntypedServiceImplementation): void;
  /** Binds and serves; resolves with the bound port (useful with port 0). */
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting calls; `callback` runs once the calls in flight are done. */
  tryShutdown(callback: () => void): void;
  /** Cancels every call in flight and closes every connection. */
  forceShutdown(): void;
}

/** Options of {@link createGrpcTransport}. */
export interface GrpcTransportOptions {
  readonly kind: GrpcTransportKind;
  /** Largest message received (compressed and decompressed) and sent, and the decompression budget. */
  readonly limits: MessageLimits;
  /** SETTINGS_MAX_CONCURRENT_STREAMS of every connection (`--grpc-max-concurrent-streams`); no limit when omitted. */
  readonly maxConcurrentStreams?: number | undefined;
  /** Calls open at once over all connections (`--grpc-max-concurrent-calls`); no limit when omitted. */
  readonly maxConcurrentCalls?: number | undefined;
  readonly tls: GrpcTlsMaterial | undefined;
  readonly logger: Logger;
  /** Preface, idle and keepalive limits per connection (defaults: {@link DEFAULT_GRPC_CONNECTION_LIMITS}). */
  readonly connectionLimits?: GrpcConnectionLimits | undefined;
  /** grpc-js server options (grpc-js only). */
  readonly serverOptions?: ServerOptions | undefined;
}

/**
 * The connection limits grpc-js' server implements, as its options (checked against
 * @grpc/grpc-js 1.14 `server.ts`): keepalive pings and their timeout, the idle-connection timeout
 * (grpc-js closes a connection with no open stream, which includes one that never sent a
 * preface), and the maximum age with its grace. It has no ping policing and pings whether or
 * not calls are in flight, so `cli/settings.ts` refuses those settings with `--grpc-transport
 * grpc-js`; the preface and TLS handshake limits are enforced on its sockets by
 * `grpc-js-listener.ts`.
 */
export function grpcJsConnectionOptions(limits: GrpcConnectionLimits): ServerOptions {
  return {
    'grpc.keepalive_time_ms': limits.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
    'grpc.max_connection_idle_ms': limits.idleTimeoutMs,
    ...(limits.maxConnectionAgeMs > 0 ? { 'grpc.max_connection_age_ms': limits.maxConnectionAgeMs } : {}),
    ...(limits.maxConnectionAgeGraceMs > 0
      ? { 'grpc.max_connection_age_grace_ms': limits.maxConnectionAgeGraceMs }
      : {}),
  };
}

function callLimitOf(options: GrpcTransportOptions): CallLimit | undefined {
  return options.maxConcurrentCalls === undefined
    ? undefined
    : new CallLimit(options.maxConcurrentCalls, options.logger);
}

function grpcJsTransport(options: GrpcTransportOptions): GrpcTransport {
  const limits = options.connectionLimits ?? DEFAULT_GRPC_CONNECTION_LIMITS;
  const server = new Server({
    // grpc-js checks the receive limit on the wire (the length prefix, before buffering) and again
    // while it inflates a compressed message: its server decompresses with a zlib stream, counts
    // the output chunk by chunk and destroys the stream once past the limit (RESOURCE_EXHAUSTED
    // "Received message that decompresses to a size larger than N"), so a bomb stops at the limit
    // as on the native transport (@grpc/grpc-js 1.14, src/server-interceptors.ts decompressMessage).
    'grpc.max_receive_message_length': options.limits.receive,
    'grpc.max_send_message_length': options.limits.send,
    // Nothing serves channelz here, and its per-call trackers (closures, timestamps, counters)
    // measurably cost on small ModelInfer calls; pass 1 in serverOptions to turn it back on.
    'grpc.enable_channelz': 0,
    ...(options.maxConcurrentStreams !== undefined
      ? { 'grpc.max_concurrent_streams': options.maxConcurrentStreams }
      : {}),
    ...grpcJsConnectionOptions(limits),
    ...options.serverOptions,
  });
  const listener = createGrpcJsListener(server, {
    tls: options.tls,
    limits,
    clock: backgroundClock,
    logger: options.logger,
    streamLimits: {
      callLimit: callLimitOf(options),
      inflateBudget: options.limits.inflateBudget,
      receiveLimit: options.limits.receive,
    },
  });
  return {
    addService: (definition, implementation) => server.addService(definition, implementation),
    listen: (port, host) => listener.listen(port, host),
    tryShutdown(callback) {
      listener.close();
      server.tryShutdown(() => callback());
    },
    forceShutdown() {
      listener.close();
      server.forceShutdown();
    },
  };
}

/**
 * Creates the transport of `options.kind`.
 *
 * @example
 * ```ts
 * const limits = { receive: 64 << 20, send: 2 ** 31 - 1 };
 * const transport = createGrpcTransport({ kind: 'native', limits, tls: undefined, logger });
 * transport.addService(serviceDefinitionOf(HEALTH_SERVICE_NAME), health.implementation);
 * const port = await transport.listen(0, '127.0.0.1');
 * ```
 */
export function createGrpcTransport(options: GrpcTransportOptions): GrpcTransport {
  if (options.kind === 'grpc-js') return grpcJsTransport(options);
  return new NativeGrpcServer({
    limits: options.limits,
    tls: options.tls,
    logger: options.logger,
    maxConcurrentStreams: options.maxConcurrentStreams,
    callLimit: callLimitOf(options),
    ...(options.connectionLimits !== undefined ? { connectionLimits: options.connectionLimits } : {}),
  });
}
