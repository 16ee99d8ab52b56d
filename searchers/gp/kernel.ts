/**
 * The Matern-5/2 ARD kernel the GP searcher models objectives with, on the unit cube:
 *
 *   k(x, x') = s2 * (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r),   r^2 = sum_k (x_k - x'_k)^2 / l_k^2
 *
 * with one length scale l_k per coordinate (ARD: irrelevant coordinates get long scales) and signal variance s2; observation
 * noise sn2 is added on the training diagonal only. Matern-5/2 (twice differentiable sample paths) rather than the RBF kernel:
 * it is the usual choice for hyperparameter response surfaces, which are rougher than an RBF prior believes.
 *
 * Why these helpers are split out: the fit (hyperparameter gradients), the posterior (cross-covariances) and the acquisition
 * optimiser (gradients in x) all need the same kernel value and the same derivative factor, and they must agree exactly.
 */

/** Kernel hyperparameters in natural units. `ls` has one entry per unit-cube coordinate. */
export interface KernelParams {
  /** Length scales l_k > 0, one per coordinate. */
  readonly ls: Float64Array;
  /** Signal variance s2 > 0 (prior variance of f at any point, in standardised output units). */
  readonly s2: number;
  /** Observation noise variance sn2 >= 1e-6, added on the training diagonal. */
  readonly sn2: number;
}

export const SQRT5 = Math.sqrt(5);

/** Matern-5/2 correlation at scaled distance r >= 0 (1 at r = 0). */
export function matern52(r: number): number {
  const sr = SQRT5 * r;
  return (1 + sr + (sr * sr) / 3) * Math.exp(-sr);
}

/**
 * The factor g(r) with dk/d(r^2) = -s2 * g(r) / 2, i.e. g(r) = 5/3 (1 + sqrt5 r) exp(-sqrt5 r) (without s2). Finite at r = 0,
 * so gradients through coincident points need no special case: dk/dx_k = -s2 g(r) (x_k - x'_k) / l_k^2 and
 * dk/d(log l_k) = s2 g(r) (x_k - x'_k)^2 / l_k^2.
 */
export function matern52Slope(r: number): number {
  const sr = SQRT5 * r;
  return (5 / 3) * (1 + sr) * Math.exp(-sr);
}

/** 1 / l_k^2 for every coordinate: the form every loop wants. */
export function inverseSquares(ls: ArrayLike<number>): Float64Array {
  const out = new Float64Array(ls.length);
  for (let k = 0; k < ls.length; k++) out[k] = 1 / (ls[k]! * ls[k]!);
  return out;
}

/**
 * Scaled squared distance between row `i` of `xs` (row-major, `d` columns) and the point `x` (at offset `xo`).
 */
export function scaledDistance2(xs: Float64Array, i: number, x: Float64Array, xo: number, invLs2: Float64Array): number {
  const d = invLs2.length;
  const ri = i * d;
  let r2 = 0;
  for (let k = 0; k < d; k++) {
    const t = xs[ri + k]! - x[xo + k]!;
    r2 += t * t * invLs2[k]!;
  }
  return r2;
}

/**
 * k(x, xs_i) for every training row i into `out` (length n), and when `slope` is given, s2 * g(r_i) into it (for gradients in
 * x). Called by the posterior for each candidate point.
 */
export function crossCovariance(
  xs: Float64Array,
  n: number,
  x: Float64Array,
  xo: number,
  invLs2: Float64Array,
  s2: number,
  out: Float64Array,
  slope?: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const r = Math.sqrt(scaledDistance2(xs, i, x, xo, invLs2));
    out[i] = s2 * matern52(r);
    if (slope) slope[i] = s2 * matern52Slope(r);
  }
}

/**
 * The training covariance K = s2 * M(r_ij) + (sn2 + jitter) I into `out` (n x n row-major; lower triangle and diagonal written,
 * which is all `cholesky` reads). Called by the posterior build; the fit has its own cached-distance version.
 */
export function trainingCovariance(xs: Float64Array, n: number, p: KernelParams, jitter: number, out: Float64Array): Float64Array {
  const invLs2 = inverseSquares(p.ls);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) out[ri + j] = p.s2 * matern52(Math.sqrt(scaledDistance2(xs, i, xs, j * invLs2.length, invLs2)));
    out[ri + i] = p.s2 + p.sn2 + jitter;
  }
  return out;
}
