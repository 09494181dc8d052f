import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceError } from '../../core/errors.js';
import { assembleBinaryBody, BinaryCursor, parseHeaderLength, splitInferBody } from './binary-extension.js';

test('parseHeaderLength accepts whole numbers within the body', () => {
  assert.equal(parseHeaderLength(undefined, 10), undefined);
  assert.equal(parseHeaderLength('4', 10), 4);
  assert.equal(parseHeaderLength(' 10 ', 10), 10);
  assert.equal(parseHeaderLength('0', 10), 0);
  for (const bad of ['-1', 'abc', '1.5', '', '11']) {
    assert.throws(
      () => parseHeaderLength(bad, 10),
      (e: unknown) => e instanceof InferenceError && e.code === 'INVALID_ARG',
      bad,
    );
  }
});

test('cursor hands out consecutive views and checks the remainder', () => {
  const body = Buffer.from('HEADERabcdefg');
  const { json, binary } = splitInferBody(body, 6);
  assert.equal(Buffer.from(json).toString(), 'HEADER');
  const c = new BinaryCursor(binary);
  assert.equal(Buffer.from(c.take('a', 3)).toString(), 'abc');
  assert.throws(() => c.assertConsumed('m'), /4 byte\(s\) after the last binary input/);
  assert.equal(Buffer.from(c.take('b', 4)).toString(), 'defg');
  c.assertConsumed('m');
  assert.throws(() => c.take('c', 1), /only 0 byte\(s\)/);
});

test('assembleBinaryBody lays out header then chunks', () => {
  const { body, headerLength } = assembleBinaryBody('{"é":1}', [Uint8Array.of(1, 2), Uint8Array.of(3)]);
  assert.equal(headerLength, Buffer.byteLength('{"é":1}'));
  assert.deepEqual([...body.subarray(headerLength)], [1, 2, 3]);
});
