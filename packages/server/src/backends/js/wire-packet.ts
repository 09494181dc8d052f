/**
 * The flat packet format of the hot path between a js-backend instance and its worker thread.
 *
 * A packet is one array of primitives (`meta`) plus a few ArrayBuffers moved with it in the
 * postMessage transfer list. Small tensors are copied into shared chunks (one chunk holds many
 * tensors, 8-byte aligned so typed-array views need no copy); tensors of
 * {@link PACK_THRESHOLD_BYTES} or more travel in a buffer of their own, as before. Structured
 * clone then handles one flat array and a handful of buffers per packet instead of a tree of
 * small objects and one buffer per tensor, which measured about five times cheaper per request.
 * Hand-written because it is a private format between two halves of this backend.
 */
import type { DataType } from '@tensorgate/protocol';
import type { WireTensor } from './worker-messages.js';

/** One element of a packet's `meta` array. Objects appear only as (rare) parameter maps. */
export type WireValue = string | number | boolean | null | Readonly<Record<string, unknown>>;

/** A packet as posted: the flat metadata and the buffers its tensors live in (all transferred). */
export interface Packet {
  readonly type: 'packet';
  readonly meta: WireValue[];
  readonly buffers: ArrayBuffer[];
}

/** Tensors at least this large get a buffer of their own (as large outputs are transferred). */
export const PACK_THRESHOLD_BYTES = 64 * 1024;
/**
 * Smallest shared chunk. A packet's first chunk is sized after what the previous packet used,
 * each further chunk doubles, up to {@link PACK_THRESHOLD_BYTES}. Right-sized chunks matter:
 * every packet allocates one, and external memory held by ArrayBuffers drives how often V8
 * collects garbage.
 */
const MIN_CHUNK_BYTES = 512;
/** Tensors start at multiples of 8 bytes so every typed-array view over them is aligned. */
const ALIGN = 8;

/**
 * Builds one packet. Writers append values in a fixed order that the matching reader takes back;
 * {@link take} hands the packet over and starts a fresh one.
 *
 * @example
 * ```ts
 * const p = new WirePacker();
 * p.push(1, 'x');
 * p.tensor({ name: 'X', datatype: 'FP32', shape: [2], data });
 * port.postMessage(p.take(), p.lastTransfer);
 * ```
 */
export class WirePacker {
  private meta: WireValue[] = [];
  private buffers: ArrayBuffer[] = [];
  private chunk: Uint8Array | undefined;
  private chunkIndex = -1;
  private used = 0;
  private nextChunkBytes = MIN_CHUNK_BYTES;
  /** Chunk bytes used by this packet so far (sizes the next packet's first chunk). */
  private chunkBytesUsed = 0;

  /** True when nothing was written since the last {@link take}. */
  get empty(): boolean {
    return this.meta.length === 0;
  }

  /** Appends plain values. */
  push(...values: WireValue[]): void {
    for (const v of values) this.meta.push(v);
  }

  /** Appends one value (the allocation-free form of {@link push}). */
  value(v: WireValue): void {
    this.meta.push(v);
  }

  /**
   * Appends a tensor: name, datatype, shape and where its bytes are. Small data is copied into
   * the shared chunk now (the caller may reuse its array afterwards); `transfer`, when given, is
   * `data`'s own whole buffer and moves to the other thread as it is.
   */
  tensor(t: WireTensor, transfer?: ArrayBuffer): void {
    const m = this.meta;
    m.push(t.name, t.datatype, t.shape.length);
    for (const d of t.shape) m.push(d);
    this.bytes(t.data, transfer);
  }

  /** Appends the location of `data` (buffer index, offset, length), copying or transferring it. */
  bytes(data: Uint8Array, transfer?: ArrayBuffer): void {
    const m = this.meta;
    const n = data.byteLength;
    if (transfer !== undefined) {
      // Several tensors may live in one transferred buffer: list it once.
      const known = this.buffers.indexOf(transfer);
      m.push(known >= 0 ? known : this.buffers.push(transfer) - 1, data.byteOffset, n);
    } else if (n >= PACK_THRESHOLD_BYTES) {
      // A buffer of its own, exactly sized: it can move again (e.g. an identity model's output).
      const own = new Uint8Array(n);
      own.set(data);
      m.push(this.buffers.push(own.buffer) - 1, 0, n);
    } else {
      const offset = this.reserve(n);
      this.chunk!.set(data, offset);
      m.push(this.chunkIndex, offset, n);
    }
  }

  /**
   * Copies `data` into the shared chunk at once and returns the copy, a view that {@link bytes}
   * recognizes (no second copy). For encoders that must copy before returning to user code.
   */
  copy(data: Uint8Array): Uint8Array {
    const n = data.byteLength;
    const offset = this.reserve(n);
    const view = this.chunk!.subarray(offset, offset + n);
    view.set(data);
    return view;
  }

  /** Appends a view made by {@link copy} (or any other data) without copying it twice. */
  copied(data: Uint8Array): void {
    const index = this.chunk === undefined ? -1 : this.buffers.lastIndexOf(data.buffer as ArrayBuffer);
    if (index >= 0) {
      this.meta.push(index, data.byteOffset, data.byteLength);
    } else {
      this.bytes(data);
    }
  }

  /** The packet written so far, leaving this packer empty; transfer `packet.buffers`. */
  take(): Packet {
    const packet: Packet = { type: 'packet', meta: this.meta, buffers: this.buffers };
    this.meta = [];
    this.buffers = [];
    this.chunk = undefined;
    this.chunkIndex = -1;
    this.used = 0;
    let size = MIN_CHUNK_BYTES;
    while (size < this.chunkBytesUsed && size < PACK_THRESHOLD_BYTES) size *= 2;
    this.nextChunkBytes = size;
    this.chunkBytesUsed = 0;
    return packet;
  }

  /** Room for `n` bytes in the current chunk (a new one when full); returns the offset. */
  private reserve(n: number): number {
    this.chunkBytesUsed += n + ALIGN;
    const start = (this.used + ALIGN - 1) & ~(ALIGN - 1);
    if (this.chunk === undefined || start + n > this.chunk.byteLength) {
      this.chunk = new Uint8Array(Math.max(this.nextChunkBytes, n));
      this.nextChunkBytes = Math.min(this.nextChunkBytes * 2, PACK_THRESHOLD_BYTES);
      this.chunkIndex = this.buffers.push(this.chunk.buffer as ArrayBuffer) - 1;
      this.used = n;
      return 0;
    }
    this.used = start + n;
    return start;
  }
}

/**
 * Reads a packet back, value by value, in the order it was written. Tensors come back as views
 * over the transferred buffers (no copy).
 *
 * @example
 * ```ts
 * const r = new WireReader(packet);
 * while (!r.done) { const op = r.number(); ... }
 * ```
 */
export class WireReader {
  private pos = 0;

  constructor(private readonly packet: Packet) {}

  /** True once every value was read. */
  get done(): boolean {
    return this.pos >= this.packet.meta.length;
  }

  /** The next value, as written. */
  value(): WireValue {
    return this.packet.meta[this.pos++]!;
  }

  number(): number {
    return this.packet.meta[this.pos++] as number;
  }

  string(): string {
    return this.packet.meta[this.pos++] as string;
  }

  boolean(): boolean {
    return this.packet.meta[this.pos++] as boolean;
  }

  /** A tensor written by {@link WirePacker.tensor}. */
  tensor(): WireTensor {
    const name = this.string();
    const datatype = this.string() as DataType;
    const rank = this.number();
    const shape = new Array<number>(rank);
    for (let i = 0; i < rank; i++) shape[i] = this.number();
    return { name, datatype, shape, data: this.bytes() };
  }

  /** Bytes written by {@link WirePacker.bytes}: a view over the packet's buffer. */
  bytes(): Uint8Array {
    const buffer = this.packet.buffers[this.number()]!;
    const offset = this.number();
    return new Uint8Array(buffer, offset, this.number());
  }
}
