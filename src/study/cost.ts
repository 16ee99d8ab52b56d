/**
 * Predicted running time of a trial that has been asked but not started, for the ask-ahead queue (feeder.ts), which starts
 * the predicted-longest queued trial first (longest processing time first: a long trial started last would run alone at the
 * end of the sweep while the other workers idle).
 *
 * What it predicts from, and nothing else: the finished trials' running times per step (ms / reported steps, so a pruned or
 * early-stopped trial still says how slow its configuration is), and what each trial looks like: its executor's
 * {@link CostHint} when there is one (the built-in trainer's counted work: model type, multiply-adds, batch size), else its
 * params in the search space's unit cube. A queued trial's cost is the geometric mean time per step of the
 * {@link NEIGHBOURS} finished trials nearest to it (each scaled by (its hint's size ratio)^{@link ELASTICITY} when both
 * have one), times the steps it may run: its `budget` (multi-fidelity), less the budget of the trial it continues from; 1
 * when it has none (then every trial runs to the same limit, and the time per step alone ranks them). The mean is weighted
 * by 1 / (distance + 0.1), so an exact match dominates and far neighbours only break ties.
 *
 * Distance: with hints, Euclidean over log(1 + count / 1000) of the work counts, and trials of different kinds
 * {@link APART}; in the cube, Euclidean over the coordinates, where a coordinate active in one trial and inactive in the
 * other (another branch, e.g. `cnn` versus `mlp`) counts as fully apart. Hints matter because the cube weighs every param
 * alike: an `adam` trial and an `adamw` trial of the same model sit far apart there, so a large model's cost was once
 * predicted from a small model that shared its optimiser (a 23 s trial predicted at 8 s, started last, ran alone at the end).
 *
 * No prediction (undefined) for a trial whose kind (with hints) or shape (set of taken branches, in the cube) no finished
 * trial had: the queue starts such a trial first, as it may be long and its cost is worth learning. It knows nothing of the
 * machine's load: a trial slowed by another process teaches a slower cost.
 */
import type { SearchSpace } from '../../spaces/types.js';
import type { CostHint } from '../core/executor.js';
import type { Params, TrialRecord } from '../core/types.js';
import { countsTowardBudget } from './ledger.js';

/** Finished trials a prediction averages over. */
export const NEIGHBOURS = 5;

/**
 * How a step's time grows with the hint's size: as its square root. Not 1, because a step's fixed costs (op dispatch, data,
 * optimiser updates) do not grow with the model; not 0, because a bigger model of a kind never seen at that size is slower.
 * On the sweep example's four model types, measured elasticities between sizes of one type were 0.5 to 0.8.
 */
export const ELASTICITY = 0.5;

/** Distance between hinted trials of different kinds: far beyond any two of one kind, so they only break ties. */
export const APART = 100;

/** What the queue knows about a trial it may start. */
export interface CostQuery {
  readonly params: unknown;
  readonly budget?: number;
  readonly continueFrom?: number;
}

/** A trial as the model compares it: its hint's kind and log counts, or its shape and point in the cube. */
interface Point {
  /** `work:<kind>` with a hint, the cube shape (see shapeOf) without. */
  readonly key: string;
  readonly hinted: boolean;
  readonly x: readonly number[];
  /** log of the hint's size, when it has one. */
  readonly logSize?: number;
}

interface Observation {
  readonly p: Point;
  /** log(ms per step). */
  readonly logPerStep: number;
}

/** Learns running times from finished trials and predicts queued ones' (see the file comment). One per optimize call. */
export class CostModel {
  readonly #space: SearchSpace;
  readonly #hint: ((params: unknown) => CostHint | undefined) | undefined;
  readonly #seen: Observation[] = [];
  /** The keys (hint kinds, or cube shapes) of the observations. */
  readonly #keys = new Set<string>();
  /** Budgets of finished trials (a promoted trial runs only the steps beyond its source's budget). */
  readonly #budgets = new Map<number, number>();
  /** Points by params object: a queued trial is predicted at every pick while it waits, its hint counted once. */
  readonly #points = new WeakMap<object, Point | undefined>();

  /** `hint`: the executor's {@link CostHint} of a trial's params, when it has one (Executor.costHint). */
  constructor(space: SearchSpace, hint?: (params: unknown) => CostHint | undefined) {
    this.#space = space;
    this.#hint = hint;
  }

  /**
   * Learns from a finished trial. `ranMs` is how long its code ran when known (this process started it); otherwise the
   * record's started -> finished, which for a trial asked ahead on a storage without markStarted also holds its wait in the
   * queue (an overestimate).
   * Interrupted and stale trials, and trials without times, teach nothing.
   */
  observe(t: TrialRecord, ranMs?: number): void {
    if (t.budget !== undefined) this.#budgets.set(t.number, t.budget);
    if (!countsTowardBudget(t)) return;
    const ms = ranMs ?? (t.started && t.finished ? Date.parse(t.finished) - Date.parse(t.started) : NaN);
    if (!(ms > 0)) return;
    const p = this.#point(t.params);
    if (!p) return;
    this.#keys.add(p.key);
    this.#seen.push({ p, logPerStep: Math.log(ms / Math.max(1, t.intermediate.length)) });
  }

  /** Predicted running time in ms (see the file comment), or undefined when no finished trial had the query's kind or shape. */
  predict(q: CostQuery): number | undefined {
    const p = this.#point(q.params);
    if (!p || !this.#keys.has(p.key)) return undefined;
    const nearest = this.#seen
      .map((o) => ({ o, d: distance(p, o.p) }))
      .sort((a, b) => a.d - b.d)
      .slice(0, NEIGHBOURS);
    let sum = 0;
    let weights = 0;
    for (const n of nearest) {
      const w = 1 / (n.d + 0.1);
      const scale = p.logSize !== undefined && n.o.p.logSize !== undefined ? ELASTICITY * (p.logSize - n.o.p.logSize) : 0;
      sum += w * (n.o.logPerStep + scale);
      weights += w;
    }
    const perStep = Math.exp(sum / weights);
    const from = q.continueFrom !== undefined ? (this.#budgets.get(q.continueFrom) ?? 0) : 0;
    const steps = q.budget !== undefined ? Math.max(1, q.budget - from) : 1;
    return perStep * steps;
  }

  #point(params: unknown): Point | undefined {
    if (typeof params !== 'object' || params === null) return this.#compute(params);
    if (!this.#points.has(params)) this.#points.set(params, this.#compute(params));
    return this.#points.get(params);
  }

  #compute(params: unknown): Point | undefined {
    let hint: CostHint | undefined;
    try {
      hint = this.#hint?.(params);
    } catch {
      hint = undefined; // a hint is an optimisation: without one, the cube
    }
    if (hint) {
      const x = hint.work.map((n) => Math.log1p(Math.max(0, n) / 1000));
      const size = hint.size !== undefined && hint.size > 0 && Number.isFinite(hint.size) ? { logSize: Math.log(hint.size) } : {};
      return { key: `work:${hint.kind}`, hinted: true, x, ...size };
    }
    try {
      const x = this.#space.encode(params as Params);
      return { key: shapeOf(x), hinted: false, x };
    } catch {
      return undefined; // params outside the space (a hand-enqueued trial of an older space): no prediction
    }
  }
}

/** The active coordinates of a cube point, as a key. */
function shapeOf(x: readonly number[]): string {
  return x.map((v) => (Number.isNaN(v) ? '-' : '+')).join('');
}

/** See the file comment: hinted points of different kinds (or a hinted and an unhinted one) are APART. */
function distance(a: Point, b: Point): number {
  if ((a.hinted || b.hinted) && (a.key !== b.key || a.x.length !== b.x.length)) return APART;
  return euclid(a.x, b.x);
}

/** Euclidean distance; a coordinate inactive (NaN, cube only) in exactly one of the two counts as 1 apart. */
function euclid(a: readonly number[], b: readonly number[]): number {
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
