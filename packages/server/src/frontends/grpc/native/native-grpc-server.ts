/**
 * tensorgate's own gRPC server transport on node:http2, the default under the gRPC frontend.
 *
 * Why hand-written: issue #2 asks gRPC `simple` ModelInfer throughput of at least 60% of a raw
 * node:http2 echo (bench/grpc-vs-echo.mjs). On @grpc/grpc-js tensorgate reached 33-37% of it, and
 * grpc-js' own echo with no work at all only 65-74%; with the model inline instead of in a worker
 * it was no faster, so grpc-js' per-call machinery was the bottleneck. On this transport the same
 * server reaches 47-48% (bench/RESULTS.md), and large messages gain from the windows below. This server
 * keeps the grpc-js API shape the frontend uses (`addService`, listen, `tryShutdown`,
 * `forceShutdown`) and call objects that give the unchanged handlers what they use of grpc-js
 * calls; grpc-js stays selectable (`--grpc-transport grpc-js`).
 *
 * Wire rules follow github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md: POST with an
 * `application/grpc*` content-type (else HTTP 415, as grpc-js), length-prefixed messages,
 * `grpc-encoding` gzip/deflate on requests, `grpc-timeout` deadlines, status in trailers.
 */
import http2, {
  type Http2SecureServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type SecureServerOptions,
  type ServerHttp2Session,
  type ServerHttp2Stream,
  type ServerOptions,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { status as GrpcStatus, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { backgroundClock, type Clock } from '../../../core/clock.js';
import { logListenerErrors } from '../../listener-errors.js';
import { DEFAULT_TRANSFER_LIMITS, startSweeps, sweepPeriodMs, type TransferLimits } from '../../transfer-limits.js';
import type { GrpcTlsMaterial } from '../../tls-files.js';
import type { CallLimit } from '../call-limit.js';
import { DEFAULT_GRPC_CONNECTION_LIMITS, type GrpcConnectionLimits } from '../connection-limits.js';
import { CallTransport, type MessageLimits } from './call-transport.js';
import { ConnectionGuard } from './connection-guard.js';
import { NativeDuplexCall } from './duplex-call.js';
import { trailersOnlyHeaders } from './grpc-headers.js';
import { methodTable, type NativeMethod, type NativeUnaryCallback } from './native-method.js';
import { statusOfHandlerError } from './wire-status.js';
import { NativeUnaryCall } from './unary-call.js';

/** Options of {@link NativeGrpcServer}. */
export interface NativeGrpcServerOptions {
  /** Largest message received (compressed and decompressed) and sent; larger ones fail with RESOURCE_EXHAUSTED. */
  readonly limits: MessageLimits;
  /** Serve TLS (ALPN h2) with this certificate; mutual TLS when `requireClientCert`. Omitted: plaintext. */
  readonly tls?: GrpcTlsMaterial | undefined;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS per connection; node's default (no limit) when omitted. */
  readonly maxConcurrentStreams?: number | undefined;
  /** The server-wide ceiling on open calls: streams past it are refused with REFUSED_STREAM. None when omitted. */
  readonly callLimit?: CallLimit | undefined;
  /** Where connection-level errors are logged (debug); silent when omitted. */
  readonly logger?: Logger;
  /** Preface, idle and keepalive limits of every connection; gRPC core's defaults when omitted. */
  readonly connectionLimits?: GrpcConnectionLimits;
  /** Send-stall timeout and minimum request rate of every call; `DEFAULT_TRANSFER_LIMITS` when omitted. */
  readonly transferLimits?: TransferLimits;
  /** Timers of the connection limits (tests inject a fake one); unref'd real timers by default. */
  readonly clock?: Clock;
}

type GuardedSession = ServerHttp2Session & { [GUARD]?: ConnectionGuard };
const GUARD = Symbol('tensorgate.connectionGuard');

/**
 * HTTP/2 flow-control windows the server advertises: how much a client may send on one stream, and
 * on one connection in all, before the server's reads open the window again. Node's defaults (64 KiB
 * each) make a large request wait for a WINDOW_UPDATE round trip every 64 KiB; with these, a 19 MB
 * `identity_fp32` round trip went from ~11.8 to ~19.5 req/s (5 interleaved rounds, h2load -c 1 -m 1).
 * The connection window also bounds what one connection can have buffered unread.
 */
export const STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
/** See {@link STREAM_WINDOW_BYTES}. */
export const CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;

const UNSUPPORTED_MEDIA_TYPE = { [http2.constants.HTTP2_HEADER_STATUS]: 415 };
const END_STREAM = { endStream: true };

/**
 * The `callback(err, value)` of a client-streaming handler (grpc-js' `sendUnaryData`): the one
 * response then OK, or the error's status.
 */
function clientStreamCallback(call: NativeDuplexCall): NativeUnaryCallback {
  return (err, value) => {
    if (err) call.endWith(statusOfHandlerError(err));
    else call.end(value);
  };
}

function ignoreStreamError(): void {
  // A stream error (RST from the client, write after close) always comes with 'close', which is
  // where the call notices it was cancelled; nothing else to do here.
}

/**
 * A gRPC server on node:http2 serving grpc-js service definitions and handlers.
 *
 * @example
 * ```ts
 * const server = new NativeGrpcServer({ limits: { receive: 4 << 20, send: 4 << 20 } });
 * server.addService(serviceDefinitionOf(HEALTH_SERVICE_NAME), health.implementation);
 * const port = await server.listen(0, '127.0.0.1');
 * server.tryShutdown(() => console.log('closed'));
 * ```
 */
export class NativeGrpcServer {
  private readonly methods = new Map<string, NativeMethod>();
  private readonly sessions = new Set<ServerHttp2Session>();
  private server: Http2Server | Http2SecureServer | undefined;
  private readonly messageLimits: MessageLimits;
  private readonly limits: GrpcConnectionLimits;
  private readonly transfer: TransferLimits;
  private stopSweeps: (() => void) | undefined;
  /** The socket of the connection node is turning into a session right now (see onSocket). */
  private arriving: Socket | undefined;

  constructor(private readonly options: NativeGrpcServerOptions) {
    this.messageLimits = options.limits;
    this.limits = options.connectionLimits ?? DEFAULT_GRPC_CONNECTION_LIMITS;
    this.transfer = options.transferLimits ?? DEFAULT_TRANSFER_LIMITS;
  }

  /** Serves every method of `definition` with the handler of the same name in `implementation`. */
  addService(definition: ServiceDefinition, implementation: UntypedServiceImplementation): void {
    for (const method of methodTable(definition, implementation)) {
      if (this.methods.has(method.path)) throw new Error(`${method.path} is already served`);
      this.methods.set(method.path, method);
    }
  }

  /** Binds `host:port` and serves; resolves with the bound port (the chosen one for port 0). */
  listen(port: number, host: string): Promise<number> {
    if (this.server !== undefined) return Promise.reject(new Error('the gRPC server is already listening'));
    const server = this.createHttp2Server();
    this.server = server;
    server.on('stream', this.onStream);
    server.on('session', this.onSession);
    // node creates a connection's session inside its own 'connection' ('secureConnection' for
    // TLS) listener and emits 'session' from there; this listener, put before node's, hands the
    // socket to onSession, which needs it to drop a peer that will not close.
    server.prependListener(this.options.tls === undefined ? 'connection' : 'secureConnection', this.onSocket);
    this.startSweeps();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.removeListener('error', reject);
        // Never an 'error' without a listener: that would throw and end the process.
        if (this.options.logger !== undefined) logListenerErrors(server, this.options.logger, 'gRPC');
        else server.on('error', () => undefined);
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  /**
   * Graceful stop: accepts no new connections, sends GOAWAY on every connection, and calls
   * `callback` once the calls in flight have finished and every connection has closed.
   */
  tryShutdown(callback: () => void): void {
    const server = this.server;
    if (server === undefined) {
      process.nextTick(callback);
      return;
    }
    for (const session of this.sessions) if (!session.closed) session.close();
    server.close(() => {
      this.stopSweeps?.();
      callback();
    });
  }

  /** Immediate stop: cancels every call in flight and closes every connection. */
  forceShutdown(): void {
    for (const session of this.sessions) session.destroy(undefined, http2.constants.NGHTTP2_CANCEL);
    this.sessions.clear();
    this.stopSweeps?.();
    if (this.server?.listening === true) this.server.close();
  }

  private createHttp2Server(): Http2Server | Http2SecureServer {
    const common: ServerOptions = {
      // As grpc-js: node's 10 MB session memory cap degrades badly under load, and large
      // tensors go through here; the message limits and flow-control windows are the guard.
      // Re-measured with the stream ceilings (call-limit.ts): a 10 MB cap still let 1,000 idle
      // streams open per connection (it counts nghttp2's memory, not the call objects, ~8 KB a
      // stream), so it bounds nothing SETTINGS_MAX_CONCURRENT_STREAMS does not already bound.
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
      maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
      settings: {
        initialWindowSize: STREAM_WINDOW_BYTES,
        ...(this.options.maxConcurrentStreams !== undefined
          ? { maxConcurrentStreams: this.options.maxConcurrentStreams }
          : {}),
      },
    };

    const tls = this.options.tls;
    if (tls === undefined) return http2.createServer(common);
    const secure: SecureServerOptions = {
      ...common,
      cert: tls.cert,
      key: tls.key,
      ALPNProtocols: ['h2'],
      allowHTTP1: false,
      // A client that connects and never finishes the handshake is dropped as one that never sends the preface.
      handshakeTimeout: this.limits.prefaceTimeoutMs,
      ...(tls.requireClientCert
        ? { requestCert: true, rejectUnauthorized: true, ...(tls.rootCerts ? { ca: tls.rootCerts } : {}) }
        : {}),
    };
    const server = http2.createSecureServer(secure);
    // Handshake failures (no or a bad client certificate) are the client's problem, not a crash.
    server.on('tlsClientError', (err) => this.options.logger?.debug({ err }, 'gRPC TLS handshake failed'));
    server.on('secureConnection', (socket: TLSSocket) => socket.on('error', ignoreStreamError));
    return server;
  }

  /** One sweep for all connections: the transfer limits of each (ConnectionGuard.sweep). */
  private startSweeps(): void {
    const period = sweepPeriodMs(this.transfer);
    if (period === undefined) return;
    const clock = this.options.clock ?? backgroundClock;
    this.stopSweeps = startSweeps(clock, period, () => {
      const nowNs = clock.nowNs();
      for (const session of this.sessions) (session as GuardedSession)[GUARD]?.sweep(nowNs);
    });
  }

  private readonly onSocket = (socket: Socket): void => {
    this.arriving = socket;
  };

  private readonly onSession = (session: ServerHttp2Session): void => {
    const socket = this.arriving;
    this.arriving = undefined;
    this.sessions.add(session);
    (session as GuardedSession)[GUARD] = new ConnectionGuard(
      session,
      socket,
      this.limits,
      this.options.clock ?? backgroundClock,
      this.options.logger,
      this.transfer,
    );
    session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
    session.on('error', (err) => this.options.logger?.debug({ err }, 'gRPC connection error'));
    session.once('close', () => this.sessions.delete(session));
  };

  private readonly onCallClosed = (): void => {
    this.options.callLimit?.close();
  };

  /** Every call starts here: check the request line, find the method, hand over to a call object. */
  private readonly onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    stream.on('error', ignoreStreamError);
    // Already reset by the client: respond() would throw (see CallTransport.streamGone).
    if (stream.closed || stream.destroyed) return;
    const calls = this.options.callLimit;
    if (calls !== undefined) {
      if (!calls.tryOpen()) {
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      stream.on('close', this.onCallClosed);
    }
    const guard = (stream.session as GuardedSession | undefined)?.[GUARD];
    const contentType = headers['content-type'];
    if (
      headers[':method'] !== 'POST' ||
      typeof contentType !== 'string' ||
      !contentType.startsWith('application/grpc')
    ) {
      guard?.streamSeen(stream.id ?? 0);
      guard?.sent();
      stream.respond(UNSUPPORTED_MEDIA_TYPE, END_STREAM);
      stream.resume();
      return;
    }
    const path = headers[':path'] ?? '';
    const method = this.methods.get(path);
    if (method === undefined) {
      guard?.streamSeen(stream.id ?? 0);
      guard?.sent();
      stream.respond(
        trailersOnlyHeaders(GrpcStatus.UNIMPLEMENTED, `The server does not implement the method ${path}`),
        END_STREAM,
      );
      stream.resume();
      return;
    }
    if (method.kind === 'unary' || method.kind === 'serverStream') {
      new NativeUnaryCall(method, stream, headers, this.messageLimits, guard);
      return;
    }
    const call = new NativeDuplexCall(new CallTransport(method, stream, headers, this.messageLimits, guard));
    call.start();
    try {
      if (method.kind === 'clientStream') method.handler(call, clientStreamCallback(call));
      else method.handler(call);
    } catch (err) {
      call.endWith({ code: GrpcStatus.UNKNOWN, details: `Server method handler threw error ${String(err)}` });
    }
  };
}
