/**
 * Parzen (kernel density) estimators on the unit cube of a search space, as TPE fits them to its good and bad observations
 * (Bergstra et al. 2011; bandwidth rules and categorical kernels follow Optuna 3.1's `_ParzenEstimator`). BOHB imports this too.
 *
 * The estimator is a weighted mixture of product kernels: one component per observation plus a prior component. Per coordinate:
 * - `continuous` and `ordinal` coordinates get a Gaussian truncated to [0, 1] (ordinal values are not rounded here: `decode`
 *   does that; their bandwidth is kept at least `ordinalFloor / levels` so one level never becomes a spike);
 * - a `onehot` block (one choice) is one categorical variable: an observation's component puts mass
 *   `(1 + a) / (1 + k a)` on its own category and `a / (1 + k a)` on each other (a = priorWeight / (n + 1), as Optuna);
 * - the prior component is N(0.5, 1) truncated to [0, 1] on numeric coordinates and uniform on categorical ones.
 * An observation that is inactive (NaN) on some coordinate uses the prior kernel there, so its component stays a proper density.
 *
 * Everything is stored in flat typed arrays at fit time; `logpdf` and `sample` allocate nothing.
 *
 * Use (as TPE does):
 *   const l = fitParzen(goodRows, space.dims, { priorWeight: 1 });   // rows from space.encode(params)
 *   const g = fitParzen(badRows, space.dims, { priorWeight: 1 });
 *   const x = new Float64Array(space.dims.length);
 *   l.sample(rng, x);                                                // then score l.logpdf(x) - g.logpdf(x)
 *   space.decode(x);
 */
import type { CubeDim } from '../../spaces/types.js';
import { normalCdfFast, normalQuantile } from './normal.js';

/** Options of {@link fitParzen}. All bandwidths are in unit-cube units (the coordinate range is 1). */
export interface ParzenOptions {
  /** Weight of the prior component relative to one observation of weight 1 (default 1; Optuna's `prior_weight`). */
  readonly priorWeight?: number;
  /** One non-negative weight per point (default all 1), e.g. Optuna's ramp that fades old observations. */
  readonly weights?: ArrayLike<number>;
  /**
   * How wide the observation kernels are (n = active observations of the coordinate, p = parameters modelled, a one-hot block
   * counting once):
   * - `scott` (default): Scott's rule on the data, `bandwidthFactor * std * n^(-1/(p+4))` per coordinate, std being the weighted
   *   spread of the observations (statsmodels' normal-reference rule, as BOHB's KDE uses): kernels shrink as the points cluster;
   * - `optuna`: Optuna's multivariate rule `0.2 * n^(-1/(p+4))`, blind to the spread (always a fixed share of the range);
   * - `neighbors`: each kernel spans the larger gap to its neighbouring means (Optuna's univariate rule); meant for estimators
   *   of a single parameter.
   * Every width is then clipped to [max(1 / min(100, n + 2), floors), 1] (Optuna's "magic clip").
   */
  readonly bandwidth?: 'scott' | 'optuna' | 'neighbors';
  /** `scott` rule only: the constant in front (default 1.06, the normal-reference value). */
  readonly bandwidthFactor?: number;
  /** `neighbors` rule only: let the outermost kernels stretch to the cube's faces (default false, as Optuna). */
  readonly considerEndpoints?: boolean;
  /** Ordinal kernels are at least `ordinalFloor / levels` wide (default 1: about one level). */
  readonly ordinalFloor?: number;
  /** Extra lower bound on every numeric bandwidth (default 0); Optuna's magic clip 1 / min(100, n + 2) always applies. */
  readonly bandwidthFloor?: number;
  /**
   * true (default): numeric kernels are densities (each integrates to 1), so `logpdf` is a log density. false: every numeric
   * kernel is scaled to the height of a unit-width one (the 1/sigma factor is dropped), as Optuna < 3.5 evaluates them
   * (its `_truncnorm.logpdf` omitted log(scale)). That weighs each component by its kernel volume: narrow observation kernels
   * become bumps as high as the broad prior, so far from every observation both l and g fall back to the prior and l/g stays
   * bounded instead of being decided by whose Gaussian tails die faster. The TPE searcher scores candidates this way (measured
   * better on every bench function, see bench/searchers.ts); sampling is the same either way.
   */
  readonly normalize?: boolean;
  /** Coordinates to model (indices into `dims`; a one-hot block must be listed whole). Default: all. */
  readonly coords?: readonly number[];
}

/** A fitted estimator. Immutable; safe to share between calls. */
export interface ParzenEstimator {
  /** Coordinates modelled, ascending. `logpdf` reads and `sample` writes only these. */
  readonly coords: readonly number[];
  /** Number of observations fitted (mixture components, prior excluded). */
  readonly size: number;
  /**
   * Log density at `x` (a full unit-cube row). A one-hot block counts as one categorical variable whose value is the block's
   * arg-max (as `decode` reads it), so over numeric coordinates this integrates to 1 and over a block it sums to 1 (with
   * `normalize: false`, the log of the peak-scaled kernel sum instead). NaN coordinates of `x` (inactive) are marginalised out.
   * Allocation-free (not re-entrant: it uses scratch arrays of the estimator).
   */
  logpdf(x: ArrayLike<number>): number;
  /**
   * Draws one point into `out` (a full row; other coordinates untouched). One-hot blocks get exactly one 1. `component`
   * (an index into the fitted points) draws from that observation's kernel instead of a weighted random component: TPE uses
   * it for candidates around its incumbent.
   * @throws RangeError when `component` is not an integer in [0, size).
   */
  sample(rng: () => number, out: Float64Array, component?: number): void;
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
/**
 * `logpdf` leaves out components whose log term is more than CUT below the largest: each would add less than e^-36 (2e-16)
 * of the largest, so even 1,000 of them move the log density by < 1e-12. Skipping them (and stopping a component's distance
 * sum once it is that far behind) is most of what makes scoring candidates against TPE's large bad set cheap.
 */
const CUT = 36;

/**
 * Fits a Parzen estimator to `points` (unit-cube rows, NaN = inactive coordinate) over `dims`. Called by the TPE searcher once
 * per ask for its good and bad sets (per group of co-active coordinates), and by BOHB. With no points it is the prior alone.
 * @throws RangeError when `weights` has the wrong length or a negative/non-finite entry, `priorWeight` is negative, or `coords`
 * names a coordinate outside `dims` or splits a one-hot block.
 */
export function fitParzen(points: readonly ArrayLike<number>[], dims: readonly CubeDim[], opts: ParzenOptions = {}): ParzenEstimator {
  const coords = opts.coords ? [...opts.coords].sort((a, b) => a - b) : dims.map((_, i) => i);
  const n = points.length;
  const priorWeight = opts.priorWeight ?? 1;
  const bandwidth = opts.bandwidth ?? 'scott';
  const ordinalFloor = opts.ordinalFloor ?? 1;
  const factor = opts.bandwidthFactor ?? 1.06;
  const extraFloor = opts.bandwidthFloor ?? 0;
  const normalize = opts.normalize ?? true;

  // Split the modelled coordinates into numeric ones and one-hot blocks (first coordinate + size).
  const num: number[] = [];
  const blockStart: number[] = [];
  const blockSize: number[] = [];
  for (let i = 0; i < coords.length; i++) {
    const j = coords[i]!;
    const d = dims[j];
    if (!d) throw new RangeError(`coords must index dims (0..${dims.length - 1}), got ${j}`);
    if (d.type !== 'onehot') {
      num.push(j);
      continue;
    }
    const k = d.levels;
    for (let t = 0; t < k; t++) {
      if (coords[i + t] !== j + t || dims[j + t]?.group !== j) {
        throw new RangeError(`coords must list one-hot block "${d.path}" whole (coordinates ${j}..${j + k - 1}), got part of it`);
      }
    }
    blockStart.push(j);
    blockSize.push(k);
    i += k - 1;
  }
  const M = num.length;
  const G = blockStart.length;
  const K = n + 1; // component n is the prior

  // Mixture weights (log and cumulative for sampling). With no observations the prior carries everything.
  if (opts.weights && opts.weights.length !== n)
    throw new RangeError(`weights must have one entry per point (${n}), got ${opts.weights.length}`);
  if (!(priorWeight >= 0) || !Number.isFinite(priorWeight))
    throw new RangeError(`priorWeight must be a finite number >= 0, got ${priorWeight}`);
  const w = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    const v = opts.weights ? opts.weights[i]! : 1;
    if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`weights[${i}] must be a finite number >= 0, got ${v}`);
    w[i] = v;
  }
  w[n] = n === 0 ? 1 : priorWeight;
  let total = 0;
  for (let i = 0; i < K; i++) total += w[i]!;
  if (!(total > 0)) throw new RangeError('weights and priorWeight must not all be 0');
  const logW = new Float64Array(K);
  const cum = new Float64Array(K);
  let acc = 0;
  for (let i = 0; i < K; i++) {
    logW[i] = Math.log(w[i]! / total);
    acc += w[i]! / total;
    cum[i] = acc;
  }

  // Numeric kernels, component-major: index k * M + m.
  const mu = new Float64Array(K * M);
  const sigma = new Float64Array(K * M);
  const half = new Float64Array(K * M); // 0.5 / sigma^2
  const lnorm = new Float64Array(K * M); // -log(sigma sqrt(2 pi)) - log(mass on [0, 1]), or without log(sigma) (normalize: false)
  const cdfLo = new Float64Array(K * M);
  const cdfHi = new Float64Array(K * M);
  const params = M + G;
  const order: number[] = [];
  for (let m = 0; m < M; m++) {
    const j = num[m]!;
    const d = dims[j]!;
    let active = 0;
    for (let i = 0; i < n; i++) {
      const x = points[i]![j]!;
      if (Number.isNaN(x)) mu[i * M + m] = NaN;
      else {
        mu[i * M + m] = Math.min(1, Math.max(0, x));
        active++;
      }
    }
    // Optuna's magic clip (its len(mus) counts the prior), plus the ordinal floor and the caller's.
    let floor = Math.max(1 / Math.min(100, active + 2), extraFloor);
    if (d.type === 'ordinal' && Number.isFinite(d.levels)) floor = Math.max(floor, Math.min(1, ordinalFloor / d.levels));
    if (bandwidth === 'neighbors') neighborWidths(mu, sigma, m, M, n, order, opts.considerEndpoints ?? false);
    else {
      const decay = Math.max(active, 1) ** (-1 / (params + 4));
      const s = bandwidth === 'optuna' ? 0.2 * decay : factor * weightedStd(mu, w, m, M, n) * decay;
      for (let i = 0; i < n; i++) sigma[i * M + m] = s;
    }
    for (let i = 0; i < K; i++) {
      const at = i * M + m;
      let u = mu[at]!;
      let s = Math.min(1, Math.max(floor, sigma[at]!));
      if (i === n || Number.isNaN(u)) {
        u = 0.5; // prior kernel: the prior component, and inactive coordinates of an observation
        s = 1;
      }
      mu[at] = u;
      sigma[at] = s;
      half[at] = 0.5 / (s * s);
      const lo = normalCdfFast(-u / s);
      const hi = normalCdfFast((1 - u) / s);
      cdfLo[at] = lo;
      cdfHi[at] = hi;
      // The mass on [0, 1] is >= ~0.34 (0 <= u <= 1, s <= 1), so this log never meets a cancelled difference.
      lnorm[at] = (normalize ? -Math.log(s) : 0) - LOG_SQRT_2PI - Math.log(hi - lo);
    }
  }
  // Per-component constant of the common case (no NaN in the query): log weight + every numeric kernel's log normaliser.
  const cst = new Float64Array(K);
  for (let i = 0; i < K; i++) {
    let c = logW[i]!;
    for (let m = 0; m < M; m++) c += lnorm[i * M + m]!;
    cst[i] = c;
  }

  // Categorical kernels: the observed category per component (-1: uniform) and the hit/miss log-probabilities per block.
  const cat = new Int32Array(K * G).fill(-1);
  const logHit = new Float64Array(G);
  const logMiss = new Float64Array(G);
  const logUniform = new Float64Array(G);
  const pHit = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    const o = blockStart[g]!;
    const k = blockSize[g]!;
    let active = 0;
    for (let i = 0; i < n; i++) {
      const c = argmax(points[i]!, o, k);
      cat[i * G + g] = c;
      if (c >= 0) active++;
    }
    const a = priorWeight / (active + 1);
    logHit[g] = Math.log((1 + a) / (1 + k * a));
    logMiss[g] = Math.log(a / (1 + k * a));
    logUniform[g] = -Math.log(k);
    pHit[g] = (1 + a) / (1 + k * a);
  }

  // Per-call scratch, allocated once: the query's numeric values and categories, and per-component log terms.
  const xs = new Float64Array(M);
  const xcat = new Int32Array(G);
  const terms = new Float64Array(K);
  return {
    coords,
    size: n,
    logpdf(x) {
      let nan = false;
      for (let m = 0; m < M; m++) {
        const v = x[num[m]!]!;
        xs[m] = v;
        if (v !== v) nan = true;
      }
      for (let g = 0; g < G; g++) xcat[g] = argmax(x, blockStart[g]!, blockSize[g]!);
      let best = -Infinity;
      for (let i = 0; i < K; i++) {
        const base = i * M;
        let s = cst[i]!;
        if (!nan) {
          // Every term is <= 0: once s is CUT below the best component so far, this one cannot change the sum.
          const floor = best - CUT;
          for (let m = 0; m < M && s > floor; m++) {
            const d = xs[m]! - mu[base + m]!;
            s -= d * d * half[base + m]!;
          }
          if (s <= floor) {
            terms[i] = -Infinity;
            continue;
          }
        } else {
          // NaN coordinates are marginalised: their kernel factor integrates to 1, so drop its normaliser too.
          for (let m = 0; m < M; m++) {
            const v = xs[m]!;
            if (v !== v) s -= lnorm[base + m]!;
            else s -= (v - mu[base + m]!) ** 2 * half[base + m]!;
          }
        }
        for (let g = 0; g < G; g++) {
          const xc = xcat[g]!;
          if (xc < 0) continue; // inactive block: marginalised
          const c = cat[i * G + g]!;
          s += c < 0 ? logUniform[g]! : c === xc ? logHit[g]! : logMiss[g]!;
        }
        terms[i] = s;
        if (s > best) best = s;
      }
      if (best === -Infinity) return -Infinity;
      let sum = 0;
      const floor = best - CUT;
      for (let i = 0; i < K; i++) if (terms[i]! > floor) sum += Math.exp(terms[i]! - best);
      return best + Math.log(sum);
    },
    sample(rng, out, component) {
      let i = 0;
      if (component === undefined) {
        const u = rng();
        while (i < K - 1 && cum[i]! <= u) i++; // linear scan: cheaper than bisection for the small good sets TPE samples
      } else if (Number.isInteger(component) && component >= 0 && component < n) {
        i = component;
      } else {
        throw new RangeError(`component must be an integer in [0, ${n}), got ${component}`);
      }
      const base = i * M;
      for (let m = 0; m < M; m++) {
        const at = base + m;
        const p = cdfLo[at]! + rng() * (cdfHi[at]! - cdfLo[at]!);
        const v = mu[at]! + sigma[at]! * normalQuantile(p);
        out[num[m]!] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
      for (let g = 0; g < G; g++) {
        const o = blockStart[g]!;
        const k = blockSize[g]!;
        const c = cat[i * G + g]!;
        const r = rng();
        let pick: number;
        if (c < 0) pick = Math.min(k - 1, Math.floor(r * k));
        else if (r < pHit[g]!) pick = c;
        else {
          // Uniform over the other k - 1 categories.
          pick = Math.min(k - 2, Math.floor(((r - pHit[g]!) / (1 - pHit[g]!)) * (k - 1)));
          if (pick >= c) pick++;
        }
        for (let t = 0; t < k; t++) out[o + t] = t === pick ? 1 : 0;
      }
    },
  };
}

/**
 * Optuna's univariate widths for numeric column m: the active means and the prior's 0.5 sorted; each kernel spans the larger
 * gap to its neighbours (the cube's faces 0 and 1 bound the ends), except that without `considerEndpoints` the outermost
 * kernels take their inner gap. Writes sigma for every active row (clipping happens later).
 */
function neighborWidths(
  mu: Float64Array,
  sigma: Float64Array,
  m: number,
  M: number,
  n: number,
  order: number[],
  considerEndpoints: boolean,
): void {
  order.length = 0;
  for (let i = 0; i < n; i++) if (!Number.isNaN(mu[i * M + m]!)) order.push(i);
  order.push(n);
  mu[n * M + m] = 0.5;
  order.sort((a, b) => mu[a * M + m]! - mu[b * M + m]! || a - b);
  const L = order.length;
  for (let r = 0; r < L; r++) {
    const here = mu[order[r]! * M + m]!;
    const left = r > 0 ? mu[order[r - 1]! * M + m]! : 0;
    const right = r < L - 1 ? mu[order[r + 1]! * M + m]! : 1;
    let s = Math.max(here - left, right - here);
    if (!considerEndpoints && L >= 2) {
      if (r === 0) s = right - here;
      else if (r === L - 1) s = here - left;
    }
    sigma[order[r]! * M + m] = s;
  }
}

/** Weighted standard deviation of the active (non-NaN) means of column m; 0 for fewer than two. */
function weightedStd(mu: Float64Array, w: Float64Array, m: number, M: number, n: number): number {
  let sw = 0;
  let s1 = 0;
  for (let i = 0; i < n; i++) {
    const v = mu[i * M + m]!;
    if (v === v) {
      sw += w[i]!;
      s1 += w[i]! * v;
    }
  }
  if (!(sw > 0)) return 0;
  const mean = s1 / sw;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const v = mu[i * M + m]!;
    if (v === v) s2 += w[i]! * (v - mean) ** 2;
  }
  return Math.sqrt(s2 / sw);
}

/** Index (0..k-1) of the largest coordinate of block [o, o+k) as `decode` picks it (first on ties), or -1 if inactive (NaN). */
function argmax(x: ArrayLike<number>, o: number, k: number): number {
  let best = -1;
  let bv = -Infinity;
  for (let t = 0; t < k; t++) {
    const v = x[o + t]!;
    if (v !== v) return -1;
    if (v > bv) {
      bv = v;
      best = t;
    }
  }
  return best;
}
