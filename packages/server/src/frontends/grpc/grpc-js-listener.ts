/**
 * The listening socket of the grpc-js transport. grpc-js' own `bindAsync` leaves three gaps a
 * flood of silent connections gets through (checked against @grpc/grpc-js 1.14 `server.ts`):
 * no preface deadline, Node's 120 s TLS handshake limit, and, worst, its idle and age closes are
 * graceful only: after GOAWAY and FIN it waits for the client to close, so a client that never
 * does keeps the file descriptor for good. So tensorgate listens itself (TCP, or TLS it
 * terminates) and hands each connection to grpc-js through its public connection injector
 * (`Server.createConnectionInjector`), after arming, on the socket:
 *
 * - the TLS handshake limit (`handshakeTimeout`) and a preface deadline: by then the client must
 *   have sent at least the 24-byte HTTP/2 preface and a 9-byte frame header (grpc-js' session is
 *   out of reach, so bytes are counted rather than frames parsed; a connection that stalls inside
 *   its first SETTINGS is left to the idle timeout);
 * - a linger limit: once the server has sent its FIN, the client has {@link LINGER_MS} to close
 *   its side before the socket is destroyed.
 *
 * It also watches the transfer limits of every connection (`grpc-js-transfers.ts`).
 *
 * The grpc-js server behind the injector is plaintext (TLS is done here); our handlers do not use
 * grpc-js' auth context, which would now report an insecure transport.
 */
import net, { type Server as NetServer, type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { ServerCredentials, type Server as GrpcJsServer } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import { logListenerErrors } from '../listener-errors.js';
import type { GrpcTlsMaterial } from '../tls-files.js';
import type { TransferLimits } from '../transfer-limits.js';
import type { GrpcConnectionLimits } from './connection-limits.js';
import { hookGrpcJsStreams, type GrpcJsStreamLimits } from './grpc-js-stream-hook.js';
import { watchGrpcJsTransfers } from './grpc-js-transfers.js';
import { LINGER_MS } from './native/connection-guard.js';

/** The client connection preface (24 bytes) plus one frame header (9): the least a live client sends. */
const PREFACE_AND_FRAME_HEADER_BYTES = 24 + 9;

/** A listener feeding a grpc-js server. */
export interface GrpcJsListener {
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting connections (grpc-js' own shutdown closes the ones it has). */
  close(): void;
}

function guardSocket(socket: Socket, limits: GrpcConnectionLimits, clock: Clock, logger: Logger): void {
  socket.on('error', () => undefined);
  const baseline = socket.bytesRead;
  const cancelPreface = clock.setTimer(() => {
    if (socket.destroyed || socket.bytesRead - baseline >= PREFACE_AND_FRAME_HEADER_BYTES) return;
    logger.debug({ peer: socket.remoteAddress, reason: 'preface timeout' }, 'gRPC connection closed');
    socket.destroy();
  }, limits.prefaceTimeoutMs);
  let cancelLinger: (() => void) | undefined;
  socket.once('finish', () => {
    cancelLinger = clock.setTimer(() => socket.destroy(), LINGER_MS);
  });
  socket.once('close', () => {
    cancelPreface();
    cancelLinger?.();
  });
}

/**
 * Creates the listener; `server` must have its services added, and is never bound itself.
 *
 * @example
 * ```ts
 * const listener = createGrpcJsListener(server, { tls: undefined, limits, clock: backgroundClock, logger });
 * const port = await listener.listen(0, '127.0.0.1');
 * ```
 */
export function createGrpcJsListener(
  server: GrpcJsServer,
  options: {
    readonly tls: GrpcTlsMaterial | undefined;
    readonly limits: GrpcConnectionLimits;
    readonly transferLimits: TransferLimits;
    /** Whether the method at this path streams its requests (its messages are not rate-checked). */
    readonly isStreamingRequest: (path: string) => boolean;
    readonly clock: Clock;
    readonly logger: Logger;
    /** The server-wide call ceiling and decompression budget, enforced ahead of grpc-js (`grpc-js-stream-hook.ts`). */
    readonly streamLimits: GrpcJsStreamLimits;
  },
): GrpcJsListener {
  const { limits, clock, logger } = options;
  const { created: injector, http2Server } = hookGrpcJsStreams(
    server,
    () => server.createConnectionInjector(ServerCredentials.createInsecure()),
    options.streamLimits,
  );
  const transfers = watchGrpcJsTransfers(
    http2Server,
    options.transferLimits,
    options.isStreamingRequest,
    clock,
    logger,
  );
  const accept = (socket: Socket): void => {
    guardSocket(socket, limits, clock, logger);
    transfers.adopt(socket);
    injector.injectConnection(socket);
  };
  let listener: NetServer;
  const material = options.tls;
  if (material === undefined) {
    listener = net.createServer({ noDelay: true }, accept);
  } else {
    const secure = tls.createServer({
      cert: material.cert,
      key: material.key,
      ALPNProtocols: ['h2'],
      handshakeTimeout: limits.prefaceTimeoutMs,
      ...(material.rootCerts !== undefined ? { ca: material.rootCerts } : {}),
      ...(material.requireClientCert ? { requestCert: true, rejectUnauthorized: true } : {}),
    });
    secure.on('secureConnection', (socket: TLSSocket) => accept(socket));
    // Handshake failures (no or a bad client certificate, too slow) are the client's problem.
    secure.on('tlsClientError', (err) => logger.debug({ err }, 'gRPC TLS handshake failed'));
    listener = secure;
  }
  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        listener.once('error', reject);
        listener.listen(port, host, () => {
          listener.off('error', reject);
          logListenerErrors(listener, logger, 'gRPC');
          const address = listener.address();
          resolve(typeof address === 'object' && address !== null ? address.port : port);
        });
      });
    },
    close() {
      transfers.stop();
      if (listener.listening) listener.close();
    },
  };
}
