/**
 * A table of in-flight entries keyed by increasing integers (request keys, execution ids), for
 * the hot path instead of a `Map`.
 *
 * Why not a Map: a long-lived Map with steady set/delete churn replaces its backing table every
 * few dozen operations, and V8 links each replaced table to its successor (for live iterators).
 * Once one table has been promoted to the old generation (any slow moment will do: a large
 * request, a full GC while requests are in flight), that dead table keeps its young successor,
 * and every entry in it, alive through the next scavenge; the successor is promoted in turn, and
 * so on: from then on every in-flight request is promoted and collected only by full GCs.
 * Measured on `simple`, promoted bytes went from ~0.1 to ~2.5 KB per request and stayed there.
 * This table is one array that is only ever replaced when it grows, so nothing is chained.
 *
 * Entries live in slot `key & mask` of a ring that doubles (up to {@link MAX_SLOTS}) when a new
 * key finds its slot taken by a live entry. Keys are issued in order and finish roughly in order,
 * so that is rare; a key still colliding at the largest size (a request outliving thousands of
 * later ones) waits in a small overflow Map instead.
 *
 * @example
 * ```ts
 * const t = new SlotTable<Exec>();
 * t.set(7, exec);
 * t.get(7); // exec
 * t.delete(7);
 * ```
 */
export class SlotTable<T> {
  private keys: number[];
  private values: (T | undefined)[];
  private mask: number;
  private count = 0;
  /** Entries whose slot was taken at the largest ring size; created on first use. */
  private overflow: Map<number, T> | undefined;

  /** @param capacity initial slots (rounded up to a power of two). */
  constructor(capacity = 64) {
    let n = 1;
    while (n < capacity) n *= 2;
    this.keys = new Array<number>(n).fill(-1);
    this.values = new Array<T | undefined>(n).fill(undefined);
    this.mask = n - 1;
  }

  /** Live entries. */
  get size(): number {
    return this.count + (this.overflow?.size ?? 0);
  }

  /** The entry of `key`, if live. */
  get(key: number): T | undefined {
    const i = key & this.mask;
    if (this.keys[i] === key) return this.values[i];
    return this.overflow?.get(key);
  }

  /** True when `key` is live. */
  has(key: number): boolean {
    return this.keys[key & this.mask] === key || (this.overflow?.has(key) ?? false);
  }

  /** Adds or replaces the entry of `key` (a non-negative safe integer: slots use its low bits). */
  set(key: number, value: T): void {
    let i = key & this.mask;
    let held = this.keys[i]!;
    if (held !== key && held !== -1 && this.keys.length < MAX_SLOTS) {
      this.grow();
      i = key & this.mask;
      held = this.keys[i]!;
    }
    if (held === key) {
      this.values[i] = value;
    } else if (held === -1) {
      this.keys[i] = key;
      this.values[i] = value;
      this.count++;
    } else {
      (this.overflow ??= new Map()).set(key, value);
    }
  }

  /** Removes the entry of `key`; true if it was live. */
  delete(key: number): boolean {
    const i = key & this.mask;
    if (this.keys[i] === key) {
      this.keys[i] = -1;
      this.values[i] = undefined;
      this.count--;
      return true;
    }
    return this.overflow?.delete(key) ?? false;
  }

  /** Every live entry (a snapshot: the caller may delete while going through it). */
  list(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== -1) out.push(this.values[i]!);
    if (this.overflow) for (const v of this.overflow.values()) out.push(v);
    return out;
  }

  /**
   * Doubles the ring. Live keys cannot collide after it: keys whose low bits differ at one size
   * still differ at twice that size.
   */
  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const n = oldKeys.length * 2;
    this.keys = new Array<number>(n).fill(-1);
    this.values = new Array<T | undefined>(n).fill(undefined);
    this.mask = n - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i]!;
      if (k === -1) continue;
      this.keys[k & this.mask] = k;
      this.values[k & this.mask] = oldValues[i];
    }
  }
}

/** The largest ring: 4096 slots (two 32 KB arrays). */
export const MAX_SLOTS = 4096;
