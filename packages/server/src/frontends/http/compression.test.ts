import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, gzipSync } from 'node:zlib';
import { chooseResponseCoding, decodeRequestBody, encodeResponseBody } from './compression.js';
import { HttpStatusError } from './http-status.js';

const text = Buffer.from('{"inputs": []}'.repeat(50));

test('request bodies: identity, gzip, deflate', async () => {
  assert.equal(await decodeRequestBody(text, undefined, 1 << 20), text);
  assert.equal(await decodeRequestBody(text, 'identity', 1 << 20), text);
  assert.deepEqual(await decodeRequestBody(gzipSync(text), 'gzip', 1 << 20), text);
  assert.deepEqual(await decodeRequestBody(deflateSync(text), 'Deflate', 1 << 20), text);
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
  assert.equal(await statusOf(decodeRequestBody(text, 'br', 1 << 20)), 415);
  assert.equal(await statusOf(decodeRequestBody(Buffer.from('not gzip'), 'gzip', 1 << 20)), 400);
  assert.equal(await statusOf(decodeRequestBody(gzipSync(Buffer.alloc(100_000)), 'gzip', 1000)), 413);
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
