import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalCacheStore } from './cache-store.js';

const key = (c: string): string => c.repeat(64);

test('the local store is an LRU bounded by bytes (key and value)', () => {
  const store = new LocalCacheStore(2 * (64 + 100));
  assert.equal(store.set(key('a'), new Uint8Array(100)), true);
  assert.equal(store.set(key('b'), new Uint8Array(100)), true);
  assert.equal(store.usedBytes, 2 * 164);
  assert.ok('hit' in store.get(key('a'))); // a is now the most recent
  store.set(key('c'), new Uint8Array(100)); // evicts b, the least recently used
  assert.ok('miss' in store.get(key('b')));
  assert.ok('hit' in store.get(key('a')));
  assert.ok('hit' in store.get(key('c')));
  assert.ok(store.usedBytes <= 2 * 164);
});

test('an entry larger than the whole cache is refused and counted', () => {
  const store = new LocalCacheStore(100);
  assert.equal(store.set(key('a'), new Uint8Array(37)), false);
  assert.equal(store.oversized, 1);
  assert.equal(store.entries, 0);
  assert.equal(store.set(key('a'), new Uint8Array(36)), true);
});
