/**
 * How searchers read a trial's objective values and constraints, single- or multi-objective alike: the directions of a study,
 * a complete trial's loss vector (every objective turned into a minimised loss) and its total constraint violation.
 */
import type { Direction, TrialRecord } from '../src/core/types.js';
import type { SearcherInit } from './types.js';
import { constrainedLossRanks, crowdingDistance } from './pareto.js';

/** The study's objective directions: `init.directions`, or `[init.direction]` for a single-objective study. */
export function studyDirections(init: Pick<SearcherInit, 'direction' | 'directions'>): readonly Direction[] {
  return init.directions && init.directions.length > 0 ? init.directions : [init.direction];
}

/**
 * A trial's values, one per objective: `values` when it has the right length, else `[value]` for a single objective (trials
 * written by older code). Undefined when it has neither (or a `values` of another length: a trial of another study).
 */
export function trialValues(t: TrialRecord, m: number): readonly number[] | undefined {
  if (t.values && t.values.length === m) return t.values;
  if (m === 1 && typeof t.value === 'number') return [t.value];
  return undefined;
}

/** The values as minimised losses (maximised objectives negated, NaN = +Infinity: worst). */
export function lossVector(values: readonly number[], directions: readonly Direction[]): number[] {
  return values.map((v, j) => {
    const l = directions[j] === 'maximize' ? -v : v;
    return Number.isNaN(l) ? Infinity : l;
  });
}

/**
 * Total constraint violation: the sum of max(0, c) over the trial's constraints (0 = feasible). A trial of a constrained study
 * that carries no constraints (e.g. its constraint function failed) counts as infeasible (Infinity), so it is never preferred
 * to a measured feasible one; NaN constraints likewise.
 */
export function violation(t: TrialRecord): number {
  if (!t.constraints) return Infinity;
  let s = 0;
  for (const c of t.constraints) s += Number.isNaN(c) ? Infinity : Math.max(0, c);
  return s;
}

/** One complete trial as multi-objective searchers see it. */
export interface ScoredTrial {
  readonly trial: TrialRecord;
  /** Minimised losses, one per objective. */
  readonly loss: readonly number[];
  /** Total violation (0 when the study has no constraints). */
  readonly violation: number;
}

/** The complete trials with a value per objective, in trial order, as losses (+ violations when `constraints`). */
export function scoredTrials(trials: readonly TrialRecord[], directions: readonly Direction[], constraints: boolean): ScoredTrial[] {
  const out: ScoredTrial[] = [];
  for (const t of trials) {
    if (t.state !== 'complete') continue;
    const v = trialValues(t, directions.length);
    if (!v) continue;
    out.push({ trial: t, loss: lossVector(v, directions), violation: constraints ? violation(t) : 0 });
  }
  return out;
}

/** A trial's place in a multi-objective leaderboard. */
export interface ParetoPlace {
  readonly number: number;
  /** 0 = on the (feasible) Pareto front; infeasible trials rank after every feasible one, by violation. */
  readonly rank: number;
  /** NSGA-II crowding distance within its rank (Infinity at a front's extremes): larger = more isolated, shown first. */
  readonly crowding: number;
  /** Total constraint violation (0 = feasible, or no constraints). */
  readonly violation: number;
}

/**
 * Ranks the complete trials with a value per objective for a leaderboard or `study.bestTrials`: constrained non-dominated
 * rank, then crowding distance (descending), then trial number. `bestTrials` are the places with rank 0 and violation 0.
 */
export function paretoRanking(trials: readonly TrialRecord[], directions: readonly Direction[], constraints: boolean): ParetoPlace[] {
  const scored = scoredTrials(trials, directions, constraints);
  const losses = scored.map((s) => s.loss);
  const ranks = constrainedLossRanks(
    losses,
    scored.map((s) => s.violation),
  );
  const crowding = new Array<number>(scored.length).fill(0);
  const byRank = new Map<number, number[]>();
  ranks.forEach((r, i) => (byRank.get(r) ?? byRank.set(r, []).get(r)!).push(i));
  for (const members of byRank.values()) {
    const d = crowdingDistance(members.map((i) => losses[i]!));
    members.forEach((i, k) => (crowding[i] = d[k]!));
  }
  return scored
    .map((s, i) => ({ number: s.trial.number, rank: ranks[i]!, crowding: crowding[i]!, violation: s.violation }))
    .sort((a, b) => a.rank - b.rank || b.crowding - a.crowding || a.number - b.number);
}
