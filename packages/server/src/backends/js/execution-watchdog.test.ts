import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../core/scheduling/manual-clock.test-helper.js';
import { ExecutionWatchdog, sweepPeriodMs } from './execution-watchdog.js';

function setup(timeoutMs: number) {
  const clock = new ManualClock();
  const state = { busy: true, progress: 0, timeouts: 0, waiting: false };
  const dog = new ExecutionWatchdog(
    timeoutMs,
    clock,
    () => state.busy,
    () => state.progress,
    () => state.timeouts++,
    () => state.waiting,
  );
  return { clock, state, dog };
}

describe('ExecutionWatchdog', () => {
  test('fires once no progress was seen for the timeout, not before, and stops sweeping', () => {
    const { clock, state, dog } = setup(400);
    dog.arm();
    clock.advanceMs(399);
    assert.equal(state.timeouts, 0);
    clock.advanceMs(1);
    assert.equal(state.timeouts, 1);
    assert.equal(clock.pendingTimers, 0);
    clock.advanceMs(10_000);
    assert.equal(state.timeouts, 1);
  });

  test('progress restarts the count; the timeout is measured from the last progress seen', () => {
    const { clock, state, dog } = setup(400);
    dog.arm();
    for (let i = 0; i < 10; i++) {
      clock.advanceMs(300);
      state.progress++; // an execution returned (or a response was sent) every 300 ms
    }
    assert.equal(state.timeouts, 0);
    // No more progress: fires within 400 ms plus one sweep period of the last progress.
    clock.advanceMs(400 + sweepPeriodMs(400));
    assert.equal(state.timeouts, 1);
  });

  test('an idle instance stops the sweep; arm() starts it again with a fresh count', () => {
    const { clock, state, dog } = setup(400);
    dog.arm();
    state.busy = false;
    clock.advanceMs(sweepPeriodMs(400));
    assert.equal(clock.pendingTimers, 0);
    clock.advanceMs(5_000);
    state.busy = true;
    dog.arm();
    clock.advanceMs(399);
    assert.equal(state.timeouts, 0);
    clock.advanceMs(1);
    assert.equal(state.timeouts, 1);
  });

  test('arm() while sweeping adds no timer; 0 disables; disarm() stops', () => {
    const { clock, state, dog } = setup(400);
    dog.arm();
    dog.arm();
    assert.equal(clock.pendingTimers, 1);
    dog.disarm();
    assert.equal(clock.pendingTimers, 0);
    const off = new ExecutionWatchdog(
      0,
      clock,
      () => true,
      () => 0,
      () => state.timeouts++,
    );
    off.arm();
    assert.equal(clock.pendingTimers, 0);
  });

  test('waiting on another model (a BLS call) counts as progress; the count starts when it ends', () => {
    const { clock, state, dog } = setup(400);
    dog.arm();
    clock.advanceMs(200);
    state.waiting = true;
    clock.advanceMs(10_000);
    assert.equal(state.timeouts, 0, 'a slow callee does not get the caller killed');
    state.waiting = false;
    clock.advanceMs(399);
    assert.equal(state.timeouts, 0);
    clock.advanceMs(400 + sweepPeriodMs(400));
    assert.equal(state.timeouts, 1, 'a caller stuck after its call ended is stopped');
  });

  test('the sweep period is a quarter of the timeout, from 5 ms to 1 s', () => {
    assert.deepEqual([1, 20, 400, 2000, 60_000].map(sweepPeriodMs), [5, 5, 100, 500, 1000]);
  });
});
