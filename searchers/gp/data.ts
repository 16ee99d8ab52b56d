/**
 * Turns a study's stored trials into GP training data: which trials count, how their params become unit-cube rows, how their
 * values become standardised targets, and which subset is kept when there are too many.
 *
 * Decisions (documented for users in the searcher's TSDoc):
 * - `complete` trials are observations. `pruned` trials with a value (their last reported intermediate value) are
 *   observations too: the pruner judged their region poor, and dropping them would let the model propose the same region
 *   again; their partial value usually overstates how bad the full run would be, which errs on the side of moving on.
 *   `failed` trials are ignored. A NaN or infinitely bad value (a diverged run) counts as the worst finite value seen; an
 *   infinitely good one is dropped.
 * - `running` and `waiting` trials are pending: they enter the posterior as fantasies (see the searcher) but never the
 *   hyperparameter fit.
 * - Targets are oriented for maximisation (minimised values are negated). When the tail below the best is heavy (the
 *   largest gap to the best exceeds {@link HEAVY_TAIL} times the median gap: diverged losses, Branin's 300 against 0.4), they
 *   are warped by w = -log(1 + (best - t) / q), q = the median gap: monotone, so the ranking is unchanged; near-linear within q
 *   of the best and logarithmic far below it, so a few catastrophic trials do not flatten the model where the optimum is.
 *   Bounded objectives are left linear (on Hartmann6 the warp cost precision near the optimum). Then standardised to mean 0,
 *   variance 1.
 */
import type { SearchSpace } from '../../spaces/types.js';
import type { Direction, TrialRecord } from '../../src/core/types.js';
import { INACTIVE, pointKey } from './candidates.js';

/** Training data for one suggestion. */
export interface GpData {
  /** Observation rows (n x d, unit cube, inactive coordinates imputed). */
  readonly x: Float64Array;
  /** Standardised, warped, maximisation-oriented targets (n). */
  readonly y: Float64Array;
  readonly n: number;
  /** Pending (running/waiting) trial rows (p x d). */
  readonly pending: Float64Array;
  readonly p: number;
  /** Keys of every observed and pending row ({@link pointKey}). */
  readonly taken: Set<string>;
}

/**
 * Rows already computed, per space and params object. Stored trials are immutable records shared by the storage cache, so the
 * same params object comes back on every ask; encoding a float may need a bisection (exact inverse of decode), which made
 * re-encoding 200 trials a measurable share of an ask. A pure cache: the row is a function of (space, params).
 */
const rowCache = new WeakMap<SearchSpace, WeakMap<object, Float64Array | null>>();

/** A trial's params as an imputed unit-cube row, or undefined when they do not fit the space (e.g. a changed space). */
function encodeRow(space: SearchSpace, trial: TrialRecord): Float64Array | undefined {
  let cache = rowCache.get(space);
  if (!cache) rowCache.set(space, (cache = new WeakMap()));
  const hit = cache.get(trial.params);
  if (hit !== undefined) return hit ?? undefined;
  let row: Float64Array | null;
  try {
    row = Float64Array.from(space.encode(trial.params), (v) => (Number.isNaN(v) ? INACTIVE : v));
  } catch {
    row = null;
  }
  cache.set(trial.params, row);
  return row ?? undefined;
}

/** Tail ratio (largest gap to the best / median gap) above which targets are log-warped. */
export const HEAVY_TAIL = 5;

/**
 * The warp + standardisation described in the module comment, applied to maximisation-oriented values `t`. Exported for
 * tests. Invariant: order-preserving (t_i > t_j implies y_i >= y_j).
 */
export function transformTargets(t: ArrayLike<number>): Float64Array {
  const n = t.length;
  let best = -Infinity;
  for (let i = 0; i < n; i++) best = Math.max(best, t[i]!);
  const gaps: number[] = [];
  for (let i = 0; i < n; i++) if (best - t[i]! > 0) gaps.push(best - t[i]!);
  gaps.sort((a, b) => a - b);
  const q = gaps.length ? gaps[Math.floor(gaps.length / 2)]! : 1;
  const warp = gaps.length > 0 && gaps[gaps.length - 1]! > HEAVY_TAIL * q;
  const y = new Float64Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i] = warp ? -Math.log1p((best - t[i]!) / q) : t[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (y[i]! - mean) ** 2;
  const sd = Math.sqrt(ss / n);
  for (let i = 0; i < n; i++) y[i] = sd > 1e-12 ? (y[i]! - mean) / sd : 0;
  return y;
}

/**
 * Collects the GP data from `trials`. When more than `maxObservations` trials qualify, keeps the best half of that budget and
 * a uniform sample (drawn from `rng`) of the rest, so the model stays accurate near the optimum and cubic costs stay bounded.
 * Returns undefined when fewer than two observations qualify (the searcher then keeps sampling quasi-randomly).
 */
export function collectData(
  trials: readonly TrialRecord[],
  space: SearchSpace,
  direction: Direction,
  maxObservations: number,
  rng: () => number,
): GpData | undefined {
  const d = space.dims.length;
  const obs: { row: Float64Array; t: number }[] = [];
  const pend: Float64Array[] = [];
  for (const trial of trials) {
    if (trial.state === 'running' || trial.state === 'waiting') {
      const row = encodeRow(space, trial);
      if (row) pend.push(row);
    } else if ((trial.state === 'complete' || trial.state === 'pruned') && typeof trial.value === 'number') {
      const row = encodeRow(space, trial);
      if (row) obs.push({ row, t: direction === 'minimize' ? -trial.value : trial.value });
    }
  }
  // Non-finite values: a diverged run (NaN, or infinitely bad) counts as the worst finite value seen, so its region is
  // avoided; an infinitely *good* value carries no usable information and is dropped.
  let worst = Infinity;
  for (const o of obs) if (Number.isFinite(o.t)) worst = Math.min(worst, o.t);
  for (let i = obs.length - 1; i >= 0; i--) {
    const t = obs[i]!.t;
    if (Number.isFinite(t)) continue;
    if (t === Infinity || worst === Infinity) obs.splice(i, 1);
    else obs[i]!.t = worst;
  }
  if (obs.length < 2) return undefined;
  let kept = obs;
  if (obs.length > maxObservations) {
    // Stable sort by value (best first), keep the top half of the budget, sample the rest without replacement.
    const ranked = obs.map((o, i) => ({ o, i })).sort((a, b) => b.o.t - a.o.t || a.i - b.i);
    const top = Math.ceil(maxObservations / 2);
    const rest = ranked.slice(top);
    for (let i = 0; i < maxObservations - top; i++) {
      const j = i + Math.floor(rng() * (rest.length - i));
      [rest[i], rest[j]] = [rest[j]!, rest[i]!];
    }
    kept = [...ranked.slice(0, top), ...rest.slice(0, maxObservations - top)].sort((a, b) => a.i - b.i).map((r) => r.o);
  }
  const n = kept.length;
  const x = new Float64Array(n * d);
  const taken = new Set<string>();
  kept.forEach((o, i) => x.set(o.row, i * d));
  for (const o of obs) taken.add(pointKey(o.row));
  const pending = new Float64Array(pend.length * d);
  pend.forEach((row, i) => {
    pending.set(row, i * d);
    taken.add(pointKey(row));
  });
  return { x, y: transformTargets(kept.map((o) => o.t)), n, pending, p: pend.length, taken };
}
