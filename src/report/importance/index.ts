/**
 * Importance of a study's parameters for its objective: fANOVA over a random forest (./fanova.ts) on the complete trials.
 */
import seedrandom from 'seedrandom';
import type { TrialRecord } from '../../core/types.js';
import { flattenParams, type FlatParam } from '../flatten.js';
import { fanova, type FanovaOptions, type ParamImportance } from './fanova.js';

export { fanova, treeFractions, type FanovaOptions, type ParamImportance } from './fanova.js';
export { fitForest, type Leaf, type ForestOptions } from './forest.js';

/** What the report shows about importance. */
export interface ImportanceResult {
  readonly method: string;
  /**
   * Largest first; empty when fewer than 2 usable trials or no parameter varies. `correlation`: Spearman's rank correlation
   * of a numeric parameter with the objective (W&B's second column; null for categorical parameters).
   */
  readonly params: readonly (ParamImportance & { readonly correlation: number | null })[];
  /** Complete trials the forests were fitted on (at most `maxTrials`, a seeded sample when there are more). */
  readonly trials: number;
  /** Conditional parameters left out (not set in every trial used), as Optuna's evaluator does. */
  readonly excluded: readonly string[];
}

/** Options of {@link computeImportance}. */
export interface ImportanceOptions extends FanovaOptions {
  /** Fit on at most this many complete trials (a seeded sample): bounds the work for 10,000-trial studies (default 500). */
  readonly maxTrials?: number;
}

/** The feature range fANOVA integrates over: log-scaled bounds for log parameters, one unit per choice for categorical ones. */
export function featureDomain(p: FlatParam): [number, number] {
  if (p.kind === 'categorical') return [-0.5, (p.choices?.length ?? 1) - 0.5];
  return p.log ? [Math.log(p.low as number), Math.log(p.high as number)] : [p.low as number, p.high as number];
}

/**
 * A parameter every branch of a branch parameter defines (the `lr` of each optimizer branch: `optimizer.adam.lr`,
 * `optimizer.sgd.lr`...) also takes part as one merged parameter `optimizer.*.lr` (the active branch's value, over the union
 * of the ranges): it is set in every trial, so it is not lost to the every-trial rule. Numeric members only (same kind).
 */
export function mergeBranchParams(flat: readonly FlatParam[]): { param: FlatParam; members: string[] }[] {
  const out: { param: FlatParam; members: string[] }[] = [];
  for (const b of flat.filter((p) => p.branch)) {
    const branches = (b.choices ?? []).map(String);
    if (branches.length < 2) continue;
    const bySuffix = new Map<string, FlatParam[]>();
    for (const p of flat) {
      for (const br of branches) {
        const prefix = `${b.name}.${br}.`;
        if (!p.name.startsWith(prefix) || p.kind === 'categorical') continue;
        const suffix = p.name.slice(prefix.length);
        bySuffix.set(suffix, [...(bySuffix.get(suffix) ?? []), p]);
      }
    }
    for (const [suffix, members] of bySuffix) {
      if (members.length !== branches.length || new Set(members.map((m) => m.kind)).size !== 1) continue;
      const log = members.every((m) => m.log);
      const param: FlatParam = {
        name: `${b.name}.*.${suffix}`,
        kind: members[0]!.kind,
        low: Math.min(...members.map((m) => m.low as number)),
        high: Math.max(...members.map((m) => m.high as number)),
        log,
        ...(b.condition !== undefined ? { condition: b.condition } : {}),
      };
      out.push({ param, members: members.map((m) => m.name) });
    }
  }
  return out;
}

/** fANOVA importances of `flat`'s parameters over the complete trials with a finite value. */
export function computeImportance(
  trials: readonly TrialRecord[],
  flatParams: readonly FlatParam[],
  options: ImportanceOptions = {},
): ImportanceResult {
  let flat = flatParams;
  const method = `fANOVA (random forest, ${options.trees ?? 64} trees, ${options.refits ?? 3} refits)`;
  let usable = trials.filter((t) => t.state === 'complete' && t.value !== undefined && Number.isFinite(t.value));
  const maxTrials = options.maxTrials ?? 500;
  if (usable.length > maxTrials) {
    const rng = seedrandom(`${options.seed ?? 0}:importance-sample`);
    const picked = [...usable];
    for (let i = picked.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [picked[i], picked[j]] = [picked[j]!, picked[i]!];
    }
    usable = picked.slice(0, maxTrials).sort((a, b) => a.number - b.number);
  }
  const merged = mergeBranchParams(flat);
  const rows = usable.map((t) => {
    const r = flattenParams(t.params, flat);
    for (const m of merged) {
      const v = m.members.map((n) => r.get(n)).find((x) => x !== undefined);
      if (v !== undefined) r.set(m.param.name, v);
    }
    return r;
  });
  flat = [...flat, ...merged.map((m) => m.param).filter((m) => !flat.some((p) => p.name === m.name))];
  const inAll = flat.filter((p) => rows.length > 0 && rows.every((r) => r.has(p.name)));
  const excluded = flat.filter((p) => !inAll.includes(p)).map((p) => p.name);
  // A parameter with one value in every trial used cannot explain anything; leaving it out avoids a 0/0.
  const varying = inAll.filter((p) => new Set(rows.map((r) => r.get(p.name))).size > 1);
  if (usable.length < 2 || varying.length === 0) return { method, params: [], trials: usable.length, excluded };
  const d = varying.length;
  const domain = varying.map(featureDomain);
  const x = new Float64Array(usable.length * d);
  const y = new Float64Array(usable.length);
  usable.forEach((t, i) => {
    y[i] = t.value as number;
    varying.forEach((p, j) => {
      const v = rows[i]!.get(p.name) as number;
      const [lo, hi] = domain[j]!;
      const u = p.kind !== 'categorical' && p.log ? Math.log(v) : v;
      x[i * d + j] = Math.min(hi, Math.max(lo, u));
    });
  });
  const params = fanova(
    varying.map((p) => p.name),
    x,
    y,
    domain,
    options,
  ).map((imp) => {
    const j = varying.findIndex((p) => p.name === imp.name);
    return { ...imp, correlation: varying[j]!.kind === 'categorical' ? null : spearman(x, y, d, j) };
  });
  return { method, params, trials: usable.length, excluded };
}

/** Spearman's rank correlation of column j of x (n rows of d) with y (average ranks for ties). */
export function spearman(x: Float64Array, y: Float64Array, d: number, j: number): number | null {
  const n = y.length;
  const col = Float64Array.from({ length: n }, (_, i) => x[i * d + j]!);
  const rx = ranks(col);
  const ry = ranks(y);
  const mean = (n + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i]! - mean) * (ry[i]! - mean);
    sxx += (rx[i]! - mean) ** 2;
    syy += (ry[i]! - mean) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
}

function ranks(v: Float64Array): Float64Array {
  const order = Array.from(v.keys()).sort((a, b) => v[a]! - v[b]!);
  const r = new Float64Array(v.length);
  for (let i = 0; i < order.length;) {
    let k = i;
    while (k + 1 < order.length && v[order[k + 1]!] === v[order[i]!]) k++;
    for (let m = i; m <= k; m++) r[order[m]!] = (i + k) / 2 + 1;
    i = k + 1;
  }
  return r;
}
