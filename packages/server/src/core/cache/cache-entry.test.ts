import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEntry, encodeEntry } from './cache-entry.js';
import type { Tensor } from '../types.js';

const out0: Tensor = { name: 'OUT0', datatype: 'INT32', shape: [1, 2], data: new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0]) };
const out1: Tensor = { name: 'OUT1', datatype: 'BYTES', shape: [1], data: new Uint8Array([1, 0, 0, 0, 0x41]) };

test('an entry round-trips outputs and parameters, as copies', () => {
  const bytes = encodeEntry({ outputs: [out0, out1], parameters: { p: 'v' } });
  const back = decodeEntry(bytes, ['OUT0', 'OUT1']);
  assert.ok(back);
  assert.deepEqual(back.parameters, { p: 'v' });
  assert.deepEqual(
    back.outputs.map((t) => [t.name, t.datatype, t.shape, [...t.data]]),
    [
      ['OUT0', 'INT32', [1, 2], [1, 0, 0, 0, 2, 0, 0, 0]],
      ['OUT1', 'BYTES', [1], [1, 0, 0, 0, 0x41]],
    ],
  );
  back.outputs[0]!.data[0] = 9;
  assert.deepEqual(decodeEntry(bytes, ['OUT0', 'OUT1'])!.outputs[0]!.data[0], 1);
});

test('malformed or foreign entries read as undefined (a miss), never throw', () => {
  const good = encodeEntry({ outputs: [out0], parameters: {} });
  assert.equal(decodeEntry(good, ['OTHER']), undefined);
  assert.equal(decodeEntry(good, ['OUT0', 'OUT1']), undefined);
  assert.equal(decodeEntry(good.subarray(0, good.byteLength - 1), ['OUT0']), undefined);
  assert.equal(decodeEntry(new Uint8Array([1, 2]), ['OUT0']), undefined);
  assert.equal(decodeEntry(Buffer.concat([good, Buffer.from([0])]), ['OUT0']), undefined);
  const lie = (header: object, data: number[]): Uint8Array => {
    const h = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(h.byteLength);
    return Buffer.concat([len, h, Buffer.from(data)]);
  };
  const format = 'tensorgate-response-cache/1';
  // shape says 3 INT32 elements, 8 bytes given
  assert.equal(
    decodeEntry(
      lie(
        { format, outputs: [{ name: 'OUT0', datatype: 'INT32', shape: [3], bytes: 8 }], parameters: {} },
        [0, 0, 0, 0, 0, 0, 0, 0],
      ),
      ['OUT0'],
    ),
    undefined,
  );
  assert.equal(
    decodeEntry(
      lie({ format, outputs: [{ name: 'OUT0', datatype: 'NOPE', shape: [1], bytes: 1 }], parameters: {} }, [0]),
      ['OUT0'],
    ),
    undefined,
  );
  assert.equal(decodeEntry(lie({ format: 'x', outputs: [], parameters: {} }, []), []), undefined);
  assert.equal(decodeEntry(Buffer.from([4, 0, 0, 0, 0x7b, 0x7b, 0x7b, 0x7b]), []), undefined);
});
