/**
 * Test helpers for system shared memory: POSIX shared-memory objects made in /dev/shm the way a
 * client makes them (a tmpfs file of the region's size), removed at the end.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

let next = 0;

/** A client-side shared-memory object: its key and its bytes (read and written through the file). */
export interface ShmObject {
  /** The key a client registers (`/name`). */
  readonly key: string;
  /** The file behind it. */
  readonly path: string;
  /** Writes `bytes` at `offset`. */
  write(bytes: Uint8Array, offset?: number): void;
  /** Reads `length` bytes at `offset`. */
  read(offset: number, length: number): Buffer;
  /** Unlinks the object. */
  remove(): void;
}

/** Makes a zero-filled object of `size` bytes with a unique key. */
export function makeShmObject(size: number): ShmObject {
  const name = `tensorgate-test-${process.pid}-${next++}`;
  const path = join('/dev/shm', name);
  writeFileSync(path, Buffer.alloc(size));
  return {
    key: `/${name}`,
    path,
    write(bytes, offset = 0) {
      const all = readFileSync(path);
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).copy(all, offset);
      writeFileSync(path, all);
    },
    read(offset, length) {
      return readFileSync(path).subarray(offset, offset + length);
    },
    remove() {
      rmSync(path, { force: true });
    },
  };
}

/** INT32 values as little-endian bytes. */
export function int32Bytes(values: number[]): Buffer {
  return Buffer.from(new Int32Array(values).buffer);
}

/** Little-endian INT32 values of `bytes`. */
export function int32Values(bytes: Buffer): number[] {
  return [...new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))];
}
