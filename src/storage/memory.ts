/**
 * The default storage: everything in process memory, lost on exit. Used when a study is given no storage path, and by tests.
 * It runs the same state machine as the file backend (`state.ts`), so behaviour (numbering, guarded transitions, frozen
 * records, errors) is identical; only durability differs.
 */
import { TunekitError } from '../core/errors.js';
import type { JsonValue, Metrics, StudyRecord, TrialRecord, TrialResult, TrialState } from '../core/types.js';
import type { NewTrial, Storage, TrialsSince } from './types.js';
import { StorageState } from './state.js';

/** In-memory {@link Storage}. All methods complete synchronously (wrapped in promises), so concurrent calls cannot interleave. */
export class InMemoryStorage implements Storage {
  private readonly state = new StorageState('the in-memory storage');
  private closed = false;

  async createStudy(study: StudyRecord): Promise<void> {
    this.check('createStudy');
    this.state.apply(this.state.createStudyOp(study));
  }

  async getStudy(name: string): Promise<StudyRecord | undefined> {
    this.check('getStudy');
    return this.state.getStudy(name);
  }

  async listStudies(): Promise<string[]> {
    this.check('listStudies');
    return this.state.listStudies();
  }

  async createTrial(study: string, trial: NewTrial): Promise<TrialRecord> {
    this.check('createTrial');
    return this.state.apply(this.state.createTrialOp(study, trial, new Date().toISOString()))!;
  }

  async startWaiting(study: string): Promise<TrialRecord | undefined> {
    this.check('startWaiting');
    const op = this.state.startWaitingOp(study, new Date().toISOString());
    return op === undefined ? undefined : this.state.apply(op);
  }

  async markStarted(study: string, number: number): Promise<TrialRecord> {
    this.check('markStarted');
    return this.state.apply(this.state.markStartedOp(study, number, new Date().toISOString()))!;
  }

  /** Reporting a step that was already reported keeps the first value (see `StorageState.reportOp`). */
  async reportIntermediate(study: string, number: number, step: number, value: number, metrics?: Metrics): Promise<void> {
    this.check('reportIntermediate');
    const op = this.state.reportOp(study, number, step, value, metrics);
    if (op !== undefined) this.state.apply(op);
  }

  async setTrialUserAttr(study: string, number: number, key: string, value: JsonValue): Promise<void> {
    this.check('setTrialUserAttr');
    this.state.apply(this.state.setUserAttrOp(study, number, key, value));
  }

  async finishTrial(study: string, number: number, result: TrialResult): Promise<TrialRecord> {
    this.check('finishTrial');
    return this.state.apply(this.state.finishOp(study, number, result, new Date().toISOString()))!;
  }

  async getTrial(study: string, number: number): Promise<TrialRecord | undefined> {
    this.check('getTrial');
    return this.state.getTrial(study, number);
  }

  async getTrials(study: string, states?: readonly TrialState[]): Promise<readonly TrialRecord[]> {
    this.check('getTrials');
    return this.state.getTrials(study, states);
  }

  async getTrialsSince(study: string, cursor: number): Promise<TrialsSince> {
    this.check('getTrialsSince');
    return this.state.getTrialsSince(study, cursor);
  }

  /** Makes the storage unusable (its data is dropped with it), matching the file backend's contract. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private check(method: string): void {
    if (this.closed) {
      throw new TunekitError(
        'ERR_TUNEKIT_STORAGE_CLOSED',
        `the in-memory storage was closed, so ${method} cannot run; create a new storage (its data is gone)`,
      );
    }
  }
}
