/**
 * Property-based tests of the native gRPC transport's request side (issue #12): length-prefixed
 * framing over any chunking, decompression of damaged gzip / deflate payloads under any limit, and
 * the in-order delivery of messages behind asynchronous inflates. At this layer the equivalent of
 * an InferenceError is a {@link WireStatusError} carrying the gRPC status the call ends with
 * (RESOURCE_EXHAUSTED, INTERNAL, UNIMPLEMENTED); any input gives messages or one of those, never
 * another exception, an out-of-order delivery or a hang.
 *
 * `TENSORGATE_PROPERTY_RUNS_SCALE=100 node scripts/run-tests.mjs properties` runs a longer campaign.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, gzipSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import fc from 'fast-check';
import { byteDamage, damageBytes } from '../../../core/mutation.test-helper.js';
import { propertyOptions, withinTimeLimit } from '../../../core/property-runs.test-helper.js';
import { frameMessage, MessageReader, PREALLOCATE_MAX_BYTES } from './grpc-framing.js';
import { InOrderInflater, type InflateSink } from './in-order-inflater.js';
import { decompressMessage, SYNC_DECOMPRESS_MAX_BYTES } from './message-decompress.js';
import { WireStatusError } from './wire-status.js';

const WIRE_CODES = new Set([status.RESOURCE_EXHAUSTED, status.INTERNAL, status.UNIMPLEMENTED]);

function assertWireError(e: unknown): asserts e is WireStatusError {
  if (!(e instanceof WireStatusError)) throw e;
  assert.ok(WIRE_CODES.has(e.code), `status ${e.code}: ${e.details}`);
}

/** Payloads of every size class: empty, tiny, zero-copy, preallocated, collected. */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.integer({ min: 0, max: PREALLOCATE_MAX_BYTES + 3000 }).map((n) => Buffer.alloc(n, n & 0xff)),
);

/** Cuts `bytes` into chunks at the given (sorted, deduplicated) cut points. */
function chunksOf(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  return chunks;
}

describe('framing over any chunking', () => {
  test('messages come back whole, in order, with their flags; an oversize one is RESOURCE_EXHAUSTED', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), payload), { maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.oneof(fc.constant(1 << 20), fc.nat({ max: PREALLOCATE_MAX_BYTES * 2 })),
        (messages, cuts, maxBytes) => {
          const wire = Buffer.concat(
            messages.map(([compressed, p]) => {
              const frame = frameMessage(p);
              frame[0] = compressed ? 1 : 0;
              return frame;
            }),
          );
          const got: Array<[boolean, Buffer]> = [];
          const reader = new MessageReader(maxBytes);
          const sink = { onFrame: (c: boolean, p: Buffer) => got.push([c, Buffer.from(p)]) };
          const firstTooLarge = messages.findIndex(([, p]) => p.length > maxBytes);
          try {
            withinTimeLimit(() => {
              for (const chunk of chunksOf(wire, cuts)) reader.push(chunk, sink);
            });
          } catch (e) {
            assertWireError(e);
            assert.equal(e.code, status.RESOURCE_EXHAUSTED);
            assert.equal(got.length, firstTooLarge, 'every message before the oversize one was delivered');
            return;
          }
          assert.equal(firstTooLarge, -1);
          assert.equal(reader.idle, true);
          assert.deepEqual(
            got.map(([c, p]) => [c, [...p]]),
            messages.map(([c, p]) => [c, [...p]]),
          );
        },
      ),
      propertyOptions(200),
    );
  });

  test('any bytes: messages or a WireStatusError, and never more bytes than arrived', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc
            .tuple(fc.array(payload, { maxLength: 3 }), fc.array(byteDamage, { minLength: 1, maxLength: 3 }))
            .map(([ps, damages]) =>
              damages.reduce<Buffer>((b, d) => damageBytes(b, d), Buffer.concat(ps.map((p) => frameMessage(p)))),
            ),
        ),
        fc.array(fc.nat(), { maxLength: 6 }),
        (bytes, cuts) => {
          const wire = Buffer.from(bytes);
          const reader = new MessageReader(1 << 20);
          let delivered = 0;
          try {
            withinTimeLimit(() => {
              for (const chunk of chunksOf(wire, cuts)) {
                reader.push(chunk, { onFrame: (_c, p) => (delivered += 5 + p.length) });
              }
            });
          } catch (e) {
            assertWireError(e);
          }
          assert.ok(delivered <= wire.length);
          if (reader.idle) assert.ok(delivered <= wire.length);
          else assert.ok(reader.missingBytes > 0);
        },
      ),
      propertyOptions(300),
    );
  });
});

/** A compressed payload of one of the two encodings, from random or highly compressible data. */
const compressed = fc
  .tuple(
    fc.constantFrom('gzip', 'deflate'),
    fc.oneof(
      fc.uint8Array({ maxLength: 2000 }),
      fc.integer({ min: 0, max: 3 << 20 }).map((n) => Buffer.alloc(n)),
      fc.integer({ min: SYNC_DECOMPRESS_MAX_BYTES, max: SYNC_DECOMPRESS_MAX_BYTES * 3 }).map((n) => Buffer.alloc(n, 7)),
    ),
  )
  .map(([encoding, original]) => ({
    encoding,
    original: Buffer.from(original),
    bytes: encoding === 'gzip' ? gzipSync(original) : deflateSync(original),
  }));

describe('decompression of untrusted payloads', () => {
  test('valid payloads inflate to their original, or RESOURCE_EXHAUSTED when it is over the limit', async () => {
    await fc.assert(
      fc.asyncProperty(compressed, fc.nat({ max: 4 << 20 }), async ({ encoding, original, bytes }, maxBytes) => {
        try {
          const out = await decompressMessage(bytes, encoding, maxBytes);
          assert.ok(original.length <= maxBytes);
          assert.ok(out.equals(original));
        } catch (e) {
          assertWireError(e);
          assert.equal(e.code, status.RESOURCE_EXHAUSTED, e.details);
          assert.ok(original.length > maxBytes);
        }
      }),
      { ...propertyOptions(60), timeout: 10_000 },
    );
  });

  test('damaged payloads and any encoding: bytes within the limit or a WireStatusError', async () => {
    await fc.assert(
      fc.asyncProperty(
        compressed,
        fc.array(byteDamage, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('gzip', 'deflate', 'identity', undefined, 'br', 'GZIP', ''),
        fc.nat({ max: 1 << 20 }),
        async ({ bytes }, damages, encoding, maxBytes) => {
          const damaged = damages.reduce<Buffer>((b, d) => damageBytes(b, d), bytes);
          try {
            const out = await decompressMessage(damaged, encoding, maxBytes);
            assert.ok(out.length <= maxBytes);
          } catch (e) {
            assertWireError(e);
          }
        },
      ),
      { ...propertyOptions(150), timeout: 10_000 },
    );
  });
});

/** `n` bytes that do not compress (a linear congruential generator's high bytes). */
function incompressible(n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = n;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A message of a call: compressed (valid, damaged, or a bomb) or not. */
const callMessage = fc.oneof(
  fc
    .uint8Array({ maxLength: 30 })
    .map((p) => ({ compressed: false, payload: Buffer.from(p), expected: Buffer.from(p) })),
  fc.uint8Array({ maxLength: 30 }).map((p) => ({ compressed: true, payload: gzipSync(p), expected: Buffer.from(p) })),
  fc.integer({ min: 40_000, max: 60_000 }).map((n) => {
    // Incompressible, so the compressed payload is over the synchronous size: inflated on the thread pool.
    const p = incompressible(n);
    return { compressed: true, payload: gzipSync(p), expected: p };
  }),
  fc.constant({ compressed: true, payload: Buffer.from('not gzip'), expected: undefined }),
  // Cut short and over the synchronous size: fails on the thread pool.
  fc.constant({
    compressed: true,
    payload: gzipSync(incompressible(60_000)).subarray(0, 40_000),
    expected: undefined,
  }),
  fc.constant({ compressed: true, payload: gzipSync(Buffer.alloc(2 << 20)), expected: undefined }),
);

describe('in-order delivery behind asynchronous inflates', () => {
  test('messages are delivered in order up to the first failure, then nothing; the end only after all', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(callMessage, { maxLength: 6 }), fc.boolean(), async (messages, halfClose) => {
        const events: Array<Buffer | 'end' | WireStatusError> = [];
        let paused = false;
        let settle!: () => void;
        const settled = new Promise<void>((resolve) => (settle = resolve));
        // As CallTransport: nothing is delivered, fed or ended once the call failed.
        const sink: InflateSink & { done: boolean } = {
          done: false,
          deliverBytes: (bytes) => {
            if (!sink.done) events.push(Buffer.from(bytes));
          },
          deliverEnd: () => {
            events.push('end');
            settle();
          },
          inflateFailed: (err) => {
            assertWireError(err);
            events.push(err);
            sink.done = true;
            settle();
          },
          pauseForInflate: () => void (paused = true),
          resumeAfterInflate: () => void (paused = false),
        };
        const inflater = new InOrderInflater(sink, 'gzip', 1 << 20);
        for (const m of messages) if (!sink.done) inflater.message(m.compressed, m.payload);
        if (!sink.done && halfClose) inflater.end();
        else if (!sink.done) inflater.message(false, Buffer.from('last'));
        const expected = [...messages.map((m) => m.expected), halfClose ? 'end' : Buffer.from('last')];
        const failAt = expected.indexOf(undefined);
        if (failAt === -1 && !halfClose) {
          // Without an end, wait for the marker message to come through.
          await new Promise<void>((resolve) => {
            const poll = (): void =>
              events.length >= expected.length || sink.done ? resolve() : void setTimeout(poll, 5);
            poll();
          });
        } else {
          await settled;
        }
        if (failAt === -1) {
          assert.deepEqual(events, expected);
          assert.equal(inflater.waiting, false);
          assert.equal(paused, false, 'the stream is not left paused');
        } else {
          assert.deepEqual(events.slice(0, failAt), expected.slice(0, failAt));
          assert.ok(events[failAt] instanceof WireStatusError, 'the failure comes in its place');
          assert.equal(events.length, failAt + 1, 'nothing after the failure');
        }
      }),
      { ...propertyOptions(60), timeout: 10_000 },
    );
  });
});
