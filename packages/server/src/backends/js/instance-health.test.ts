import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../core/scheduling/manual-clock.test-helper.js';
import { defaultRestartDelayMs, InstanceHealth } from './instance-health.js';

test('InstanceHealth: failures in a row set the back-off, the message says why and when, listeners hear up/down', () => {
  const clock = new ManualClock();
  const health = new InstanceHealth('m_0', clock);
  const seen: boolean[] = [];
  health.onChange(() => seen.push(health.up));
  assert.equal(health.error(), undefined);
  assert.equal(health.failed('it crashed: exit 3'), 0);
  assert.equal(
    health.error()?.message,
    'model instance m_0 is restarting after it crashed: exit 3; it is starting again now',
  );
  assert.equal(health.error()?.code, 'UNAVAILABLE');
  assert.equal(health.failed('it could not restart: boom'), 100);
  assert.equal(health.failed('it could not restart: boom'), 200);
  clock.advanceMs(50);
  assert.equal(
    health.error()?.message,
    'model instance m_0 is restarting after 3 failures in a row, the last: it could not restart: boom; ' +
      'next start attempt in 0.1 s',
  );
  health.retryIn(0);
  assert.match(health.error()!.message, /it is starting again now$/);
  health.markUp();
  assert.equal(health.error(), undefined);
  assert.deepEqual(seen, [false, true]); // one change each way, not one per failure
  // A success resets the back-off; without one it keeps growing.
  assert.equal(health.failed('again'), 400);
  health.succeeded();
  assert.equal(health.failed('again'), 0);
  assert.deepEqual([1, 2, 3, 4, 12, 50].map(defaultRestartDelayMs), [0, 100, 200, 400, 30_000, 30_000]);
});
