/**
 * Property-based tests of the tensor codecs on untrusted input (issue #12): BYTES framing, raw
 * bytes of every datatype, and element values as a JSON client or a gRPC typed-contents field can
 * send them. Any input gives a value or a {@link TensorCodecError} (this package's client-facing
 * error, which the frontends turn into INVALID_ARG), never another exception or a runaway.
 *
 * Run counts are small for `npm test`; `TENSORGATE_PROPERTY_RUNS_SCALE=100` runs a longer campaign
 * and `TENSORGATE_PROPERTY_SEED` replays one (as in the server's property tests).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ALL_DATATYPES, DATATYPES, type DataType } from './datatypes.js';
import {
  TensorCodecError,
  countBytesElements,
  decodeBytesElements,
  decodeElements,
  encodeBytesElements,
  encodeElements,
  viewAs,
} from './tensor-codec.js';

/** fast-check options: `base` runs, scaled by TENSORGATE_PROPERTY_RUNS_SCALE; a fixed seed from TENSORGATE_PROPERTY_SEED. */
function runs(base: number): { numRuns: number; seed?: number } {
  const scale = Number(process.env['TENSORGATE_PROPERTY_RUNS_SCALE'] ?? '1');
  const numRuns = Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
  const seed = Number(process.env['TENSORGATE_PROPERTY_SEED']);
  return Number.isInteger(seed) ? { numRuns, seed } : { numRuns };
}

/** Runs `f`; a TensorCodecError is an accepted outcome (undefined), anything else thrown fails. */
function valueOrCodecError<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof TensorCodecError) return undefined;
    throw e;
  }
}

/** Bytes at any alignment: a view at a random offset of a larger buffer. */
const anyBytes = fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 7 })).map(([bytes, offset]) => {
  const backing = new Uint8Array(bytes.length + offset);
  backing.set(bytes, offset);
  return backing.subarray(offset);
});

/** Declared lengths that reach the checks: small, one past the end, and huge (u32). */
const declaredLength = fc.oneof(
  fc.nat({ max: 40 }),
  fc.constantFrom(0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x10000),
);

/** A valid BYTES encoding, then damaged: truncated, a byte flipped, a length replaced, bytes spliced in. */
const damagedBytesFraming = fc
  .tuple(
    fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.uint8Array({ maxLength: 20 })), {
      maxLength: 8,
    }),
    fc.nat(),
    fc.nat({ max: 255 }),
    declaredLength,
    fc.uint8Array({ maxLength: 8 }),
    fc.constantFrom('truncate', 'flip', 'length', 'splice', 'none'),
  )
  .map(([elements, at, byte, length, extra, how]) => {
    const valid = encodeBytesElements(elements);
    const i = valid.length === 0 ? 0 : at % valid.length;
    const out = Uint8Array.from(valid);
    switch (how) {
      case 'truncate':
        return out.subarray(0, i);
      case 'flip':
        if (out.length > 0) out[i] = byte;
        return out;
      case 'length':
        if (out.length >= 4) new DataView(out.buffer).setUint32(Math.min(i, out.length - 4), length, true);
        return out;
      case 'splice':
        return Uint8Array.from([...out.subarray(0, i), ...extra, ...out.subarray(i)]);
      default:
        return out;
    }
  });

describe('BYTES framing on untrusted bytes', () => {
  test('any bytes: a count and elements that tile the input exactly, or a TensorCodecError', () => {
    fc.assert(
      fc.property(fc.oneof(anyBytes, damagedBytesFraming), (raw) => {
        const count = valueOrCodecError(() => countBytesElements(raw));
        const elements = valueOrCodecError(() => decodeBytesElements(raw));
        assert.equal(count === undefined, elements === undefined, 'count and decode agree on validity');
        if (elements === undefined) return;
        assert.equal(elements.length, count);
        let total = 0;
        for (const e of elements) {
          total += 4 + e.byteLength;
          // Zero-copy views of the input, never past its end.
          assert.equal(e.buffer, raw.buffer);
          assert.ok(e.byteOffset + e.byteLength <= raw.byteOffset + raw.byteLength);
        }
        assert.equal(total, raw.byteLength);
        assert.equal(valueOrCodecError(() => decodeElements('BYTES', raw))?.length, count);
      }),
      runs(400),
    );
  });

  test('encode then decode gives the elements back', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 10 }), (elements) => {
        const back = decodeBytesElements(encodeBytesElements(elements));
        assert.deepEqual(
          back.map((b) => [...b]),
          elements.map((b) => [...b]),
        );
      }),
      runs(100),
    );
  });
});

describe('raw bytes of every datatype', () => {
  test('decodeElements and viewAs: one value per element, or a TensorCodecError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_DATATYPES), anyBytes, (datatype, raw) => {
        const values = valueOrCodecError(() => decodeElements(datatype, raw));
        const size = DATATYPES[datatype].byteSize;
        if (size > 0) {
          assert.equal(values === undefined, raw.byteLength % size !== 0);
          if (values !== undefined) assert.equal(values.length, raw.byteLength / size);
          const view = valueOrCodecError(() => viewAs(datatype, raw));
          assert.equal(view?.length, values?.length);
        }
      }),
      runs(400),
    );
  });
});

/** Element values as clients send them: JSON values, plus bigints, -0, NaN, infinities and extremes. */
const clientValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.double(),
  fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }),
  fc.constantFrom(-0, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 63), 2 ** 64, Number.MAX_VALUE, Number.MIN_VALUE),
  fc.uint8Array({ maxLength: 4 }),
);

/** Values each datatype accepts, for the round trip. */
function validValues(datatype: DataType): fc.Arbitrary<unknown[]> {
  const ints: Partial<Record<DataType, [number, number]>> = {
    INT8: [-128, 127],
    INT16: [-32768, 32767],
    INT32: [-(2 ** 31), 2 ** 31 - 1],
    UINT8: [0, 255],
    UINT16: [0, 65535],
    UINT32: [0, 2 ** 32 - 1],
    INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    UINT64: [0, Number.MAX_SAFE_INTEGER],
  };
  const range = ints[datatype];
  const element: fc.Arbitrary<unknown> =
    datatype === 'BOOL'
      ? fc.boolean()
      : datatype === 'BYTES'
        ? fc.string({ unit: 'binary', maxLength: 10 })
        : range
          ? fc.integer({ min: range[0], max: range[1] })
          : datatype === 'FP64'
            ? fc.double({ noNaN: true })
            : datatype === 'FP32'
              ? fc.float({ noNaN: true })
              : datatype === 'FP16'
                ? fc.integer({ min: -2048, max: 2048 })
                : fc.integer({ min: -256, max: 256 });
  return fc.array(element, { maxLength: 12 });
}

describe('element values from clients', () => {
  test('encodeElements: exactly the bytes of the elements, or a TensorCodecError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_DATATYPES), fc.array(clientValue, { maxLength: 8 }), (datatype, values) => {
        const raw = valueOrCodecError(() => encodeElements(datatype, values));
        if (raw === undefined) return;
        const size = DATATYPES[datatype].byteSize;
        if (size > 0) assert.equal(raw.byteLength, values.length * size);
        else assert.equal(countBytesElements(raw), values.length);
      }),
      runs(400),
    );
  });

  test('valid values survive encode then decode', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL_DATATYPES).chain((d) => fc.tuple(fc.constant(d), validValues(d))),
        ([datatype, values]) => {
          const back = decodeElements(datatype, encodeElements(datatype, values));
          if (datatype === 'BYTES') {
            // Lone surrogates become U+FFFD in UTF-8, as everywhere else.
            assert.deepEqual(
              back,
              values.map((v) => new TextDecoder().decode(new TextEncoder().encode(v as string))),
            );
          } else {
            assert.deepEqual(back, values);
          }
        },
      ),
      runs(300),
    );
  });
});
