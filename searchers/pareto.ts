/**
 * Multi-objective maths shared by the searchers (NSGA-II, MOTPE, GP-EHVI) and the study's leaderboard / `bestTrials`: Pareto
 * dominance under per-objective directions, the Pareto front, non-dominated sorting ranks, crowding distance, exact
 * hypervolume and per-point hypervolume contributions. A leaf module: it imports only the `Direction` type.
 *
 * Conventions: a point is one value per objective, in the order of `directions` (`'minimize'` or `'maximize'`); a point with a
 * NaN value is dominated by every point without one (it never enters a front before them). Functions taking no `directions`
 * (crowding distance) work on whatever orientation they are given, since they are symmetric in it.
 *
 * Hypervolume (the volume dominated by the points and bounded by the reference point) is exact: a sweep in 2 objectives
 * (O(n log n)), and for 3+ objectives slicing along the last objective (HSO: sort by it, the volume is the sum of slabs, each a
 * (m-1)-objective hypervolume of the points above it), O(n^(m-1) log n): ample for the few hundred points a study holds in 3
 * objectives, slow for many points in 5+.
 */
import type { Direction } from '../src/core/types.js';

/** A point in objective space: one value per objective. */
export type ObjectivePoint = readonly number[];

function checkDims(points: readonly ObjectivePoint[], m: number, what: string): void {
  for (let i = 0; i < points.length; i++) {
    if (points[i]!.length !== m) {
      throw new RangeError(`every point must have one value per objective (${m}, as ${what}), got ${points[i]!.length} at index ${i}`);
    }
  }
}

/** Points turned into minimisation losses (maximised objectives negated; NaN becomes +Infinity, i.e. worst). */
export function toLosses(points: readonly ObjectivePoint[], directions: readonly Direction[]): number[][] {
  checkDims(points, directions.length, 'directions has');
  return points.map((p) =>
    p.map((v, j) => {
      const l = directions[j] === 'maximize' ? -v : v;
      return Number.isNaN(l) ? Infinity : l;
    }),
  );
}

/** Whether loss vector `a` dominates `b`: no worse in every objective and better in at least one (minimisation). */
export function dominatesLoss(a: ObjectivePoint, b: ObjectivePoint): boolean {
  let better = false;
  for (let j = 0; j < a.length; j++) {
    if (a[j]! > b[j]!) return false;
    if (a[j]! < b[j]!) better = true;
  }
  return better;
}

/** Whether point `a` dominates point `b` under `directions`. */
export function dominates(a: ObjectivePoint, b: ObjectivePoint, directions: readonly Direction[]): boolean {
  const [la, lb] = toLosses([a, b], directions);
  return dominatesLoss(la!, lb!);
}

/**
 * Non-dominated sorting ranks on loss vectors (0 = the Pareto front, 1 = the front once rank 0 is removed, ...). Deb's fast
 * non-dominated sort, O(m n^2). Equal points share a rank.
 */
export function lossRanks(losses: readonly ObjectivePoint[]): number[] {
  const n = losses.length;
  const dominatedBy = new Int32Array(n); // how many points dominate i
  const dominating: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (dominatesLoss(losses[i]!, losses[j]!)) {
        dominating[i]!.push(j);
        dominatedBy[j]!++;
      } else if (dominatesLoss(losses[j]!, losses[i]!)) {
        dominating[j]!.push(i);
        dominatedBy[i]!++;
      }
    }
  }
  const rank = new Array<number>(n).fill(-1);
  let current: number[] = [];
  for (let i = 0; i < n; i++) if (dominatedBy[i] === 0) current.push(i);
  for (let r = 0; current.length > 0; r++) {
    const next: number[] = [];
    for (const i of current) {
      rank[i] = r;
      for (const j of dominating[i]!) if (--dominatedBy[j]! === 0) next.push(j);
    }
    current = next;
  }
  return rank;
}

/** Non-dominated sorting ranks of `points` under `directions` (0 = Pareto front). */
export function nondominatedRanks(points: readonly ObjectivePoint[], directions: readonly Direction[]): number[] {
  return lossRanks(toLosses(points, directions));
}

/** Indices (ascending) of the points no other point dominates: the Pareto front. Duplicates of a front point are all kept. */
export function paretoFront(points: readonly ObjectivePoint[], directions: readonly Direction[]): number[] {
  const losses = toLosses(points, directions);
  const out: number[] = [];
  for (let i = 0; i < losses.length; i++) {
    let dominated = false;
    for (let j = 0; j < losses.length && !dominated; j++) dominated = j !== i && dominatesLoss(losses[j]!, losses[i]!);
    if (!dominated) out.push(i);
  }
  return out;
}

/**
 * NSGA-II crowding distance of each point within its set (call it per front): per objective the points are sorted, the two
 * extremes get Infinity and every other point adds the gap between its neighbours divided by the objective's range. An
 * objective with zero range adds nothing. Orientation does not matter. Sets of 1 or 2 points are all Infinity.
 */
export function crowdingDistance(points: readonly ObjectivePoint[]): number[] {
  const n = points.length;
  const dist = new Array<number>(n).fill(0);
  if (n === 0) return dist;
  const m = points[0]!.length;
  checkDims(points, m, 'the first point has');
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let j = 0; j < m; j++) {
    idx.sort((a, b) => points[a]![j]! - points[b]![j]! || a - b);
    const lo = points[idx[0]!]![j]!;
    const hi = points[idx[n - 1]!]![j]!;
    dist[idx[0]!] = Infinity;
    dist[idx[n - 1]!] = Infinity;
    const range = hi - lo;
    if (!(range > 0) || !Number.isFinite(range)) continue;
    for (let k = 1; k < n - 1; k++) dist[idx[k]!]! += (points[idx[k + 1]!]![j]! - points[idx[k - 1]!]![j]!) / range;
  }
  return dist;
}

/** 2-objective hypervolume of loss points strictly below `ref` (already filtered), by a sweep in the first objective. */
function hv2(pts: readonly ObjectivePoint[], ref: ObjectivePoint): number {
  const s = [...pts].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let vol = 0;
  let yCap = ref[1]!;
  for (let i = 0; i < s.length; i++) {
    const y = s[i]![1]!;
    if (y >= yCap) continue; // dominated by an earlier point (smaller x, smaller y)
    const xNext = ref[0]!;
    vol += (xNext - s[i]![0]!) * (yCap - y);
    yCap = y;
  }
  return vol;
}

/** Hypervolume of loss points (all strictly below `ref` in every objective), any number of objectives >= 1. */
function hvLoss(pts: readonly ObjectivePoint[], ref: ObjectivePoint): number {
  const m = ref.length;
  if (pts.length === 0) return 0;
  if (m === 1) {
    let best = Infinity;
    for (const p of pts) best = Math.min(best, p[0]!);
    return ref[0]! - best;
  }
  if (m === 2) return hv2(pts, ref);
  // Slicing along the last objective: between consecutive last-objective values z_k and z_{k+1}, the dominated region is the
  // (m-1)-objective hypervolume of the points with last value <= z_k.
  const s = [...pts].sort((a, b) => a[m - 1]! - b[m - 1]!);
  const sub = ref.slice(0, m - 1);
  let vol = 0;
  const prefix: ObjectivePoint[] = [];
  for (let k = 0; k < s.length; k++) {
    prefix.push(s[k]!.slice(0, m - 1));
    const z = s[k]![m - 1]!;
    const zNext = k + 1 < s.length ? s[k + 1]![m - 1]! : ref[m - 1]!;
    if (zNext > z) vol += hvLoss(filterFront(prefix), sub) * (zNext - z);
  }
  return vol;
}

/** Drops dominated and duplicate loss points (keeps the recursion's point sets small). */
function filterFront(pts: readonly ObjectivePoint[]): ObjectivePoint[] {
  const out: ObjectivePoint[] = [];
  for (let i = 0; i < pts.length; i++) {
    let drop = false;
    for (let j = 0; j < pts.length && !drop; j++) {
      if (j === i) continue;
      if (dominatesLoss(pts[j]!, pts[i]!)) drop = true;
      else if (j < i && pts[j]!.every((v, c) => v === pts[i]![c])) drop = true;
    }
    if (!drop) out.push(pts[i]!);
  }
  return out;
}

function lossReference(reference: ObjectivePoint, directions: readonly Direction[]): number[] {
  if (reference.length !== directions.length) {
    throw new RangeError(`the reference point must have one value per objective (${directions.length}), got ${reference.length}`);
  }
  return reference.map((v, j) => (directions[j] === 'maximize' ? -v : v));
}

/**
 * Exact hypervolume of `points` with respect to `reference` (both in the objectives' own units and orientation): the volume of
 * the region dominated by at least one point and bounded by the reference point. Points not strictly better than the
 * reference in every objective contribute nothing. Used by the MO bench, MOTPE's good-set selection and the leaderboard.
 */
export function hypervolume(points: readonly ObjectivePoint[], reference: ObjectivePoint, directions: readonly Direction[]): number {
  const ref = lossReference(reference, directions);
  const pts = toLosses(points, directions).filter((p) => p.every((v, j) => v < ref[j]!));
  return hvLoss(filterFront(pts), ref);
}

/**
 * Each point's exclusive hypervolume contribution: HV(all) - HV(all but that point). Dominated points and exact duplicates
 * contribute 0. O(n) hypervolume computations: meant for fronts of up to a few hundred points.
 */
export function hypervolumeContributions(
  points: readonly ObjectivePoint[],
  reference: ObjectivePoint,
  directions: readonly Direction[],
): number[] {
  const ref = lossReference(reference, directions);
  const losses = toLosses(points, directions);
  const inside = losses.map((p) => p.every((v, j) => v < ref[j]!));
  const all = losses.filter((_, i) => inside[i]);
  const total = hvLoss(filterFront(all), ref);
  return losses.map((_, i) => {
    if (!inside[i]) return 0;
    const rest = losses.filter((_, k) => k !== i && inside[k]);
    return Math.max(0, total - hvLoss(filterFront(rest), ref));
  });
}

/**
 * Greedy hypervolume subset selection (Optuna's `_solve_hssp`): picks `k` of the loss points one at a time, each time the one
 * adding the most hypervolume to those already picked (ties: the lower index). Returns the picked indices in pick order.
 *
 * Lazy evaluation (Minoux's accelerated greedy): a point's gain can only shrink as the picked set grows (hypervolume is
 * submodular), so a gain computed earlier is an upper bound; only the point with the largest bound is re-evaluated, and it is
 * picked when its fresh gain still beats every other bound. Same picks as the plain greedy (up to exact ties), with far fewer
 * hypervolume computations: what keeps MOTPE's ask cheap with large fronts.
 */
export function selectByHypervolume(losses: readonly ObjectivePoint[], k: number, ref: ObjectivePoint): number[] {
  const n = losses.length;
  const clipped = losses.map((p) => p.map((v, j) => Math.min(v, ref[j]!)));
  const inside = clipped.map((p) => p.every((v, j) => v < ref[j]!));
  const chosen: number[] = [];
  const bound = new Float64Array(n).fill(Infinity);
  const fresh = new Int32Array(n).fill(-1); // the pick count at which bound[i] was computed
  const picked = new Uint8Array(n);
  let base = 0;
  const gainOf = (i: number): number => {
    if (!inside[i]) return 0;
    const pts = chosen.filter((c) => inside[c]).map((c) => clipped[c]!);
    pts.push(clipped[i]!);
    return hvLoss(filterFront(pts), ref) - base;
  };
  while (chosen.length < k && chosen.length < n) {
    for (;;) {
      let top = -1;
      for (let i = 0; i < n; i++) if (!picked[i] && (top < 0 || bound[i]! > bound[top]!)) top = i;
      if (fresh[top] === chosen.length) {
        chosen.push(top);
        picked[top] = 1;
        base += Math.max(0, bound[top]!);
        break;
      }
      bound[top] = gainOf(top);
      fresh[top] = chosen.length;
    }
  }
  return chosen;
}

/**
 * Ranks under Optuna's constrained domination, on loss vectors with each point's total violation (sum of max(0, c); 0 =
 * feasible): feasible points are ranked by non-dominated sorting (0, 1, ...), then infeasible ones after all of them, by
 * violation (smaller first; equal violations share a rank). This is the ranking NSGA-II's constrained domination induces.
 */
export function constrainedLossRanks(losses: readonly ObjectivePoint[], violations: readonly number[]): number[] {
  const feasible: number[] = [];
  const infeasible: number[] = [];
  for (let i = 0; i < losses.length; i++) (violations[i]! > 0 || Number.isNaN(violations[i]!) ? infeasible : feasible).push(i);
  const out = new Array<number>(losses.length).fill(0);
  const fr = lossRanks(feasible.map((i) => losses[i]!));
  let top = -1;
  feasible.forEach((i, k) => {
    out[i] = fr[k]!;
    top = Math.max(top, fr[k]!);
  });
  const v = (i: number): number => (Number.isNaN(violations[i]!) ? Infinity : violations[i]!);
  infeasible.sort((a, b) => v(a) - v(b) || a - b);
  let prev = NaN;
  for (const i of infeasible) {
    if (v(i) !== prev) top++;
    prev = v(i);
    out[i] = top;
  }
  return out;
}
