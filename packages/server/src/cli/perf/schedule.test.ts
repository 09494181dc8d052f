import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { intervalGenerator, seededRandom, sendTimes } from './schedule.js';

describe('seeded schedules (deterministic: no clocks involved)', () => {
  test('the RNG is reproducible per seed and uniform-ish in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 10000 }, () => a());
    assert.deepEqual(
      xs.slice(0, 5),
      Array.from({ length: 5 }, () => b()),
    );
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
    assert.notEqual(seededRandom(43)(), seededRandom(42)());
  });

  test('constant gaps are exactly 1000 / rate', () => {
    const times = sendTimes(200, 'constant', 5);
    assert.deepEqual(Array.from(times), [0, 5, 10, 15, 20]);
  });

  test('Poisson: mean rate within 2% over 20 000 arrivals for a fixed seed', () => {
    const rate = 250;
    const n = 20000;
    const times = sendTimes(rate, 'poisson', n, 7);
    const measured = (n - 1) / (times[n - 1]! / 1000);
    assert.ok(Math.abs(measured - rate) / rate < 0.02, `measured ${measured}/s`);
  });

  test('Poisson gaps look exponential: coefficient of variation ≈ 1, ~36.8% of gaps above the mean', () => {
    const gap = intervalGenerator(100, 'poisson', 11);
    const gaps = Array.from({ length: 20000 }, gap);
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length);
    assert.ok(Math.abs(sd / mean - 1) < 0.05, `cv ${sd / mean}`);
    const above = gaps.filter((g) => g > mean).length / gaps.length;
    assert.ok(Math.abs(above - Math.exp(-1)) < 0.02, `share above mean ${above}`);
    assert.ok(gaps.every((g) => g >= 0 && Number.isFinite(g)));
  });

  test('a non-positive rate is an error', () => {
    assert.throws(() => intervalGenerator(0, 'constant'), /above 0/);
  });
});
