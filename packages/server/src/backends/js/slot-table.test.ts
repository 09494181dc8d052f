import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SLOTS, SlotTable } from './slot-table.js';

/** Checks every observable of `table` against a Map holding the same entries. */
function assertSame(table: SlotTable<string>, model: Map<number, string>, probe: readonly number[]): void {
  assert.equal(table.size, model.size);
  for (const k of probe) {
    assert.equal(table.get(k), model.get(k), `get(${k})`);
    assert.equal(table.has(k), model.has(k), `has(${k})`);
  }
  assert.deepEqual([...table.list()].sort(), [...model.values()].sort());
}

describe('SlotTable', () => {
  test('set, get, has, delete and size on sequential keys', () => {
    const t = new SlotTable<string>(4);
    t.set(0, 'a');
    t.set(1, 'b');
    assert.equal(t.get(0), 'a');
    assert.equal(t.get(1), 'b');
    assert.equal(t.get(2), undefined);
    assert.equal(t.size, 2);
    t.set(1, 'B');
    assert.equal(t.get(1), 'B', 'set on a live key replaces its entry');
    assert.equal(t.size, 2);
    assert.equal(t.delete(0), true);
    assert.equal(t.delete(0), false, 'a second delete finds nothing');
    assert.equal(t.has(0), false);
    assert.equal(t.size, 1);
  });

  test('a key whose slot holds a live entry grows the ring and keeps both', () => {
    const t = new SlotTable<string>(4);
    t.set(1, 'one');
    t.set(5, 'five'); // 5 & 3 === 1 & 3
    assert.equal(t.get(1), 'one');
    assert.equal(t.get(5), 'five');
    assert.equal(t.get(9), undefined, 'a third key of the same slot is not mistaken for either');
  });

  test('keys colliding at the largest ring size wait in the overflow and stay reachable', () => {
    const t = new SlotTable<string>(MAX_SLOTS);
    t.set(3, 'old');
    t.set(3 + MAX_SLOTS, 'new');
    t.set(3 + 2 * MAX_SLOTS, 'newer');
    assert.equal(t.size, 3);
    assert.equal(t.get(3), 'old');
    assert.equal(t.get(3 + MAX_SLOTS), 'new');
    assert.equal(t.get(3 + 2 * MAX_SLOTS), 'newer');
    assert.deepEqual(t.list().sort(), ['new', 'newer', 'old']);
    assert.equal(t.delete(3 + MAX_SLOTS), true);
    assert.equal(t.has(3 + MAX_SLOTS), false);
    assert.equal(t.size, 2);
  });

  test('keys past 2^32 (a server that ran for days) still find their own slots', () => {
    const t = new SlotTable<string>(8);
    const base = 2 ** 40 + 5;
    for (let k = base; k < base + 20; k++) t.set(k, `v${k}`);
    t.set(base + 8 * 1024, 'far');
    for (let k = base; k < base + 20; k++) assert.equal(t.get(k), `v${k}`);
    assert.equal(t.get(base + 8 * 1024), 'far');
    assert.equal(t.get(base - 2 ** 32), undefined, 'a key with the same low 32 bits is another key');
    assert.equal(t.size, 21);
  });

  test('a long-lived key among many short-lived ones (in-flight traffic) behaves as a Map', () => {
    const t = new SlotTable<string>(8);
    const model = new Map<number, string>();
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    t.set(0, 'stuck');
    model.set(0, 'stuck');
    const live: number[] = [];
    for (let key = 1; key < 20_000; key++) {
      t.set(key, `v${key}`);
      model.set(key, `v${key}`);
      live.push(key);
      // Finish a few in-flight keys, mostly the oldest ones, now and then a random one.
      while (live.length > 40 || (live.length > 0 && random() < 0.4)) {
        const at = random() < 0.8 ? 0 : Math.floor(random() * live.length);
        const [done] = live.splice(at, 1);
        assert.equal(t.delete(done!), model.delete(done!));
      }
      if (key % 997 === 0) assertSame(t, model, [0, key, key - 1, key - 40, key + 1, ...live]);
    }
    assertSame(t, model, [0, ...live]);
    assert.equal(t.get(0), 'stuck', 'the long-lived key survived every growth and collision');
  });
});
