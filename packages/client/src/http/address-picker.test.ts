import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressPicker } from './address-picker.js';

test('round robin over the addresses', () => {
  const p = new AddressPicker(['a', 'b', 'c']);
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map(() => p.pick()),
    ['a', 'b', 'c', 'a', 'b', 'c'],
  );
});

test('a failed address is skipped until its ejection (doubling per failure) ends; success resets it', () => {
  let now = 0;
  const p = new AddressPicker(['a', 'b', 'c'], { baseEjectionMs: 100, maxEjectionMs: 250, now: () => now });
  p.failed('b');
  assert.deepEqual(
    [1, 2, 3, 4].map(() => p.pick()),
    ['a', 'c', 'a', 'c'],
  );
  now = 100;
  assert.deepEqual(
    [1, 2, 3].map(() => p.pick()),
    ['a', 'b', 'c'],
  );
  p.failed('b'); // second failure in a row: 200 ms
  now = 299;
  assert.deepEqual(
    [1, 2].map(() => p.pick()),
    ['a', 'c'],
  );
  now = 300;
  p.failed('b');
  p.failed('b'); // capped at 250 ms
  now = 550;
  p.succeeded('b');
  assert.deepEqual(
    [1, 2, 3].map(() => p.pick()),
    ['a', 'b', 'c'],
  );
});

test('with every address ejected, the one whose ejection ends first is used', () => {
  let now = 0;
  const p = new AddressPicker(['a', 'b'], { baseEjectionMs: 100, now: () => now });
  p.failed('a');
  now = 10;
  p.failed('b');
  assert.equal(p.pick(), 'a');
  assert.equal(p.pick(), 'a');
});
