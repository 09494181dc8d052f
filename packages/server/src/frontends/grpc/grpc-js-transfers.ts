/**
 * The transfer limits (`../transfer-limits.ts`) on the grpc-js transport, as far as grpc-js lets
 * them be seen. Its calls and their writes are its own; what tensorgate reaches is the socket
 * (its listener accepts every connection, `grpc-js-listener.ts`) and, through the node:http2
 * server behind grpc-js' connection injector, each session's streams. grpc-js writes each response
 * message to its stream at once, and node:http2 shows neither a stream's flow-control window nor
 * its progress inside a write, so the send-stall check here is per **connection**:
 *
 * - a connection that has response bytes waiting, on its socket or in any stream, while nothing
 *   is written to its socket for the timeout, is stalled: when the socket itself is backed up (the
 *   client reads nothing), or every stream on it has bytes waiting, the connection is closed
 *   (GOAWAY `send_stall` where it can still be sent); otherwise (the client grants some streams no
 *   flow-control window) each stream with bytes waiting is reset with RST_STREAM CANCEL.
 * - What it cannot see: a client that keeps the connection writing (reading one response slowly,
 *   or making the server answer pings) while it grants other streams no window holds those
 *   streams. The native transport checks each stream.
 *
 * The minimum request rate is per connection too: while a unary or server-streaming request on it
 * is still arriving, the connection's bytes received must keep up with the rate; below it, each
 * such call ends with DEADLINE_EXCEEDED (and the connection, when it had no other call, closes). Streamed requests (ModelStreamInfer) are not checked, as
 * message boundaries are grpc-js' own.
 *
 * The node:http2 server is the one `grpc-js-stream-hook.ts` found in grpc-js' private
 * `http2Servers` (a grpc-js without it is refused there, at start-up).
 */
import http2, {
  type Http2Session,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import {
  observeSocketSend,
  receivedTooSlowly,
  SendStall,
  socketSendPending,
  startSweeps,
  sweepPeriodMs,
  type TransferLimits,
} from '../transfer-limits.js';
import { LINGER_MS } from './native/connection-guard.js';
import { trailersOnlyHeaders } from './native/grpc-headers.js';

const NS_PER_MS = 1e6;

/** One call's stream, and whether its method streams requests (then its rate is not checked). */
interface WatchedStream {
  readonly stream: ServerHttp2Stream;
  readonly streamingRequest: boolean;
  /** Seen complete (END_STREAM received) by a sweep. */
  requestComplete: boolean;
}

/** What the sweep keeps per connection. */
class WatchedConnection {
  readonly streams = new Set<WatchedStream>();
  readonly stall = new SendStall();
  receiveSinceNs = -1;
  receiveBaseBytes = 0;
  constructor(
    readonly session: ServerHttp2Session | undefined,
    readonly socket: Socket,
  ) {}
}

/** Watches the connections of one grpc-js server behind its connection injector. */
export interface GrpcJsTransferWatch {
  /** Watches `socket`; call right before injecting it into grpc-js. */
  adopt(socket: Socket): void;
  /** Stops the sweeps. */
  stop(): void;
}

function requestComplete(watched: WatchedStream): boolean {
  if (watched.requestComplete) return true;
  try {
    watched.requestComplete = watched.stream.destroyed || watched.stream.state.remoteClose === 1;
  } catch {
    watched.requestComplete = true;
  }
  return watched.requestComplete;
}

function failTooSlow(stream: ServerHttp2Stream, rate: number): void {
  if (stream.destroyed || stream.closed) return;
  try {
    if (!stream.headersSent) {
      stream.respond(
        trailersOnlyHeaders(GrpcStatus.DEADLINE_EXCEEDED, `The request message arrived slower than ${rate} bytes/s`),
        { endStream: true },
      );
    }
    stream.close(http2.constants.NGHTTP2_NO_ERROR);
  } catch {
    stream.close(http2.constants.NGHTTP2_CANCEL);
  }
}

/**
 * Starts watching the connections injected into grpc-js' node:http2 server `h2` (see the file
 * comment); create it right after the connection injector.
 *
 * @example
 * ```ts
 * const { created: injector, http2Server } = hookGrpcJsStreams(server, () => server.createConnectionInjector(creds), streamLimits);
 * const watch = watchGrpcJsTransfers(http2Server, limits, (path) => streaming.has(path), backgroundClock, logger);
 * watch.adopt(socket);
 * injector.injectConnection(socket);
 * ```
 */
export function watchGrpcJsTransfers(
  h2: Http2Server,
  limits: TransferLimits,
  isStreamingRequest: (path: string) => boolean,
  clock: Clock,
  logger: Logger,
): GrpcJsTransferWatch {
  const period = sweepPeriodMs(limits);
  if (period === undefined) return { adopt: () => undefined, stop: () => undefined };
  const connections = new Map<Socket, WatchedConnection>();
  const bySession = new Map<Http2Session, WatchedConnection>();
  let arriving: Socket | undefined;
  // Emitted inside injectConnection, for the socket adopted just before.
  h2.on('session', (session: ServerHttp2Session) => {
    const socket = arriving;
    arriving = undefined;
    if (socket === undefined || !connections.has(socket)) return;
    const watched = new WatchedConnection(session, socket);
    connections.set(socket, watched);
    bySession.set(session, watched);
    session.once('close', () => bySession.delete(session));
  });
  // After grpc-js' own listener (added when the injector was made), which has set the call up.
  h2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    const watched = stream.session === undefined ? undefined : bySession.get(stream.session);
    if (watched === undefined) return;
    const entry: WatchedStream = {
      stream,
      streamingRequest: isStreamingRequest(headers[':path'] ?? ''),
      requestComplete: false,
    };
    watched.streams.add(entry);
    stream.once('close', () => watched.streams.delete(entry));
  });

  const peer = (socket: Socket): string => `${socket.remoteAddress}:${socket.remotePort}`;

  const checkSendStall = (watched: WatchedConnection, nowNs: number): boolean => {
    const { socket, session } = watched;
    let waiting = 0;
    for (const { stream } of watched.streams) if (!stream.destroyed && stream.writableLength > 0) waiting += 1;
    const socketWaiting = socketSendPending(socket);
    if (observeSocketSend(watched.stall, socket, nowNs, waiting > 0 || socketWaiting) < limits.sendStallTimeoutMs) {
      return false;
    }
    if (socketWaiting || session === undefined || waiting === watched.streams.size) {
      logger.debug({ peer: peer(socket), reason: 'send stall' }, 'gRPC connection closed');
      if (!socketWaiting && session !== undefined && !session.destroyed) {
        session.goaway(http2.constants.NGHTTP2_NO_ERROR, 0, Buffer.from('send_stall'));
      }
      session?.destroy();
      socket.destroy();
      return true;
    }
    for (const { stream } of watched.streams) {
      if (!stream.destroyed && stream.writableLength > 0) {
        logger.debug({ peer: peer(socket) }, 'gRPC response stalled: stream reset');
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }
    }
    return false;
  };

  const closeGracefully = (watched: WatchedConnection, debugData: string): void => {
    const { session, socket } = watched;
    logger.debug({ peer: peer(socket), reason: 'receive too slow' }, 'gRPC connection closed');
    try {
      session?.goaway(http2.constants.NGHTTP2_NO_ERROR, 0, Buffer.from(debugData));
      session?.close();
    } catch {
      session?.destroy();
    }
    const cancel = clock.setTimer(() => socket.destroy(), LINGER_MS);
    socket.once('close', cancel);
  };

  const checkReceiveRate = (watched: WatchedConnection, nowNs: number): void => {
    const { socket } = watched;
    const receiving: ServerHttp2Stream[] = [];
    for (const entry of watched.streams) {
      if (!entry.streamingRequest && !requestComplete(entry)) receiving.push(entry.stream);
    }
    if (receiving.length === 0) {
      watched.receiveSinceNs = -1;
    } else if (watched.receiveSinceNs < 0) {
      watched.receiveSinceNs = nowNs;
      watched.receiveBaseBytes = socket.bytesRead;
    } else {
      const elapsedMs = (nowNs - watched.receiveSinceNs) / NS_PER_MS;
      if (receivedTooSlowly(socket.bytesRead - watched.receiveBaseBytes, elapsedMs, limits)) {
        logger.debug({ peer: peer(socket) }, 'gRPC request too slow: call failed');
        for (const stream of receiving) failTooSlow(stream, limits.minReceiveBytesPerSec);
        watched.receiveSinceNs = -1;
        // Nothing else on the connection: close it too, after the statuses (see the native guard).
        if (receiving.length === watched.streams.size) closeGracefully(watched, 'too_slow');
      }
    }
  };

  const check = (watched: WatchedConnection, nowNs: number): void => {
    if (limits.sendStallTimeoutMs > 0 && checkSendStall(watched, nowNs)) return;
    if (limits.minReceiveBytesPerSec > 0) checkReceiveRate(watched, nowNs);
  };

  const stop = startSweeps(clock, period, () => {
    const nowNs = clock.nowNs();
    for (const watched of connections.values()) check(watched, nowNs);
  });
  return {
    adopt(socket) {
      // Socket only, until (and unless) grpc-js makes a session of it.
      connections.set(socket, new WatchedConnection(undefined, socket));
      arriving = socket;
      socket.once('close', () => connections.delete(socket));
    },
    stop,
  };
}
