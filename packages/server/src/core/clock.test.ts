import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { backgroundClock, systemClock } from './clock.js';

describe('systemClock.setTimer', () => {
  test('fires once, never synchronously, and not before its (fractional) deadline', async () => {
    for (const ms of [0, 0.3, 1.2, 4]) {
      const start = performance.now();
      let fired = 0;
      let firedAt = 0;
      const done = new Promise<void>((resolve) =>
        systemClock.setTimer(() => {
          fired++;
          firedAt = performance.now();
          resolve();
        }, ms),
      );
      assert.equal(fired, 0, 'not synchronous');
      await done;
      await new Promise((r) => setTimeout(r, 5));
      assert.equal(fired, 1);
      // A lower bound only (an early timer is a bug); how late it fires is never asserted.
      assert.ok(firedAt - start >= ms, `fired after ${firedAt - start} ms for a ${ms} ms timer`);
    }
  });

  test('a cancelled timer never fires, in either phase', async () => {
    let fired = false;
    systemClock.setTimer(() => (fired = true), 0.5)();
    systemClock.setTimer(() => (fired = true), 3)();
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(fired, false);
  });
});

describe('backgroundClock.setTimer', () => {
  test('fires once, not before its deadline, and can be cancelled', async () => {
    // Its timers never keep the process alive: this one does, while the test waits.
    const keepAlive = setTimeout(() => {}, 1000);
    const start = performance.now();
    const firedAt = await new Promise<number>((resolve) =>
      backgroundClock.setTimer(() => resolve(performance.now()), 3),
    );
    // Node may fire a whole-millisecond timer up to 1 ms early by the monotonic clock.
    assert.ok(firedAt - start >= 2, `fired after ${firedAt - start} ms for a 3 ms timer`);
    let fired = false;
    backgroundClock.setTimer(() => (fired = true), 1)();
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(fired, false);
    clearTimeout(keepAlive);
  });

  test('timers are unref()ed and a limit past setTimeout range does not fire at once', async () => {
    let fired = false;
    const cancel = backgroundClock.setTimer(() => (fired = true), 2 ** 31 + 1000);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(fired, false);
    cancel();
    let soon = false;
    backgroundClock.setTimer(() => (soon = true), 1);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(soon, true);
  });
});
