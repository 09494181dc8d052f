import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TensorCodecError,
  byteSizeOf,
  countBytesElements,
  decodeBytesElements,
  decodeElements,
  encodeBytesElements,
  encodeElements,
  viewAs,
} from './tensor-codec.js';
import { ALL_DATATYPES, DATATYPES, type DataType } from './datatypes.js';

const SAMPLES: Record<DataType, unknown[]> = {
  BOOL: [true, false, true],
  UINT8: [0, 7, 255],
  UINT16: [0, 1000, 65535],
  UINT32: [0, 123456, 4294967295],
  UINT64: [0, 2 ** 40, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 0, 127],
  INT16: [-32768, 5, 32767],
  INT32: [-2147483648, 42, 2147483647],
  INT64: [-(2 ** 50), 0, 2 ** 50],
  FP16: [0, -1.5, 65504, 0.000060975551605224609],
  BF16: [0, -2, 1.5, 3.140625],
  FP32: [0, -1.25, 3.4028234663852886e38, 1e-10],
  FP64: [0, Math.PI, -1e300, Number.MIN_VALUE],
  BYTES: ['', 'hello', 'ünïcødé', 'x'.repeat(300)],
};

describe('tensor codec round trips', () => {
  for (const dt of ALL_DATATYPES) {
    test(`${dt}: encode → decode returns the same values`, () => {
      const values = SAMPLES[dt];
      const raw = encodeElements(dt, values);
      const size = byteSizeOf(dt, [values.length]);
      if (size !== undefined) assert.equal(raw.byteLength, size);
      const back = decodeElements(dt, raw);
      if (dt === 'FP32') {
        assert.deepEqual(
          back,
          values.map((v) => Math.fround(v as number)),
        );
      } else {
        assert.deepEqual(back, values);
      }
    });
  }

  test('every datatype has a row with a consistent config name', () => {
    for (const dt of ALL_DATATYPES) {
      assert.equal(DATATYPES[dt].name, dt);
      assert.match(DATATYPES[dt].configType, /^TYPE_/);
    }
  });

  test('raw bytes are little-endian', () => {
    assert.deepEqual([...encodeElements('INT32', [1])], [1, 0, 0, 0]);
    assert.deepEqual([...encodeElements('UINT16', [0x0102])], [2, 1]);
    assert.deepEqual([...encodeElements('FP16', [1])], [0x00, 0x3c]);
    assert.deepEqual([...encodeElements('BF16', [1])], [0x80, 0x3f]);
  });
});

describe('BYTES framing', () => {
  test('elements are length-prefixed and decode as zero-copy views', () => {
    const raw = encodeBytesElements(['ab', new Uint8Array([1, 2, 3])]);
    assert.deepEqual([...raw], [2, 0, 0, 0, 97, 98, 3, 0, 0, 0, 1, 2, 3]);
    const els = decodeBytesElements(raw);
    assert.equal(els.length, 2);
    assert.equal(els[1]!.buffer, raw.buffer);
    assert.equal(countBytesElements(raw), 2);
  });

  test('a truncated prefix is an error naming the element', () => {
    assert.throws(() => countBytesElements(new Uint8Array([1, 0, 0, 0, 9, 2, 0])), /element 1 is truncated/);
  });

  test('a length past the end is an error', () => {
    assert.throws(() => decodeBytesElements(new Uint8Array([5, 0, 0, 0, 1])), /declares 5 byte\(s\) but only 1 remain/);
  });
});

describe('validation', () => {
  const bad: Array<[DataType, unknown, RegExp]> = [
    ['INT32', 1.5, /expected an integer for INT32/],
    ['INT8', 128, /out of range for INT8/],
    ['UINT32', -1, /out of range for UINT32/],
    ['UINT64', -1, /out of range for UINT64/],
    ['BOOL', 'yes', /expected a boolean/],
    ['FP32', '1', /expected a number for FP32/],
    ['BYTES', 5, /expected a string for BYTES/],
    ['INT64', null, /expected an integer for INT64, got null/],
    // An object with its own toString (JSON.parse gives one for {"toString": 0}) used to make the
    // message itself throw a TypeError ("Cannot convert object to primitive value"): HTTP 500.
    ['BOOL', JSON.parse('{"toString":0}'), /expected a boolean for BOOL, got object$/],
    ['FP32', JSON.parse('{"toString":0,"valueOf":0}'), /expected a number for FP32, got object$/],
    ['INT32', JSON.parse('{"toString":{}}'), /expected an integer for INT32, got object$/],
    ['BYTES', JSON.parse('{"toString":0}'), /expected a string for BYTES, got object$/],
    ['UINT64', JSON.parse('{"toString":0}'), /expected an integer for UINT64, got object$/],
  ];
  for (const [dt, v, re] of bad) {
    test(`${dt} rejects ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`, () => {
      assert.throws(
        () => encodeElements(dt, [0, v].slice(dt === 'BOOL' || dt === 'BYTES' ? 1 : 0)),
        (e) => {
          assert.ok(e instanceof TensorCodecError);
          assert.match(e.message, re);
          return true;
        },
      );
    });
  }

  test('viewAs copies unaligned input and rejects partial elements', () => {
    const buf = new Uint8Array(9);
    buf.set(encodeElements('INT32', [7, 8]), 1);
    assert.deepEqual([...viewAs('INT32', buf.subarray(1))], [7, 8]);
    assert.throws(() => viewAs('INT32', buf.subarray(0, 7)), /not a whole number of INT32/);
    assert.throws(() => viewAs('BYTES', buf), /no typed-array view/);
  });

  test('FP16 handles infinities, NaN and subnormals', () => {
    const v = decodeElements('FP16', encodeElements('FP16', [Infinity, -Infinity, NaN, 5.960464477539063e-8, 1e6]));
    assert.equal(v[0], Infinity);
    assert.equal(v[1], -Infinity);
    assert.ok(Number.isNaN(v[2]));
    assert.equal(v[3], 5.960464477539063e-8);
    assert.equal(v[4], Infinity);
  });
});
