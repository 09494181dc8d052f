/** Request decompression: gzip and deflate round trips (sync and async sizes), limits and failures. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import { InflateBudget } from '../../inflate-budget.js';
import { decompressMessage, SYNC_DECOMPRESS_MAX_BYTES } from './message-decompress.js';
import { WireStatusError } from './wire-status.js';

/** Incompressible bytes, so the compressed size tracks the original's. */
const random = (n: number): Buffer => randomBytes(n);

async function fails(run: () => unknown, code: status, re: RegExp): Promise<void> {
  await assert.rejects(
    async () => run(),
    (e: unknown) => e instanceof WireStatusError && e.code === code && re.test(e.details),
  );
}

describe('decompressMessage', () => {
  for (const [name, compress] of [
    ['gzip', gzipSync],
    ['deflate', deflateSync],
  ] as const) {
    for (const size of [0, 1000, SYNC_DECOMPRESS_MAX_BYTES * 8]) {
      test(`${name}: ${size} bytes round-trip`, async () => {
        const original = random(size);
        const compressed = compress(original);
        const out = decompressMessage(compressed, name, 1 << 24);
        // Larger compressed inputs are inflated off the event loop.
        assert.equal(out instanceof Promise, compressed.length > SYNC_DECOMPRESS_MAX_BYTES);
        assert.ok((await out).equals(original));
      });
    }
    test(`${name}: a result over the limit is RESOURCE_EXHAUSTED (sync and async)`, async () => {
      await fails(() => decompressMessage(compress(Buffer.alloc(1000)), name, 999), status.RESOURCE_EXHAUSTED, /999/);
      const big = compress(random(SYNC_DECOMPRESS_MAX_BYTES * 8));
      assert.ok(big.length > SYNC_DECOMPRESS_MAX_BYTES);
      await fails(() => decompressMessage(big, name, 1000), status.RESOURCE_EXHAUSTED, /larger than 1000/);
    });
  }

  test('a small message that inflates past 1 MiB is inflated off the event loop', async () => {
    const zeros = Buffer.alloc(4 * 1024 * 1024);
    const compressed = gzipSync(zeros);
    assert.ok(compressed.length <= SYNC_DECOMPRESS_MAX_BYTES);
    const out = decompressMessage(compressed, 'gzip', 1 << 24);
    assert.ok(out instanceof Promise);
    assert.ok((await out).equals(zeros));
    await fails(() => decompressMessage(compressed, 'gzip', 1 << 21), status.RESOURCE_EXHAUSTED, /larger than 2097152/);
  });

  test('past the server-wide budget: RESOURCE_EXHAUSTED "busy"; small messages inflate outside it', async () => {
    const budget = new InflateBudget(8 << 20);
    budget.reserve(8 << 20);
    const large = gzipSync(Buffer.alloc(4 << 20));
    await fails(
      () => decompressMessage(large, 'gzip', 1 << 24, budget),
      status.RESOURCE_EXHAUSTED,
      /^the server is busy decompressing other requests \(8388608 of its 8388608-byte decompression budget in use\); retry later/,
    );
    const small = random(1000);
    assert.ok((decompressMessage(gzipSync(small), 'gzip', 1 << 24, budget) as Buffer).equals(small));
  });

  test('bytes that are not gzip are INTERNAL', async () => {
    await fails(() => decompressMessage(Buffer.from('not gzip'), 'gzip', 100), status.INTERNAL, /decompress/);
  });
  test('the flag without an encoding (or identity) is INTERNAL', async () => {
    await fails(() => decompressMessage(Buffer.from('x'), undefined, 100), status.INTERNAL, /no grpc-encoding/);
    await fails(() => decompressMessage(Buffer.from('x'), 'identity', 100), status.INTERNAL, /no grpc-encoding/);
  });
  test('an unknown encoding is UNIMPLEMENTED', async () => {
    await fails(() => decompressMessage(Buffer.from('x'), 'br', 100), status.UNIMPLEMENTED, /"br"/);
  });
});
