/** Capped inflating of untrusted bytes: results, the cap, corrupt data, and the event-loop bound. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import {
  inflateBounded,
  InflateDataError,
  InflateLimitError,
  inflateSmall,
  SYNC_INFLATE_MAX_OUTPUT_BYTES,
} from './bounded-inflate.js';

for (const [coding, compress] of [
  ['gzip', gzipSync],
  ['deflate', deflateSync],
] as const) {
  describe(`${coding}`, () => {
    test('round-trips, on the thread pool and on the event loop', async () => {
      for (const size of [0, 1, 100_000, 3_000_000]) {
        const original = randomBytes(size);
        assert.ok((await inflateBounded(compress(original), coding, 1 << 24)).equals(original));
      }
      const small = randomBytes(5000);
      assert.ok(inflateSmall(compress(small), coding, 1 << 24)?.equals(small));
    });

    test('output over the cap is an InflateLimitError naming the cap (exactly at the cap passes)', async () => {
      const zeros = compress(Buffer.alloc(10_000));
      assert.equal((await inflateBounded(zeros, coding, 10_000)).length, 10_000);
      await assert.rejects(
        inflateBounded(zeros, coding, 9_999),
        (e) => e instanceof InflateLimitError && e.maxBytes === 9_999,
      );
      assert.throws(() => inflateSmall(zeros, coding, 9_999), InflateLimitError);
    });

    test('a cap of 0 takes an empty result and refuses anything else (zlib itself needs a cap >= 1)', async () => {
      // Regression: zlib's ERR_OUT_OF_RANGE for maxOutputLength 0 came back as "exceeds the limit of 0".
      assert.equal((await inflateBounded(compress(Buffer.alloc(0)), coding, 0)).length, 0);
      assert.equal(inflateSmall(compress(Buffer.alloc(0)), coding, 0)?.length, 0);
      await assert.rejects(inflateBounded(compress(Buffer.alloc(1)), coding, 0), InflateLimitError);
      assert.throws(() => inflateSmall(compress(Buffer.alloc(1)), coding, 0), InflateLimitError);
    });

    test('a bomb stops at the cap instead of inflating whole', async () => {
      // 64 MiB of zeros in ~64 KB; a 1 MiB cap rejects it after about 1 MiB of output.
      const bomb = compress(Buffer.alloc(64 * 1024 * 1024));
      await assert.rejects(inflateBounded(bomb, coding, 1024 * 1024), InflateLimitError);
    });

    test('corrupt or truncated data is an InflateDataError', async () => {
      const good = compress(randomBytes(100_000));
      await assert.rejects(inflateBounded(Buffer.from('not compressed'), coding, 1 << 20), InflateDataError);
      await assert.rejects(inflateBounded(good.subarray(0, good.length >> 1), coding, 1 << 20), InflateDataError);
      assert.throws(() => inflateSmall(Buffer.from('not compressed'), coding, 1 << 20), InflateDataError);
    });

    test('inflateSmall leaves output past the event-loop bound to the thread pool', async () => {
      const big = compress(Buffer.alloc(SYNC_INFLATE_MAX_OUTPUT_BYTES + 1));
      assert.ok(big.length < 32 * 1024);
      assert.equal(inflateSmall(big, coding, 1 << 30), undefined);
      assert.equal((await inflateBounded(big, coding, 1 << 30)).length, SYNC_INFLATE_MAX_OUTPUT_BYTES + 1);
      // Where the caller's own limit is the smaller one, it is the answer.
      assert.throws(() => inflateSmall(big, coding, SYNC_INFLATE_MAX_OUTPUT_BYTES), InflateLimitError);
    });
  });
}
