/**
 * The ensemble tensors of one ensemble request: each value at each iteration, with how many reads
 * it still has, and which buffers something still reads, so a step is allowed to take a buffer
 * (move it to its worker thread) only when nothing else can touch it any more.
 */
import type { Tensor } from '../types.js';

/** One value of an ensemble tensor at one iteration. */
export interface Slot {
  readonly key: string;
  /** null: a step did not produce this output, or an optional ensemble input was left out. */
  readonly tensor: Tensor | null;
  /** Batch size it was produced with; 0 when produced by a non-batching side. */
  readonly batch: number;
  /** Reads still to come; the slot is dropped at 0. */
  left: number;
  /**
   * Nothing outside the run holds its bytes: an input the frontend gave up, or a step output its
   * model handed over whole.
   */
  readonly owned: boolean;
}

/** Separates tensor name and iteration key in slot keys (NUL never appears in a config name). */
const SEP = '\u0000';

/**
 * @example
 * ```ts
 * const slots = new TensorSlots(view.uses);
 * slots.store('IN', '', tensor, 1, false);
 * const slot = slots.get('IN', '')!;
 * ```
 */
export class TensorSlots {
  private readonly slots = new Map<string, Slot>();
  /**
   * Buffers that step requests in flight read without owning them, with a count, and those of sent
   * responses (held for good): no later step may take them. Created on first use.
   */
  private held: Map<ArrayBufferLike, number> | undefined;

  /** @param uses how many times each tensor is read (tensors read 0 times are not kept) */
  constructor(private readonly uses: ReadonlyMap<string, number>) {}

  /** Keeps a tensor value if anything will read it; true when kept. */
  store(tensor: string, key: string, value: Tensor | null, batch: number, owned: boolean): boolean {
    const uses = this.uses.get(tensor) ?? 0;
    if (uses === 0) return false;
    const k = tensor + SEP + key;
    this.slots.set(k, { key: k, tensor: value, batch, left: uses, owned });
    return true;
  }

  get(tensor: string, key: string): Slot | undefined {
    return this.slots.get(tensor + SEP + key);
  }

  has(tensor: string, key: string): boolean {
    return this.slots.has(tensor + SEP + key);
  }

  /** Takes one read of a slot; drops it after its last. */
  release(slot: Slot): void {
    if (--slot.left <= 0) this.slots.delete(slot.key);
  }

  /**
   * Whether the step about to read the slots `read` (its last read of each) may take the buffers
   * behind `inputs`: each slot is owned and read for the last time, and no other live slot, step
   * request in flight or sent response uses one of the buffers.
   */
  mayTake(read: readonly Slot[], inputs: readonly Tensor[]): boolean {
    for (const slot of read) if (!slot.owned || slot.left !== 1) return false;
    for (const t of inputs) if (this.shared(t.data.buffer, read)) return false;
    return true;
  }

  private shared(buffer: ArrayBufferLike, except: readonly Slot[]): boolean {
    if (this.held?.has(buffer) === true) return true;
    for (const slot of this.slots.values()) {
      if (slot.left > 0 && slot.tensor?.data.buffer === buffer && !except.includes(slot)) return true;
    }
    return false;
  }

  /** Marks `buffers` as read by a step request in flight (or by a sent response: never released). */
  hold(buffers: readonly ArrayBufferLike[]): void {
    const held = (this.held ??= new Map());
    for (const b of buffers) held.set(b, (held.get(b) ?? 0) + 1);
  }

  /** A step request that read `buffers` without owning them is over. */
  unhold(buffers: readonly ArrayBufferLike[]): void {
    const held = this.held;
    if (!held) return;
    for (const b of buffers) {
      const n = (held.get(b) ?? 1) - 1;
      if (n <= 0) held.delete(b);
      else held.set(b, n);
    }
  }

  /** Drops every value (the request failed or is over). */
  clear(): void {
    this.slots.clear();
  }
}

/** Whether a view covers its whole ArrayBuffer (no other tensor can be a view of the rest). */
export function spansBuffer(data: Uint8Array): boolean {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
}
