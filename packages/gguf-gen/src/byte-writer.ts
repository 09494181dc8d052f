/**
 * A growable little-endian byte buffer. Written by hand: GGUF needs only a handful of fixed-width
 * writes, and Node's Buffer has them all.
 */

/**
 * Appends little-endian values to a buffer that doubles as needed.
 *
 * @example
 * ```ts
 * const w = new ByteWriter();
 * w.u32(3);
 * w.str('llama');
 * const bytes = w.result();
 * ```
 */
export class ByteWriter {
  private buf: Buffer;
  private offset = 0;

  constructor(initialBytes = 1 << 16) {
    this.buf = Buffer.alloc(initialBytes);
  }

  /** Bytes written so far. */
  get position(): number {
    return this.offset;
  }

  private ensure(n: number): void {
    if (this.offset + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.offset + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.offset);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.offset = this.buf.writeUInt8(v, this.offset);
  }
  i8(v: number): void {
    this.ensure(1);
    this.offset = this.buf.writeInt8(v, this.offset);
  }
  u16(v: number): void {
    this.ensure(2);
    this.offset = this.buf.writeUInt16LE(v, this.offset);
  }
  i16(v: number): void {
    this.ensure(2);
    this.offset = this.buf.writeInt16LE(v, this.offset);
  }
  u32(v: number): void {
    this.ensure(4);
    this.offset = this.buf.writeUInt32LE(v, this.offset);
  }
  i32(v: number): void {
    this.ensure(4);
    this.offset = this.buf.writeInt32LE(v, this.offset);
  }
  f32(v: number): void {
    this.ensure(4);
    this.offset = this.buf.writeFloatLE(v, this.offset);
  }
  f64(v: number): void {
    this.ensure(8);
    this.offset = this.buf.writeDoubleLE(v, this.offset);
  }
  u64(v: number | bigint): void {
    this.ensure(8);
    this.offset = this.buf.writeBigUInt64LE(BigInt(v), this.offset);
  }
  i64(v: number | bigint): void {
    this.ensure(8);
    this.offset = this.buf.writeBigInt64LE(BigInt(v), this.offset);
  }

  /** Raw bytes. */
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.offset);
    this.offset += b.length;
  }

  /** A `gguf_string_t`: uint64 byte length, then the UTF-8 bytes, no terminator. */
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.bytes(b);
  }

  /** Zero bytes up to the next multiple of `alignment`. */
  padTo(alignment: number): void {
    const pad = (alignment - (this.offset % alignment)) % alignment;
    this.ensure(pad);
    this.buf.fill(0, this.offset, this.offset + pad);
    this.offset += pad;
  }

  /** The bytes written (a view, not a copy). */
  result(): Uint8Array {
    return this.buf.subarray(0, this.offset);
  }
}
