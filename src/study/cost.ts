/**
 * Predicted running time of a trial that has been asked but not started, for the ask-ahead queue (feeder.ts), which starts
 * the predicted-longest queued trial first (longest processing time first: a long trial started last would run alone at the
 * end of the sweep while the other workers idle).
 *
 * What it predicts from, and nothing else: the finished trials' running times per step (ms / reported steps, so a pruned or
 * early-stopped trial still says how slow its configuration is) and their params. A queued trial's cost is the geometric mean
 * time per step of the {@link NEIGHBOURS} finished trials nearest to it in the search space's unit cube, times the steps it
 * may run: its `budget` (multi-fidelity), less the budget of the trial it continues from; 1 when it has none (then every
 * trial runs to the same limit, and the time per step alone ranks them). The mean is weighted by 1 / (distance + 0.1), so an
 * exact match dominates and far neighbours only break ties. Distance: Euclidean over the cube coordinates, where a coordinate
 * active in one trial and inactive in the other (another branch, e.g. `cnn` versus `mlp`) counts as fully apart, so trials
 * of the same architecture are each other's neighbours. No prediction (undefined) for a trial of a shape (set of taken
 * branches) no finished trial had: the queue starts such a trial first, as it may be long and its cost is worth learning.
 * It knows nothing of the machine's load: a trial slowed by another process teaches a slower cost.
 */
import type { SearchSpace } from '../../spaces/types.js';
import type { Params, TrialRecord } from '../core/types.js';
import { countsTowardBudget } from './ledger.js';

/** Finished trials a prediction averages over. */
export const NEIGHBOURS = 5;

/** What the queue knows about a trial it may start. */
export interface CostQuery {
  readonly params: unknown;
  readonly budget?: number;
  readonly continueFrom?: number;
}

interface Observation {
  readonly x: readonly number[];
  /** log(ms per step). */
  readonly logPerStep: number;
}

/** Learns running times from finished trials and predicts queued ones' (see the file comment). One per optimize call. */
export class CostModel {
  readonly #space: SearchSpace;
  readonly #seen: Observation[] = [];
  /** The shapes (sets of active coordinates, i.e. branches taken) of the observations. */
  readonly #shapes = new Set<string>();
  /** Budgets of finished trials (a promoted trial runs only the steps beyond its source's budget). */
  readonly #budgets = new Map<number, number>();

  constructor(space: SearchSpace) {
    this.#space = space;
  }

  /**
   * Learns from a finished trial. `ranMs` is how long its code ran when known (this process started it); otherwise the
   * record's started -> finished, which for a trial asked ahead also holds its wait in the queue (an overestimate).
   * Interrupted and stale trials, and trials without times, teach nothing.
   */
  observe(t: TrialRecord, ranMs?: number): void {
    if (t.budget !== undefined) this.#budgets.set(t.number, t.budget);
    if (!countsTowardBudget(t)) return;
    const ms = ranMs ?? (t.started && t.finished ? Date.parse(t.finished) - Date.parse(t.started) : NaN);
    if (!(ms > 0)) return;
    const x = this.#encode(t.params);
    if (!x) return;
    this.#shapes.add(shapeOf(x));
    this.#seen.push({ x, logPerStep: Math.log(ms / Math.max(1, t.intermediate.length)) });
  }

  /** Predicted running time in ms (see the file comment), or undefined when no finished trial had the query's shape. */
  predict(q: CostQuery): number | undefined {
    const x = this.#encode(q.params);
    if (!x) return undefined;
    if (!this.#shapes.has(shapeOf(x))) return undefined;
    const nearest = this.#seen
      .map((o) => ({ o, d: distance(x, o.x) }))
      .sort((a, b) => a.d - b.d)
      .slice(0, NEIGHBOURS);
    let sum = 0;
    let weights = 0;
    for (const n of nearest) {
      const w = 1 / (n.d + 0.1);
      sum += w * n.o.logPerStep;
      weights += w;
    }
    const perStep = Math.exp(sum / weights);
    const from = q.continueFrom !== undefined ? (this.#budgets.get(q.continueFrom) ?? 0) : 0;
    const steps = q.budget !== undefined ? Math.max(1, q.budget - from) : 1;
    return perStep * steps;
  }

  #encode(params: unknown): number[] | undefined {
    try {
      return this.#space.encode(params as Params);
    } catch {
      return undefined; // params outside the space (a hand-enqueued trial of an older space): no prediction
    }
  }
}

/** The active coordinates of a cube point, as a key. */
function shapeOf(x: readonly number[]): string {
  return x.map((v) => (Number.isNaN(v) ? '-' : '+')).join('');
}

/** Euclidean distance in the cube; a coordinate inactive (NaN) in exactly one of the two counts as 1 apart. */
function distance(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const u = a[i] as number;
    const v = b[i] as number;
    const nu = Number.isNaN(u);
    const nv = Number.isNaN(v);
    if (nu && nv) continue;
    const d = nu || nv ? 1 : u - v;
    s += d * d;
  }
  return Math.sqrt(s);
}
