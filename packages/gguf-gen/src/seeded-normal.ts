/**
 * A seeded source of normally distributed numbers (mulberry32 + Box–Muller), so generated weights
 * are the same on every machine and Node version. Written by hand: a few lines, and a library
 * would be a dependency whose algorithm could change under us.
 */

/**
 * Returns a function yielding standard normal samples, fully determined by `seed`.
 *
 * @example
 * ```ts
 * const randn = seededNormal(42);
 * const w = randn() * 0.02;
 * ```
 */
export function seededNormal(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}
