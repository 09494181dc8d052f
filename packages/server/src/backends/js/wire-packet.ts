/**
 * The flat packet format of the hot path between a js-backend instance and its worker thread.
 *
 * A packet is a stream of primitive values (wire-values.ts: one ArrayBuffer plus a small string
 * table) and the buffers its tensors live in, all moved with postMessage's transfer list. Small
 * tensors are copied into shared chunks (one chunk holds many tensors, 8-byte aligned so
 * typed-array views need no copy); tensors of {@link PACK_THRESHOLD_BYTES} or more travel in a
 * buffer of their own. Structured clone then handles a few buffers and a handful of short strings
 * per packet instead of a tree of objects (or an array of values) per request.
 * Hand-written because it is a private format between two halves of this backend.
 */
import type { DataType } from '@tensorgate/protocol';
import type { WireTensor } from './worker-messages.js';
import { ValueReader, ValueWriter, type WireValue, type WireValues } from './wire-values.js';

export type { WireObject, WireValue } from './wire-values.js';

/** A packet as posted: its values and the buffers its tensors live in; post it with `transfer`. */
export interface Packet extends WireValues {
  readonly type: 'packet';
  /** The buffers tensors live in (chunks and large tensors), indexed by the values. */
  readonly buffers: readonly ArrayBuffer[];
  /** The transfer list: `buffers` and the value stream. */
  readonly transfer: ArrayBuffer[];
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
 * const packet = p.take();
 * port.postMessage(packet, packet.transfer);
 * ```
 */
export class WirePacker {
  private readonly values = new ValueWriter();
  private buffers: ArrayBuffer[] = [];
  private chunk: Uint8Array | undefined;
  private chunkIndex = -1;
  private used = 0;
  private nextChunkBytes = MIN_CHUNK_BYTES;
  /** Chunk bytes used by this packet so far (sizes the next packet's first chunk). */
  private chunkBytesUsed = 0;

  /** True when nothing was written since the last {@link take}. */
  get empty(): boolean {
    return this.values.count === 0;
  }

  /** Appends plain values. */
  push(...values: WireValue[]): void {
    for (const v of values) this.values.value(v);
  }

  /** Appends one value (the allocation-free form of {@link push}). */
  value(v: WireValue): void {
    this.values.value(v);
  }

  /**
   * Appends a tensor: name, datatype, shape and where its bytes are. Small data is copied into
   * the shared chunk now (the caller may reuse its array afterwards); `transfer`, when given, is
   * `data`'s own whole buffer and moves to the other thread as it is.
   */
  tensor(t: WireTensor, transfer?: ArrayBuffer): void {
    const v = this.values;
    v.value(t.name);
    v.value(t.datatype);
    v.number(t.shape.length);
    for (const d of t.shape) v.number(d);
    this.bytes(t.data, transfer);
  }

  /** Appends the location of `data` (buffer index, offset, length), copying or transferring it. */
  bytes(data: Uint8Array, transfer?: ArrayBuffer): void {
    const n = data.byteLength;
    if (transfer !== undefined) {
      // Several tensors may live in one transferred buffer: list it once.
      const known = this.buffers.indexOf(transfer);
      this.location(known >= 0 ? known : this.buffers.push(transfer) - 1, data.byteOffset, n);
    } else if (n >= PACK_THRESHOLD_BYTES) {
      // A buffer of its own, exactly sized: it can move again (e.g. an identity model's output).
      const own = new Uint8Array(n);
      own.set(data);
      this.location(this.buffers.push(own.buffer) - 1, 0, n);
    } else {
      const offset = this.reserve(n);
      this.chunk!.set(data, offset);
      this.location(this.chunkIndex, offset, n);
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
      this.location(index, data.byteOffset, data.byteLength);
    } else {
      this.bytes(data);
    }
  }

  /** The packet written so far, leaving this packer empty; post it with `packet.transfer`. */
  take(): Packet {
    const values = this.values.take();
    const buffers = this.buffers;
    const transfer = buffers.slice();
    if (values.values.byteLength > 0) transfer.push(values.values);
    const packet: Packet = { type: 'packet', ...values, buffers, transfer };
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

  private location(buffer: number, offset: number, length: number): void {
    const v = this.values;
    v.number(buffer);
    v.number(offset);
    v.number(length);
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
  private readonly values: ValueReader;

  constructor(private readonly packet: Packet) {
    this.values = new ValueReader(packet);
  }

  /** True once every value was read. */
  get done(): boolean {
    return this.values.done;
  }

  /** The next value, as written. */
  value(): WireValue {
    return this.values.value();
  }

  /** The next value, which must be a number. */
  number(): number {
    return this.values.number();
  }

  /** The next value, which must be a string. */
  string(): string {
    return this.values.string();
  }

  /** The next value, which must be a boolean. */
  boolean(): boolean {
    return this.values.boolean();
  }

  /** A tensor written by {@link WirePacker.tensor}. */
  tensor(): WireTensor {
    const v = this.values;
    const name = v.string();
    const datatype = v.string() as DataType;
    const rank = v.number();
    const shape = new Array<number>(rank);
    for (let i = 0; i < rank; i++) shape[i] = v.number();
    return { name, datatype, shape, data: this.bytes() };
  }

  /** Bytes written by {@link WirePacker.bytes}: a view over the packet's buffer. */
  bytes(): Uint8Array {
    const v = this.values;
    const buffer = this.packet.buffers[v.number()];
    const offset = v.number();
    const length = v.number();
    if (buffer === undefined) throw new Error('wire packet: a tensor refers to a buffer the packet lacks');
    return new Uint8Array(buffer, offset, length);
  }
}
