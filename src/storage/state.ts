/**
 * The trial state machine and in-memory indexes shared by every backend. Backends turn each call into an {@link Op} with the
 * `*Op` builders (argument checks, trial number and timestamp assignment), then run {@link StorageState.apply}, the single
 * place where transitions are guarded. The file backend additionally journals the op and replays journals through the same
 * `apply`, so a replayed file obeys exactly the rules a live storage does.
 *
 * Stored records are never handed out mutable: params/attrs are deep-frozen copies made on the way in, and each trial's
 * read view is a frozen object rebuilt lazily after a change, so reads are cheap and callers cannot alter stored state.
 */
import { StudyExistsError, StudyNotFoundError, TrialNotFoundError, TrialStateError } from '../core/errors.js';
import type { IntermediateValue, JsonValue, Metrics, StudyRecord, TrialRecord, TrialResult, TrialState } from '../core/types.js';
import type { NewTrial, TrialsSince } from './types.js';
import { ChangeLog } from './change-log.js';
import { ShapeError, decodeMetrics, freezeJson, freezeJsonObject, setOwn } from './codec.js';
import {
  MARK_STARTED,
  type Curve,
  type Op,
  type StoredTrial,
  type TrialFields,
  applyFinish,
  curveOf,
  decodeResult,
  decodeStudy,
  encodeStoredTrial,
  pushPoint,
} from './records.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Fields = Mutable<TrialFields>;

interface TrialBox {
  /** Every field but `intermediate`; keys whose value would be undefined are absent. */
  f: Fields;
  /** Intermediate values, columnar (see records.ts); materialised as objects only when a view's `intermediate` is read. */
  curve: Curve;
  /** Steps already reported, built on the first report of a running trial (dropped when it finishes). */
  steps: Set<number> | undefined;
  /** Cached frozen copy of `inter`, and the cached frozen read view; undefined after a change. */
  interView: readonly IntermediateValue[] | undefined;
  view: TrialRecord | undefined;
}

interface StudyBox {
  readonly record: StudyRecord;
  /** Indexed by trial number (numbers are dense: 0..n-1). */
  readonly trials: TrialBox[];
  /** Numbers of waiting trials in creation order (a Set keeps insertion order, so the first is the oldest). */
  readonly waiting: Set<number>;
  /**
   * getTrials results by state filter (`states` undefined = all trials). A change to a trial drops only the entries whose
   * filter covers the trial's old or new state, so e.g. a pruner's list of finished trials survives reports of running ones.
   */
  readonly cache: Map<string, { readonly states: readonly TrialState[] | undefined; readonly trials: readonly TrialRecord[] }>;
  /** Numbers of trials changed since the last {@link StorageState.takeChanges} (what the next snapshot chunk must hold). */
  readonly dirty: Set<number>;
  /** Every trial change in order, for incremental readers (getTrialsSince). */
  readonly changes: ChangeLog;
  /** True until the study record has gone into a snapshot chunk. */
  fresh: boolean;
}

/** What changed since the previous snapshot chunk, JSON-safe (see `StorageState.takeChanges`). */
export interface Changes {
  readonly studies: StudyRecord[];
  readonly trials: { [study: string]: { [key: string]: unknown }[] };
  /** Number of trial records in `trials`. */
  readonly count: number;
}

/** Turns a ShapeError raised while checking a caller's argument into the TypeError callers expect for bad arguments. */
function asTypeError(e: unknown): unknown {
  return e instanceof ShapeError ? new TypeError(e.message) : e;
}

/** Holds every study and trial of one storage; see the file comment. */
export class StorageState {
  private readonly studies = new Map<string, StudyBox>();

  /** `where` names the storage in error messages (a file path, or "the in-memory storage"). */
  constructor(readonly where: string) {}

  /** The study record (frozen), or undefined. */
  getStudy(name: string): StudyRecord | undefined {
    return this.studies.get(name)?.record;
  }

  /** Study names in creation order. */
  listStudies(): string[] {
    return [...this.studies.keys()];
  }

  /** One trial's frozen view; throws StudyNotFoundError for an unknown study, undefined for an unknown number. */
  getTrial(study: string, number: number): TrialRecord | undefined {
    const box = this.study(study).trials[number];
    return box === undefined ? undefined : view(box);
  }

  /** Frozen array of frozen views in number order, cached per state filter until a trial it covers changes. */
  getTrials(study: string, states?: readonly TrialState[]): readonly TrialRecord[] {
    const s = this.study(study);
    const key = states === undefined ? '*' : states.join(',');
    let hit = s.cache.get(key);
    if (hit === undefined) {
      const filter = states === undefined ? undefined : [...states];
      const boxes = filter === undefined ? s.trials : s.trials.filter((b) => filter.includes(b.f.state));
      hit = { states: filter, trials: Object.freeze(boxes.map(view)) };
      s.cache.set(key, hit);
    }
    return hit.trials;
  }

  /** Every trial created or changed since `cursor` (see ChangeLog); all of them, in number order, for cursor 0. */
  getTrialsSince(study: string, cursor: number): TrialsSince {
    const s = this.study(study);
    const numbers = s.changes.since(cursor);
    if (numbers === undefined) return { cursor: s.changes.cursor, full: true, trials: this.getTrials(study) };
    return { cursor: s.changes.cursor, full: false, trials: numbers.map((n) => view(s.trials[n]!)) };
  }

  /* ---- op builders: check arguments against the current state, assign numbers/times; no mutation ---- */

  /** Checks a new study (TypeError if malformed, StudyExistsError if the name is taken). */
  createStudyOp(study: StudyRecord): Op {
    let record: StudyRecord;
    try {
      record = decodeStudy(study, 'study');
    } catch (e) {
      throw asTypeError(e);
    }
    if (this.studies.has(record.name)) throw new StudyExistsError(record.name, this.where);
    return { op: 'createStudy', study: record };
  }

  /** Builds the next trial (number = count so far, i.e. previous max + 1) from deep-frozen copies of the caller's data. */
  createTrialOp(study: string, trial: NewTrial, now: string): Op {
    const s = this.study(study);
    if (trial.state !== 'running' && trial.state !== 'waiting') {
      throw new TypeError(`a new trial's state must be "running" or "waiting", got ${JSON.stringify(trial.state)}`);
    }
    const f: Fields = {
      number: s.trials.length,
      state: trial.state,
      params: freezeJsonObject(trial.params, 'trial.params'),
      userAttrs: freezeJsonObject(trial.userAttrs ?? {}, 'trial.userAttrs'),
      system: freezeJsonObject(trial.system ?? {}, 'trial.system'),
      created: now,
    };
    if (trial.budget !== undefined) {
      if (typeof trial.budget !== 'number' || !(trial.budget > 0) || !Number.isFinite(trial.budget)) {
        throw new TypeError(`trial.budget must be a finite number > 0, got ${String(trial.budget)}`);
      }
      f.budget = trial.budget;
    }
    if (trial.state === 'running') f.started = now;
    return { op: 'createTrial', study, trial: Object.freeze({ ...f, intermediate: Object.freeze([]) }) };
  }

  /** The op starting the oldest waiting trial, or undefined if none waits. */
  startWaitingOp(study: string, now: string): Op | undefined {
    const first = this.study(study).waiting.values().next();
    return first.done ? undefined : { op: 'startWaiting', study, number: first.value, at: now };
  }

  /** Re-stamps the start of a trial asked ahead when it actually begins running: running, and nothing reported yet. */
  markStartedOp(study: string, number: number, now: string): Op {
    const box = this.trial(study, number);
    if (box.f.state !== 'running' || box.curve.steps.length > 0) throw new TrialStateError(study, number, box.f.state, MARK_STARTED);
    return { op: 'markStarted', study, number, at: now };
  }

  /**
   * The op recording a report, or undefined when `step` was already reported: like Optuna, the first value reported for a
   * step wins and later ones are ignored (a retried epoch must not rewrite history the pruner already acted on).
   */
  reportOp(study: string, number: number, step: number, value: number, metrics?: Metrics): Op | undefined {
    if (typeof step !== 'number' || !Number.isFinite(step)) throw new TypeError(`step must be a finite number, got ${String(step)}`);
    if (typeof value !== 'number') throw new TypeError(`an intermediate value must be a number (NaN allowed), got ${typeof value}`);
    const box = this.trial(study, number);
    if (box.f.state !== 'running') throw new TrialStateError(study, number, box.f.state, 'report an intermediate value');
    if (stepsOf(box).has(step)) return undefined;
    if (metrics === undefined) return { op: 'reportIntermediate', study, number, step, value };
    try {
      return { op: 'reportIntermediate', study, number, step, value, metrics: decodeMetrics(metrics, 'metrics') };
    } catch (e) {
      throw asTypeError(e);
    }
  }

  /** Sets one user attribute; allowed in every state (it annotates, it does not change the trial's outcome). */
  setUserAttrOp(study: string, number: number, key: string, value: JsonValue): Op {
    if (typeof key !== 'string') throw new TypeError(`a user attribute key must be a string, got ${typeof key}`);
    const box = this.trial(study, number);
    if (box.f.state !== 'running' && box.f.state !== 'waiting')
      throw new TrialStateError(study, number, box.f.state, `set user attribute "${key}"`);
    return { op: 'setTrialUserAttr', study, number, key, value: freezeJson(value, `userAttrs[${JSON.stringify(key)}]`) };
  }

  /** Checks the result (TypeError) and that the trial is running (TrialStateError: finished trials never change). */
  finishOp(study: string, number: number, result: TrialResult, now: string): Op {
    let checked: TrialResult;
    try {
      checked = decodeResult(result, 'result');
    } catch (e) {
      throw asTypeError(e);
    }
    const box = this.trial(study, number);
    if (box.f.state !== 'running') throw new TrialStateError(study, number, box.f.state, `finish as ${checked.state}`);
    return { op: 'finishTrial', study, number, result: checked, at: now };
  }

  /**
   * Applies one op, guarding every transition (the builders check too, but replayed journal ops only pass through here).
   * Returns the affected trial's view for ops that create, start (or re-stamp the start of) or finish a trial.
   */
  apply(op: Op): TrialRecord | undefined {
    if (op.op === 'createStudy') {
      if (this.studies.has(op.study.name)) throw new StudyExistsError(op.study.name, this.where);
      this.studies.set(op.study.name, {
        record: op.study,
        trials: [],
        waiting: new Set(),
        cache: new Map(),
        dirty: new Set(),
        changes: new ChangeLog(),
        fresh: true,
      });
      return undefined;
    }
    const s = this.study(op.study);
    if (op.op === 'createTrial') {
      if (op.trial.state !== 'running' && op.trial.state !== 'waiting') {
        throw new Error(`a created trial must be running or waiting, got ${op.trial.state}`);
      }
      const { intermediate, ...fields } = op.trial;
      return view(this.add(s, fields, curveOf(intermediate)));
    }
    const box = this.trial(op.study, op.number);
    const f = box.f;
    box.view = undefined;
    s.dirty.add(op.number);
    s.changes.note(op.number, s.trials.length);
    switch (op.op) {
      case 'startWaiting':
        if (f.state !== 'waiting') throw new TrialStateError(op.study, op.number, f.state, 'start as a waiting trial');
        invalidate(s, 'waiting', 'running');
        f.state = 'running';
        f.started = op.at;
        s.waiting.delete(op.number);
        return view(box);
      case 'markStarted':
        if (f.state !== 'running' || box.curve.steps.length > 0) throw new TrialStateError(op.study, op.number, f.state, MARK_STARTED);
        invalidate(s, 'running');
        f.started = op.at;
        return view(box);
      case 'reportIntermediate': {
        if (f.state !== 'running') throw new TrialStateError(op.study, op.number, f.state, 'report an intermediate value');
        const steps = stepsOf(box);
        if (steps.has(op.step)) return undefined;
        steps.add(op.step);
        invalidate(s, 'running');
        pushPoint(box.curve, op.step, op.value, op.metrics);
        box.interView = undefined;
        return undefined;
      }
      case 'setTrialUserAttr': {
        invalidate(s, f.state);
        const attrs = { ...f.userAttrs };
        setOwn(attrs, op.key, op.value);
        f.userAttrs = Object.freeze(attrs);
        return undefined;
      }
      case 'finishTrial': {
        if (f.state !== 'running') throw new TrialStateError(op.study, op.number, f.state, `finish as ${op.result.state}`);
        const r = op.result;
        invalidate(s, 'running', r.state);
        applyFinish(f, r, op.at);
        box.steps = undefined;
        return view(box);
      }
    }
  }

  /** Adds a study read from a snapshot (not marked as changed: it is already stored). */
  loadStudy(study: StudyRecord): void {
    this.apply({ op: 'createStudy', study });
    this.studies.get(study.name)!.fresh = false;
  }

  /**
   * Puts a trial read from a snapshot: a new number must come next (numbers are dense), a known one is replaced by its later
   * copy (a snapshot chunk holds every trial changed since the previous chunk, e.g. a trial that was running and has since
   * finished). Throws ShapeError for a trial inconsistent with its state, or one that would change a finished trial.
   */
  putTrial(study: string, trial: StoredTrial, path: string): void {
    const s = this.study(study);
    const bad = inconsistency(trial.fields, trial.curve.steps.length);
    if (bad !== undefined) throw new ShapeError(path, bad);
    const n = trial.fields.number;
    const old = s.trials[n];
    if (old === undefined) {
      if (n !== s.trials.length)
        throw new ShapeError(
          `${path}.number`,
          `is ${n}, but study "${study}" has ${s.trials.length} trials, so ${s.trials.length} must come next`,
        );
      this.add(s, trial.fields, trial.curve);
      s.dirty.delete(n); // already stored
      return;
    }
    if (old.f.state !== 'running' && old.f.state !== 'waiting') {
      throw new ShapeError(
        `${path}.number`,
        `trial ${n} of study "${study}" is already stored as ${old.f.state}, and a finished trial never changes`,
      );
    }
    invalidate(s, old.f.state, trial.fields.state);
    if (old.f.state === 'waiting') s.waiting.delete(n);
    if (trial.fields.state === 'waiting') s.waiting.add(n);
    old.f = { ...trial.fields };
    old.curve = trial.curve;
    old.steps = undefined;
    old.interView = undefined;
    old.view = undefined;
    s.dirty.delete(n);
    s.changes.note(n, s.trials.length);
  }

  /**
   * The studies and trials changed since the previous call, JSON-safe, for a snapshot chunk; `all` takes every study and
   * trial (a full snapshot). Clears the change marks: the caller must write the result or the changes are lost on disk.
   */
  takeChanges(all = false): Changes {
    const out: Changes = { studies: [], trials: {}, count: 0 };
    let count = 0;
    for (const [name, s] of this.studies) {
      if (s.fresh || all) out.studies.push(s.record);
      s.fresh = false;
      if (s.dirty.size === 0 && !all) continue;
      const numbers = all ? s.trials.map((_, i) => i) : [...s.dirty].sort((a, b) => a - b);
      s.dirty.clear();
      setOwn(
        out.trials,
        name,
        numbers.map((n) => encodeStoredTrial(s.trials[n]!.f, s.trials[n]!.curve)),
      );
      count += numbers.length;
    }
    return { ...out, count };
  }

  /** Number of trials of every study. */
  get trialCount(): number {
    let n = 0;
    for (const s of this.studies.values()) n += s.trials.length;
    return n;
  }

  private add(s: StudyBox, fields: TrialFields, curve: Curve): TrialBox {
    if (fields.number !== s.trials.length) {
      throw new Error(`trial number ${fields.number} is out of order: study "${s.record.name}" expects ${s.trials.length} next`);
    }
    const box: TrialBox = { f: { ...fields }, curve, steps: undefined, interView: undefined, view: undefined };
    s.trials.push(box);
    s.dirty.add(fields.number);
    s.changes.note(fields.number, s.trials.length);
    if (fields.state === 'waiting') s.waiting.add(fields.number);
    invalidate(s, fields.state);
    return box;
  }

  private study(name: string): StudyBox {
    const s = this.studies.get(name);
    if (s === undefined) throw new StudyNotFoundError(name, this.where, this.listStudies());
    return s;
  }

  private trial(study: string, number: number): TrialBox {
    const box = this.study(study).trials[number];
    if (box === undefined || !Number.isInteger(number)) throw new TrialNotFoundError(study, number);
    return box;
  }
}

/** Drops the cached getTrials results that include trials in any of `states` (see StudyBox.cache). */
function invalidate(s: StudyBox, ...states: TrialState[]): void {
  for (const [key, hit] of s.cache) {
    if (hit.states === undefined || hit.states.some((x) => states.includes(x))) s.cache.delete(key);
  }
}

/** The steps a trial has reported, indexed on first use (after a reload the index does not exist yet). */
function stepsOf(box: TrialBox): Set<number> {
  box.steps ??= new Set(box.curve.steps);
  return box.steps;
}

/**
 * The frozen read view of a trial. Its `intermediate` is an enumerable getter that materialises the curve as frozen objects
 * on first read and keeps them (until the next report): most readers (searchers) never look at the curves, so a long study
 * does not pay one object per report for them.
 */
function view(box: TrialBox): TrialRecord {
  if (box.view === undefined) {
    const v = { ...box.f } as Mutable<TrialRecord>;
    // A view handed out before a later report keeps showing the reports it was made with, as a frozen record should.
    const n = box.curve.steps.length;
    let own: readonly IntermediateValue[] | undefined;
    const get = (): readonly IntermediateValue[] => {
      if (own === undefined) {
        if (box.interView === undefined && box.curve.steps.length === n) box.interView = materialise(box.curve, n);
        own = box.interView?.length === n ? box.interView : materialise(box.curve, n);
      }
      return own;
    };
    Object.defineProperty(v, 'intermediate', { enumerable: true, get });
    box.view = Object.freeze(v);
  }
  return box.view;
}

function materialise(curve: Curve, n: number): readonly IntermediateValue[] {
  const out = new Array<IntermediateValue>(n);
  for (let i = 0; i < out.length; i++) {
    const metrics = curve.metrics?.[i];
    out[i] = Object.freeze(
      metrics === undefined
        ? { step: curve.steps[i]!, value: curve.values[i]! }
        : { step: curve.steps[i]!, value: curve.values[i]!, metrics },
    );
  }
  return Object.freeze(out);
}

/** Why a stored trial cannot be in its state (e.g. complete without a finite value), or undefined if it is consistent. */
function inconsistency(t: TrialFields, reports: number): string | undefined {
  const finished = t.state === 'complete' || t.state === 'pruned' || t.state === 'failed';
  if (t.state === 'waiting' && t.started !== undefined) return 'a waiting trial has a start time';
  if (t.state !== 'waiting' && t.started === undefined) return `a ${t.state} trial has no start time`;
  if (finished !== (t.finished !== undefined)) return `a ${t.state} trial ${finished ? 'lacks' : 'has'} a finish time`;
  if (t.state === 'complete' && !Number.isFinite(t.value)) return 'a complete trial has no finite value';
  if (t.state === 'waiting' && reports > 0) return 'a waiting trial has intermediate values';
  return undefined;
}
