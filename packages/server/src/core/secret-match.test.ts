import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SecretMatcher } from './secret-match.js';

test('matches exactly the secret, as a string', () => {
  const m = new SecretMatcher('s3cret');
  assert.ok(m.matches('s3cret'));
  for (const other of ['', 's3cre', 's3cret ', 'S3CRET', 's3cret\0']) assert.ok(!m.matches(other));
  for (const notString of [undefined, null, 0, ['s3cret'], Buffer.from('s3cret')]) assert.ok(!m.matches(notString));
});

test('any two well-formed strings: a match exactly when equal, whatever their lengths (no throw on length mismatch)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
      assert.equal(new SecretMatcher(a).matches(b), a === b);
      assert.ok(new SecretMatcher(a).matches(a));
    }),
  );
});
