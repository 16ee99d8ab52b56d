/**
 * Small statistics for the benchmarks that compare two samplers over seeds (bench/searchers.ts): medians, a bootstrap
 * confidence interval for the ratio of two medians, and a one-sided Mann-Whitney U test. Twenty-seed medians of simple
 * regret move by tens of percent between seed sets, so a ratio of medians alone cannot say "no worse"; these say how sure
 * a difference is. Deterministic: the bootstrap draws from `seedrandom`.
 */
import seedrandom from 'seedrandom';
import { normalCdf } from '../searchers/tpe/normal.js';

/** Median of a non-empty list (mean of the two middle values for an even length). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Percentile-bootstrap interval of median(a) / median(b), resampling each list independently (the seeds of two samplers are
 * not paired: seed k of tunekit and seed k of Optuna share nothing). `level` 0.95 gives the 2.5% and 97.5% quantiles.
 */
export function bootstrapRatioCi(
  a: readonly number[],
  b: readonly number[],
  level = 0.95,
  rounds = 2000,
  seed = 'bench/ci',
): [number, number] {
  const rng = seedrandom.alea(seed);
  const draw = (xs: readonly number[]): number => {
    const s = new Array<number>(xs.length);
    for (let i = 0; i < xs.length; i++) s[i] = xs[Math.floor(rng() * xs.length)]!;
    return median(s);
  };
  const r: number[] = [];
  for (let k = 0; k < rounds; k++) r.push(draw(a) / draw(b));
  r.sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  return [r[Math.floor(tail * (rounds - 1))]!, r[Math.ceil((1 - tail) * (rounds - 1))]!];
}

/**
 * One-sided Mann-Whitney U test of "values in `a` tend to be larger than in `b`" (for regrets: a is worse), normal
 * approximation with tie correction and continuity correction (scipy's `mannwhitneyu(a, b, alternative='greater')` with
 * `method='asymptotic'`). Returns the p-value: small means a is credibly worse.
 */
export function mannWhitneyGreater(a: readonly number[], b: readonly number[]): number {
  const n1 = a.length;
  const n2 = b.length;
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const N = all.length;
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < N;) {
    let j = i;
    while (j + 1 < N && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j) / 2 + 1; // average rank of the tie block (1-based)
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    for (let k = i; k <= j; k++) if (all[k]!.g === 0) rankSumA += rank;
    i = j + 1;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const sd = Math.sqrt(((n1 * n2) / 12) * (N + 1 - tieTerm / (N * (N - 1))));
  if (!(sd > 0)) return 0.5;
  const z = (u - mean - 0.5) / sd;
  return normalCdf(-z);
}

/** Two-sided 95% quantiles of Student's t (0.975) for 1..30 degrees of freedom (scipy.stats.t.ppf(0.975, df)). */
const T975 = [
  12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139, 2.200985, 2.178813, 2.160369,
  2.144787, 2.13145, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831,
  2.048407, 2.04523, 2.042272,
];

/**
 * 95% interval of the geometric mean of paired ratios (each pair's runs measured back to back, e.g. bench/pool's ABBA
 * scaling pairs): a t-interval on the log ratios, exponentiated. Pairs cancel a drift slower than a pair; what is left of
 * the noise shows in the spread between pairs, which is what the interval is made of. Needs 2+ ratios (more than 31: the
 * normal quantile).
 */
export function pairedRatioCi(ratios: readonly number[]): { mean: number; lo: number; hi: number } {
  const n = ratios.length;
  if (n < 2) throw new Error(`pairedRatioCi needs 2 or more ratios, got ${n}`);
  const logs = ratios.map((r) => Math.log(r));
  const m = logs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(logs.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
  const half = (T975[n - 2] ?? 1.959964) * (sd / Math.sqrt(n));
  return { mean: Math.exp(m), lo: Math.exp(m - half), hi: Math.exp(m + half) };
}
