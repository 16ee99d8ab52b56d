/**
 * Gaussian-process regression for the GP searcher: hyperparameters by maximum a posteriori (log marginal likelihood + log
 * priors, with analytic gradients, from several seeded starts) and the posterior used to score candidates.
 *
 * Conventions: inputs are points of the unit cube (row-major, `d` columns, no NaN: the searcher imputes inactive coordinates);
 * outputs are standardised (mean 0, variance 1) by the caller, so priors on the variances can be fixed. The constant prior
 * mean is profiled out: at every hyperparameter value it takes its maximum-likelihood (GLS) value.
 *
 * Priors (on standardised outputs and unit-cube inputs):
 * - length scales: mode 0.2 sqrt(d), see {@link lengthScalePrior}; it keeps fits with a handful of points from declaring
 *   coordinates irrelevant (very long scales) or collapsing onto one very short scale;
 * - signal variance: Gamma(2, 1) (mode 1, as the outputs are standardised);
 * - noise variance: Gamma(1.1, 30) (mode ~0.003: most objectives are nearly deterministic), bounded below by 1e-6.
 */
import { cholesky, cholInverse, cholLogDet, cholSolve, dot, solveLower, solveUpper } from './linalg.js';
import { crossCovariance, inverseSquares, type KernelParams, matern52, matern52Slope, trainingCovariance } from './kernel.js';
import { minimizeBox } from './optimize.js';

/** Lower bound of the noise variance: keeps K well-conditioned for noiseless objectives (as BoTorch and Optuna). */
export const MIN_NOISE = 1e-6;

const LOG_2PI = Math.log(2 * Math.PI);
/** Right-hand sides solved together in {@link GpPosterior.predict} (the unrolled loop assumes 8). */
const BLOCK = 8;

/**
 * The length-scale prior for `d` coordinates: -log p(l) = weight * ((l / l0)^2 + (l0 / l)^2), l0 = 0.2 sqrt(d), weight 0.3.
 * Its mode is l0; it falls off on both sides (Optuna's GP uses this shape with l0 = 1, weight 0.1). The sqrt(d) growth is
 * Hvarfner et al.'s (2024) observation: typical distances between points grow like sqrt(d), so a fixed length scale makes the
 * model ever more local in higher dimensions. l0 and the weight were tuned on Hartmann6 and Branin (see the report).
 */
export function lengthScalePrior(d: number): { l0: number; weight: number } {
  return { l0: 0.2 * Math.sqrt(Math.max(1, d)), weight: 0.3 };
}

/** Box of the log-hyperparameter vector theta = [log l_1..log l_d, log s2, log sn2]. */
function bounds(d: number): { lo: Float64Array; hi: Float64Array } {
  const lo = new Float64Array(d + 2);
  const hi = new Float64Array(d + 2);
  for (let k = 0; k < d; k++) {
    lo[k] = Math.log(0.01);
    hi[k] = Math.log(100);
  }
  lo[d] = Math.log(0.01);
  hi[d] = Math.log(100);
  lo[d + 1] = Math.log(MIN_NOISE);
  hi[d + 1] = Math.log(1);
  return { lo, hi };
}

/** theta -> natural parameters. */
export function thetaToParams(theta: ArrayLike<number>, d: number): KernelParams {
  const ls = new Float64Array(d);
  for (let k = 0; k < d; k++) ls[k] = Math.exp(theta[k]!);
  return { ls, s2: Math.exp(theta[d]!), sn2: Math.exp(theta[d + 1]!) };
}

/**
 * Negative log posterior of the hyperparameters for fixed training data, with cached pairwise squared differences so one
 * evaluation costs a kernel pass, a Cholesky and (with a gradient) the inverse: O(n^3 / 2 + n^2 d).
 */
class NegLogPosterior {
  private readonly pairs: number;
  private readonly diff2: Float64Array; // pair p = (i, j < i) in row order: diff2[p * d + k] = (x_ik - x_jk)^2
  private readonly kPair: Float64Array;
  private readonly gPair: Float64Array;
  private readonly k: Float64Array;
  private readonly kinv: Float64Array;
  private readonly alpha: Float64Array;
  private readonly u: Float64Array;
  private readonly prior: { l0: number; weight: number };
  constructor(
    x: Float64Array,
    private readonly y: Float64Array,
    private readonly n: number,
    private readonly d: number,
  ) {
    this.pairs = (n * (n - 1)) / 2;
    this.diff2 = new Float64Array(this.pairs * d);
    let p = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++, p++) {
        for (let c = 0; c < d; c++) {
          const t = x[i * d + c]! - x[j * d + c]!;
          this.diff2[p * d + c] = t * t;
        }
      }
    }
    this.kPair = new Float64Array(this.pairs);
    this.gPair = new Float64Array(this.pairs);
    this.k = new Float64Array(n * n);
    this.kinv = new Float64Array(n * n);
    this.alpha = new Float64Array(n);
    this.u = new Float64Array(n);
    this.prior = lengthScalePrior(d);
  }

  /** Value at theta; fills `grad` (d + 2 entries) when given. Infinity when K cannot be factorised. */
  evaluate(theta: Float64Array, grad?: Float64Array): number {
    const { n, d, k, diff2, kPair, gPair } = this;
    const { ls, s2, sn2 } = thetaToParams(theta, d);
    const inv = inverseSquares(ls);
    let p = 0;
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      for (let j = 0; j < i; j++, p++) {
        let r2 = 0;
        const o = p * d;
        for (let c = 0; c < d; c++) r2 += diff2[o + c]! * inv[c]!;
        const r = Math.sqrt(r2);
        kPair[p] = s2 * matern52(r);
        k[ri + j] = kPair[p]!;
        if (grad) gPair[p] = s2 * matern52Slope(r);
      }
      k[ri + i] = s2 + sn2;
    }
    if (!cholesky(k, n)) return Infinity;
    // Constant prior mean profiled out (its maximum-likelihood value, the GLS mean m = 1'K^-1 y / 1'K^-1 1). By the envelope
    // theorem the gradient below needs no term for it.
    const alpha = this.alpha;
    const u = this.u;
    u.fill(1);
    cholSolve(k, n, u);
    alpha.set(this.y);
    cholSolve(k, n, alpha);
    let su = 0;
    let sa = 0;
    for (let i = 0; i < n; i++) {
      su += u[i]!;
      sa += alpha[i]!;
    }
    const m = sa / su;
    let fit = 0;
    for (let i = 0; i < n; i++) {
      alpha[i] = alpha[i]! - m * u[i]!;
      fit += 0.5 * (this.y[i]! - m) * alpha[i]!;
    }
    let value = fit + 0.5 * cholLogDet(k, n) + 0.5 * n * LOG_2PI;
    // Priors, as negative log densities over theta (see the module comment).
    const { l0, weight } = this.prior;
    for (let c = 0; c < d; c++) {
      const u = ls[c]! / l0;
      value += weight * (u * u + 1 / (u * u));
    }
    value -= Math.log(s2) - s2; // Gamma(2, 1)
    value -= 0.1 * Math.log(sn2) - 30 * sn2; // Gamma(1.1, 30)
    if (!grad) return value;
    // d(-log ML)/d theta_j = -0.5 tr((alpha alpha^T - K^-1) dK/dtheta_j); W = alpha alpha^T - K^-1.
    const kinv = cholInverse(k, n, this.kinv);
    grad.fill(0);
    let gs2 = 0;
    let trW = 0;
    p = 0;
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      const ai = alpha[i]!;
      for (let j = 0; j < i; j++, p++) {
        const w = ai * alpha[j]! - kinv[ri + j]!; // each off-diagonal pair counts twice in the trace
        gs2 += 2 * w * kPair[p]!;
        const wg = 2 * w * gPair[p]!;
        const o = p * d;
        for (let c = 0; c < d; c++) grad[c] = grad[c]! + wg * diff2[o + c]!;
      }
      const wii = ai * ai - kinv[ri + i]!;
      trW += wii;
      gs2 += wii * s2;
    }
    for (let c = 0; c < d; c++) {
      const u2 = (ls[c]! / l0) ** 2;
      grad[c] = -0.5 * grad[c]! * inv[c]! + 2 * weight * (u2 - 1 / u2);
    }
    grad[d] = -0.5 * gs2 - (1 - s2);
    grad[d + 1] = -0.5 * sn2 * trW - (0.1 - 30 * sn2);
    return value;
  }
}

/** How {@link fitKernel} searches. */
export interface FitOptions {
  /** Number of L-BFGS runs (from the best of the start candidates). */
  readonly restarts: number;
  /** Seeded uniform [0,1) stream for the random starts. */
  readonly rng: () => number;
  /** Objective evaluations per L-BFGS run (default 80). */
  readonly maxEvals?: number;
}

/**
 * MAP hyperparameters for the training set (`x`: n rows of d unit-cube coordinates, `y`: standardised outputs). Called by the
 * GP searcher once per suggestion. Starts: the prior's mode and seeded random draws; each start's value
 * is evaluated and L-BFGS runs from the `restarts` best. Deterministic given the rng stream.
 */
export function fitKernel(x: Float64Array, y: Float64Array, n: number, d: number, options: FitOptions): KernelParams {
  const objective = new NegLogPosterior(x, y, n, d);
  const { lo, hi } = bounds(d);
  const { l0 } = lengthScalePrior(d);
  const starts: Float64Array[] = [];
  const centre = new Float64Array(d + 2);
  centre.fill(Math.log(l0), 0, d);
  centre[d] = 0;
  centre[d + 1] = Math.log(1e-3);
  starts.push(centre);
  const random = Math.max(4, 3 * options.restarts);
  for (let r = 0; r < random; r++) {
    const s = new Float64Array(d + 2);
    // Length scales log-uniform over [0.05, 5] (where unit-cube response surfaces live), s2 over [0.3, 3], sn2 over [1e-6, 0.1].
    for (let c = 0; c < d; c++) s[c] = Math.log(0.05) + options.rng() * Math.log(100);
    s[d] = Math.log(0.3) + options.rng() * Math.log(10);
    s[d + 1] = Math.log(MIN_NOISE) + options.rng() * Math.log(1e5);
    starts.push(s);
  }
  const scored = starts.map((s) => {
    for (let i = 0; i < s.length; i++) s[i] = Math.min(hi[i]!, Math.max(lo[i]!, s[i]!));
    return { s, f: objective.evaluate(s) };
  });
  scored.sort((a, b) => (a.f === b.f ? 0 : !(a.f < b.f) ? 1 : -1));
  let best = scored[0]!;
  const fg = (t: Float64Array, g: Float64Array): number => objective.evaluate(t, g);
  for (let r = 0; r < Math.min(options.restarts, scored.length); r++) {
    if (!Number.isFinite(scored[r]!.f)) break;
    const res = minimizeBox(fg, scored[r]!.s, lo, hi, { maxEvals: options.maxEvals ?? 80, gtol: 1e-5, ftol: 1e-10 });
    if (res.f < best.f) best = { s: res.x, f: res.f };
  }
  return thetaToParams(best.s, d);
}

/**
 * The GP posterior for fixed hyperparameters: mean and latent variance (noise excluded) at any point, with gradients in x.
 * Built by the searcher over the real observations plus the fantasies of pending trials.
 */
export class GpPosterior {
  readonly n: number;
  readonly d: number;
  readonly params: KernelParams;
  /** The constant prior mean: the GLS estimate from the training data unless given. */
  readonly constantMean: number;
  private readonly x: Float64Array;
  private readonly l: Float64Array;
  private readonly alpha: Float64Array;
  private readonly invLs2: Float64Array;
  private readonly kx: Float64Array;
  private readonly slope: Float64Array;
  private readonly v: Float64Array;
  private readonly block: Float64Array;
  private readonly acc = new Float64Array(BLOCK);

  /**
   * @param x training inputs (n x d, row-major, in the unit cube, no NaN); @param y standardised outputs.
   * @param constantMean the prior mean; omitted: its GLS (maximum-likelihood) estimate from (x, y). The searcher passes the
   * real-data estimate when it adds fantasies, so lies do not shift the prior mean.
   * @throws Error when K stays non-positive-definite even with 1e-3 * s2 jitter (should not happen with sn2 >= 1e-6).
   */
  constructor(x: Float64Array, y: Float64Array, n: number, d: number, params: KernelParams, constantMean?: number) {
    this.n = n;
    this.d = d;
    this.params = params;
    this.x = x;
    this.invLs2 = inverseSquares(params.ls);
    this.l = new Float64Array(n * n);
    // Jitter ladder: duplicate points with tiny noise can make K numerically singular; more jitter only smooths the fit.
    let ok = false;
    for (let jitter = 0; !ok; jitter = jitter === 0 ? 1e-10 * params.s2 : jitter * 100) {
      if (jitter > 1e-3 * params.s2) throw new Error('GP covariance is not positive definite even with jitter 1e-3 * s2');
      trainingCovariance(x, n, params, jitter, this.l);
      ok = cholesky(this.l, n);
    }
    if (constantMean === undefined) {
      // Clustered points count roughly once per cluster here, so the mean stays near the level of the explored space rather
      // than the (densely sampled) good region: unexplored corners then do not look almost as good as the incumbent.
      const u = cholSolve(this.l, n, new Float64Array(n).fill(1));
      const a = cholSolve(this.l, n, Float64Array.from(y));
      let su = 0;
      let sa = 0;
      for (let i = 0; i < n; i++) {
        su += u[i]!;
        sa += a[i]!;
      }
      constantMean = sa / su;
    }
    this.constantMean = constantMean;
    this.alpha = cholSolve(
      this.l,
      n,
      Float64Array.from(y, (v) => v - constantMean!),
    );
    this.kx = new Float64Array(n);
    this.slope = new Float64Array(n);
    this.v = new Float64Array(n);
    this.block = new Float64Array(n * BLOCK);
  }

  /**
   * Posterior mean and latent variance at the m points `xs` (m x d) into `mean` and `variance`. The variance needs
   * L^-1 k for every point; eight right-hand sides are solved together (interleaved) so each row of L is read once per eight
   * points, which measured 2-3x faster than one solve per point at n = 200.
   */
  predict(xs: Float64Array, m: number, mean: Float64Array, variance: Float64Array): void {
    const { n, d, kx, l } = this;
    const s2 = this.params.s2;
    const b = this.block;
    for (let q0 = 0; q0 < m; q0 += BLOCK) {
      const width = Math.min(BLOCK, m - q0);
      b.fill(0);
      for (let j = 0; j < width; j++) {
        crossCovariance(this.x, n, xs, (q0 + j) * d, this.invLs2, s2, kx);
        mean[q0 + j] = this.constantMean + dot(kx, 0, this.alpha, 0, n);
        for (let i = 0; i < n; i++) b[i * BLOCK + j] = kx[i]!;
      }
      // Forward substitution L V = K*, eight columns at a time (unused columns stay zero).
      const acc = this.acc;
      for (let i = 0; i < n; i++) {
        const ri = i * n;
        const oi = i * BLOCK;
        for (let j = 0; j < BLOCK; j++) acc[j] = b[oi + j]!;
        let a0 = acc[0]!,
          a1 = acc[1]!,
          a2 = acc[2]!,
          a3 = acc[3]!,
          a4 = acc[4]!,
          a5 = acc[5]!,
          a6 = acc[6]!,
          a7 = acc[7]!;
        for (let k = 0; k < i; k++) {
          const lik = l[ri + k]!;
          const o = k * BLOCK;
          a0 -= lik * b[o]!;
          a1 -= lik * b[o + 1]!;
          a2 -= lik * b[o + 2]!;
          a3 -= lik * b[o + 3]!;
          a4 -= lik * b[o + 4]!;
          a5 -= lik * b[o + 5]!;
          a6 -= lik * b[o + 6]!;
          a7 -= lik * b[o + 7]!;
        }
        const inv = 1 / l[ri + i]!;
        b[oi] = a0 * inv;
        b[oi + 1] = a1 * inv;
        b[oi + 2] = a2 * inv;
        b[oi + 3] = a3 * inv;
        b[oi + 4] = a4 * inv;
        b[oi + 5] = a5 * inv;
        b[oi + 6] = a6 * inv;
        b[oi + 7] = a7 * inv;
      }
      for (let j = 0; j < width; j++) {
        let ss = 0;
        for (let i = 0; i < n; i++) ss += b[i * BLOCK + j]! ** 2;
        variance[q0 + j] = Math.max(s2 - ss, 1e-12 * s2);
      }
    }
  }

  /**
   * Mean and latent variance at one point `x` (d coordinates), with their gradients in x written to `gMean` and `gVar`.
   * Used by the acquisition refinement. dk_i/dx_c = -s2 g(r_i) (x_c - x_ic) / l_c^2; dvar/dx = -2 (dk/dx)^T K^-1 k.
   */
  predictWithGradient(x: Float64Array, gMean: Float64Array, gVar: Float64Array): { mean: number; variance: number } {
    const { n, d, kx, v, slope, invLs2 } = this;
    crossCovariance(this.x, n, x, 0, invLs2, this.params.s2, kx, slope);
    const mean = this.constantMean + dot(kx, 0, this.alpha, 0, n);
    v.set(kx);
    solveLower(this.l, n, v);
    const variance = this.params.s2 - dot(v, 0, v, 0, n);
    solveUpper(this.l, n, v); // v = K^-1 k
    gMean.fill(0);
    gVar.fill(0);
    for (let i = 0; i < n; i++) {
      const a = slope[i]! * this.alpha[i]!;
      const b = slope[i]! * v[i]!;
      const ri = i * d;
      for (let c = 0; c < d; c++) {
        const dk = -(x[c]! - this.x[ri + c]!) * invLs2[c]!; // times slope_i gives dk_i/dx_c
        gMean[c] = gMean[c]! + a * dk;
        gVar[c] = gVar[c]! - 2 * b * dk;
      }
    }
    const floor = 1e-12 * this.params.s2;
    if (variance < floor) {
      gVar.fill(0);
      return { mean, variance: floor };
    }
    return { mean, variance };
  }
}
