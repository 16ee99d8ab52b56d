/**
 * The study's own copy of its trials for the report path: each report catches up on what changed since the previous one
 * (Storage.getTrialsSince) instead of reading every stored trial, and keeps the index of completed trials' values by step
 * that `median`/`percentile` compare with. So a report costs what changed (plus the pruner's own work), not the study's
 * size: on a 20,000-trial PostgreSQL study, reading and filtering every trial per report made the last reports several
 * times slower than the first (bench/postgres.ts).
 *
 * ask() reads the same copy: searchers get `trials` lazily, so one that ignores the history (random, Sobol, grid) costs
 * nothing per ask either. The copy is only as fresh as its last `sync()`; the storage stays the truth for everything else.
 */
import type { TrialRecord } from '../core/types.js';
import type { CompletedSteps } from '../pruners/index.js';
import { StepIndex } from '../pruners/index.js';
import type { Storage } from '../storage/types.js';

export class StudyMirror {
  #trials: TrialRecord[] = [];
  #cursor = 0;
  #list: readonly TrialRecord[] | undefined;
  #index = new StepIndex();
  /** Storages without getTrialsSince: the last full list read, to skip re-indexing when the storage hands out the same one. */
  #lastFull: readonly TrialRecord[] | undefined;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly storage: Storage,
    private readonly study: string,
  ) {}

  /**
   * Catches up with the storage. Calls run one after another: each reads after the caller's own writes, and a slower read
   * cannot put older records back over a newer one's.
   */
  sync(): Promise<void> {
    const next = this.#chain.then(() => this.#syncNow());
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #syncNow(): Promise<void> {
    if (!this.storage.getTrialsSince) {
      const all = await this.storage.getTrials(this.study);
      if (all !== this.#lastFull) this.#replace(all);
      this.#lastFull = all;
      return;
    }
    const r = await this.storage.getTrialsSince(this.study, this.#cursor);
    this.#cursor = r.cursor;
    if (r.full) return this.#replace(r.trials);
    if (r.trials.length === 0) return;
    for (const t of r.trials) {
      this.#trials[t.number] = t;
      this.#index.add(t);
    }
    this.#list = undefined;
  }

  /** The number of trials as of the last sync (numbers are dense, so also the next number on a single-process storage). */
  get size(): number {
    return this.#trials.length;
  }

  /** A trial as of the last sync. */
  get(number: number): TrialRecord | undefined {
    return this.#trials[number];
  }

  /** Every trial as of the last sync, in number order (built on first use after a change). */
  list(): readonly TrialRecord[] {
    this.#list ??= Object.freeze(this.#trials.filter((t): t is TrialRecord => t !== undefined));
    return this.#list;
  }

  /** The completed trials' intermediate values by step, as of the last sync. */
  get completed(): CompletedSteps {
    return this.#index;
  }

  #replace(all: readonly TrialRecord[]): void {
    this.#trials = [];
    for (const t of all) this.#trials[t.number] = t;
    // Completed trials never change or disappear (their finish is durable), so the index only grows.
    for (const t of all) this.#index.add(t);
    this.#list = all;
  }
}

/**
 * `fields` plus a `trials` property holding every trial of the mirror, built on first read (then fixed for the request):
 * searchers and pruners that never read the history do not pay for copying it.
 */
export function lazyTrials<T extends object>(fields: T, mirror: StudyMirror): T & { readonly trials: readonly TrialRecord[] } {
  let trials: readonly TrialRecord[] | undefined;
  return Object.defineProperty(fields, 'trials', {
    enumerable: true,
    get: () => (trials ??= mirror.list()),
  }) as T & { readonly trials: readonly TrialRecord[] };
}
