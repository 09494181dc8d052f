import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../core/scheduling/manual-clock.test-helper.js';
import { MemoryWatch, type MemoryWatched } from './memory-watch.js';

const MB = 2 ** 20;

function setup(limitsMb: number[]) {
  const clock = new ManualClock();
  let rss = 1000 * MB;
  const watch = new MemoryWatch({
    clock,
    rss: () => {
      if (rss < 0)
        throw Object.assign(new Error('EMFILE: too many open files, uv_resident_set_memory'), { code: 'EMFILE' });
      return rss;
    },
    periodMs: 10,
    maxGateBytes: 64 * MB,
  });
  const instances = limitsMb.map((mb) => {
    const w = { memoryLimitBytes: mb * MB, isBusy: true, checks: 0 };
    const watched: MemoryWatched = {
      memoryLimitBytes: w.memoryLimitBytes,
      busy: () => w.isBusy,
      check: () => w.checks++,
    };
    return Object.assign(w, { unwatch: watch.add(watched) });
  });
  return { clock, watch, instances, setRss: (mb: number) => (rss = mb * MB) };
}

describe('MemoryWatch', () => {
  test('RSS that cannot be read (EMFILE at the descriptor limit) skips the sample and sampling goes on', () => {
    const { clock, watch, instances, setRss } = setup([512]);
    watch.arm();
    clock.advanceMs(10); // the reference: 1000 MB
    setRss(-1);
    assert.doesNotThrow(() => clock.advanceMs(30));
    setRss(1100);
    clock.advanceMs(10);
    assert.equal(instances[0]!.checks, 1);
  });

  test('samples while an instance is busy; growth past the gate makes every instance check itself', () => {
    const { clock, watch, instances, setRss } = setup([512, 1024]);
    assert.equal(watch.gate, 64 * MB);
    watch.arm();
    clock.advanceMs(10); // first sample: the reference
    setRss(1060);
    clock.advanceMs(10);
    assert.deepEqual(
      instances.map((i) => i.checks),
      [0, 0],
    );
    setRss(1064);
    clock.advanceMs(10);
    assert.deepEqual(
      instances.map((i) => i.checks),
      [1, 1],
    );
    // The reference moved up: the next round needs another gate of growth.
    setRss(1100);
    clock.advanceMs(10);
    assert.equal(instances[0]!.checks, 1);
    setRss(1130);
    clock.advanceMs(10);
    assert.equal(instances[0]!.checks, 2);
  });

  test('the reference follows RSS down, so growth is measured from the lowest point', () => {
    const { clock, watch, instances, setRss } = setup([512]);
    watch.arm();
    clock.advanceMs(10);
    setRss(900);
    clock.advanceMs(10);
    setRss(963);
    clock.advanceMs(10);
    assert.equal(instances[0]!.checks, 0);
    setRss(964);
    clock.advanceMs(10);
    assert.equal(instances[0]!.checks, 1);
  });

  test('stops when nothing is busy and keeps its reference, so a leak across bursts still counts', () => {
    const { clock, watch, instances, setRss } = setup([512]);
    const w = instances[0]!;
    watch.arm();
    clock.advanceMs(10);
    w.isBusy = false;
    clock.advanceMs(10);
    assert.equal(clock.pendingTimers, 0);
    setRss(1040); // left behind by the first burst
    w.isBusy = true;
    watch.arm();
    clock.advanceMs(10);
    assert.equal(w.checks, 0);
    setRss(1070); // and the second
    clock.advanceMs(10);
    assert.equal(w.checks, 1);
  });

  test('the gate is a quarter of the smallest cap, at most the configured maximum; no instance, no sampling', () => {
    const { watch, instances } = setup([128, 2048]);
    assert.equal(watch.gate, 32 * MB);
    instances[0]!.unwatch();
    assert.equal(watch.gate, 64 * MB);
    instances[1]!.unwatch();
    const clock = new ManualClock();
    const empty = new MemoryWatch({ clock, rss: () => 0 });
    empty.arm();
    assert.equal(clock.pendingTimers, 0);
  });
});
