import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { detExp, detSigmoid, detSin, detTanh } from './det-math.js';
import { fitRidge } from './ridge-regression.js';
import { SeededRandom } from './seeded-random.js';
import { float16BitsToNumber, numberToBfloat16Bits, numberToFloat16Bits } from '@tensorgate/protocol/float16';

const close = (a: number, b: number, rel = 1e-14): boolean => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));

describe('deterministic math', () => {
  test('detExp, detTanh, detSigmoid and detSin agree with Math to ~1e-14', () => {
    for (let x = -30; x <= 30; x += 0.37) {
      assert.ok(close(detExp(x), Math.exp(x)), `exp(${x})`);
      assert.ok(close(detTanh(x), Math.tanh(x)), `tanh(${x})`);
      assert.ok(close(detSigmoid(x), 1 / (1 + Math.exp(-x))), `sigmoid(${x})`);
      assert.ok(Math.abs(detSin(x) - Math.sin(x)) < 1e-13, `sin(${x})`);
    }
    assert.equal(detExp(0), 1);
    assert.equal(detExp(1000), Infinity);
    assert.equal(detExp(-1000), 0);
  });
});

describe('SeededRandom', () => {
  test('the stream is fixed by the seed (pinned values keep committed models reproducible)', () => {
    const a = new SeededRandom(1);
    const b = new SeededRandom(1);
    const first = [a.nextUint32(), a.nextUint32(), a.nextUint32()];
    assert.deepEqual(first, [b.nextUint32(), b.nextUint32(), b.nextUint32()]);
    // Same values as the reference mulberry32 (0.6270739405881613, 0.0027357211802154779, 0.5274470399599522).
    assert.deepEqual(first, [2693262067, 11749833, 2265367787]);
    assert.notDeepEqual(new SeededRandom(2).nextUint32(), first[0]);
    const u = new SeededRandom(3).uniformArray(1000, 0.5);
    assert.ok(u.every((v) => v >= -0.5 && v < 0.5));
  });
});

describe('fitRidge', () => {
  test('recovers an exact linear map with bias', () => {
    const rng = new SeededRandom(5);
    const xs = Array.from({ length: 50 }, () => [rng.uniform(1), rng.uniform(1), rng.uniform(1)]);
    const ys = xs.map(([a = 0, b = 0, c = 0]) => [2 * a - b + 0.5, c - 3]);
    const fit = fitRidge(xs, ys, 1e-12);
    const want = [2, -1, 0, 0, 0, 1];
    want.forEach((w, i) => assert.ok(Math.abs((fit.weights[i] ?? NaN) - w) < 1e-8, `w[${i}]`));
    assert.ok(Math.abs((fit.bias[0] ?? NaN) - 0.5) < 1e-8);
    assert.ok(Math.abs((fit.bias[1] ?? NaN) + 3) < 1e-8);
  });

  test('a large lambda shrinks the weights towards zero', () => {
    const xs = [[0], [1], [2], [3]];
    const ys = [[0], [2], [4], [6]];
    assert.ok(Math.abs(fitRidge(xs, ys, 1e6).weights[0] ?? NaN) < 1e-3);
  });
});

describe('half-precision conversion', () => {
  test('float16 round-trips representable values and rounds to nearest even', () => {
    for (const v of [0, 1, -2, 0.5, 65504, 2 ** -24, -(2 ** -14)])
      assert.equal(float16BitsToNumber(numberToFloat16Bits(v)), v);
    assert.equal(numberToFloat16Bits(1), 0x3c00);
    assert.equal(numberToFloat16Bits(1 + 2 ** -11), 0x3c00); // tie → even
    assert.equal(numberToFloat16Bits(1 + 3 * 2 ** -11), 0x3c02); // tie → even (up)
    assert.equal(numberToFloat16Bits(1e6), 0x7c00);
    assert.ok(Number.isNaN(float16BitsToNumber(numberToFloat16Bits(NaN))));
  });

  test('bfloat16 keeps the top 16 bits with rounding', () => {
    assert.equal(numberToBfloat16Bits(1), 0x3f80);
    assert.equal(numberToBfloat16Bits(-2.5), 0xc020);
    assert.equal(numberToBfloat16Bits(1 + 2 ** -8), 0x3f80); // tie → even
    assert.equal(numberToBfloat16Bits(NaN) & 0x7fc0, 0x7fc0);
  });
});
