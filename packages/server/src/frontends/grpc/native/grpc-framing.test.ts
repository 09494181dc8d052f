/**
 * Round trips of the message framing: messages framed with {@link frameMessage} and fed to a
 * {@link MessageReader} in every chunking come back whole, in order, with their flags; limits and
 * bad prefixes fail with the statuses the transport sends.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import {
  frameMessage,
  MESSAGE_PREFIX_BYTES,
  messagePrefix,
  MessageReader,
  PREALLOCATE_MAX_BYTES,
  ZERO_COPY_MAX_BYTES,
} from './grpc-framing.js';
import { WireStatusError } from './wire-status.js';

interface Got {
  compressed: boolean;
  payload: Buffer;
}

function collect(reader: MessageReader, chunks: Buffer[]): Got[] {
  const got: Got[] = [];
  const sink = { onFrame: (compressed: boolean, payload: Buffer) => got.push({ compressed, payload }) };
  for (const chunk of chunks) reader.push(chunk, sink);
  return got;
}

function split(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

const payloadOf = (n: number, seed: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
const SIZES = [0, 1, 4, 5, 6, 100, ZERO_COPY_MAX_BYTES, ZERO_COPY_MAX_BYTES + 1, 70_000];

describe('message framing', () => {
  test('frameMessage writes flag 0 and the big-endian length', () => {
    const frame = frameMessage(Buffer.from('abc'));
    assert.deepEqual([...frame], [0, 0, 0, 0, 3, 0x61, 0x62, 0x63]);
    assert.deepEqual([...messagePrefix(0x01020304)], [0, 1, 2, 3, 4]);
  });

  for (const chunkSize of [1, 2, 3, 5, 7, 4096, 16_384, 1 << 30]) {
    test(`every size round-trips in chunks of ${chunkSize} bytes, several per chunk`, () => {
      const payloads = SIZES.map((n, i) => payloadOf(n, i));
      const wire = Buffer.concat(payloads.map((p) => frameMessage(p)));
      const reader = new MessageReader(1 << 20);
      const got = collect(reader, split(wire, chunkSize));
      assert.equal(got.length, payloads.length);
      got.forEach((g, i) => {
        assert.equal(g.compressed, false);
        assert.ok(g.payload.equals(payloads[i]!), `message ${i} (${payloads[i]!.length} bytes)`);
      });
      assert.equal(reader.idle, true);
    });
  }

  test('the compressed flag is reported per message', () => {
    const a = frameMessage(Buffer.from('x'));
    a[0] = 1;
    const got = collect(new MessageReader(100), [Buffer.concat([a, frameMessage(Buffer.from('y'))])]);
    assert.deepEqual(
      got.map((g) => [g.compressed, g.payload.toString()]),
      [
        [true, 'x'],
        [false, 'y'],
      ],
    );
  });

  test('a small message whole in one chunk is a view of it; a large one has a buffer of its own', () => {
    const small = frameMessage(payloadOf(200, 1));
    const [got] = collect(new MessageReader(1 << 20), [small]);
    assert.equal(got!.payload.buffer, small.buffer);
    const large = frameMessage(payloadOf(ZERO_COPY_MAX_BYTES + 10, 2));
    const [big] = collect(new MessageReader(1 << 20), [large]);
    assert.notEqual(big!.payload.buffer, large.buffer);
    assert.equal(big!.payload.byteOffset, 0);
    assert.equal(big!.payload.buffer.byteLength, ZERO_COPY_MAX_BYTES + 10);
  });

  test('a message over the preallocation size also ends up in one buffer of its own, from any chunking', () => {
    const payload = payloadOf(PREALLOCATE_MAX_BYTES * 3 + 7, 5);
    const frame = frameMessage(payload);
    for (const chunks of [[frame], split(frame, 16_384), split(frame, 1000)]) {
      const [got] = collect(new MessageReader(1 << 20), chunks);
      assert.ok(got!.payload.equals(payload));
      assert.equal(got!.payload.byteOffset, 0);
      assert.equal(got!.payload.buffer.byteLength, payload.length);
    }
  });

  test('memory follows the bytes received, not the length a prefix declares', () => {
    // Regression: the declared length was allocated when the prefix arrived, so 5-byte prefixes
    // declaring 512 MiB each reserved 512 MiB apiece.
    const before = process.memoryUsage().arrayBuffers;
    const readers = Array.from({ length: 100 }, () => new MessageReader(1 << 30));
    for (const reader of readers) collect(reader, [Buffer.concat([messagePrefix(512 << 20), Buffer.alloc(100)])]);
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 64 << 20, `array buffers grew by ${grown} bytes`);
    assert.equal(readers[0]!.missingBytes, (512 << 20) - 100);
  });

  test('idle and missingBytes follow a message cut short', () => {
    const reader = new MessageReader(100);
    const frame = frameMessage(payloadOf(10, 3));
    collect(reader, [frame.subarray(0, 2)]);
    assert.equal(reader.idle, false);
    assert.equal(reader.missingBytes, 3);
    collect(reader, [frame.subarray(2, 8)]);
    assert.equal(reader.missingBytes, 7);
    assert.equal(collect(reader, [frame.subarray(8)]).length, 1);
    assert.equal(reader.idle, true);
    assert.equal(reader.missingBytes, 0);
  });

  const failures: Array<[string, Buffer[], status, RegExp]> = [
    [
      'a length over the limit, seen from the prefix alone',
      [messagePrefix(101)],
      status.RESOURCE_EXHAUSTED,
      /larger than max \(101 vs\. 100\)/,
    ],
    [
      'the same prefix split in two chunks',
      [Buffer.from([0, 0]), Buffer.from([0, 0, 200])],
      status.RESOURCE_EXHAUSTED,
      /200 vs\. 100/,
    ],
    ['a flag of 2', [Buffer.from([2, 0, 0, 0, 1, 9])], status.INTERNAL, /compressed flag 2/],
  ];
  for (const [name, chunks, code, re] of failures) {
    test(`fails: ${name}`, () => {
      assert.throws(
        () => collect(new MessageReader(100), chunks),
        (e: unknown) => e instanceof WireStatusError && e.code === code && re.test(e.details),
      );
    });
  }

  test('exactly the limit passes', () => {
    const got = collect(new MessageReader(100), [frameMessage(payloadOf(100, 4))]);
    assert.equal(got[0]!.payload.length, 100);
    assert.equal(MESSAGE_PREFIX_BYTES, 5);
  });
});
