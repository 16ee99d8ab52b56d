/**
 * A regression random forest (CART trees on bootstrap samples, variance reduction, every feature tried at every split), as
 * Optuna's fANOVA evaluator fits it through scikit-learn's RandomForestRegressor (64 trees, max depth 64, min_samples_split 2,
 * min_samples_leaf 1). Only what fANOVA needs: each tree's leaves as boxes with their mean target.
 */
import seedrandom from 'seedrandom';

/** One leaf of a fitted tree: its box (per feature, [low, high] clipped to the domain) and its mean target. */
export interface Leaf {
  readonly low: Float64Array;
  readonly high: Float64Array;
  readonly value: number;
}

/** Options of {@link fitForest}. */
export interface ForestOptions {
  readonly trees: number;
  readonly maxDepth: number;
  readonly seed: string | number;
}

/**
 * Fits `options.trees` trees on bootstrap samples of the rows of `x` (n rows of d features, row-major) against `y`, and
 * returns each tree's leaves. `domain` gives each feature's [low, high]: leaf boxes start from it. Deterministic for a seed.
 */
export function fitForest(
  x: Float64Array,
  y: Float64Array,
  d: number,
  domain: readonly (readonly [number, number])[],
  options: ForestOptions,
): Leaf[][] {
  const n = y.length;
  const rng = seedrandom(String(options.seed));
  const forest: Leaf[][] = [];
  for (let t = 0; t < options.trees; t++) {
    const rows = new Int32Array(n);
    for (let i = 0; i < n; i++) rows[i] = Math.floor(rng() * n);
    const leaves: Leaf[] = [];
    const low = Float64Array.from(domain, (b) => b[0]);
    const high = Float64Array.from(domain, (b) => b[1]);
    grow(x, y, d, rows, low, high, 0, options.maxDepth, leaves, rng);
    forest.push(leaves);
  }
  return forest;
}

function grow(
  x: Float64Array,
  y: Float64Array,
  d: number,
  rows: Int32Array,
  low: Float64Array,
  high: Float64Array,
  depth: number,
  maxDepth: number,
  leaves: Leaf[],
  rng: () => number,
): void {
  const m = rows.length;
  let sum = 0;
  for (let i = 0; i < m; i++) sum += y[rows[i]!]!;
  const mean = sum / m;
  const split = depth < maxDepth && m >= 2 ? bestSplit(x, y, d, rows, sum, rng) : undefined;
  if (!split) {
    leaves.push({ low: low.slice(), high: high.slice(), value: mean });
    return;
  }
  const left: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < m; i++) (x[rows[i]! * d + split.feature]! <= split.threshold ? left : right).push(rows[i]!);
  const oldHigh = high[split.feature]!;
  high[split.feature] = split.threshold;
  grow(x, y, d, Int32Array.from(left), low, high, depth + 1, maxDepth, leaves, rng);
  high[split.feature] = oldHigh;
  const oldLow = low[split.feature]!;
  low[split.feature] = split.threshold;
  grow(x, y, d, Int32Array.from(right), low, high, depth + 1, maxDepth, leaves, rng);
  low[split.feature] = oldLow;
}

/** The split with the largest variance reduction over all features (ties broken by a seeded feature order), or none. */
function bestSplit(
  x: Float64Array,
  y: Float64Array,
  d: number,
  rows: Int32Array,
  total: number,
  rng: () => number,
): { feature: number; threshold: number } | undefined {
  const m = rows.length;
  let bestGain = 1e-12;
  let best: { feature: number; threshold: number } | undefined;
  const order = Array.from({ length: d }, (_, i) => i);
  for (let i = d - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const idx = new Int32Array(m);
  const base = (total * total) / m;
  for (const f of order) {
    for (let i = 0; i < m; i++) idx[i] = rows[i]!;
    idx.sort((a, b) => x[a * d + f]! - x[b * d + f]!);
    let leftSum = 0;
    for (let i = 0; i < m - 1; i++) {
      leftSum += y[idx[i]!]!;
      const v = x[idx[i]! * d + f]!;
      const next = x[idx[i + 1]! * d + f]!;
      if (v === next) continue;
      const nl = i + 1;
      const nr = m - nl;
      const rightSum = total - leftSum;
      // Reduction of the sum of squared errors: sum_l^2/n_l + sum_r^2/n_r - sum^2/n.
      const gain = (leftSum * leftSum) / nl + (rightSum * rightSum) / nr - base;
      if (gain > bestGain) {
        bestGain = gain;
        best = { feature: f, threshold: (v + next) / 2 };
      }
    }
  }
  return best;
}
