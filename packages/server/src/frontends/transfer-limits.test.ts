import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Clock } from '../core/clock.js';
import {
  DEFAULT_TRANSFER_LIMITS,
  receivedTooSlowly,
  SendStall,
  startSweeps,
  sweepPeriodMs,
  type TransferLimits,
} from './transfer-limits.js';

const MS = 1e6;

describe('receivedTooSlowly (mod_reqtimeout MinRate: rate × (elapsed − grace), the grace as credit)', () => {
  const limits: TransferLimits = { sendStallTimeoutMs: 0, minReceiveBytesPerSec: 1000, receiveRateGraceMs: 10_000 };

  test('nothing is too slow within the grace period', () => {
    assert.equal(receivedTooSlowly(0, 10_000, limits), false);
  });

  test('past it, fewer than rate × (elapsed − grace) bytes is too slow', () => {
    assert.equal(receivedTooSlowly(4999, 15_000, limits), true);
    assert.equal(receivedTooSlowly(5000, 15_000, limits), false);
  });

  test('a rate of 0 turns the check off', () => {
    assert.equal(receivedTooSlowly(0, 1e9, { ...limits, minReceiveBytesPerSec: 0 }), false);
  });

  test('the defaults: a 50 kB/s mobile upload is never too slow, a byte every 25 s is shed right after 30 s', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3_600_000 }),
        (ms) => !receivedTooSlowly((ms / 1000) * 50_000, ms, DEFAULT_TRANSFER_LIMITS),
      ),
    );
    assert.equal(receivedTooSlowly(2, 30_000, DEFAULT_TRANSFER_LIMITS), false);
    assert.equal(receivedTooSlowly(2, 30_100, DEFAULT_TRANSFER_LIMITS), true);
  });

  test('a client at or above the minimum rate is never too slow, whatever the limits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }),
        fc.integer({ min: 0, max: 600_000 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.float({ min: 1, max: 100, noNaN: true }),
        (rate, grace, ms, factor) =>
          !receivedTooSlowly((rate * factor * ms) / 1000, ms, {
            sendStallTimeoutMs: 0,
            minReceiveBytesPerSec: rate,
            receiveRateGraceMs: grace,
          }),
      ),
    );
  });
});

describe('SendStall', () => {
  test('counts from the first sweep that sees bytes waiting, while neither counter moves', () => {
    const stall = new SendStall();
    assert.equal(stall.observe(true, 10, 5, 0), 0);
    assert.equal(stall.observe(true, 10, 5, 400 * MS), 400);
    assert.equal(stall.observe(true, 10, 5, 900 * MS), 900);
  });

  test('any move of either counter is progress and starts over', () => {
    const stall = new SendStall();
    stall.observe(true, 10, 5, 0);
    assert.equal(stall.observe(true, 11, 5, 500 * MS), 0);
    assert.equal(stall.observe(true, 11, 4, 1000 * MS), 0);
    assert.equal(stall.observe(true, 11, 4, 1600 * MS), 600);
  });

  test('nothing waiting is never a stall, and resets the count', () => {
    const stall = new SendStall();
    stall.observe(true, 1, 1, 0);
    assert.equal(stall.observe(false, 1, 1, 5000 * MS), 0);
    assert.equal(stall.observe(true, 1, 1, 6000 * MS), 0);
    assert.equal(stall.observe(true, 1, 1, 6500 * MS), 500);
  });
});

describe('sweeps', () => {
  test('the period is a quarter of the shortest limit in force, between 100 ms and 1 s; none when both are off', () => {
    assert.equal(sweepPeriodMs(DEFAULT_TRANSFER_LIMITS), 1000);
    assert.equal(sweepPeriodMs({ sendStallTimeoutMs: 2000, minReceiveBytesPerSec: 0, receiveRateGraceMs: 0 }), 500);
    assert.equal(sweepPeriodMs({ sendStallTimeoutMs: 200, minReceiveBytesPerSec: 0, receiveRateGraceMs: 0 }), 100);
    // A zero grace is checked at least every 250 ms.
    assert.equal(sweepPeriodMs({ sendStallTimeoutMs: 0, minReceiveBytesPerSec: 10, receiveRateGraceMs: 0 }), 250);
    assert.equal(sweepPeriodMs({ sendStallTimeoutMs: 0, minReceiveBytesPerSec: 0, receiveRateGraceMs: 5 }), undefined);
  });

  test('startSweeps runs the sweep every period until stopped, also after a sweep that throws', () => {
    const timers: Array<{ fn: () => void; cancelled: boolean }> = [];
    const clock: Clock = {
      nowNs: () => 0,
      wallMs: () => 0,
      setTimer(fn) {
        const timer = { fn, cancelled: false };
        timers.push(timer);
        return () => (timer.cancelled = true);
      },
    };
    let runs = 0;
    const stop = startSweeps(clock, 100, () => {
      runs += 1;
      if (runs === 2) throw new Error('boom');
    });
    timers.at(-1)!.fn();
    assert.throws(() => timers.at(-1)!.fn(), /boom/);
    timers.at(-1)!.fn();
    assert.equal(runs, 3);
    stop();
    assert.equal(timers.at(-1)!.cancelled, true);
  });
});
