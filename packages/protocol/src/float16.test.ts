import { test } from 'node:test';
import assert from 'node:assert/strict';
import { float16BitsToNumber, numberToFloat16Bits } from './float16.js';

test('exact values, signs, infinities and NaN', () => {
  assert.equal(numberToFloat16Bits(0), 0);
  assert.equal(numberToFloat16Bits(-0), 0x8000);
  assert.equal(numberToFloat16Bits(1), 0x3c00);
  assert.equal(numberToFloat16Bits(-2), 0xc000);
  assert.equal(numberToFloat16Bits(65504), 0x7bff);
  assert.equal(numberToFloat16Bits(65520), 0x7c00, 'rounds up to Infinity');
  assert.equal(numberToFloat16Bits(Infinity), 0x7c00);
  assert.equal(numberToFloat16Bits(-Infinity), 0xfc00);
  assert.ok(Number.isNaN(float16BitsToNumber(numberToFloat16Bits(NaN))));
});

test('subnormals and underflow', () => {
  assert.equal(numberToFloat16Bits(2 ** -24), 0x0001, 'smallest subnormal');
  assert.equal(numberToFloat16Bits(2 ** -26), 0, 'below half of it: zero');
  assert.equal(float16BitsToNumber(numberToFloat16Bits(3 * 2 ** -24)), 3 * 2 ** -24);
});

test('round to nearest even', () => {
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to the even mantissa (1).
  assert.equal(numberToFloat16Bits(1 + 2 ** -11), 0x3c00);
  // 1 + 3 * 2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
  assert.equal(numberToFloat16Bits(1 + 3 * 2 ** -11), 0x3c02);
  assert.equal(numberToFloat16Bits(1 + 2 ** -11 + 2 ** -20), 0x3c01, 'above halfway rounds up');
});

test('round trip of every finite half value', () => {
  for (let bits = 0; bits < 0x10000; bits++) {
    if ((bits & 0x7c00) === 0x7c00) continue;
    const back = numberToFloat16Bits(float16BitsToNumber(bits));
    assert.equal(back, bits === 0x8000 ? 0x8000 : bits, `bits ${bits.toString(16)}`);
  }
});
