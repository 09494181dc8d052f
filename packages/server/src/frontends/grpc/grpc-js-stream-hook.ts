/**
 * The server-wide limits of the grpc-js transport that grpc-js has no option for: the ceiling on
 * open calls (`call-limit.ts`) and the decompression budget (`../inflate-budget.ts`). Both must act
 * before grpc-js does: a refused stream must never reach it, and grpc-js inflates a compressed
 * message inside its call object (@grpc/grpc-js 1.14 `server-interceptors.ts` decompressMessage),
 * where nothing of ours runs until the whole message is inflated. Its public interceptors see the
 * message only after that, and without the call's `grpc-encoding` (removed from the metadata).
 *
 * So tensorgate takes the node:http2 server grpc-js creates for its connection injector (the one
 * `grpc-js-listener.ts` feeds) and puts its own `'stream'` listener in front of grpc-js':
 *
 * - a stream past `--grpc-max-concurrent-calls` is closed with `REFUSED_STREAM` and grpc-js never
 *   sees it;
 * - on a call with `grpc-encoding` gzip or deflate, a `'data'` listener ahead of grpc-js' own reads
 *   the message prefixes. When a compressed message is complete (grpc-js starts inflating it on the
 *   same chunk), it reserves the most that message can inflate to ({@link worstCaseOutput}: 1032
 *   times its size, at most the receive limit); grpc-js' output cannot be capped at a smaller
 *   reservation, so a message the budget cannot cover whole fails the call at once with
 *   RESOURCE_EXHAUSTED (Trailers-Only, or `RST_STREAM` `ENHANCE_YOUR_CALM`, which gRPC clients read
 *   as RESOURCE_EXHAUSTED, once response headers went out) before grpc-js reads it. grpc-js pauses
 *   the stream for every message it takes and reads on only once that message was inflated and
 *   handed to the handler, so the reservation is returned on the stream's next `'data'` or its
 *   `'close'`. Not on `'end'`: a stream whose last DATA frame ends it emits `'end'` while grpc-js is
 *   still inflating that message (50 concurrent bombs went through unbounded that way), so a
 *   compressed unary call holds its reservation until it ends.
 *
 * The server is found in grpc-js' private `http2Servers` map (checked against 1.14.7): the one
 * entry {@link hookGrpcJsStreams} sees appear while the injector is created. Should a grpc-js
 * release change that, the transport refuses to start with an error saying so, rather than run
 * without these limits.
 */
import http2, { type Http2Server, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { status as GrpcStatus, type Server as GrpcJsServer } from '@grpc/grpc-js';
import { type InflateBudget, worstCaseOutput } from '../inflate-budget.js';
import type { CallLimit } from './call-limit.js';
import { MESSAGE_PREFIX_BYTES } from './native/grpc-framing.js';
import { trailersOnlyHeaders } from './native/grpc-headers.js';

/** What {@link hookGrpcJsStreams} enforces. */
export interface GrpcJsStreamLimits {
  /** The server-wide ceiling on open calls; none when omitted. */
  readonly callLimit?: CallLimit | undefined;
  /** The server-wide decompression budget; none when omitted. */
  readonly inflateBudget?: InflateBudget | undefined;
  /** The receive limit (`grpc.max_receive_message_length`): grpc-js refuses longer messages unread. */
  readonly receiveLimit: number;
}

type StreamListener = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) => void;

function privateServers(server: GrpcJsServer): Map<unknown, unknown> {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map)) {
    throw new Error(
      "@grpc/grpc-js no longer keeps its node:http2 servers where tensorgate looks for them (private 'http2Servers', " +
        '@grpc/grpc-js 1.14); the grpc-js transport cannot enforce --grpc-max-concurrent-calls and ' +
        '--decompression-budget-bytes with this version. Use --grpc-transport native, or @grpc/grpc-js 1.14',
    );
  }
  return servers;
}

/**
 * Creates the connection injector of `server` through `create` and puts the limits in front of
 * grpc-js on the node:http2 server behind it; returns what `create` returned and that server (for
 * `grpc-js-transfers.ts` to watch too).
 *
 * @example
 * ```ts
 * const { created: injector } = hookGrpcJsStreams(server, () => server.createConnectionInjector(creds), limits);
 * ```
 */
export function hookGrpcJsStreams<T>(
  server: GrpcJsServer,
  create: () => T,
  limits: GrpcJsStreamLimits,
): { created: T; http2Server: Http2Server } {
  const before = new Set(privateServers(server).keys());
  const created = create();
  const added = [...privateServers(server).keys()].filter((s) => !before.has(s));
  const h2 = added[0];
  if (added.length !== 1 || !isHttp2Server(h2)) {
    throw new Error(
      `@grpc/grpc-js created ${added.length} node:http2 servers for one connection injector (expected 1); ` +
        'tensorgate cannot enforce its gRPC limits on it. Use --grpc-transport native, or @grpc/grpc-js 1.14',
    );
  }
  const server2 = h2 as Http2Server;
  const grpcJs = server2.listeners('stream') as StreamListener[];
  server2.removeAllListeners('stream');
  const { callLimit, inflateBudget } = limits;
  const onCallClosed = (): void => callLimit?.close();
  server2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) => {
    if (callLimit !== undefined && !stream.closed && !stream.destroyed) {
      if (!callLimit.tryOpen()) {
        stream.on('error', () => undefined);
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      stream.on('close', onCallClosed);
    }
    for (const listener of grpcJs) listener.call(server2, stream, headers, ...rest);
    const coding = headers['grpc-encoding'];
    if (inflateBudget !== undefined && (coding === 'gzip' || coding === 'deflate') && !stream.closed) {
      new CompressedMessageWatch(stream, inflateBudget, limits.receiveLimit);
    }
  });
  return { created, http2Server: server2 };
}

function isHttp2Server(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Http2Server).listeners === 'function' &&
    typeof (value as Http2Server).setTimeout === 'function'
  );
}

/**
 * Reads the message prefixes of one compressed call ahead of grpc-js and holds the budget for the
 * messages grpc-js is inflating; see the file comment.
 */
class CompressedMessageWatch {
  private readonly prefix = Buffer.alloc(MESSAGE_PREFIX_BYTES);
  private prefixBytes = 0;
  private compressed = false;
  private length = 0;
  /** Body bytes of the current message still to come (after its prefix). */
  private missing = 0;
  private reserved = 0;
  private stopped = false;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly budget: InflateBudget,
    private readonly receiveLimit: number,
  ) {
    // Ahead of grpc-js' own listener (prependListener does not switch the stream to flowing).
    stream.prependListener('data', this.onData);
    stream.once('close', this.releaseAll);
  }

  private readonly releaseAll = (): void => {
    this.budget.release(this.reserved);
    this.reserved = 0;
  };

  private readonly onData = (chunk: Buffer): void => {
    // grpc-js read on: whatever it was inflating is done.
    this.releaseAll();
    // A message over the limit is refused by grpc-js unread; a finished call inflates nothing more.
    if (this.stopped || this.stream.writableEnded) return;
    let at = 0;
    while (at < chunk.length) {
      if (this.prefixBytes < MESSAGE_PREFIX_BYTES) {
        const take = Math.min(MESSAGE_PREFIX_BYTES - this.prefixBytes, chunk.length - at);
        chunk.copy(this.prefix, this.prefixBytes, at, at + take);
        this.prefixBytes += take;
        at += take;
        if (this.prefixBytes < MESSAGE_PREFIX_BYTES) return;
        this.compressed = this.prefix[0] === 1;
        this.length = this.prefix.readUInt32BE(1);
        this.missing = this.length;
        if (this.length > this.receiveLimit) {
          this.stopped = true;
          return;
        }
      } else {
        const take = Math.min(this.missing, chunk.length - at);
        this.missing -= take;
        at += take;
      }
      if (this.missing === 0) {
        this.prefixBytes = 0;
        if (this.compressed && !this.reserve(worstCaseOutput(this.length, this.receiveLimit))) return;
      }
    }
  };

  private reserve(bytes: number): boolean {
    if (this.budget.reserveAll(bytes)) {
      this.reserved += bytes;
      return true;
    }
    this.stopped = true;
    const details = this.budget.busy().message;
    this.releaseAll();
    const stream = this.stream;
    if (!stream.headersSent) {
      stream.respond(trailersOnlyHeaders(GrpcStatus.RESOURCE_EXHAUSTED, details), { endStream: true });
      // Closed at once (the RST_STREAM NO_ERROR follows the status): grpc-js, next on this chunk, leaves it.
      stream.close(http2.constants.NGHTTP2_NO_ERROR);
    } else {
      stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    }
    return false;
  }
}
