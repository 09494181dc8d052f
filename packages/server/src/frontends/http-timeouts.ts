/**
 * Time limits of every HTTP/1.1 listener (the KServe v2 API, metrics, the REST gateway), so that
 * connections which stop sending are shed while a good client is never cut off:
 *
 * - **header timeout**: the request head (request line and headers) must arrive within it,
 *   counted from its first byte, or from the connection's start for its first request. This is
 *   node's `headersTimeout`, checked every `connectionsCheckingInterval` (which this sets well
 *   below the timeout); a TLS handshake gets as long (`handshakeTimeout`).
 * - **body-idle timeout**: while a request body is being received, no byte for this long answers
 *   408 and closes the connection. Node has no such limit (its `requestTimeout` bounds the whole
 *   request, which would cut a slow but steady upload), so it is the socket's inactivity timeout,
 *   set when a request with a body arrives and cleared once the body is complete: a handler that
 *   runs long (an inference, a streamed response) is never timed out.
 * - **keep-alive timeout**: an idle connection between requests is closed (node's
 *   `keepAliveTimeout`, plus node's own 1 s of slack).
 */
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ServerOptions as SecureServerOptions } from 'node:https';
import type { Logger } from 'pino';
import type { TlsKeyPair } from './tls-files.js';

/** The three limits, in milliseconds. */
export interface HttpTimeouts {
  readonly headerTimeoutMs: number;
  readonly bodyIdleTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

/** 30 s each: 2,000 stalled sockets are shed within ~30 s, also under a 1,024-descriptor limit. */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headerTimeoutMs: 30_000,
  bodyIdleTimeoutMs: 30_000,
  keepAliveTimeoutMs: 30_000,
};

/**
 * The node:http / node:https server options for `timeouts` (also fastify's `http` / `https`
 * options): the header timeout and its checking interval, no whole-request limit, the keep-alive
 * timeout, and the TLS handshake limit.
 *
 * @example
 * ```ts
 * const server = createServer(httpServerTimeoutOptions(DEFAULT_HTTP_TIMEOUTS), handler);
 * ```
 */
export function httpServerTimeoutOptions(timeouts: HttpTimeouts): ServerOptions & { handshakeTimeout: number } {
  return {
    headersTimeout: timeouts.headerTimeoutMs,
    requestTimeout: 0,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    // How late a stalled head may be noticed; node's default (30 s) would double a 30 s timeout.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(timeouts.headerTimeoutMs / 4))),
    handshakeTimeout: timeouts.headerTimeoutMs,
  };
}

/** What {@link fastifyTimeoutOptions} gives fastify besides the node:http(s) server options. */
interface FastifyTimeouts {
  readonly keepAliveTimeout: number;
  readonly requestTimeout: 0;
  readonly connectionTimeout: 0;
  readonly clientErrorHandler: (err: NodeJS.ErrnoException, socket: Socket) => void;
}

/**
 * Fastify's options for `timeouts` (the HTTP API, the REST gateway): the server options of
 * {@link httpServerTimeoutOptions} as `http`, or with `tls` merged into `https` (HTTPS over
 * node:https); the keep-alive and request timeouts once more at fastify's level, since fastify
 * sets its own on the server after creating it; and {@link clientErrorResponder}. Install
 * {@link watchBodyIdle} on `app.server` afterwards.
 *
 * @example
 * ```ts
 * const app = Fastify({ bodyLimit, ...fastifyTimeoutOptions(timeouts) });
 * watchBodyIdle(app.server, timeouts.bodyIdleTimeoutMs, logger);
 * ```
 */
export function fastifyTimeoutOptions(timeouts: HttpTimeouts): FastifyTimeouts & { readonly http: ServerOptions };
export function fastifyTimeoutOptions(
  timeouts: HttpTimeouts,
  tls: TlsKeyPair,
): FastifyTimeouts & { readonly https: SecureServerOptions };
export function fastifyTimeoutOptions(
  timeouts: HttpTimeouts,
  tls?: TlsKeyPair,
): FastifyTimeouts & ({ readonly http: ServerOptions } | { readonly https: SecureServerOptions }) {
  const server = httpServerTimeoutOptions(timeouts);
  return {
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    requestTimeout: 0,
    connectionTimeout: 0,
    clientErrorHandler: clientErrorResponder(timeouts),
    ...(tls ? { https: { cert: tls.cert, key: tls.key, ...server } } : { http: server }),
  };
}

/** `ms` as seconds for messages: `30 s`, `1.5 s`. */
export function secs(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * A complete HTTP/1.1 error response in the frontends' `{"error": "<status>: <message>"}` shape,
 * with `Connection: close`, for writing straight to a socket that node's HTTP layer is not
 * answering (a request head or body that timed out).
 */
export function rawResponse(status: string, message: string): string {
  const body = JSON.stringify({ error: `${status}: ${message}` });
  return (
    `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/**
 * A `clientError` handler (node's event; fastify's `clientErrorHandler` option) answering in the
 * frontends' `{"error": "..."}` shape: 408 for a request head that did not arrive within the
 * header timeout, 431 for oversized headers, 400 for anything unparsable; then it closes the
 * connection. Nothing is logged: these are the client's failures, and a flood of them must not
 * flood the log.
 */
export function clientErrorResponder(timeouts: HttpTimeouts): (err: NodeJS.ErrnoException, socket: Socket) => void {
  const timedOut = rawResponse(
    '408 Request Timeout',
    `the request head did not arrive within ${secs(timeouts.headerTimeoutMs)}`,
  );
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    if (socket.writable) {
      const response =
        err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? timedOut
          : err.code === 'HPE_HEADER_OVERFLOW'
            ? rawResponse('431 Request Header Fields Too Large', 'the request headers are too large')
            : rawResponse('400 Bad Request', 'malformed HTTP request');
      socket.write(response);
    }
    socket.destroy();
  };
}

/** Whether `req` declares a body (a non-zero `Content-Length`, or any `Transfer-Encoding`). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Arms the body-idle timeout for one request whose body is still arriving: the socket's
 * inactivity timeout (refreshed by every byte read or written) until the body is complete.
 */
function watchBody(server: Server, req: IncomingMessage, res: ServerResponse, idleMs: number, logger?: Logger): void {
  const socket = req.socket;
  let armed = true;
  let responded = false;
  const disarm = (restore: boolean): void => {
    if (!armed) return;
    armed = false;
    req.off('timeout', onTimeout);
    res.off('timeout', onTimeout);
    // Once the response is finished node has set the keep-alive timeout; leave it alone.
    if (restore && !responded) socket.setTimeout(server.timeout);
  };
  const onTimeout = (): void => {
    if (!armed) return;
    // The body is all here, only not read yet: not the client's doing.
    if (req.complete) {
      disarm(true);
      return;
    }
    disarm(false);
    logger?.debug({ peer: socket.remoteAddress, url: req.url }, 'HTTP request body stalled: connection closed (408)');
    const response = rawResponse('408 Request Timeout', `no request body bytes for ${secs(idleMs)}`);
    if (res.headersSent || !socket.writable) socket.destroy();
    else socket.end(response, () => socket.destroy());
  };
  // node emits 'timeout' on the request while its body is incomplete, on the response otherwise;
  // with a listener it leaves the socket to us instead of destroying it.
  req.on('timeout', onTimeout);
  res.on('timeout', onTimeout);
  req.once('end', () => disarm(true));
  const done = (): void => {
    responded = true;
    disarm(false);
  };
  res.once('finish', done);
  res.once('close', done);
  socket.setTimeout(idleMs);
}

/**
 * Installs the body-idle timeout on `server` (see the file comment). The header and keep-alive
 * timeouts come from {@link httpServerTimeoutOptions} at creation.
 *
 * @example
 * ```ts
 * const server = createServer(httpServerTimeoutOptions(timeouts), handler);
 * watchBodyIdle(server, timeouts.bodyIdleTimeoutMs, logger);
 * ```
 */
export function watchBodyIdle(server: Server, idleMs: number, logger?: Logger): void {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!req.complete && hasBody(req)) watchBody(server, req, res, idleMs, logger);
  });
}
