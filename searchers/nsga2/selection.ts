/**
 * NSGA-II selection (Deb et al. 2002) over stored trials: elitist survival (constrained non-dominated rank, then crowding
 * distance) and the crowded binary tournament that picks parents. Pure functions of their inputs and the rng stream.
 */
import { constrainedLossRanks, crowdingDistance } from '../pareto.js';

/** A survivor: its index in the candidate list, its rank (0 = best front) and crowding distance within its front. */
export interface Member {
  readonly index: number;
  readonly rank: number;
  readonly crowding: number;
}

/**
 * Keeps the best `size` of the candidates (all of them when there are fewer): whole fronts in rank order, and of the front that
 * does not fit, the most isolated points (largest crowding distance; ties: lower index, i.e. older trial). Ranks follow
 * Optuna's constrained domination (feasible before infeasible, infeasible by total violation).
 */
export function eliteSelect(losses: readonly (readonly number[])[], violations: readonly number[], size: number): Member[] {
  const ranks = constrainedLossRanks(losses, violations);
  const byRank = new Map<number, number[]>();
  ranks.forEach((r, i) => {
    const list = byRank.get(r);
    if (list) list.push(i);
    else byRank.set(r, [i]);
  });
  const out: Member[] = [];
  for (const r of [...byRank.keys()].sort((a, b) => a - b)) {
    if (out.length >= size) break;
    const front = byRank.get(r)!;
    const crowd = crowdingDistance(front.map((i) => losses[i]!));
    const members = front.map((index, k) => ({ index, rank: r, crowding: crowd[k]! }));
    if (out.length + members.length > size) members.sort((a, b) => b.crowding - a.crowding || a.index - b.index);
    out.push(...members.slice(0, size - out.length));
  }
  return out;
}

/** Whether member a wins a crowded tournament against b: lower rank, or the same rank and a larger crowding distance. */
function beats(a: Member, b: Member): boolean {
  return a.rank < b.rank || (a.rank === b.rank && a.crowding > b.crowding);
}

/** Binary tournament: two distinct random members (when there are two), the crowded-comparison winner (ties: the first). */
export function tournament(population: readonly Member[], rng: () => number): Member {
  const n = population.length;
  const a = population[Math.floor(rng() * n)]!;
  if (n === 1) return a;
  let j = Math.floor(rng() * (n - 1));
  if (population[j] === a) j = n - 1;
  const b = population[j]!;
  return beats(b, a) ? b : a;
}
