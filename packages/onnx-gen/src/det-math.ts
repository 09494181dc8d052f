/**
 * Transcendental functions built only from IEEE 754 `+ - * /` and exact power-of-two scaling.
 *
 * Written by hand because `Math.exp`/`Math.sin`/`Math.tanh` are not required to be correctly
 * rounded, so their last bits may differ between JavaScript engines or versions. The fitted
 * LSTM head is computed from these values, and the committed model bytes must be reproducible
 * anywhere; basic arithmetic (and `Math.round`/`Math.sqrt`, which are exact or correctly
 * rounded) gives the same bits everywhere.
 */

const LN2_HI = 0.6931471803691238; // high bits of ln 2 (exact product with small k)
const LN2_LO = 1.9082149292705877e-10; // ln 2 - LN2_HI
const INV_LN2 = 1.4426950408889634;
const TWO_PI = 6.283185307179586;

const scratch = new DataView(new ArrayBuffer(8));

/** 2^k for an integer k in the normal range [-1022, 1023], built from its bit pattern. */
function pow2(k: number): number {
  scratch.setUint32(0, (k + 1023) << 20);
  scratch.setUint32(4, 0);
  return scratch.getFloat64(0);
}

/**
 * e^x to about 1 ulp for |x| <= 700 (Cody–Waite reduction, then a degree-14 Taylor series).
 *
 * @example detExp(0) === 1
 */
export function detExp(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x > 700) return Infinity;
  if (x < -700) return 0;
  const k = Math.round(x * INV_LN2);
  const r = x - k * LN2_HI - k * LN2_LO;
  let term = 1;
  let sum = 1;
  for (let i = 1; i <= 14; i++) {
    term = (term * r) / i;
    sum += term;
  }
  return sum * pow2(k);
}

/** Logistic sigmoid 1 / (1 + e^-x), the LSTM gate activation. */
export function detSigmoid(x: number): number {
  return 1 / (1 + detExp(-x));
}

/** Hyperbolic tangent, the LSTM cell/hidden activation. */
export function detTanh(x: number): number {
  if (x > 20) return 1;
  if (x < -20) return -1;
  const e = detExp(2 * x);
  return (e - 1) / (e + 1);
}

/**
 * sin(x) for moderate |x| (reduced to [-π, π], then a Taylor series to degree 27); used to
 * draw the synthetic seasonal training series.
 */
export function detSin(x: number): number {
  const r = x - TWO_PI * Math.round(x / TWO_PI);
  const r2 = r * r;
  let term = r;
  let sum = r;
  for (let n = 1; n <= 13; n++) {
    term = (-term * r2) / (2 * n * (2 * n + 1));
    sum += term;
  }
  return sum;
}
