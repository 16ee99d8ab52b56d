/**
 * TPE for several objectives (MOTPE, Ozaki et al. 2020/2022) and for constrained studies, as Optuna 3.1's `TPESampler` does
 * them: only how the good set is chosen and weighted differs from the single-objective searcher (`index.ts`, which stays
 * untouched and is what `searcher: 'tpe'` runs for an unconstrained single-objective study).
 *
 * The good set (the best min(ceil(gamma n), gammaMax) of the n finished trials):
 * - feasible trials (all of them when the study has no constraints) first, ranked by non-dominated sorting; whole fronts are
 *   taken while they fit, and from the front that does not fit, points by greedy hypervolume subset selection (each pick adds
 *   the most hypervolume; reference point max(1.1 w, 0.9 w) of the worst loss w per objective, as Optuna's);
 * - then, when the feasible ones do not fill it, infeasible trials by total violation (smallest first), as Optuna's
 *   `constraints_func` handling does.
 * With one objective the non-dominated ranks are just the value order, so a constrained single-objective study gets Optuna's
 * feasible-first split. In multi-objective studies the good set's kernels are weighted by each point's hypervolume
 * contribution within the good set (normalised to the largest; Optuna's `_calculate_weights_below_for_multi_objective`), so
 * crowded parts of the front count less; the bad set keeps the ramp weights. Pruned trials (no final values) and running ones
 * (the constant liar) join the bad set.
 *
 * Determinism: the draw for trial n uses `seedrandom.alea(`${seed}/tpe/${n}`)`, as the single-objective TPE: a suggestion
 * depends only on (seed, n, stored trials).
 */
import seedrandom from 'seedrandom';
import type { CubeDim } from '../../spaces/types.js';
import type { Searcher, SearcherInit } from '../types.js';
import type { SearcherOptions } from '../options.js';
import { scoredTrials, studyDirections } from '../objectives.js';
import { hypervolumeContributions, lossRanks, selectByHypervolume } from '../pareto.js';
import { SOBOL_MAX_DIM, SobolSequence } from '../sobol/sequence.js';
import { chooseUnit, unitsOf } from './choose.js';
import { activeGroups, EncodeCache, rampWeights } from './history.js';
import { tpeOptions } from './index.js';

/** Optuna's reference point for a set of loss vectors: per objective max(1.1 w, 0.9 w) of the worst w (0 becomes 1e-12). */
export function referencePoint(losses: readonly (readonly number[])[]): number[] {
  const m = losses[0]?.length ?? 0;
  return Array.from({ length: m }, (_, j) => {
    let w = -Infinity;
    for (const l of losses) if (Number.isFinite(l[j]!)) w = Math.max(w, l[j]!);
    if (w === -Infinity) w = 0;
    const r = Math.max(1.1 * w, 0.9 * w);
    return r === 0 ? 1e-12 : r;
  });
}

/**
 * Picks the good set: indices into `losses` in choice order, at most `nBelow`, following the rules in the module comment.
 * Exported for tests and for the GP's use of the same split.
 */
export function selectGood(losses: readonly (readonly number[])[], violations: readonly number[], nBelow: number): number[] {
  const feasible: number[] = [];
  const infeasible: number[] = [];
  losses.forEach((_, i) => (violations[i]! > 0 || Number.isNaN(violations[i]!) ? infeasible : feasible).push(i));
  const out: number[] = [];
  const ranks = lossRanks(feasible.map((i) => losses[i]!));
  const fronts: number[][] = [];
  feasible.forEach((i, k) => (fronts[ranks[k]!] ??= []).push(i));
  for (const front of fronts) {
    if (out.length >= nBelow) break;
    if (out.length + front.length <= nBelow) {
      out.push(...front);
      continue;
    }
    const pts = front.map((i) => losses[i]!);
    const finite = pts.every((p) => p.every(Number.isFinite));
    const picked = finite
      ? selectByHypervolume(pts, nBelow - out.length, referencePoint(pts))
      : front.map((_, k) => k).slice(0, nBelow - out.length);
    out.push(...picked.map((k) => front[k]!));
  }
  infeasible.sort((a, b) => violations[a]! - violations[b]! || a - b);
  for (const i of infeasible) if (out.length < nBelow) out.push(i);
  return out;
}

/** Hypervolume-contribution weights of the good set's loss vectors, normalised to the largest (all 1 when degenerate). */
export function contributionWeights(losses: readonly (readonly number[])[]): Float64Array {
  const n = losses.length;
  const w = new Float64Array(n).fill(1);
  if (n <= 1 || !losses.every((p) => p.every(Number.isFinite))) return w;
  const ref = referencePoint(losses);
  const c = hypervolumeContributions(
    losses,
    ref,
    ref.map(() => 'minimize' as const),
  );
  const top = Math.max(...c);
  if (!(top > 0)) return w;
  // A small floor keeps dominated members of the good set in the mixture (Optuna clips at EPS as well).
  for (let i = 0; i < n; i++) w[i] = Math.max(c[i]! / top, 1e-3);
  return w;
}

/**
 * Builds the multi-objective / constrained TPE. The registry calls it for `searcher: 'tpe'` when the study has 2+ directions
 * or constraints. Same options as `tpe` (see `createTpeSearcher`), same meanings.
 */
export function createMultiTpeSearcher(init: SearcherInit, options: SearcherOptions): Searcher {
  const o = tpeOptions(options);
  const dims: readonly CubeDim[] = init.space.dims;
  const D = dims.length;
  const directions = studyDirections(init);
  const multi = directions.length > 1;
  const constrained = init.constraints === true;
  const sobol = D > 0 && D <= SOBOL_MAX_DIM ? new SobolSequence(D, { seed: init.seed, scramble: true }) : undefined;
  const cache = new EncodeCache(init.space);
  const point = new Float64Array(D);
  const cand = new Float64Array(D);
  const buf = { dims, point, cand };

  return {
    type: 'tpe',
    suggest({ number, trials }) {
      if (D === 0) return { kind: 'suggest', params: {} };
      const scored = scoredTrials(trials, directions, constrained);
      const good: { row: Float64Array; loss: readonly number[]; violation: number; number: number }[] = [];
      for (const s of scored) {
        const row = cache.row(s.trial);
        if (row) good.push({ row, loss: s.loss, violation: s.violation, number: s.trial.number });
      }
      const other: Float64Array[] = []; // pruned, and running with the constant liar: always bad
      let pruned = 0;
      for (const t of trials) {
        if (t.state !== 'pruned' && !(t.state === 'running' && o.constantLiar)) continue;
        const row = cache.row(t);
        if (!row) continue;
        other.push(row);
        if (t.state === 'pruned') pruned++;
      }
      const finished = good.length + pruned;
      const rng = seedrandom.alea(`${init.seed}/tpe/${number}`);
      if (finished < o.startupTrials || good.length === 0) {
        if (sobol) return { kind: 'suggest', params: init.space.decode(sobol.point(number)) };
        for (let i = 0; i < D; i++) point[i] = rng();
        return { kind: 'suggest', params: init.space.decode(point) };
      }
      const nBelow = Math.min(Math.ceil(o.gamma * finished), o.gammaMax);
      const chosen = selectGood(
        good.map((g) => g.loss),
        good.map((g) => g.violation),
        nBelow,
      );
      const isGood = new Uint8Array(good.length);
      for (const i of chosen) isGood[i] = 1;
      // Good rows in trial order (the ramp weights are chronological); bad rows: the rest, then pruned/running, in trial order.
      const goodIdx = good.flatMap((_, i) => (isGood[i] ? [i] : []));
      const feasibleGood = goodIdx.filter((i) => !(good[i]!.violation > 0));
      const hvWeights =
        multi && feasibleGood.length === goodIdx.length ? contributionWeights(goodIdx.map((i) => good[i]!.loss)) : undefined;
      const badRows = [...good.flatMap((g, i) => (isGood[i] ? [] : [g.row])), ...other];
      const anchorTrial = chosen[0]!;
      point.fill(0.5);
      const allRows = [...good.map((g) => g.row), ...other];
      for (const group of activeGroups(allRows, D)) {
        const lead = group[0]!;
        const gRows: Float64Array[] = [];
        const gW: number[] = [];
        let anchor = -1;
        goodIdx.forEach((i, k) => {
          const row = good[i]!.row;
          if (Number.isNaN(row[lead]!)) return;
          if (i === anchorTrial) anchor = gRows.length;
          gRows.push(row);
          gW.push(hvWeights ? hvWeights[k]! : NaN);
        });
        const bRows = badRows.filter((r) => !Number.isNaN(r[lead]!));
        const useAnchor = finished >= 2 * o.startupTrials && o.incumbentCandidates > 0 ? anchor : -1;
        const weights = hvWeights ? Float64Array.from(gW) : o.weights === 'ramp' ? rampWeights(gRows.length) : undefined;
        for (const unit of o.multivariate ? [group] : unitsOf(group, dims)) chooseUnit(o, buf, unit, gRows, bRows, weights, rng, useAnchor);
      }
      return { kind: 'suggest', params: init.space.decode(point) };
    },
  };
}
