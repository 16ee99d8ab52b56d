/**
 * Seeded, optionally stratified splitting of row indices, k-fold cross-validation over a prepared `Dataset`, and row gathering.
 * Every loader splits through `splitIndices`, so "same seed, same split" holds everywhere. Randomness comes only from a
 * seedrandom `alea` stream with a prefix of its own, so the split never depends on (or disturbs) other seeded streams.
 */
import seedrandom from 'seedrandom';
import { OptionsError } from '../../src/core/errors.js';
import type { Dataset, Split } from '../types.js';

/** Row indices of the three splits. Disjoint; together they cover 0..n-1 (each split in shuffled order). */
export interface SplitIndices {
  readonly train: Int32Array;
  readonly val: Int32Array;
  readonly test: Int32Array;
}

/** Options of `splitIndices`. `val` and `test` are fractions of n; `labels` (class indices) turns on stratification. */
export interface SplitOptions {
  readonly val: number;
  readonly test: number;
  readonly seed: number;
  readonly labels?: ArrayLike<number>;
}

function rngFor(seed: number, purpose: string): () => number {
  return seedrandom.alea(`tunekit/data/${purpose}/${seed}`);
}

/** In-place Fisher-Yates shuffle with the given uniform source. */
function shuffle(a: Int32Array | number[], u: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/**
 * Largest-remainder apportionment: splits `total` over groups in proportion to `counts[g] * frac`, never above `caps[g]`.
 * Each group gets floor or ceil of its exact share (unless a cap bites), which is what makes stratified splits within one
 * row of exact per class while the split total is still exactly `total`. Ties go to the lower group index (deterministic).
 */
function apportion(counts: readonly number[], frac: number, total: number, caps: readonly number[]): number[] {
  const quota = counts.map((c, g) => Math.min(Math.floor(c * frac), caps[g]!));
  let left = total - quota.reduce((s, v) => s + v, 0);
  const order = counts
    .map((_, g) => g)
    .sort((a, b) => counts[b]! * frac - Math.floor(counts[b]! * frac) - (counts[a]! * frac - Math.floor(counts[a]! * frac)) || a - b);
  // First pass: the groups with the largest remainders; later passes only matter when caps stopped earlier groups.
  for (let pass = 0; left > 0 && pass < 2; pass++) {
    for (const g of order) {
      if (left <= 0) break;
      if (quota[g]! < caps[g]!) {
        quota[g]!++;
        left--;
      }
    }
  }
  return quota;
}

function checkFraction(name: string, v: number): void {
  if (!Number.isFinite(v) || v < 0 || v >= 1) {
    throw new OptionsError(`\`${name}\` must be a fraction in [0, 1), got ${v}`);
  }
}

/** Groups row indices by label, classes in ascending label order (so the result never depends on row order). */
function groupByLabel(n: number, labels: ArrayLike<number>): Int32Array[] {
  if (labels.length !== n) throw new OptionsError(`\`labels\` must have one entry per row (${n}), got ${labels.length}`);
  const byLabel = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    let rows = byLabel.get(l);
    if (!rows) byLabel.set(l, (rows = []));
    rows.push(i);
  }
  return [...byLabel.keys()].sort((a, b) => a - b).map((l) => Int32Array.from(byLabel.get(l)!));
}

/**
 * Splits row indices 0..n-1 into train/val/test. Called by every loader (and by anyone with predefined rows to split).
 * Sizes: test = round(n * test), val = round(n * val) exactly; with `labels` each class c gets floor or ceil of
 * `count(c) * fraction` rows in val and in test (stratified). When n >= 1 the train split is never left empty (one row
 * moves back from val, else test). Same seed and inputs -> same indices; each split comes back shuffled.
 */
export function splitIndices(n: number, opts: SplitOptions): SplitIndices {
  if (!Number.isInteger(n) || n < 0) throw new OptionsError(`\`n\` must be a non-negative integer, got ${n}`);
  checkFraction('val', opts.val);
  checkFraction('test', opts.test);
  if (opts.val + opts.test >= 1) {
    throw new OptionsError(`\`val + test < 1\` must hold so the train split keeps rows, got val=${opts.val}, test=${opts.test}`);
  }
  const u = rngFor(opts.seed, 'split');
  const groups = opts.labels ? groupByLabel(n, opts.labels) : [Int32Array.from({ length: n }, (_, i) => i)];
  const counts = groups.map((g) => g.length);
  const testQ = apportion(counts, opts.test, Math.round(n * opts.test), counts);
  const valQ = apportion(
    counts,
    opts.val,
    Math.round(n * opts.val),
    counts.map((c, g) => c - testQ[g]!),
  );
  const train: number[] = [];
  const val: number[] = [];
  const test: number[] = [];
  groups.forEach((rows, g) => {
    shuffle(rows, u);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (i < testQ[g]!) test.push(r);
      else if (i < testQ[g]! + valQ[g]!) val.push(r);
      else train.push(r);
    }
  });
  if (n > 0 && train.length === 0) train.push((val.length ? val : test).pop()!);
  const out = [train, val, test].map((a) => {
    const t = Int32Array.from(a);
    shuffle(t, u);
    return t;
  });
  return { train: out[0]!, val: out[1]!, test: out[2]! };
}

/**
 * A seeded sample of `count` row indices out of n (stratified by `labels` when given: each class gets floor or ceil of its
 * share). Used by `loadMnist({ limit })` for small fast subsets; returned in ascending row order.
 */
export function sampleIndices(n: number, count: number, seed: number, labels?: ArrayLike<number>): Int32Array {
  if (!Number.isInteger(count) || count < 1 || count > n) {
    throw new OptionsError(`\`limit\` must be an integer in [1, ${n}], got ${count}`);
  }
  const u = rngFor(seed, 'sample');
  const groups = labels ? groupByLabel(n, labels) : [Int32Array.from({ length: n }, (_, i) => i)];
  const counts = groups.map((g) => g.length);
  const quota = apportion(counts, count / n, count, counts);
  const picked: number[] = [];
  groups.forEach((rows, g) => {
    shuffle(rows, u);
    for (let i = 0; i < quota[g]!; i++) picked.push(rows[i]!);
  });
  return Int32Array.from(picked).sort();
}

/**
 * Gathers rows `idx` of a split into a new split (copies; the source is never aliased, so augmenters may write in place).
 * `rowSize` is prod(inputShape). Called by loaders and `kFold`; throws if an index is outside [0, split.n).
 */
export function takeRows(split: Split, rowSize: number, idx: ArrayLike<number>): Split {
  const n = idx.length;
  const x = new Float32Array(n * rowSize);
  const y = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    const i = idx[j]!;
    if (!Number.isInteger(i) || i < 0 || i >= split.n) {
      throw new OptionsError(`row index must be an integer in [0, ${split.n}), got ${i} at position ${j}`);
    }
    x.set(split.x.subarray(i * rowSize, (i + 1) * rowSize), j * rowSize);
    y[j] = split.y[i]!;
  }
  return { x, y, n };
}

/** Concatenates two splits row-wise (a's rows first). */
export function concatSplits(a: Split, b: Split): Split {
  const x = new Float32Array(a.x.length + b.x.length);
  x.set(a.x);
  x.set(b.x, a.x.length);
  const y = new Float32Array(a.n + b.n);
  y.set(a.y);
  y.set(b.y, a.n);
  return { x, y, n: a.n + b.n };
}

/**
 * k-fold cross-validation: pools train + val, deals the pooled rows into k folds (stratified by class for classification:
 * each class is shuffled and dealt round-robin, so fold sizes and per-class counts differ by at most one), and returns k
 * datasets where fold i is the val split and the other folds are train. `test` is passed through unchanged. Every pooled row
 * is validated exactly once.
 *
 * Caveat: the rows keep the preprocessing already applied to `dataset` (imputation/standardisation fitted on its original
 * train split), so a fold's val rows may have contributed to those statistics. For strictly leak-free CV, re-run
 * `prepareTabular` per fold with `splitIndices`; for MNIST (fixed [0,1] pixels, nothing fitted) there is no difference.
 */
export function kFold(dataset: Dataset, k: number, seed: number): Dataset[] {
  const pooled = concatSplits(dataset.train, dataset.val);
  if (!Number.isInteger(k) || k < 2 || k > pooled.n) {
    throw new OptionsError(`\`k\` must be an integer in [2, ${pooled.n}] (train + val rows of "${dataset.name}"), got ${k}`);
  }
  const rowSize = dataset.inputShape.reduce((p, d) => p * d, 1);
  const u = rngFor(seed, 'kfold');
  const groups =
    dataset.task === 'classification' ? groupByLabel(pooled.n, pooled.y) : [Int32Array.from({ length: pooled.n }, (_, i) => i)];
  const fold = new Int32Array(pooled.n);
  let dealt = 0;
  for (const rows of groups) {
    shuffle(rows, u);
    // One running counter across classes keeps the overall fold sizes balanced, not only the per-class ones.
    for (const r of rows) fold[r] = dealt++ % k;
  }
  const folds: Dataset[] = [];
  for (let f = 0; f < k; f++) {
    const valIdx: number[] = [];
    const trainIdx: number[] = [];
    for (let i = 0; i < pooled.n; i++) (fold[i] === f ? valIdx : trainIdx).push(i);
    folds.push({
      ...dataset,
      name: `${dataset.name}[fold ${f + 1}/${k}]`,
      train: takeRows(pooled, rowSize, trainIdx),
      val: takeRows(pooled, rowSize, valIdx),
      test: dataset.test,
    });
  }
  return folds;
}
