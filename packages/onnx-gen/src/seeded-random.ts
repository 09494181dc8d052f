/**
 * A seeded pseudo-random generator (mulberry32) for model weights.
 *
 * Written by hand rather than taken from a library because the example models must come out
 * byte-identical on every machine and Node version: mulberry32 uses only 32-bit integer
 * operations (`Math.imul`, shifts, xor), so its stream is fully specified by the seed.
 *
 * @example
 * ```ts
 * const rng = new SeededRandom(42);
 * const w = rng.uniformArray(16, 0.25); // 16 values in [-0.25, 0.25)
 * ```
 */
export class SeededRandom {
  private state: number;

  /** @param seed - any 32-bit integer; the same seed always yields the same stream */
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Next 32-bit unsigned integer of the stream. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform number in [0, 1) (exactly a multiple of 2^-32). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform number in [-bound, bound). */
  uniform(bound: number): number {
    return (2 * this.next() - 1) * bound;
  }

  /** `count` values uniform in [-bound, bound), each rounded to float32 (how weights are stored). */
  uniformArray(count: number, bound: number): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.uniform(bound);
    return out;
  }
}
