/**
 * The server transport under the gRPC frontend, chosen by `--grpc-transport`: tensorgate's own
 * node:http2 server (`native`, the default: see native/native-grpc-server.ts for why) or
 * @grpc/grpc-js (`grpc-js`). Both serve the same service definitions and handlers.
 */
import {
  Server,
  ServerCredentials,
  type ServerOptions,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { GrpcTlsMaterial } from '../tls-files.js';
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
  /** Largest message received (compressed and decompressed) and sent. */
  readonly limits: MessageLimits;
  readonly tls: GrpcTlsMaterial | undefined;
  readonly logger: Logger;
  /** grpc-js server options (grpc-js only). */
  readonly serverOptions?: ServerOptions | undefined;
}

/** grpc-js credentials for the frontend's TLS setting. */
function credentialsFor(tls: GrpcTlsMaterial | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    tls.rootCerts ?? null,
    [{ private_key: tls.key, cert_chain: tls.cert }],
    tls.requireClientCert,
  );
}

function grpcJsTransport(options: GrpcTransportOptions): GrpcTransport {
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
    ...options.serverOptions,
  });
  return {
    addService: (definition, implementation) => server.addService(definition, implementation),
    listen(port, host) {
      const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      return new Promise((resolve, reject) => {
        server.bindAsync(address, credentialsFor(options.tls), (err, bound) => (err ? reject(err) : resolve(bound)));
      });
    },
    tryShutdown: (callback) => server.tryShutdown(() => callback()),
    forceShutdown: () => server.forceShutdown(),
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
  });
}
