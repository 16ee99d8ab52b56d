/**
 * The intermediate values of completed trials, indexed by step and kept sorted, which is what `median` and `percentile`
 * compare a reporting trial with. The study keeps one index per study and adds each trial once, when it completes (a
 * completed trial never changes), so a report costs a lookup instead of a pass over every stored trial and a sort: with
 * 20,000 trials stored that pass was what made the last reports of a long study several times slower than the first.
 *
 * A pruner asked without an index (a request built by hand, a replay, the deterministic rule's filtered history) gets one
 * built from `req.trials`, memoised per array, so both paths decide from the same numbers.
 */
import type { TrialRecord } from '../core/types.js';
import type { CompletedSteps, PruneRequest, StepValues } from './types.js';

const EMPTY: StepValues = Object.freeze({ reported: 0, sorted: Object.freeze([]) });

interface Slot {
  reported: number;
  readonly sorted: number[];
}

/** An index of completed trials' intermediate values; see the file comment. */
export class StepIndex implements CompletedSteps {
  readonly #steps = new Map<number, Slot>();
  readonly #indexed = new Set<number>();

  /** Completed trials indexed so far. */
  get count(): number {
    return this.#indexed.size;
  }

  /** The values completed trials reported at `step` (the first value of each trial for the step, as storages keep it). */
  at(step: number): StepValues {
    return this.#steps.get(step) ?? EMPTY;
  }

  /** Indexes a trial if it is complete and not indexed yet (other states and repeats are ignored). */
  add(t: TrialRecord): void {
    if (t.state !== 'complete' || this.#indexed.has(t.number)) return;
    this.#indexed.add(t.number);
    const done = new Set<number>();
    for (const p of t.intermediate) {
      if (done.has(p.step)) continue;
      done.add(p.step);
      let slot = this.#steps.get(p.step);
      if (!slot) {
        slot = { reported: 0, sorted: [] };
        this.#steps.set(p.step, slot);
      }
      slot.reported++;
      if (!Number.isNaN(p.value)) slot.sorted.splice(upperBound(slot.sorted, p.value), 0, p.value);
    }
  }

  /** An index of the complete trials of a list. */
  static of(trials: readonly TrialRecord[]): StepIndex {
    const index = new StepIndex();
    for (const t of trials) index.add(t);
    return index;
  }
}

/** First position in ascending `a` whose value is greater than `v`. */
function upperBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const built = new WeakMap<readonly TrialRecord[], StepIndex>();

/** The request's index of completed trials: the study's, or one built from `req.trials` (memoised per array). */
export function completedSteps(req: PruneRequest): CompletedSteps {
  if (req.completed) return req.completed;
  let index = built.get(req.trials);
  if (!index) {
    index = StepIndex.of(req.trials);
    built.set(req.trials, index);
  }
  return index;
}
