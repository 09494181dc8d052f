import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NpyError, readNpy } from './npy.js';

/** Builds a .npy file the way numpy.save lays it out (header padded so data starts at a multiple of 64). */
function npy(descr: string, shape: number[], data: Uint8Array, major = 1, fortran = false): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', '); // numpy writes (n,) and ()
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${dims}), }`;
  const pre = major === 1 ? 10 : 12;
  const total = Math.ceil((pre + header.length + 1) / 64) * 64;
  header = header.padEnd(total - pre - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, header.length, true);
  else dv.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), pre);
  out.set(data, total);
  return out;
}

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('readNpy', () => {
  test('reads a v1 float32 matrix in C order', () => {
    const r = readNpy(npy('<f4', [2, 3], bytesOf(Float32Array.of(1, 2, 3, 4, 5, 6.5))));
    assert.equal(r.datatype, 'FP32');
    assert.deepEqual(r.shape, [2, 3]);
    assert.ok(r.values instanceof Float32Array);
    assert.deepEqual(Array.from(r.values as Float32Array), [1, 2, 3, 4, 5, 6.5]);
  });

  test('reads a file held in a Buffer at a non-zero offset of a shared pool (as readFileSync returns)', () => {
    const file = npy('<i4', [3], bytesOf(Int32Array.of(10, -20, 30)));
    const pool = Buffer.alloc(file.length + 13, 0xff);
    pool.set(file, 13);
    const r = readNpy(pool.subarray(13));
    assert.deepEqual(Array.from(r.values as Int32Array), [10, -20, 30]);
  });

  test('reads a v2 header and int64 values exactly', () => {
    const r = readNpy(npy('<i8', [2], bytesOf(BigInt64Array.of(-1n, 9007199254740993n)), 2));
    assert.equal(r.datatype, 'INT64');
    assert.deepEqual(Array.from(r.values as BigInt64Array), [-1n, 9007199254740993n]);
  });

  test('maps every numeric dtype and bool', () => {
    const cases: [string, string][] = [
      ['|u1', 'UINT8'],
      ['<u2', 'UINT16'],
      ['<u4', 'UINT32'],
      ['<u8', 'UINT64'],
      ['|i1', 'INT8'],
      ['<i2', 'INT16'],
      ['<i4', 'INT32'],
      ['<f8', 'FP64'],
      ['|b1', 'BOOL'],
    ];
    for (const [descr, dt] of cases) {
      const size = Number(descr.slice(2));
      assert.equal(readNpy(npy(descr, [1], new Uint8Array(size))).datatype, dt, descr);
    }
    const b = readNpy(npy('|b1', [3], Uint8Array.of(1, 0, 1)));
    assert.deepEqual(b.values, [true, false, true]);
  });

  test('reads float16 as numbers', () => {
    const r = readNpy(npy('<f2', [2], bytesOf(Uint16Array.of(0x3c00, 0xc000))));
    assert.equal(r.datatype, 'FP16');
    assert.deepEqual(r.values, [1, -2]);
  });

  test('reads a scalar (shape ())', () => {
    const r = readNpy(npy('<i4', [], bytesOf(Int32Array.of(7))));
    assert.deepEqual(r.shape, []);
    assert.deepEqual(Array.from(r.values as Int32Array), [7]);
  });

  test('reads fixed-width byte and unicode strings as BYTES', () => {
    const s = readNpy(npy('|S3', [2], Uint8Array.of(0x61, 0x62, 0x63, 0x78, 0, 0)));
    assert.equal(s.datatype, 'BYTES');
    assert.deepEqual(s.values, ['abc', 'x']);
    const u = readNpy(npy('<U2', [2], bytesOf(Uint32Array.of(0x68, 0x69, 0xe9, 0))));
    assert.deepEqual(u.values, ['hi', 'é']);
  });

  test('rejects what it cannot read, with a reason', () => {
    assert.throws(() => readNpy(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)), /bad magic/);
    assert.throws(() => readNpy(npy('>f4', [1], new Uint8Array(4))), /big-endian/);
    assert.throws(() => readNpy(npy('<f4', [2, 2], new Uint8Array(16), 1, true)), /Fortran/);
    assert.throws(() => readNpy(npy('|O', [1], new Uint8Array(8))), /object arrays/);
    assert.throws(() => readNpy(npy('<c8', [1], new Uint8Array(8))), /unsupported .npy dtype/);
    assert.throws(() => readNpy(npy('<f4', [4], new Uint8Array(8))), NpyError);
  });
});
