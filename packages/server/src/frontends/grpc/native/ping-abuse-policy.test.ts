import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IDLE_PING_INTERVAL_MS, PingAbusePolicy } from './ping-abuse-policy.js';

describe('PingAbusePolicy (gRPC core chttp2 semantics)', () => {
  test('the first ping is free; two strikes are tolerated, the third ends it', () => {
    const policy = new PingAbusePolicy(300_000, 2);
    assert.equal(policy.received(0, false), false);
    assert.equal(policy.received(1, false), false); // strike 1
    assert.equal(policy.received(2, false), false); // strike 2
    assert.equal(policy.received(3, false), true); // strike 3 > 2
  });

  test('pings at least the interval apart are never strikes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 50 }),
        (interval, gaps) => {
          const policy = new PingAbusePolicy(interval, 1);
          let now = 1_000_000;
          for (const gap of gaps) {
            now += interval + gap;
            if (policy.received(now, false)) return false;
          }
          return policy.strikeCount === 0;
        },
      ),
    );
  });

  test('sending data or headers forgives strikes', () => {
    const policy = new PingAbusePolicy(300_000, 2);
    for (let round = 0; round < 5; round++) {
      assert.equal(policy.received(round * 10, false), false);
      assert.equal(policy.received(round * 10 + 1, false), false);
      policy.reset();
    }
  });

  test('with no call in flight (and pings without calls not permitted), one ping per 2 hours', () => {
    const policy = new PingAbusePolicy(10, 1);
    assert.equal(policy.received(0, true), false);
    assert.equal(policy.received(60_000, true), false); // strike 1, though far above 10 ms
    assert.equal(policy.received(60_000 + IDLE_PING_INTERVAL_MS, true), false); // on time: no strike
    assert.equal(policy.received(60_001 + IDLE_PING_INTERVAL_MS, true), true); // strike 2 > 1
  });

  test('0 strikes allowed means any number', () => {
    const policy = new PingAbusePolicy(300_000, 0);
    for (let i = 0; i < 100; i++) assert.equal(policy.received(i, false), false);
    assert.equal(policy.strikeCount, 99);
  });
});
