/** The server-wide decompression budget: reservations, and inflations capped at what they got. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { inflateBounded, InflateLimitError } from './bounded-inflate.js';
import { InflateBudget, InflateBusyError, MAX_DEFLATE_RATIO, worstCaseOutput } from './inflate-budget.js';

const MIB = 1 << 20;

describe('InflateBudget', () => {
  test('reserve gives what is free, reserveAll all or nothing, release returns it', () => {
    const budget = new InflateBudget(100);
    assert.equal(budget.reserve(60), 60);
    assert.equal(budget.reserve(60), 40);
    assert.equal(budget.reserve(1), 0);
    assert.equal(budget.inUseBytes, 100);
    budget.release(50);
    assert.equal(budget.reserveAll(51), false);
    assert.equal(budget.reserveAll(50), true);
    budget.release(1000);
    assert.equal(budget.inUseBytes, 0);
    assert.throws(() => new InflateBudget(0), RangeError);
  });

  test('the busy error says what is in use and that it is retryable', () => {
    const budget = new InflateBudget(1000);
    budget.reserve(700);
    const e = budget.busy();
    assert.ok(e instanceof InflateBusyError);
    assert.match(
      e.message,
      /busy decompressing other requests \(700 of its 1000-byte decompression budget in use\); retry later/,
    );
  });

  test('worstCaseOutput bounds what deflate can produce (property)', () => {
    // The most compressible input there is: zeros. Any input's output is at most 1032 times it.
    for (const size of [0, 1000, MIB, 16 * MIB]) {
      for (const compressed of [
        gzipSync(Buffer.alloc(size), { level: 9 }),
        deflateSync(Buffer.alloc(size), { level: 9 }),
      ]) {
        assert.ok(size <= worstCaseOutput(compressed.length, Infinity), `${size} from ${compressed.length}`);
      }
    }
    fc.assert(
      fc.property(fc.nat(1 << 24), fc.nat(1 << 30), (input, max) => {
        const w = worstCaseOutput(input, max);
        return w <= max && w <= input * MAX_DEFLATE_RATIO && (w === max || w === input * MAX_DEFLATE_RATIO);
      }),
    );
  });
});

describe('inflateBounded with a budget', () => {
  const zeros = gzipSync(Buffer.alloc(8 * MIB));

  test('a message the budget covers inflates, and its reservation is returned', async () => {
    const budget = new InflateBudget(64 * MIB);
    const original = randomBytes(3 * MIB);
    assert.ok((await inflateBounded(gzipSync(original), 'gzip', 64 * MIB, budget)).equals(original));
    assert.equal(budget.inUseBytes, 0);
  });

  test('with less free than the worst case, output up to what was free still passes', async () => {
    const budget = new InflateBudget(64 * MIB);
    const held = budget.reserve(54 * MIB);
    // Worst case 64 MiB (the limit), 10 MiB free, 8 MiB of output: fine.
    assert.equal((await inflateBounded(zeros, 'gzip', 64 * MIB, budget)).length, 8 * MIB);
    budget.release(held);
    assert.equal(budget.inUseBytes, 0);
  });

  test('output past what was free is InflateBusyError, not the limit; nothing free fails at once', async () => {
    const budget = new InflateBudget(64 * MIB);
    const held = budget.reserve(60 * MIB);
    await assert.rejects(inflateBounded(zeros, 'gzip', 64 * MIB, budget), InflateBusyError);
    assert.equal(budget.inUseBytes, 60 * MIB);
    budget.reserve(4 * MIB);
    await assert.rejects(inflateBounded(zeros, 'gzip', 64 * MIB, budget), InflateBusyError);
    budget.release(held + 4 * MIB);
    // With the budget free again, the limit is what refuses a message over it.
    await assert.rejects(inflateBounded(zeros, 'gzip', 4 * MIB, budget), InflateLimitError);
  });

  test('concurrent inflations never hold more than the budget (bombs fail, the budget drains)', async () => {
    const budget = new InflateBudget(32 * MIB);
    const bomb = gzipSync(Buffer.alloc(64 * MIB));
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, budget.inUseBytes)), 1);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => inflateBounded(bomb, 'gzip', 16 * MIB, budget)),
    );
    clearInterval(timer);
    assert.ok(peak <= 32 * MIB);
    const reasons = results.map((r) => (r.status === 'rejected' ? (r.reason as Error).name : 'ok'));
    assert.ok(reasons.includes('InflateLimitError'), reasons.join());
    assert.ok(reasons.includes('InflateBusyError'), reasons.join());
    assert.equal(budget.inUseBytes, 0);
  });
});
