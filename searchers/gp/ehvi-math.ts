/**
 * Exact expected hypervolume improvement (EHVI) of one Gaussian prediction with independent objectives, by box decomposition
 * (the approach of Yang et al. 2019 and BoTorch's non-dominated partitioning, in its simplest grid form).
 *
 * Minimisation. The region of objective space below the reference point that the current front does not dominate is cut into
 * boxes: a grid over the first m-1 objectives (the front's coordinates plus the reference), and in each grid cell one box
 * running from -Infinity up to the cell's cap in the last objective (the smallest last-objective value among front points that
 * dominate the cell's lower corner; the reference when none). The improvement of a new point y is the volume of those boxes
 * that y dominates, sum_b prod_j (u_bj - max(l_bj, y_j))^+, and with independent Gaussian y_j ~ N(mu_j, sigma_j^2) each
 * factor's expectation is closed-form: E[(u - max(l, Y))^+] = H(u) - H(l), H(c) = sigma h((c - mu) / sigma),
 * h(z) = phi(z) + z Phi(z) (H(-Infinity) = 0). With one objective this is expected improvement over the best value.
 *
 * Cost: (n+1)^(m-1) boxes for n front points: fine for 2-3 objectives and fronts of a few hundred (2-D) or ~100 (3-D) points.
 */
import { erfc } from '../tpe/normal.js';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * h(z) = phi(z) + z Phi(z), fast: from Numerical Recipes' erfc (relative error < 1.2e-7) above z = -5, from the asymptotic
 * series phi(z) / z^2 (1 - 3/z^2 + 15/z^4 - 105/z^6) below (truncation < 0.3% at z = -5, shrinking fast), where the direct
 * form cancels. EHVI only ranks candidates, so this is ample; the GP's exact log h (acquisition.ts) took a third of an ask.
 */
export function hFast(z: number): number {
  if (z > -5) return Math.exp(-0.5 * z * z) * INV_SQRT_2PI + z * 0.5 * erfc(-z * Math.SQRT1_2);
  const w = 1 / (z * z);
  return Math.exp(-0.5 * z * z) * INV_SQRT_2PI * w * (1 - w * (3 - w * (15 - 105 * w)));
}

/** The box decomposition of a front's non-dominated region; build once per ask, evaluate for every candidate. */
export interface HviBoxes {
  readonly m: number;
  /** Per grid objective j < m-1: sorted cut values (front coordinates below the reference, then the reference). */
  readonly grids: readonly Float64Array[];
  /** Per cell (row-major over the grid objectives): the cap in the last objective. */
  readonly caps: Float64Array;
}

/** Builds the decomposition for loss points `front` (any set: dominated points change nothing) and reference `ref`. */
export function hviBoxes(front: readonly (readonly number[])[], ref: readonly number[]): HviBoxes {
  const m = ref.length;
  const pts = front.filter((p) => p.length === m && p.every((v, j) => v < ref[j]!));
  const grids: Float64Array[] = [];
  for (let j = 0; j < m - 1; j++) {
    const vals = [...new Set(pts.map((p) => p[j]!))].sort((a, b) => a - b);
    vals.push(ref[j]!);
    grids.push(Float64Array.from(vals));
  }
  const sizes = grids.map((g) => g.length);
  const cells = sizes.reduce((a, b) => a * b, 1);
  const caps = new Float64Array(cells);
  const idx = new Array<number>(m - 1).fill(0);
  for (let c = 0; c < cells; c++) {
    // Decode c into grid indices (last grid objective fastest).
    let r = c;
    for (let j = m - 2; j >= 0; j--) {
      idx[j] = r % sizes[j]!;
      r = Math.floor(r / sizes[j]!);
    }
    let cap = ref[m - 1]!;
    for (const p of pts) {
      let dominatesCorner = true;
      for (let j = 0; j < m - 1 && dominatesCorner; j++) {
        const lower = idx[j]! === 0 ? -Infinity : grids[j]![idx[j]! - 1]!;
        dominatesCorner = p[j]! <= lower;
      }
      if (dominatesCorner) cap = Math.min(cap, p[m - 1]!);
    }
    caps[c] = cap;
  }
  return { m, grids, caps };
}

/** sigma h((c - mu) / sigma): the expected length of [Y, c] ∩ (-inf, c] for Y ~ N(mu, sigma^2) (0 for c = -Infinity). */
function bigH(c: number, mu: number, sigma: number): number {
  if (c === -Infinity) return 0;
  return sigma * hFast((c - mu) / sigma);
}

/**
 * EHVI of a prediction with means `mu` and standard deviations `sigma` (one per objective, minimisation). `scratch` (optional)
 * avoids allocation per call: length >= sum of grid sizes.
 */
export function expectedHvi(boxes: HviBoxes, mu: ArrayLike<number>, sigma: ArrayLike<number>, scratch?: Float64Array): number {
  const { m, grids, caps } = boxes;
  if (m === 1) return bigH(caps[0]!, mu[0]!, sigma[0]!);
  // Interval factors per grid objective: f_j[k] = H(g[k]) - H(g[k-1]).
  let total = 0;
  for (const g of grids) total += g.length;
  const f = scratch && scratch.length >= total ? scratch : new Float64Array(total);
  const offs: number[] = [];
  let o = 0;
  for (let j = 0; j < m - 1; j++) {
    offs.push(o);
    const g = grids[j]!;
    let prev = 0;
    for (let k = 0; k < g.length; k++) {
      const h = bigH(g[k]!, mu[j]!, sigma[j]!);
      f[o + k] = h - prev;
      prev = h;
    }
    o += g.length;
  }
  const last = m - 1;
  let sum = 0;
  if (m === 2) {
    const g0 = grids[0]!.length;
    for (let k = 0; k < g0; k++) {
      const a = f[k]!;
      if (a > 0) sum += a * bigH(caps[k]!, mu[last]!, sigma[last]!);
    }
    return sum;
  }
  // m >= 3: caps repeat heavily (they are front values or the reference): memoise H of the last objective per distinct cap.
  const memo = new Map<number, number>();
  const sizes = grids.map((g) => g.length);
  const idx = new Array<number>(m - 1).fill(0);
  for (let c = 0; c < caps.length; c++) {
    let prod = 1;
    for (let j = 0; j < m - 1 && prod > 0; j++) prod *= f[offs[j]! + idx[j]!]!;
    if (prod > 0) {
      const cap = caps[c]!;
      let hz = memo.get(cap);
      if (hz === undefined) memo.set(cap, (hz = bigH(cap, mu[last]!, sigma[last]!)));
      sum += prod * hz;
    }
    for (let j = m - 2; j >= 0; j--) {
      if (++idx[j]! < sizes[j]!) break;
      idx[j] = 0;
    }
  }
  return sum;
}
