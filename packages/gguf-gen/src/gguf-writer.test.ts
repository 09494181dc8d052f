import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeGguf } from './gguf-writer.js';
import { GgmlTensorType, GgufValueType, kv } from './gguf-types.js';
import { tinyLlamaGguf, tinyLlamaParts } from './tiny-llama.js';

const view = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

describe('writeGguf', () => {
  test('header: magic, version, tensor and metadata counts; alignment added', () => {
    const bytes = view(
      writeGguf({
        metadata: [['general.architecture', kv.str('llama')]],
        tensors: [{ name: 'a', dims: [3], type: GgmlTensorType.F32, data: Float32Array.of(1, 2, 3) }],
      }),
    );
    assert.equal(bytes.subarray(0, 4).toString('ascii'), 'GGUF');
    assert.equal(bytes.readUInt32LE(4), 3);
    assert.equal(bytes.readBigUInt64LE(8), 1n, 'one tensor');
    assert.equal(bytes.readBigUInt64LE(16), 2n, 'architecture + general.alignment');
    assert.equal(bytes.length % 32, 0);
    // The data section holds the three floats at the end (padded to 32).
    const data = bytes.subarray(bytes.length - 32);
    assert.deepEqual([data.readFloatLE(0), data.readFloatLE(4), data.readFloatLE(8)], [1, 2, 3]);
  });

  test('F16 tensors store half floats', () => {
    const bytes = view(
      writeGguf({
        metadata: [],
        tensors: [{ name: 'h', dims: [2], type: GgmlTensorType.F16, data: Float32Array.of(1, -2) }],
      }),
    );
    const data = bytes.subarray(bytes.length - 32);
    assert.deepEqual([data.readUInt16LE(0), data.readUInt16LE(2)], [0x3c00, 0xc000]);
  });

  test('rejects what llama.cpp would reject', () => {
    const t = { name: 'x', dims: [2], type: GgmlTensorType.F32, data: new Float32Array(2) };
    assert.throws(
      () =>
        writeGguf({
          metadata: [
            ['a.b', kv.u32(1)],
            ['a.b', kv.u32(2)],
          ],
          tensors: [],
        }),
      /duplicate metadata key a\.b/,
    );
    assert.throws(() => writeGguf({ metadata: [['Bad Key', kv.u32(1)]], tensors: [] }), /malformed metadata key/);
    assert.throws(() => writeGguf({ metadata: [], tensors: [{ ...t, dims: [3] }] }), /x: 2 values for dims \[3\]/);
    assert.throws(() => writeGguf({ metadata: [], tensors: [{ ...t, name: 'n'.repeat(64) }] }), /too long/);
    assert.throws(
      () => writeGguf({ metadata: [['general.alignment', kv.u32(64)]], tensors: [] }),
      /general\.alignment must be/,
    );
  });

  test('arrays carry their item type and length', () => {
    const bytes = view(writeGguf({ metadata: [['k', kv.arr(GgufValueType.INT32, [7, -1])]], tensors: [] }));
    // header (24) + key (8 + 1) + type (4) + item type (4) + length (8) + 2 x int32
    let p = 24 + 8 + 1;
    assert.equal(bytes.readUInt32LE(p), GgufValueType.ARRAY);
    p += 4;
    assert.equal(bytes.readUInt32LE(p), GgufValueType.INT32);
    p += 4;
    assert.equal(bytes.readBigUInt64LE(p), 2n);
    p += 8;
    assert.deepEqual([bytes.readInt32LE(p), bytes.readInt32LE(p + 4)], [7, -1]);
  });
});

describe('tiny llama', () => {
  test('deterministic: same options, same bytes; another seed, other bytes', () => {
    const a = view(tinyLlamaGguf());
    assert.ok(a.equals(view(tinyLlamaGguf())));
    assert.ok(!a.equals(view(tinyLlamaGguf({ seed: 7 }))));
  });

  test('F16 is about half the size of F32', () => {
    const f16 = tinyLlamaGguf().length;
    const f32 = tinyLlamaGguf({ f16: false }).length;
    assert.ok(f16 < 300_000 && f32 > 1.9 * f16, `${f16} vs ${f32}`);
  });

  test('vocabulary: unique tokens, every byte token, context 1024', () => {
    const { metadata, vocab } = tinyLlamaParts();
    assert.equal(new Set(vocab.tokens).size, vocab.tokens.length);
    for (let b = 0; b < 256; b++)
      assert.ok(vocab.tokens.includes(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`));
    const ctx = metadata.find(([k]) => k === 'llama.context_length')?.[1];
    assert.equal(ctx?.value, 1024);
  });
});
