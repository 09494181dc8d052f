/**
 * The transfer limits (`transfer-limits.ts`) of an HTTP/1.1 listener (the KServe v2 API, metrics,
 * the REST gateway):
 *
 * - **send stall**: a connection whose response has bytes waiting that the kernel has not taken
 *   for the timeout (the client reads nothing) is destroyed, which frees the response. A client
 *   that reads, however slowly, moves the counters; a handler that runs long (an inference, an
 *   SSE stream between events) has nothing waiting. Progress is what the kernel takes: it takes
 *   more only once its send buffer has room again, so on a fast link whose client then reads
 *   slowly it shows in steps of up to half the socket's send buffer (which Linux grows to 4 MiB).
 * - **minimum receive rate**: a request body still arriving after the grace period must have
 *   delivered `rate × (elapsed − grace)` bytes, or the server answers 408 and closes the
 *   connection (the rest of the body cannot be told apart from a next request).
 *
 * One sweep per listener checks every connection's counters; the request path only records,
 * for a request with a body, when it began and the socket's byte count then.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import { backgroundClock, type Clock } from '../core/clock.js';
import { hasBody, rawResponse } from './http-timeouts.js';
import {
  observeSocketSend,
  receivedTooSlowly,
  SendStall,
  startSweeps,
  sweepPeriodMs,
  type TransferLimits,
} from './transfer-limits.js';

/** A request whose body is still arriving. */
interface BodyWatch {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly startNs: number;
  /** The socket's `bytesRead` when the request began. */
  readonly baseBytes: number;
}

/** What the sweep keeps per connection. */
class ConnectionWatch {
  readonly send = new SendStall();
  body: BodyWatch | undefined = undefined;
}

const NS_PER_MS = 1e6;

function shedSlowBody(socket: Socket, body: BodyWatch, rate: number, logger: Logger | undefined): void {
  logger?.debug(
    { peer: socket.remoteAddress, port: socket.remotePort, url: body.req.url },
    'HTTP request body too slow: connection closed (408)',
  );
  if (body.res.headersSent || !socket.writable) {
    socket.destroy();
    return;
  }
  // A client that does not read the 408 either is destroyed by the send-stall check.
  socket.end(rawResponse('408 Request Timeout', `the request body arrived slower than ${rate} bytes/s`), () =>
    socket.destroy(),
  );
}

function check(
  socket: Socket,
  watch: ConnectionWatch,
  nowNs: number,
  limits: TransferLimits,
  logger: Logger | undefined,
): void {
  const stallMs = limits.sendStallTimeoutMs;
  if (stallMs > 0 && observeSocketSend(watch.send, socket, nowNs) >= stallMs) {
    logger?.debug(
      { peer: socket.remoteAddress, port: socket.remotePort, waitingBytes: socket.writableLength },
      'HTTP response not read: connection closed',
    );
    socket.destroy();
    return;
  }
  const body = watch.body;
  if (body === undefined) return;
  if (body.req.complete || body.res.writableEnded || socket.destroyed) {
    watch.body = undefined;
    return;
  }
  if (receivedTooSlowly(socket.bytesRead - body.baseBytes, (nowNs - body.startNs) / NS_PER_MS, limits)) {
    watch.body = undefined;
    shedSlowBody(socket, body, limits.minReceiveBytesPerSec, logger);
  }
}

/**
 * Installs the send-stall timeout and the minimum body rate on `server` (see the file comment);
 * does nothing when both are off.
 *
 * @example
 * ```ts
 * const server = createServer(httpServerTimeoutOptions(timeouts), handler);
 * watchHttpTransfers(server, DEFAULT_TRANSFER_LIMITS, logger);
 * ```
 */
export function watchHttpTransfers(
  server: Server,
  limits: TransferLimits,
  logger?: Logger,
  clock: Clock = backgroundClock,
): void {
  const period = sweepPeriodMs(limits);
  if (period === undefined) return;
  const connections = new Map<Socket, ConnectionWatch>();
  // HTTPS: the TLS socket, which is what the HTTP layer writes to.
  server.on(server instanceof TlsServer ? 'secureConnection' : 'connection', (socket: Socket) => {
    connections.set(socket, new ConnectionWatch());
    socket.once('close', () => connections.delete(socket));
  });
  if (limits.minReceiveBytesPerSec > 0) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.complete || !hasBody(req)) return;
      const watch = connections.get(req.socket);
      if (watch !== undefined) {
        watch.body = { req, res, startNs: clock.nowNs(), baseBytes: req.socket.bytesRead };
      }
    });
  }
  const stop = startSweeps(clock, period, () => {
    const nowNs = clock.nowNs();
    for (const [socket, watch] of connections) check(socket, watch, nowNs, limits, logger);
  });
  server.once('close', stop);
}
