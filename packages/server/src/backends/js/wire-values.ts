/**
 * The value stream of a hot-path packet (see wire-packet.ts): the primitives a packet carries,
 * written into one ArrayBuffer that moves to the other thread in the transfer list, instead of a
 * JS array that postMessage would structured-clone value by value.
 *
 * Layout: `capacity` float64 slots, then `capacity` kind bytes (what each slot holds). Numbers sit
 * in their slot; a string's slot holds its index in the packet's string table, where each distinct
 * short string appears once (tensor names and datatypes repeat for every request of a batch); an
 * object's slot (a parameter map, a log object: rare) holds its index in the packet's object list,
 * which is the only part still structured-cloned. With 35 `simple` requests per packet, a round
 * trip costs 60-65 % of the cloned array's CPU on the main thread and 72-85 % on the worker
 * (bench/js-packet-cost.mjs).
 * Hand-written because it is a private format between two halves of this backend.
 */

/** What one slot holds (its kind byte). */
const Kind = { Number: 0, String: 1, True: 2, False: 3, Null: 4, Object: 5 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

const KIND_NAMES = ['number', 'string', 'true', 'false', 'null', 'object'] as const;

/** Bytes per slot: a float64 and its kind byte. */
const SLOT_BYTES = 9;
/** Smallest stream; the next packet's is sized after what the previous packet used. */
const MIN_CAPACITY = 64;
/** Strings longer than this are not looked up in the table (hashing them would cost more than it saves). */
const DEDUP_MAX_LENGTH = 64;

/** A parameter or log object: the only values still structured-cloned. */
export type WireObject = Readonly<Record<string, unknown>>;

/** A value as written and read back. */
export type WireValue = string | number | boolean | null | WireObject;

/** The values of a packet, as they cross the thread boundary (`values` goes in the transfer list). */
export interface WireValues {
  /** `capacity` float64 slots followed by `capacity` kind bytes; capacity = byteLength / 9. */
  readonly values: ArrayBuffer;
  /** Slots used, from the start. */
  readonly count: number;
  /** The string table that string slots index. */
  readonly strings: readonly string[];
  /** The objects that object slots index. */
  readonly objects: readonly WireObject[];
}

/**
 * Appends values to a stream; {@link take} hands the stream over and starts a fresh one.
 *
 * @example
 * ```ts
 * const w = new ValueWriter();
 * w.number(7); w.value('INPUT0'); w.value(null);
 * const values = w.take(); // post values.values in the transfer list
 * ```
 */
export class ValueWriter {
  private buffer: ArrayBuffer | undefined;
  private nums = new Float64Array(0);
  private kinds = new Uint8Array(0);
  private n = 0;
  private nextCapacity = MIN_CAPACITY;
  private strings: string[] = [];
  private stringIds = new Map<string, number>();
  private objects: WireObject[] = [];

  /** Values written since the last {@link take}. */
  get count(): number {
    return this.n;
  }

  /** Appends a number. */
  number(v: number): void {
    const i = this.slot();
    this.nums[i] = v;
    this.kinds[i] = Kind.Number;
  }

  /** Appends any value. */
  value(v: WireValue): void {
    if (typeof v === 'number') {
      this.number(v);
      return;
    }
    const i = this.slot();
    if (typeof v === 'string') {
      this.nums[i] = this.stringId(v);
      this.kinds[i] = Kind.String;
    } else if (typeof v === 'boolean') {
      this.kinds[i] = v ? Kind.True : Kind.False;
    } else if (v === null) {
      this.kinds[i] = Kind.Null;
    } else {
      this.nums[i] = this.objects.push(v) - 1;
      this.kinds[i] = Kind.Object;
    }
  }

  /** The stream written so far, leaving this writer empty. */
  take(): WireValues {
    const count = this.n;
    const values: WireValues = {
      values: this.buffer ?? new ArrayBuffer(0),
      count,
      strings: this.strings,
      objects: this.objects,
    };
    let capacity = MIN_CAPACITY;
    while (capacity < count) capacity *= 2;
    this.nextCapacity = capacity;
    this.buffer = undefined;
    this.nums = new Float64Array(0);
    this.kinds = new Uint8Array(0);
    this.n = 0;
    this.strings = [];
    if (this.stringIds.size > 0) this.stringIds = new Map();
    this.objects = [];
    return values;
  }

  private stringId(s: string): number {
    if (s.length > DEDUP_MAX_LENGTH) return this.strings.push(s) - 1;
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.push(s) - 1;
      this.stringIds.set(s, id);
    }
    return id;
  }

  /** The index of the next slot, growing the stream (doubling) when it is full. */
  private slot(): number {
    if (this.n === this.nums.length) this.grow();
    return this.n++;
  }

  private grow(): void {
    const capacity = this.nums.length === 0 ? this.nextCapacity : this.nums.length * 2;
    const buffer = new ArrayBuffer(capacity * SLOT_BYTES);
    const nums = new Float64Array(buffer, 0, capacity);
    const kinds = new Uint8Array(buffer, capacity * 8, capacity);
    nums.set(this.nums);
    kinds.set(this.kinds);
    this.buffer = buffer;
    this.nums = nums;
    this.kinds = kinds;
  }
}

/**
 * Reads a stream back in the order it was written. The typed reads check each slot's kind, so a
 * writer and reader that drift apart fail loudly instead of reading garbage.
 *
 * @example
 * ```ts
 * const r = new ValueReader(values);
 * while (!r.done) { const op = r.number(); ... }
 * ```
 */
export class ValueReader {
  private pos = 0;
  private readonly nums: Float64Array;
  private readonly kinds: Uint8Array;
  private readonly count: number;
  private readonly strings: readonly string[];
  private readonly objects: readonly WireObject[];

  constructor(values: WireValues) {
    const capacity = Math.floor(values.values.byteLength / SLOT_BYTES);
    if (values.count > capacity) throw new Error(`wire packet: ${values.count} values in a stream of ${capacity}`);
    this.nums = new Float64Array(values.values, 0, capacity);
    this.kinds = new Uint8Array(values.values, capacity * 8, capacity);
    this.count = values.count;
    this.strings = values.strings;
    this.objects = values.objects;
  }

  /** True once every value was read. */
  get done(): boolean {
    return this.pos >= this.count;
  }

  /** The next value, whatever it is. */
  value(): WireValue {
    const i = this.next();
    switch (this.kinds[i]) {
      case Kind.Number:
        return this.nums[i]!;
      case Kind.String:
        return this.strings[this.nums[i]!]!;
      case Kind.True:
        return true;
      case Kind.False:
        return false;
      case Kind.Null:
        return null;
      default:
        return this.objects[this.nums[i]!]!;
    }
  }

  /** The next value, which must be a number. */
  number(): number {
    const i = this.expect(Kind.Number);
    return this.nums[i]!;
  }

  /** The next value, which must be a string. */
  string(): string {
    const i = this.expect(Kind.String);
    return this.strings[this.nums[i]!]!;
  }

  /** The next value, which must be a boolean. */
  boolean(): boolean {
    const i = this.next();
    const k = this.kinds[i];
    if (k === Kind.True) return true;
    if (k === Kind.False) return false;
    throw this.mismatch(i, 'boolean');
  }

  private next(): number {
    if (this.pos >= this.count) throw new Error(`wire packet: read past its ${this.count} values`);
    return this.pos++;
  }

  private expect(kind: Kind): number {
    const i = this.next();
    if (this.kinds[i] !== kind) throw this.mismatch(i, KIND_NAMES[kind]);
    return i;
  }

  private mismatch(i: number, wanted: string): Error {
    return new Error(`wire packet: value ${i} is a ${KIND_NAMES[this.kinds[i]!] ?? 'corrupt value'}, not a ${wanted}`);
  }
}
