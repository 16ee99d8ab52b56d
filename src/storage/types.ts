/**
 * The storage contract. The study controller is the only caller; every backend passes `test/storage/contract.ts`.
 *
 * Design notes (so a multi-machine backend such as PostgreSQL can follow):
 * - trial numbers are assigned by the storage (`createTrial`), never by callers;
 * - every state change is guarded: `startWaiting` moves exactly one `waiting` trial to `running` (or none), `finishTrial`
 *   only accepts a `running` trial; a finished trial can never change again;
 * - `finishTrial` resolves only once the finished trial is durable (on disk for file storages), together with everything
 *   recorded before it (its creation and reports included). Creating a `running` trial and `startWaiting` may be buffered: a
 *   crash can drop a trial that had not finished (it is asked again under the same number), never a finished one.
 */
import type { JsonValue, Metrics, Params, StudyRecord, TrialRecord, TrialResult, TrialState } from '../core/types.js';

export interface NewTrial {
  /** `running` for a trial that starts now, `waiting` for enqueued params. */
  readonly state: 'running' | 'waiting';
  readonly params: Params;
  readonly budget?: number;
  readonly system?: { readonly [key: string]: JsonValue };
  readonly userAttrs?: { readonly [key: string]: JsonValue };
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
  startWaiting(study: string): Promise<TrialRecord | undefined>;
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
}
