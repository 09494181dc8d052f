// The packed float / double decode gives the same message as protobufjs, fields as typed arrays.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { decodePacked, packedFloatFields } from './packed-floats.js';

const root = protobuf
  .parse(
    `syntax = "proto3";
   message M { string name = 1; repeated float f = 2; int32 w = 3; repeated double d = 4; repeated int32 i = 5;
               repeated float u = 6 [packed = false]; }`,
    { keepCase: true },
  )
  .root.resolveAll(); // protobufjs settles proto3's packed default when it resolves
const M = root.lookupType('M');
const fields = packedFloatFields(M);

describe('decodePacked', () => {
  test('finds the float and double fields (packed or not)', () => {
    assert.deepEqual(
      [...fields.values()].map((f) => f.name),
      ['f', 'd', 'u'],
    );
  });

  test('equals protobufjs on any message; float and double fields come back as typed arrays', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.array(fc.float({ noNaN: true }), { maxLength: 50 }),
        fc.integer({ min: -1000, max: 1000 }),
        fc.array(fc.double({ noNaN: true }), { maxLength: 20 }),
        fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 5 }),
        fc.integer({ min: 0, max: 7 }),
        (name, f, w, d, i, shift) => {
          const bytes = M.encode({ name, f, w, d, i }).finish();
          // Any alignment of the message in its buffer.
          const shifted = new Uint8Array(bytes.byteLength + shift);
          shifted.set(bytes, shift);
          const view = shifted.subarray(shift);
          const ours = decodePacked(M, fields, view) as unknown as Record<string, unknown>;
          const theirs = M.decode(view) as unknown as Record<string, unknown>;
          assert.ok(ours['f'] === undefined || ours['f'] instanceof Float32Array || f.length === 0);
          assert.deepEqual(Array.from((ours['f'] as ArrayLike<number>) ?? []), theirs['f']);
          assert.deepEqual(Array.from((ours['d'] as ArrayLike<number>) ?? []), theirs['d']);
          assert.equal(ours['name'], theirs['name']);
          assert.equal(ours['w'], theirs['w']);
          assert.deepEqual(ours['i'], theirs['i']);
        },
      ),
    );
  });

  test('an unpacked float field falls back to protobufjs', () => {
    const bytes = M.encode({ u: [1.5, 2.5] }).finish();
    assert.deepEqual((decodePacked(M, fields, bytes) as unknown as { u: number[] }).u, [1.5, 2.5]);
  });

  test('a packed field whose length is not a whole number of elements is refused', () => {
    const bytes = Uint8Array.from([0x12, 0x03, 1, 2, 3]); // field 2, 3 bytes
    assert.throws(() => decodePacked(M, fields, bytes), /packed float field of 3 bytes/);
  });
});
