import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConcurrencyRange, parseRequestRateRange } from './ranges.js';

describe('parseConcurrencyRange', () => {
  test('start alone is one level', () => assert.deepEqual(parseConcurrencyRange('4'), [4]));
  test('start:end steps by 1', () => assert.deepEqual(parseConcurrencyRange('1:4'), [1, 2, 3, 4]));
  test('start:end:step stops at or below end', () => {
    assert.deepEqual(parseConcurrencyRange('2:8:3'), [2, 5, 8]);
    assert.deepEqual(parseConcurrencyRange('1:10:4'), [1, 5, 9]);
  });
  test('Nx multiplies', () => {
    assert.deepEqual(parseConcurrencyRange('1:64:2x'), [1, 2, 4, 8, 16, 32, 64]);
    assert.deepEqual(parseConcurrencyRange('3:100:3X'), [3, 9, 27, 81]);
  });
  test('bad ranges are rejected with the flag name', () => {
    assert.throws(() => parseConcurrencyRange('0'), /--concurrency-range 0: start must be at least 1/);
    assert.throws(() => parseConcurrencyRange('4:2'), /end is below start/);
    assert.throws(() => parseConcurrencyRange('1:8:1x'), /factor above 1/);
    assert.throws(() => parseConcurrencyRange('1.5'), /not a whole number/);
    assert.throws(() => parseConcurrencyRange('1:2:3:4'), /start\[:end\[:step\]\]/);
    assert.throws(() => parseConcurrencyRange('1:5000'), /more than 1000 levels/);
  });
});

describe('parseRequestRateRange', () => {
  test('decimal rates and steps reach an end they land on', () => {
    assert.deepEqual(parseRequestRateRange('50:200:50'), [50, 100, 150, 200]);
    assert.deepEqual(parseRequestRateRange('0.1:0.3:0.1'), [0.1, 0.2, 0.3]);
    assert.deepEqual(parseRequestRateRange('12.5'), [12.5]);
    assert.deepEqual(parseRequestRateRange('10:80:2x'), [10, 20, 40, 80]);
  });
  test('a zero rate is rejected', () => assert.throws(() => parseRequestRateRange('0:10'), /above 0/));
});
