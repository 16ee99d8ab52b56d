/**
 * A small box-constrained quasi-Newton minimiser (projected L-BFGS with Armijo backtracking) shared by the GP hyperparameter
 * fit (minimising the negative log posterior over log-hyperparameters) and the acquisition refinement (minimising -acquisition
 * over the continuous coordinates of a candidate).
 *
 * Projected L-BFGS: the two-loop recursion gives a direction from the gradient with its bound-blocked components zeroed, the
 * step is projected back into the box, and memory is reset when a step fails. It is not L-BFGS-B's Cauchy-point machinery, but
 * for a dozen smooth variables with loose bounds it converges in a few dozen evaluations, which is what matters here.
 */

/** Objective: writes the gradient into `g` and returns the value (may return Infinity for an infeasible point). */
export type ValueAndGradient = (x: Float64Array, g: Float64Array) => number;

/** Tuning for {@link minimizeBox}. */
export interface MinimizeOptions {
  /** Most objective evaluations (default 60). */
  readonly maxEvals?: number;
  /** Stop when every projected-gradient component is below this (default 1e-6). */
  readonly gtol?: number;
  /** Stop when an accepted step lowers the value by less than ftol * max(1, |f|) (default 1e-9). */
  readonly ftol?: number;
  /** L-BFGS memory (default 8). */
  readonly memory?: number;
}

/** Result: the best point seen and its value. */
export interface MinimizeResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly evals: number;
}

function project(x: Float64Array, lo: ArrayLike<number>, hi: ArrayLike<number>): void {
  for (let i = 0; i < x.length; i++) x[i] = Math.min(hi[i]!, Math.max(lo[i]!, x[i]!));
}

/**
 * Minimises `fg` over the box [lo, hi] from `x0` (clamped into the box first). Deterministic: no randomness inside.
 * Invariant: the returned point is inside the box and its value is the smallest finite value evaluated (x0's at worst).
 */
export function minimizeBox(
  fg: ValueAndGradient,
  x0: ArrayLike<number>,
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  options: MinimizeOptions = {},
): MinimizeResult {
  const n = x0.length;
  const maxEvals = options.maxEvals ?? 60;
  const gtol = options.gtol ?? 1e-6;
  const ftol = options.ftol ?? 1e-9;
  const m = options.memory ?? 8;
  const x = Float64Array.from(x0);
  project(x, lo, hi);
  const g = new Float64Array(n);
  let f = fg(x, g);
  let evals = 1;
  if (!Number.isFinite(f)) return { x, f, evals };
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  const rho: number[] = [];
  const d = new Float64Array(n);
  const pg = new Float64Array(n);
  const xn = new Float64Array(n);
  const gn = new Float64Array(n);
  const alpha = new Float64Array(m);
  let first = true;
  while (evals < maxEvals) {
    // Projected gradient: components pushing out of the box at an active bound are blocked.
    let pgMax = 0;
    for (let i = 0; i < n; i++) {
      const blocked = (x[i]! <= lo[i]! && g[i]! > 0) || (x[i]! >= hi[i]! && g[i]! < 0);
      pg[i] = blocked ? 0 : g[i]!;
      pgMax = Math.max(pgMax, Math.abs(pg[i]!));
    }
    if (pgMax < gtol) break;
    // Two-loop recursion on the free components.
    d.set(pg);
    for (let k = ss.length - 1; k >= 0; k--) {
      let a = 0;
      for (let i = 0; i < n; i++) a += ss[k]![i]! * d[i]!;
      a *= rho[k]!;
      alpha[k] = a;
      for (let i = 0; i < n; i++) d[i] = d[i]! - a * ys[k]![i]!;
    }
    if (ss.length > 0) {
      const last = ss.length - 1;
      let yy = 0;
      for (let i = 0; i < n; i++) yy += ys[last]![i]! * ys[last]![i]!;
      const gamma = 1 / (rho[last]! * yy);
      for (let i = 0; i < n; i++) d[i] = d[i]! * gamma;
    }
    for (let k = 0; k < ss.length; k++) {
      let b = 0;
      for (let i = 0; i < n; i++) b += ys[k]![i]! * d[i]!;
      b *= rho[k]!;
      for (let i = 0; i < n; i++) d[i] = d[i]! + ss[k]![i]! * (alpha[k]! - b);
    }
    let slope = 0;
    for (let i = 0; i < n; i++) {
      if (pg[i] === 0) d[i] = 0;
      d[i] = -d[i]!;
      slope += d[i]! * g[i]!;
    }
    if (!(slope < 0)) {
      // Not a descent direction (stale curvature): fall back to steepest descent on the free components.
      ss.length = ys.length = rho.length = 0;
      slope = 0;
      for (let i = 0; i < n; i++) {
        d[i] = -pg[i]!;
        slope += d[i]! * g[i]!;
      }
    }
    // First step: scaled so the longest move is 1/4 of a unit (the log-hyperparameter and unit-cube scales both suit it).
    let t = 1;
    if (first) {
      let dMax = 0;
      for (let i = 0; i < n; i++) dMax = Math.max(dMax, Math.abs(d[i]!));
      t = Math.min(1, 0.25 / dMax);
      first = false;
    }
    let accepted = false;
    let fn = Infinity;
    for (let tries = 0; tries < 20 && evals < maxEvals; tries++) {
      let moved = 0;
      for (let i = 0; i < n; i++) {
        xn[i] = Math.min(hi[i]!, Math.max(lo[i]!, x[i]! + t * d[i]!));
        moved += (xn[i]! - x[i]!) * g[i]!;
      }
      fn = fg(xn, gn);
      evals++;
      if (Number.isFinite(fn) && fn <= f + 1e-4 * Math.min(moved, 0)) {
        accepted = true;
        break;
      }
      t *= 0.3;
    }
    if (!accepted) break;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    let sy = 0;
    for (let i = 0; i < n; i++) {
      s[i] = xn[i]! - x[i]!;
      y[i] = gn[i]! - g[i]!;
      sy += s[i]! * y[i]!;
    }
    const decrease = f - fn;
    x.set(xn);
    g.set(gn);
    f = fn;
    if (sy > 1e-12) {
      if (ss.length === m) {
        ss.shift();
        ys.shift();
        rho.shift();
      }
      ss.push(s);
      ys.push(y);
      rho.push(1 / sy);
    }
    if (decrease < ftol * Math.max(1, Math.abs(f))) break;
  }
  return { x, f, evals };
}
