/**
 * Ridge (L2-regularized least squares) regression with an unpenalized bias, solved through the
 * normal equations and a Cholesky factorization in float64.
 *
 * Hand-written (a few dozen lines) instead of pulling in a linear-algebra package: the system
 * is tiny (one row/column per hidden unit), and fixed-order float64 arithmetic keeps the fitted
 * weights bit-identical on every machine.
 */

/** A fitted linear map `y = weights · x + bias`. */
export interface LinearFit {
  /** Row-major [outputs, features]. */
  readonly weights: Float64Array;
  /** [outputs]. */
  readonly bias: Float64Array;
}

/**
 * Fits `targets ≈ weights · features + bias`, minimizing squared error plus
 * `lambda · ||weights||²`.
 *
 * @param features - one row of F feature values per sample
 * @param targets - one row of O target values per sample
 * @example
 * ```ts
 * const fit = fitRidge([[0], [1], [2]], [[1], [3], [5]], 1e-9); // weights ≈ [2], bias ≈ [1]
 * ```
 */
export function fitRidge(
  features: readonly ArrayLike<number>[],
  targets: readonly ArrayLike<number>[],
  lambda: number,
): LinearFit {
  const first = features[0];
  const firstTarget = targets[0];
  if (first === undefined || firstTarget === undefined || features.length !== targets.length) {
    throw new RangeError('fitRidge needs the same non-zero number of feature and target rows');
  }
  const F = first.length;
  const O = firstTarget.length;
  const n = F + 1; // last column is the constant 1 (bias)
  const A = new Float64Array(n * n);
  const rhs = new Float64Array(n * O);
  const row = new Float64Array(n);
  for (let s = 0; s < features.length; s++) {
    const x = features[s] as ArrayLike<number>;
    const y = targets[s] as ArrayLike<number>;
    for (let a = 0; a < F; a++) row[a] = x[a] ?? 0;
    row[F] = 1;
    for (let a = 0; a < n; a++) {
      const ra = row[a] ?? 0;
      for (let b = 0; b <= a; b++) A[a * n + b] = (A[a * n + b] ?? 0) + ra * (row[b] ?? 0);
      for (let o = 0; o < O; o++) rhs[a * O + o] = (rhs[a * O + o] ?? 0) + ra * (y[o] ?? 0);
    }
  }
  for (let a = 0; a < F; a++) A[a * n + a] = (A[a * n + a] ?? 0) + lambda;
  // Cholesky A = L Lᵀ in the lower triangle (A is symmetric positive definite for lambda > 0).
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j] ?? 0;
    for (let k = 0; k < j; k++) d -= (A[j * n + k] ?? 0) ** 2;
    if (!(d > 0)) throw new RangeError('fitRidge: normal matrix is not positive definite');
    const ljj = Math.sqrt(d);
    A[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j] ?? 0;
      for (let k = 0; k < j; k++) s -= (A[i * n + k] ?? 0) * (A[j * n + k] ?? 0);
      A[i * n + j] = s / ljj;
    }
  }
  const solution = new Float64Array(n * O);
  const z = new Float64Array(n);
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < n; i++) {
      let s = rhs[i * O + o] ?? 0;
      for (let k = 0; k < i; k++) s -= (A[i * n + k] ?? 0) * (z[k] ?? 0);
      z[i] = s / (A[i * n + i] ?? 1);
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = z[i] ?? 0;
      for (let k = i + 1; k < n; k++) s -= (A[k * n + i] ?? 0) * (solution[k * O + o] ?? 0);
      solution[i * O + o] = s / (A[i * n + i] ?? 1);
    }
  }
  const weights = new Float64Array(O * F);
  const bias = new Float64Array(O);
  for (let o = 0; o < O; o++) {
    for (let a = 0; a < F; a++) weights[o * F + a] = solution[a * O + o] ?? 0;
    bias[o] = solution[F * O + o] ?? 0;
  }
  return { weights, bias };
}
