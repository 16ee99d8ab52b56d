/**
 * What TPE reads from the stored trials: unit-cube rows of the usable trials, ranked best first the way Optuna 3.1 ranks them,
 * and the groups of coordinates that are active together (branch bodies). Pure functions of the history, except for the
 * encode cache, which only memoises `space.encode` per trial and so never changes a result.
 */
import type { SearchSpace } from '../../spaces/types.js';
import type { Direction, TrialRecord } from '../../src/core/types.js';

/** The usable trials of one ask, in trial order, and their ranking. */
export interface Observations {
  /** Unit-cube rows (NaN = inactive), one per usable trial, in trial-number order. Shared with the cache: never mutate. */
  readonly rows: readonly Float64Array[];
  /** Indices into `rows`, best first: complete by value, then pruned (deepest step first, then value), then running. */
  readonly ranked: Int32Array;
  /** Complete + pruned trials (running ones excluded): Optuna's n for the start-up count and gamma. */
  readonly finished: number;
}

/**
 * Memoises `space.encode(params)` by trial number. A trial's params never change once stored; the params object (stored
 * records are frozen and shared, so identity is cheap and exact) and `created` are kept with the row, so that a record
 * reusing a number with other params (another study fed to the same searcher) is re-encoded, never mixed up.
 */
export class EncodeCache {
  readonly #rows = new Map<number, { created: string; params: TrialRecord['params']; row: Float64Array | undefined }>();
  constructor(private readonly space: SearchSpace) {}
  /**
   * The trial's unit-cube row (cached), or undefined when its params are not a point of this space (e.g. a trial stored
   * before the space was changed): such a trial cannot inform the model and is left out rather than failing every ask.
   */
  row(t: TrialRecord): Float64Array | undefined {
    const hit = this.#rows.get(t.number);
    if (hit && hit.created === t.created && (hit.params === t.params || JSON.stringify(hit.params) === JSON.stringify(t.params)))
      return hit.row;
    let row: Float64Array | undefined;
    try {
      row = Float64Array.from(this.space.encode(t.params));
    } catch {
      row = undefined;
    }
    this.#rows.set(t.number, { created: t.created, params: t.params, row });
    return row;
  }
}

/**
 * Collects the rows and ranking TPE splits. Called once per ask. Failed and waiting trials are ignored, and so are trials whose
 * params are not a point of the space (see {@link EncodeCache.row}); running ones are kept
 * (ranked worst, as Optuna's constant liar) only when `constantLiar`. Pruned trials rank after every complete one, by their
 * deepest intermediate step (deeper is better) and then its value, like Optuna's `(-step, value)` key; a pruned trial without
 * reports ranks after those. NaN values rank last within their class. `direction` flips the sign for maximisation.
 */
export function collectObservations(
  trials: readonly TrialRecord[],
  cache: EncodeCache,
  direction: Direction,
  constantLiar: boolean,
): Observations {
  const sign = direction === 'maximize' ? -1 : 1;
  const rows: Float64Array[] = [];
  const k1 = new Float64Array(trials.length);
  const k2 = new Float64Array(trials.length);
  let finished = 0;
  for (const t of trials) {
    if (t.state !== 'complete' && t.state !== 'pruned' && !(t.state === 'running' && constantLiar)) continue;
    const row = cache.row(t);
    if (!row) continue;
    let a: number;
    let b: number;
    if (t.state === 'complete') {
      if (typeof t.value !== 'number') continue;
      a = -Infinity;
      b = sign * t.value;
      finished++;
    } else if (t.state === 'pruned') {
      let step = -Infinity;
      let value = NaN;
      for (const iv of t.intermediate) {
        if (iv.step >= step) {
          step = iv.step;
          value = iv.value;
        }
      }
      if (step === -Infinity) {
        a = 1;
        b = 0;
      } else {
        a = -step;
        b = sign * value;
      }
      finished++;
    } else {
      a = Infinity; // running, with the constant liar: worst of all
      b = Infinity;
    }
    k1[rows.length] = a;
    k2[rows.length] = Number.isNaN(b) ? Infinity : b;
    rows.push(row);
  }
  const ranked = Int32Array.from(rows.keys());
  // Stable on trial order for equal keys (Int32Array#sort with a comparator is not guaranteed stable: the index breaks ties).
  ranked.sort((i, j) => (k1[i]! < k1[j]! ? -1 : k1[i]! > k1[j]! ? 1 : k2[i]! < k2[j]! ? -1 : k2[i]! > k2[j]! ? 1 : i - j));
  return { rows, ranked, finished };
}

/**
 * Splits the observations into the good set (the best `nBelow` of the ranking) and the bad set (the rest), each in trial order
 * (the ramp weights are chronological), keeping only rows where coordinate `lead` is active (a group's rows). `best` is the
 * index in `good` of the best-ranked of them (the group's incumbent; -1 when `good` is empty). Called per group.
 */
export function splitRows(obs: Observations, nBelow: number, lead: number): { good: Float64Array[]; bad: Float64Array[]; best: number } {
  const isGood = new Uint8Array(obs.rows.length);
  for (let r = 0; r < nBelow && r < obs.ranked.length; r++) isGood[obs.ranked[r]!] = 1;
  const good: Float64Array[] = [];
  const bad: Float64Array[] = [];
  const inGood = new Int32Array(obs.rows.length).fill(-1);
  for (let i = 0; i < obs.rows.length; i++) {
    const row = obs.rows[i]!;
    if (Number.isNaN(row[lead]!)) continue;
    if (isGood[i]) {
      inGood[i] = good.length;
      good.push(row);
    } else bad.push(row);
  }
  let best = -1;
  for (let r = 0; r < nBelow && r < obs.ranked.length && best < 0; r++) best = inGood[obs.ranked[r]!]!;
  return { good, bad, best };
}

/**
 * Optuna's default weights for `count` observations in trial order: 1 for the newest 25, a linear ramp from 1/count up to 1
 * for the older ones, so a long history slowly forgets its early (mostly random) points.
 */
export function rampWeights(count: number): Float64Array {
  const w = new Float64Array(count).fill(1);
  const ramp = count - 25;
  if (ramp <= 0) return w;
  const lo = 1 / count;
  // numpy.linspace(1/count, 1, ramp): the last point is exactly 1 (unless ramp is 1: then only 1/count).
  for (let i = 0; i < ramp; i++) w[i] = ramp === 1 ? lo : i === ramp - 1 ? 1 : lo + ((1 - lo) * i) / (ramp - 1);
  return w;
}

/**
 * Partitions the coordinates 0..dims-1 into groups that are active (non-NaN) on exactly the same rows: the root parameters
 * form one group, each branch body seen so far another (a body never active in `rows` forms its own group too). Groups are
 * listed by their first coordinate, coordinates ascending; a one-hot block never splits (encode activates it whole).
 */
export function activeGroups(rows: readonly Float64Array[], dims: number): number[][] {
  const groups: number[][] = [];
  const byKey = new Map<string, number[]>();
  for (let j = 0; j < dims; j++) {
    let h = 0x811c9dc5;
    let count = 0;
    for (let i = 0; i < rows.length; i++) {
      if (Number.isNaN(rows[i]![j]!)) {
        h = Math.imul(h ^ i, 0x01000193);
        count++;
      }
    }
    let key = `${count}:${h >>> 0}`;
    let group = byKey.get(key);
    // Verify against the group's first coordinate: a hash collision must not merge unrelated coordinates.
    while (group && !samePattern(rows, group[0]!, j)) {
      key += '+';
      group = byKey.get(key);
    }
    if (group) group.push(j);
    else {
      group = [j];
      byKey.set(key, group);
      groups.push(group);
    }
  }
  return groups;
}

function samePattern(rows: readonly Float64Array[], a: number, b: number): boolean {
  for (let i = 0; i < rows.length; i++) if (Number.isNaN(rows[i]![a]!) !== Number.isNaN(rows[i]![b]!)) return false;
  return true;
}
