import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, gzipSync } from 'node:zlib';
import { InflateBudget } from '../inflate-budget.js';
import {
  chooseResponseCoding,
  decodeRequestBody,
  encodeResponseBody,
  JSON_INFLATION_FLOOR_BYTES,
} from './compression.js';
import { HttpStatusError } from './http-status.js';

const MIB = 1 << 20;
const limit = (maxBytes: number): { maxBytes: number } => ({ maxBytes });

/** The HttpStatusError a decode fails with (or undefined when it succeeds). */
async function failureOf(p: Promise<unknown>): Promise<HttpStatusError | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    assert.ok(err instanceof HttpStatusError, String(err));
    return err;
  }
}

const text = Buffer.from('{"inputs": []}'.repeat(50));

test('request bodies: identity, gzip, deflate', async () => {
  assert.equal(await decodeRequestBody(text, undefined, limit(MIB)), text);
  assert.equal(await decodeRequestBody(text, 'identity', limit(MIB)), text);
  assert.deepEqual(await decodeRequestBody(gzipSync(text), 'gzip', limit(MIB)), text);
  assert.deepEqual(await decodeRequestBody(deflateSync(text), 'Deflate', limit(MIB)), text);
});

test('request bodies: unknown coding 415, corrupt 400, bomb 413', async () => {
  const statusOf = async (p: Promise<unknown>): Promise<number> => {
    try {
      await p;
      return 0;
    } catch (err) {
      assert.ok(err instanceof HttpStatusError);
      return err.statusCode;
    }
  };
  assert.equal(await statusOf(decodeRequestBody(text, 'br', limit(MIB))), 415);
  assert.equal(await statusOf(decodeRequestBody(Buffer.from('not gzip'), 'gzip', limit(MIB))), 400);
  assert.equal(await statusOf(decodeRequestBody(gzipSync(Buffer.alloc(100_000)), 'gzip', limit(1000))), 413);
});

test('request bodies: 503 with Retry-After while the decompression budget is in use, 200 once free', async () => {
  const body = gzipSync(Buffer.alloc(4 * MIB));
  const budget = new InflateBudget(8 * MIB);
  const held = budget.reserve(6 * MIB);
  const busy = await failureOf(decodeRequestBody(body, 'gzip', { maxBytes: 16 * MIB, budget }));
  assert.equal(busy?.statusCode, 503);
  assert.equal(busy?.headers['retry-after'], '1');
  assert.match(busy?.message ?? '', /the server is busy decompressing other requests \(6291456 of its 8388608-byte/);
  budget.release(held);
  assert.equal((await decodeRequestBody(body, 'gzip', { maxBytes: 16 * MIB, budget })).length, 4 * MIB);
  assert.equal(budget.inUseBytes, 0, 'the reservation is returned');
});

test('request bodies: JSON past the inflation ratio is 413, binary data and small JSON are not limited', async () => {
  // 1 MiB of JSON numbers, which gzip ~1000:1.
  const zeros = Buffer.from(`[${'0,'.repeat(MIB / 2 - 1)}0]`);
  const packed = gzipSync(zeros);
  assert.ok(zeros.length / packed.length > 500);
  const refused = await failureOf(decodeRequestBody(packed, 'gzip', { maxBytes: 64 * MIB, maxJsonRatio: 32 }));
  assert.equal(refused?.statusCode, 413);
  assert.match(
    refused?.message ?? '',
    /the JSON of the gzip-compressed request body is more than 32 times the \d+ bytes sent/,
  );
  // No ratio, or a ratio the body meets: accepted.
  assert.equal((await decodeRequestBody(packed, 'gzip', { maxBytes: 64 * MIB })).length, zeros.length);
  assert.equal(
    (await decodeRequestBody(packed, 'gzip', { maxBytes: 64 * MIB, maxJsonRatio: 1032 })).length,
    zeros.length,
  );
  // JSON up to the floor passes whatever its ratio.
  const small = Buffer.from(`[${'0,'.repeat(JSON_INFLATION_FLOOR_BYTES / 2 - 2)}0]`);
  assert.equal(
    (await decodeRequestBody(gzipSync(small), 'gzip', { maxBytes: MIB, maxJsonRatio: 32 })).length,
    small.length,
  );
  // A binary request: only its JSON part (Inference-Header-Content-Length) counts.
  const binary = Buffer.concat([Buffer.from('{"inputs":[]}'), Buffer.alloc(4 * MIB)]);
  const decoded = await decodeRequestBody(gzipSync(binary), 'gzip', {
    maxBytes: 64 * MIB,
    maxJsonRatio: 32,
    jsonHeaderLength: '13',
  });
  assert.equal(decoded.length, binary.length);
  const jsonHeavy = await failureOf(
    decodeRequestBody(gzipSync(Buffer.concat([zeros, Buffer.alloc(100)])), 'gzip', {
      maxBytes: 64 * MIB,
      maxJsonRatio: 32,
      jsonHeaderLength: String(zeros.length),
    }),
  );
  assert.equal(jsonHeavy?.statusCode, 413);
});

test('Accept-Encoding: best weighted of gzip / deflate / identity; br ignored', () => {
  assert.equal(chooseResponseCoding(undefined), undefined);
  assert.equal(chooseResponseCoding('gzip'), 'gzip');
  assert.equal(chooseResponseCoding('br'), undefined);
  assert.equal(chooseResponseCoding('br, deflate'), 'deflate');
  assert.equal(chooseResponseCoding('gzip;q=0.5, deflate;q=0.8'), 'deflate');
  assert.equal(chooseResponseCoding('identity, gzip;q=0.5'), undefined);
  assert.equal(chooseResponseCoding('gzip, deflate'), 'gzip');
});

test('response bodies round-trip', async () => {
  const { gunzipSync, inflateSync } = await import('node:zlib');
  assert.deepEqual(gunzipSync(await encodeResponseBody(text, 'gzip')), text);
  assert.deepEqual(inflateSync(await encodeResponseBody(text, 'deflate')), text);
});
