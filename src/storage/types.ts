/**
 * The storage contract. The study controller is the only caller; every backend passes `test/storage/contract.ts`.
 *
 * Design notes (so a multi-machine backend such as PostgreSQL can follow):
 * - trial numbers are assigned by the storage (`createTrial`), never by callers;
 * - every state change is guarded: `startWaiting` moves exactly one `waiting` trial to `running` (or none), `markStarted`
 *   only re-stamps a `running` trial that has reported nothing, `finishTrial` only accepts a `running` trial; a finished trial
 *   can never change again;
 * - `finishTrial` resolves only once the finished trial is durable (on disk for file storages), together with everything
 *   recorded before it (its creation and reports included). Creating a `running` trial, `startWaiting` and `markStarted` may be
 *   buffered: a crash can drop a trial that had not finished (it is asked again under the same number), never a finished one.
 */
import type { JsonValue, Metrics, Params, StudyRecord, TrialRecord, TrialResult, TrialState } from '../core/types.js';

export interface NewTrial {
  /** `running` for a trial that starts now, `waiting` for enqueued params. */
  readonly state: 'running' | 'waiting';
  readonly params: Params;
  readonly budget?: number;
  readonly system?: { readonly [key: string]: JsonValue };
  readonly userAttrs?: { readonly [key: string]: JsonValue };
  /**
   * The worker that runs a `running` trial. Storages that support heartbeats ({@link Storage.heartbeat}) record it with a first
   * heartbeat time, so {@link Storage.failStale} can retry the trial if the worker dies; others ignore it.
   */
  readonly owner?: TrialOwner;
}

/** Identifies one worker process, for heartbeats and fencing. `id` is unique per process run (e.g. a random UUID). */
export interface TrialOwner {
  readonly host: string;
  readonly pid: number;
  readonly id: string;
}

/** Options of {@link Storage.startWaiting}. */
export interface StartWaitingOptions {
  /** Recorded as the started trial's owner, with a first heartbeat (storages with heartbeats only). */
  readonly owner?: TrialOwner;
  /**
   * Start nothing (resolve undefined) unless the study's counted finished trials plus its running ones are below this number
   * (storages that implement {@link Storage.createTrialIfBelow} only; see there for what counts).
   */
  readonly maxCounted?: number;
}

export interface Storage {
  /** Creates a study; rejects with a clear error if one with that name exists. */
  createStudy(study: StudyRecord): Promise<void>;
  /** The stored study, or undefined. */
  getStudy(name: string): Promise<StudyRecord | undefined>;
  /** Names of every stored study. */
  listStudies(): Promise<string[]>;
  /** Adds a trial; the storage assigns its number (previous max + 1). Durable before resolving for `waiting` trials. */
  createTrial(study: string, trial: NewTrial): Promise<TrialRecord>;
  /** Atomically moves the oldest `waiting` trial to `running` and returns it; undefined if none waits. */
  startWaiting(study: string, options?: StartWaitingOptions): Promise<TrialRecord | undefined>;
  /**
   * Optional (so that users' own storages keep working: the controller skips it when absent). Re-stamps a running trial's
   * `started` to now (the storage's clock): the controller calls it when a trial asked ahead actually begins running, so
   * started -> finished is its running time, not its wait in the queue. Rejects with TrialStateError unless the trial is
   * running and has no intermediate values yet. May be buffered like startWaiting (a crash that loses it leaves the ask time,
   * never loses a trial).
   */
  markStarted?(study: string, number: number): Promise<TrialRecord>;
  /**
   * Records an intermediate value of a running trial. May be batched: at most ~1 s of reports can be lost on a crash.
   * Rejects if the trial is not running.
   */
  reportIntermediate(study: string, number: number, step: number, value: number, metrics?: Metrics): Promise<void>;
  /** Sets a user attribute on a waiting or running trial; rejects (TrialStateError) on a finished one. */
  setTrialUserAttr(study: string, number: number, key: string, value: JsonValue): Promise<void>;
  /** running -> finished; durable before resolving. Rejects (TrialStateError) if the trial is not running. */
  finishTrial(study: string, number: number, result: TrialResult): Promise<TrialRecord>;
  /** One trial, or undefined. */
  getTrial(study: string, number: number): Promise<TrialRecord | undefined>;
  /**
   * All trials in number order, optionally filtered by state. The returned array and records are read-only and may be shared
   * with the storage's cache: callers must not mutate them.
   */
  getTrials(study: string, states?: readonly TrialState[]): Promise<readonly TrialRecord[]>;
  /** Writes anything batched, releases locks. The storage is unusable afterwards. */
  close(): Promise<void>;

  /* ---- optional: incremental reads ---- */

  /**
   * The current record of every trial created or changed since `cursor` (0: every trial), and the cursor to pass next time:
   * a reader that keeps its own copy of a study pays for what changed, not for what is stored. As fresh as getTrials. The
   * study's pruning path reads this way on every report; without it, it reads getTrials.
   */
  getTrialsSince?(study: string, cursor: number): Promise<TrialsSince>;

  /* ---- optional: shared storages used by several processes or machines at once (PostgreSQL) ---- */

  /**
   * Records that `owner` is still running trial `number` (the storage's clock, so machines need not agree on time). The first
   * heartbeat of a trial created without an owner claims it. Rejects with StaleTrialError when the trial is no longer running
   * (e.g. {@link failStale} failed it) or belongs to another owner: the caller must stop the trial (fencing).
   */
  heartbeat?(study: string, number: number, owner: TrialOwner): Promise<void>;
  /**
   * Atomically fails every running trial whose last heartbeat is older than `graceMs` (trials that never had one are left
   * alone), with reason `stale: no heartbeat since <ISO time> from <host>/<pid>`, and enqueues for each exactly one `waiting`
   * retry with the same params, budget, user attributes and system data plus `system.retryOf` = the stale trial's number.
   * Exactly once even when several processes call it at the same time. Returns the trials it failed.
   */
  failStale?(study: string, graceMs: number): Promise<readonly TrialRecord[]>;
  /**
   * Global budget: creates the trial only if the study's counted finished trials plus its running trials are below
   * `maxCounted`, atomically with respect to every other process; resolves undefined (and creates nothing) otherwise.
   * Counted finished trials are `complete`, `pruned`, and `failed` unless the reason is `interrupted` or starts with `stale:`
   * (those are retried, so they must not use up the budget).
   */
  createTrialIfBelow?(study: string, trial: NewTrial, maxCounted: number): Promise<TrialRecord | undefined>;
  /**
   * The `number` to hand the searcher's `suggest` (instead of `trials.length`, which several processes read alike, so seeded
   * searchers such as random or Sobol would propose the same params twice). Never the same twice for a study, across all
   * processes; equal to the number the next created trial gets when no other process asks meanwhile, so a single-process
   * study proposes exactly what it would on the other storages.
   */
  nextSuggestionNumber?(study: string): Promise<number>;
}

/** What {@link Storage.getTrialsSince} returns. */
export interface TrialsSince {
  /** Pass this as `cursor` next time. */
  readonly cursor: number;
  /**
   * True when `trials` is every trial of the study in number order (the cursor was 0, too old, or from before the storage
   * re-read everything, e.g. after a database restart): the reader replaces what it holds instead of patching it.
   */
  readonly full: boolean;
  /** The current record of every trial created or changed since the cursor, each once. */
  readonly trials: readonly TrialRecord[];
}
