/**
 * A raw HTTP/2 connection over a plain TCP socket for wire tests of what node's own client never
 * does: stop after half a preface, withhold PING acknowledgements, ignore GOAWAY. It writes
 * frames byte by byte as given and records every frame the server sends.
 */
import net from 'node:net';
import { once } from 'node:events';

/** The client connection preface (RFC 9113 §3.4). */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Frame types used here. */
export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8 } as const;

/** Frame flags used here. */
export const FLAG = { END_STREAM: 1, END_HEADERS: 4 } as const;

/** HTTP/2 error codes used here. */
export const H2_ERROR = { NO_ERROR: 0, ENHANCE_YOUR_CALM: 0xb } as const;

/** One received frame. */
export interface RawFrame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** Encodes one frame. */
export function encodeFrame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1). */
function hpackInteger(value: number, prefixBits: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [value];
  const out = [max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

/** A header block of literal fields without indexing and without Huffman coding (RFC 7541 §6.2.2). */
export function headerBlock(headers: ReadonlyArray<readonly [string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of headers) {
    parts.push(Buffer.from([0]));
    for (const text of [name, value]) {
      const bytes = Buffer.from(text, 'latin1');
      parts.push(Buffer.from(hpackInteger(bytes.length, 7)), bytes);
    }
  }
  return Buffer.concat(parts);
}

/** A SETTINGS frame with these (identifier, value) pairs, e.g. `[[4, 0]]` for SETTINGS_INITIAL_WINDOW_SIZE 0. */
export function settingsFrame(pairs: ReadonlyArray<readonly [number, number]>): Buffer {
  const payload = Buffer.alloc(6 * pairs.length);
  pairs.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return encodeFrame(FRAME.SETTINGS, 0, 0, payload);
}

/** The HEADERS frame (END_HEADERS) opening a gRPC call to `path` on stream `streamId`. */
export function grpcRequestHeaders(streamId: number, path: string, extra: Array<[string, string]> = []): Buffer {
  return encodeFrame(
    FRAME.HEADERS,
    FLAG.END_HEADERS,
    streamId,
    headerBlock([
      [':method', 'POST'],
      [':scheme', 'http'],
      [':path', path],
      [':authority', '127.0.0.1'],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
      ...extra,
    ]),
  );
}

/** An empty SETTINGS frame (what a client sends right after the preface). */
export const EMPTY_SETTINGS = encodeFrame(FRAME.SETTINGS, 0, 0);

/** The GOAWAY fields of a frame. */
export function goawayOf(frame: RawFrame): { lastStreamId: number; errorCode: number; debugData: string } {
  return {
    lastStreamId: frame.payload.readUInt32BE(0) & 0x7fffffff,
    errorCode: frame.payload.readUInt32BE(4),
    debugData: frame.payload.subarray(8).toString('latin1'),
  };
}

/** A raw client connection. */
export class RawH2Connection {
  readonly frames: RawFrame[] = [];
  /** Resolves when the server closed the connection (FIN or reset). */
  readonly closed: Promise<void>;
  isClosed = false;
  /** True once the socket is gone altogether (after our side was reset or destroyed). */
  isGone = false;
  private pending = Buffer.alloc(0);

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => (this.isGone = true));
    this.closed = new Promise((resolve) => {
      const done = (): void => {
        this.isClosed = true;
        resolve();
      };
      socket.once('end', done);
      socket.once('close', done);
    });
  }

  /**
   * Opens a TCP connection to 127.0.0.1:port. `allowHalfOpen` keeps our side open after the
   * server's FIN, as a client that ignores it would.
   */
  static async connect(port: number): Promise<RawH2Connection> {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    await once(socket, 'connect');
    // A half-open socket the server gave up on must not keep the test process alive.
    socket.unref();
    return new RawH2Connection(socket);
  }

  /** Writes bytes as they are. */
  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Frames of `type` received so far. */
  framesOf(type: number): RawFrame[] {
    return this.frames.filter((f) => f.type === type);
  }

  /**
   * After the server's FIN, our side is still open (`allowHalfOpen`): resolves once the server
   * has dropped the socket, which the next byte we write then shows (it is answered with a reset).
   */
  async dropped(attempts = 100): Promise<void> {
    for (let i = 0; i < attempts && !this.isGone; i++) {
      if (this.socket.writable) this.socket.write(encodeFrame(FRAME.PING, 0, 0, Buffer.alloc(8)));
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!this.isGone) throw new Error('the server kept the connection');
  }

  /** Destroys our side. */
  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 9) {
      const length = this.pending.readUIntBE(0, 3);
      if (this.pending.length < 9 + length) return;
      this.frames.push({
        type: this.pending[3]!,
        flags: this.pending[4]!,
        streamId: this.pending.readUInt32BE(5) & 0x7fffffff,
        payload: Buffer.from(this.pending.subarray(9, 9 + length)),
      });
      this.pending = this.pending.subarray(9 + length);
    }
  }
}
