/**
 * PostgreSQL rows to frozen TrialRecords, and the per-study cache that makes reads incremental: the storage keeps every trial it
 * has read and asks the server only for rows whose change counter is above the highest one seen (see postgres-schema.ts for
 * why that read is complete). Read views are cached per state filter like the in-memory state (state.ts), so an unchanged study
 * returns the same frozen array and a report to a running trial keeps the cached list of finished trials.
 */
import type { TrialRecord, TrialState } from '../core/types.js';
import { ShapeError } from './codec.js';
import { decodeTrial } from './records.js';
import { ChangeLog } from './change-log.js';
import type { TrialOwner, TrialsSince } from './types.js';

/** One row of `tunekit_trials` as the driver returns it (timestamps as Date, bigints as strings, jsonb parsed). */
export interface TrialRow {
  readonly study_id: string;
  readonly number: number;
  readonly state: string;
  readonly params: unknown;
  readonly budget: number | null;
  readonly value: number | null;
  /** Multi-objective values and constraint values, encoded (non-finite numbers as strings); null when absent. */
  readonly objective_values: unknown;
  readonly constraints: unknown;
  readonly metrics: unknown;
  readonly intermediate: unknown;
  readonly reason: string | null;
  readonly error: unknown;
  readonly user_attrs: unknown;
  readonly system: unknown;
  readonly created: Date;
  readonly started: Date | null;
  readonly finished: Date | null;
  readonly owner: unknown;
  readonly heartbeat: Date | null;
  readonly last_req: string | null;
  readonly seq: string;
}

/** The frozen TrialRecord of a row (the jsonb columns hold the same encoded forms as the file storage's snapshot). */
export function rowToTrial(r: TrialRow): TrialRecord {
  const encoded: { [key: string]: unknown } = {
    number: r.number,
    state: r.state,
    params: r.params,
    intermediate: r.intermediate,
    userAttrs: r.user_attrs,
    system: r.system,
    created: r.created.toISOString(),
  };
  if (r.budget !== null) encoded.budget = r.budget;
  if (r.value !== null) encoded.value = r.value;
  if (r.objective_values !== null) encoded.values = r.objective_values;
  if (r.constraints !== null) encoded.constraints = r.constraints;
  if (r.metrics !== null) encoded.metrics = r.metrics;
  if (r.reason !== null) encoded.reason = r.reason;
  if (r.error !== null) encoded.error = r.error;
  if (r.started !== null) encoded.started = r.started.toISOString();
  if (r.finished !== null) encoded.finished = r.finished.toISOString();
  return Object.freeze(decodeTrial(encoded, `trial ${r.number}`));
}

type Filtered = { readonly states: readonly TrialState[] | undefined; readonly trials: readonly TrialRecord[] };

/** Every trial of one study this storage has read, the highest change counter seen, and read views per state filter. */
export class StudyCache {
  /** Indexed by trial number. */
  private trials: TrialRecord[] = [];
  /** The `seq` of each cached trial: a response that raced a newer one must not put an older version back. */
  private seqs: number[] = [];
  private readonly views = new Map<string, Filtered>();
  /** The trials applied, in order, for getTrialsSince. */
  private readonly changes = new ChangeLog();
  /** Highest `seq` among the rows read (as a number: 2^53 changes are out of reach). */
  lastSeq = 0;

  /** Applies changed rows; drops the views whose filter covers a changed trial's old or new state. */
  apply(rows: readonly TrialRow[]): void {
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq > this.lastSeq) this.lastSeq = seq;
      if (seq <= (this.seqs[row.number] ?? -1)) continue;
      const t = rowToTrial(row);
      const old = this.trials[t.number];
      this.invalidate(t.state, old?.state);
      this.trials[t.number] = t;
      this.seqs[t.number] = seq;
      this.changes.note(t.number, this.trials.length);
    }
  }

  /** Forgets everything (after a server restart that may have lost unflushed commits, counters can repeat). */
  reset(): void {
    this.trials = [];
    this.seqs = [];
    this.views.clear();
    this.lastSeq = 0;
    // Readers replace their copy: a trial whose creation the restart lost must not linger in it.
    this.changes.forget();
  }

  get(number: number): TrialRecord | undefined {
    return Number.isInteger(number) ? this.trials[number] : undefined;
  }

  /** Frozen array in number order, cached per filter until a trial it covers changes. */
  list(states?: readonly TrialState[]): readonly TrialRecord[] {
    const key = states === undefined ? '*' : states.join(',');
    let hit = this.views.get(key);
    if (hit === undefined) {
      const filter = states === undefined ? undefined : [...states];
      // A hole (a number whose row was never read) cannot happen with counter-ordered reads; skip one rather than hand out undefined.
      const dense = this.trials.filter((t): t is TrialRecord => t !== undefined);
      hit = { states: filter, trials: Object.freeze(filter === undefined ? dense : dense.filter((t) => filter.includes(t.state))) };
      this.views.set(key, hit);
    }
    return hit.trials;
  }

  /** Every trial applied since `cursor` (see ChangeLog); every cached trial, in number order, when the cursor is too old. */
  since(cursor: number): TrialsSince {
    const numbers = this.changes.since(cursor);
    if (numbers === undefined) return { cursor: this.changes.cursor, full: true, trials: this.list() };
    return { cursor: this.changes.cursor, full: false, trials: numbers.map((n) => this.trials[n]!) };
  }

  private invalidate(state: TrialState, old: TrialState | undefined): void {
    for (const [key, hit] of this.views) {
      if (hit.states === undefined || hit.states.includes(state) || (old !== undefined && hit.states.includes(old))) this.views.delete(key);
    }
  }
}

/** Runs `f`, turning a ShapeError about a caller's argument into the TypeError callers expect. */
export function asTypeError<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw e instanceof ShapeError ? new TypeError(e.message) : e;
  }
}

/** The owner as jsonb text (null when absent); TypeError naming `what` when malformed. */
export function checkOwner(owner: TrialOwner | undefined, what: string): string | null {
  if (owner === undefined) return null;
  if (
    owner === null ||
    typeof owner !== 'object' ||
    typeof owner.host !== 'string' ||
    !Number.isInteger(owner.pid) ||
    typeof owner.id !== 'string' ||
    !owner.id
  ) {
    throw new TypeError(`${what} must be { host: string, pid: integer, id: non-empty string }, got ${JSON.stringify(owner)}`);
  }
  return JSON.stringify({ host: owner.host, pid: owner.pid, id: owner.id });
}
