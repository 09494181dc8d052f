/**
 * gRPC message framing (PROTOCOL-HTTP2 "Length-Prefixed-Message"): each message is a 1-byte
 * compressed flag, a 4-byte big-endian length and the message bytes. DATA frames do not follow
 * message boundaries: one message may span many frames and one frame may hold several messages.
 *
 * {@link MessageReader} reassembles messages from DATA chunks with one Buffer per message and no
 * copy when a small message arrives whole in one chunk (the common case for ModelInfer). Larger
 * messages are copied into a buffer of their own: the core may move (transfer) large input buffers
 * to worker threads (`inputBuffersOwned`), and node:http2's chunks are views of a shared read buffer.
 * Memory follows what arrived, never only what a prefix declares: up to
 * {@link PREALLOCATE_MAX_BYTES} the buffer is allocated when the prefix arrives; a larger message's
 * chunks are kept (as views) until it is complete and then copied into its buffer once. With the
 * declared length allocated up front, 2,000 streams that each sent a 5-byte prefix declaring
 * 65 MiB made the server reserve ~90 GB of address space and slowed every request by seconds.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { WireStatusError } from './wire-status.js';

/** Bytes of the prefix before each message: the compressed flag and the length. */
export const MESSAGE_PREFIX_BYTES = 5;
/** A message up to this size that arrives whole in one chunk is handed on as a view of it. */
export const ZERO_COPY_MAX_BYTES = 16 * 1024;
/** A message up to this size gets its buffer when its prefix arrives; larger ones when complete. */
export const PREALLOCATE_MAX_BYTES = 64 * 1024;

/**
 * Frames one serialized message (uncompressed) for a DATA frame.
 *
 * @example
 * ```ts
 * stream.write(frameMessage(type.encode(msg).finish()));
 * ```
 */
export function frameMessage(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(MESSAGE_PREFIX_BYTES + payload.length);
  frame[0] = 0;
  frame.writeUInt32BE(payload.length, 1);
  frame.set(payload, MESSAGE_PREFIX_BYTES);
  return frame;
}

/**
 * The 5-byte prefix alone, for a large message written as prefix + payload (no copy of the payload).
 *
 * @example
 * ```ts
 * stream.write(messagePrefix(payload.length)); stream.end(payload);
 * ```
 */
export function messagePrefix(length: number): Buffer {
  const prefix = Buffer.allocUnsafe(MESSAGE_PREFIX_BYTES);
  prefix[0] = 0;
  prefix.writeUInt32BE(length, 1);
  return prefix;
}

/** Receives each reassembled message of a {@link MessageReader}. */
export interface FrameSink {
  /** One whole message; `compressed` is its flag (the payload is still compressed then). */
  onFrame(compressed: boolean, payload: Buffer): void;
}

/**
 * Incremental parser of length-prefixed messages. Throws {@link WireStatusError}: RESOURCE_EXHAUSTED
 * for a length over `maxBytes` (before buffering anything of it), INTERNAL for a flag other than 0 or 1.
 *
 * @example
 * ```ts
 * const reader = new MessageReader(4 * 1024 * 1024);
 * stream.on('data', (chunk) => reader.push(chunk, sink));
 * stream.on('end', () => { if (!reader.idle) fail('truncated message'); });
 * ```
 */
export class MessageReader {
  /** Prefix bytes of the current message seen so far; {@link MESSAGE_PREFIX_BYTES} while reading its body. */
  private prefixBytes = 0;
  /** Only allocated when a prefix straddles two chunks. */
  private prefix: Buffer | undefined;
  private compressed = false;
  /** The message's buffer, for a message up to {@link PREALLOCATE_MAX_BYTES}. */
  private body: Buffer | undefined;
  /** The chunks of a larger message so far (views of the received chunks). */
  private parts: Buffer[] | undefined;
  private bodyLength = 0;
  private filled = 0;

  constructor(private readonly maxBytes: number) {}

  /** True between messages: a stream that ends now ended cleanly. */
  get idle(): boolean {
    return this.prefixBytes === 0;
  }

  /** Bytes still missing from the current message (0 when idle), for error messages. */
  get missingBytes(): number {
    if (this.prefixBytes < MESSAGE_PREFIX_BYTES)
      return this.prefixBytes === 0 ? 0 : MESSAGE_PREFIX_BYTES - this.prefixBytes;
    return this.bodyLength - this.filled;
  }

  /** Feeds one DATA chunk; calls `sink.onFrame` for each message it completes. */
  push(chunk: Buffer, sink: FrameSink): void {
    const n = chunk.length;
    let at = 0;
    while (at < n) {
      if (this.prefixBytes === 0 && n - at >= MESSAGE_PREFIX_BYTES) {
        const length = this.startMessage(chunk[at]!, chunk.readUInt32BE(at + 1));
        at += MESSAGE_PREFIX_BYTES;
        if (length <= ZERO_COPY_MAX_BYTES && length <= n - at) {
          sink.onFrame(this.compressed, chunk.subarray(at, at + length));
          at += length;
          continue;
        }
        this.openBody(length);
      } else if (this.prefixBytes < MESSAGE_PREFIX_BYTES) {
        const prefix = (this.prefix ??= Buffer.allocUnsafe(MESSAGE_PREFIX_BYTES));
        const take = Math.min(MESSAGE_PREFIX_BYTES - this.prefixBytes, n - at);
        chunk.copy(prefix, this.prefixBytes, at, at + take);
        this.prefixBytes += take;
        at += take;
        if (this.prefixBytes < MESSAGE_PREFIX_BYTES) return;
        this.prefixBytes = 0;
        this.openBody(this.startMessage(prefix[0]!, prefix.readUInt32BE(1)));
      } else {
        const take = Math.min(this.bodyLength - this.filled, n - at);
        if (this.body !== undefined) chunk.copy(this.body, this.filled, at, at + take);
        else this.parts!.push(chunk.subarray(at, at + take));
        this.filled += take;
        at += take;
      }
      if (this.prefixBytes === MESSAGE_PREFIX_BYTES && this.filled === this.bodyLength) this.finishBody(sink);
    }
  }

  private startMessage(flag: number, length: number): number {
    if (flag > 1)
      throw new WireStatusError(GrpcStatus.INTERNAL, `Invalid compressed flag ${flag} on a received message`);
    if (length > this.maxBytes) {
      throw new WireStatusError(
        GrpcStatus.RESOURCE_EXHAUSTED,
        `Received message larger than max (${length} vs. ${this.maxBytes})`,
      );
    }
    this.compressed = flag === 1;
    return length;
  }

  private openBody(length: number): void {
    this.prefixBytes = MESSAGE_PREFIX_BYTES;
    this.bodyLength = length;
    this.filled = 0;
    if (length > PREALLOCATE_MAX_BYTES) {
      this.parts = [];
      return;
    }
    // A buffer of its own above the zero-copy size (never a slice of the shared pool).
    this.body = length > ZERO_COPY_MAX_BYTES ? Buffer.allocUnsafeSlow(length) : Buffer.allocUnsafe(length);
  }

  private finishBody(sink: FrameSink): void {
    let body = this.body;
    if (body === undefined) {
      // One copy into a buffer of its own (above the pool's size, so never a slice of it).
      const parts = this.parts!;
      body = parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts, this.bodyLength);
    }
    this.body = undefined;
    this.parts = undefined;
    this.prefixBytes = 0;
    sink.onFrame(this.compressed, body);
  }
}
