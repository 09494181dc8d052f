/**
 * Decompression bombs and a raw HTTP/2 gRPC caller to deliver them, for the wire tests and the
 * stress script (test/stress/decompression-bombs.mjs). A good gRPC client compresses what it
 * serializes; a bomb must be sent as crafted bytes, so these calls frame messages themselves.
 *
 * The bombs are built in milliseconds instead of compressing 1 GiB of zeros (seconds): a gzip
 * stream may hold many members, each 1 MiB of zeros (~1 KB), and a zlib (`deflate`) stream can
 * chain sync-flushed (byte-aligned) deflate blocks of 1 MiB of zeros, closed by a final empty block
 * and the Adler-32 of N zero bytes, which is ((N mod 65521) << 16) | 1.
 */
import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { constants, deflateRawSync, gzipSync } from 'node:zlib';

const MIB = 1024 * 1024;

/** A gzip body of ~1 KB per MiB that inflates to `mib` MiB of zeros. */
export function gzipBomb(mib: number): Buffer {
  const member = gzipSync(Buffer.alloc(MIB), { level: 9 });
  return Buffer.concat(Array.from({ length: mib }, () => member));
}

/** A zlib-format (HTTP / gRPC `deflate`) body of ~1 KB per MiB that inflates to `mib` MiB of zeros. */
export function deflateBomb(mib: number): Buffer {
  const block = deflateRawSync(Buffer.alloc(MIB), { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  const last = deflateRawSync(Buffer.alloc(0));
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((mib * MIB) % 65521) * 65536 + 1) >>> 0);
  return Buffer.concat([Buffer.of(0x78, 0xda), ...Array.from({ length: mib }, () => block), last, adler]);
}

/** A gRPC length-prefixed message; `compressed` sets the flag (the payload is sent as given). */
export function grpcFrame(payload: Uint8Array, compressed: boolean): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed ? 1 : 0;
  prefix.writeUInt32BE(payload.length, 1);
  return Buffer.concat([prefix, payload]);
}

/** How a raw gRPC call ended. */
export interface RawGrpcEnd {
  /** `grpc-status` (trailers, or the headers of a Trailers-Only answer); undefined if none came. */
  readonly grpcStatus: number | undefined;
  /** `grpc-message`, percent-decoded. */
  readonly grpcMessage: string;
  /** Response messages, unframed, in order. */
  readonly messages: Buffer[];
}

/** A raw gRPC call in progress: write frames, read response messages as they come, await its end. */
export interface RawGrpcCall {
  write(frame: Buffer): void;
  /** Half-closes the request side. */
  end(): void;
  /** Resolves with the next response message (or undefined once the call ended without one). */
  nextMessage(): Promise<Buffer | undefined>;
  readonly ended: Promise<RawGrpcEnd>;
}

/** Opens a plaintext HTTP/2 connection to 127.0.0.1:port (errors ignored: calls report their end). */
export function connectH2(port: number): ClientHttp2Session {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  return session;
}

/** Starts a call of `path` with `grpc-encoding: encoding`. */
export function rawGrpcCall(session: ClientHttp2Session, path: string, encoding: string): RawGrpcCall {
  const stream: ClientHttp2Stream = session.request({
    ':method': 'POST',
    ':path': path,
    'content-type': 'application/grpc',
    te: 'trailers',
    'grpc-encoding': encoding,
  });
  stream.on('error', () => undefined);
  const messages: Buffer[] = [];
  const waiters: Array<(m: Buffer | undefined) => void> = [];
  let delivered = 0;
  let pending = Buffer.alloc(0);
  let headers: IncomingHttpHeaders = {};
  let trailers: IncomingHttpHeaders = {};
  let closed = false;
  stream.on('response', (h) => (headers = h));
  stream.on('trailers', (t) => (trailers = t));
  stream.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
      const length = pending.readUInt32BE(1);
      messages.push(pending.subarray(5, 5 + length));
      pending = pending.subarray(5 + length);
      const waiter = waiters.shift();
      if (waiter) waiter(messages[delivered++]);
    }
  });
  const ended = new Promise<RawGrpcEnd>((resolve) => {
    // The response is over once the server's side ended (its trailers came) even where this side
    // has not half-closed: the stream is then closed from here.
    const finish = (): void => {
      if (closed) return;
      closed = true;
      for (const waiter of waiters.splice(0)) waiter(undefined);
      const status = trailers['grpc-status'] ?? headers['grpc-status'];
      const message = trailers['grpc-message'] ?? headers['grpc-message'];
      resolve({
        grpcStatus: status === undefined ? undefined : Number(status),
        grpcMessage: typeof message === 'string' ? decodeURIComponent(message) : '',
        messages,
      });
      if (!stream.closed) stream.close();
    };
    stream.on('end', finish);
    stream.on('close', finish);
  });
  return {
    write: (frame) => void stream.write(frame),
    end: () => void stream.end(),
    nextMessage: () =>
      delivered < messages.length
        ? Promise.resolve(messages[delivered++])
        : closed
          ? Promise.resolve(undefined)
          : new Promise((resolve) => waiters.push(resolve)),
    ended,
  };
}

/**
 * Samples this process's resident set size every `everyMs` until `stop()`, for a bound on what a
 * burst of work cost; returns the largest growth over the RSS at the start, in bytes.
 */
export function sampleRssGrowth(everyMs = 5): { stop(): number } {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return peak - base;
    },
  };
}
