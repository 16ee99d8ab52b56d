/**
 * Hyperparameter importance by fANOVA (Hutter et al. 2014) over a random forest, the method of record of Optuna's
 * FanovaImportanceEvaluator: each tree's prediction is a piecewise-constant function over the parameter box; a parameter's
 * importance is the variance of its marginal (the tree averaged over every other parameter) divided by the tree's total
 * variance, averaged over the trees, then normalised to sum to 1 over the parameters.
 *
 * Conditional parameters are handled as Optuna does: only parameters set in every trial used take part (the branch choices
 * themselves always do). Categorical parameters are encoded as their choice index with one unit of width per choice, so the
 * marginal weights each choice equally (Optuna one-hot encodes them; the marginal is the same up to how trees split).
 */
import { fitForest, type Leaf } from './forest.js';

/** Importance of one parameter: the mean over refits, and the spread (min, max, standard deviation) over refits. */
export interface ParamImportance {
  readonly name: string;
  readonly importance: number;
  readonly min: number;
  readonly max: number;
  readonly std: number;
}

/** Options of {@link fanova}. */
export interface FanovaOptions {
  /** Trees per forest (Optuna: 64). */
  readonly trees?: number;
  /** Forests fitted with different seeds; the spread over them is reported (default 3). */
  readonly refits?: number;
  readonly maxDepth?: number;
  readonly seed?: number;
}

/**
 * fANOVA main-effect importances of the `d` features of `x` (n rows, row-major) for the target `y`. `domain[j]` is feature j's
 * range (for categorical features [-0.5, k - 0.5]). Returns importances sorted, largest first. Deterministic for a seed.
 */
export function fanova(
  names: readonly string[],
  x: Float64Array,
  y: Float64Array,
  domain: readonly (readonly [number, number])[],
  options: FanovaOptions = {},
): ParamImportance[] {
  const d = names.length;
  const refits = options.refits ?? 3;
  const runs: number[][] = [];
  for (let r = 0; r < refits; r++) {
    const forest = fitForest(x, y, d, domain, {
      trees: options.trees ?? 64,
      maxDepth: options.maxDepth ?? 64,
      seed: `${options.seed ?? 0}:fanova:${r}`,
    });
    const sums = new Array<number>(d).fill(0);
    let counted = 0;
    for (const leaves of forest) {
      const fractions = treeFractions(leaves, domain);
      if (!fractions) continue; // a constant tree explains nothing (Optuna skips it too)
      counted++;
      for (let j = 0; j < d; j++) sums[j]! += fractions[j]!;
    }
    const means = sums.map((s) => (counted ? s / counted : 0));
    const total = means.reduce((a, b) => a + b, 0);
    runs.push(means.map((m) => (total > 0 ? m / total : 0)));
  }
  return names
    .map((name, j) => {
      const vals = runs.map((r) => r[j]!);
      const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
      const std = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length);
      return { name, importance: mean, min: Math.min(...vals), max: Math.max(...vals), std };
    })
    .sort((a, b) => b.importance - a.importance || a.name.localeCompare(b.name));
}

/** Per feature: variance of the tree's marginal over that feature / the tree's total variance; undefined for a constant tree. */
export function treeFractions(leaves: readonly Leaf[], domain: readonly (readonly [number, number])[]): number[] | undefined {
  const d = domain.length;
  const widths = domain.map(([lo, hi]) => hi - lo || 1);
  const weights = leaves.map((l) => {
    let w = 1;
    for (let k = 0; k < d; k++) w *= (l.high[k]! - l.low[k]!) / widths[k]!;
    return w;
  });
  let mean = 0;
  leaves.forEach((l, i) => (mean += weights[i]! * l.value));
  let total = 0;
  leaves.forEach((l, i) => (total += weights[i]! * (l.value - mean) ** 2));
  if (!(total > 1e-300)) return undefined;
  const out: number[] = [];
  for (let j = 0; j < d; j++) {
    // Cells along feature j: between consecutive leaf edges on j.
    const edges = new Set<number>();
    for (const l of leaves) {
      edges.add(l.low[j]!);
      edges.add(l.high[j]!);
    }
    const points = [...edges].sort((a, b) => a - b);
    const cells = points.length - 1;
    const marginal = new Float64Array(cells);
    for (let i = 0; i < leaves.length; i++) {
      const l = leaves[i]!;
      const fracJ = (l.high[j]! - l.low[j]!) / widths[j]!;
      if (fracJ <= 0) continue;
      // The leaf's weight over every other feature: its contribution to the marginal at any x_j inside its interval.
      const rest = (weights[i]! / fracJ) * l.value;
      let c = lowerBound(points, l.low[j]!);
      while (c < cells && points[c + 1]! <= l.high[j]!) marginal[c++]! += rest;
    }
    let v = 0;
    for (let c = 0; c < cells; c++) v += ((points[c + 1]! - points[c]!) / widths[j]!) * (marginal[c]! - mean) ** 2;
    out.push(v / total);
  }
  return out;
}

function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
