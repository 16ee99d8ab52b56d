/**
 * Budget and failure bookkeeping shared by the in-process optimize loop (optimize.ts) and the worker pool (src/pool): how many
 * trials count toward `trials`, how many are in flight, the run of consecutive failures, and the first fatal error. Lanes ask
 * `canStart()` before taking a trial, bump `inFlight` while it runs, and hand every durably finished trial to `finish()`.
 */
import type { TrialRecord } from '../core/types.js';
import { TooManyFailuresError } from '../core/errors.js';

/** Finished trials that count toward the budget: interrupted and stale ones do not (their retries do). */
export function countsTowardBudget(t: TrialRecord): boolean {
  return (
    t.state === 'complete' ||
    t.state === 'pruned' ||
    (t.state === 'failed' && t.reason !== 'interrupted' && !t.reason?.startsWith('stale:'))
  );
}

export class SweepLedger {
  /** Trials started and not yet finished (or interrupted). */
  inFlight = 0;
  /** Trials finished by this run. */
  finishedHere = 0;
  /** The first error that must end the run (set once; later ones are dropped). */
  fatal: { readonly error: unknown } | undefined;
  #finished: number;
  #streak = 0;

  /**
   * @param trials total finished trials wanted
   * @param maxFailures stop after this many failed trials in a row (0 = never)
   * @param stored the study's stored trials, whose counted ones are already done
   */
  constructor(
    readonly trials: number,
    readonly maxFailures: number,
    stored: readonly TrialRecord[],
  ) {
    this.#finished = stored.filter(countsTowardBudget).length;
  }

  /** Counted finished trials, stored ones included. */
  get finished(): number {
    return this.#finished;
  }

  /** True while no fatal error happened and the budget leaves room for one more trial beside those in flight. */
  canStart(): boolean {
    return !this.fatal && this.#finished + this.inFlight < this.trials;
  }

  /** Records the first fatal error. */
  fail(error: unknown): void {
    this.fatal ??= { error };
  }

  /** Counts a durably finished trial and tracks the failure streak (TooManyFailuresError once it reaches maxFailures). */
  finish(record: TrialRecord): void {
    this.#finished++;
    this.finishedHere++;
    this.#streak = record.state === 'failed' ? this.#streak + 1 : 0;
    if (this.maxFailures > 0 && this.#streak >= this.maxFailures) {
      this.fail(new TooManyFailuresError(this.maxFailures, record.error?.message ?? record.reason ?? 'unknown error'));
    }
  }
}
