/**
 * Stored forms of studies, trials and journal operations, and their checked readers. The in-memory state machine
 * (`state.ts`) consumes the decoded {@link Op}s; the file backend writes the encoded forms to its snapshot and journal.
 */
import type { Direction, FinishedState, JsonValue, Metrics, StudyRecord, TrialRecord, TrialResult, TrialState } from '../core/types.js';
import {
  ShapeError,
  checkArray,
  checkIndex,
  checkJsonObject,
  checkObject,
  checkString,
  decodeMetrics,
  decodeNumber,
  describe,
  encodeMetrics,
  encodeNumber,
  freezeJson,
  optString,
} from './codec.js';

/**
 * One state change. Every mutation of a storage is expressed as an Op so the in-memory backend, the file backend and the
 * journal replay all run the same guarded `apply` (see `state.ts`). Ops carry everything needed to replay them
 * deterministically (the assigned trial number, timestamps).
 */
export type Op =
  | { readonly op: 'createStudy'; readonly study: StudyRecord }
  | { readonly op: 'createTrial'; readonly study: string; readonly trial: TrialRecord }
  | { readonly op: 'startWaiting'; readonly study: string; readonly number: number; readonly at: string }
  | { readonly op: 'markStarted'; readonly study: string; readonly number: number; readonly at: string }
  | {
      readonly op: 'reportIntermediate';
      readonly study: string;
      readonly number: number;
      readonly step: number;
      readonly value: number;
      readonly metrics?: Metrics;
    }
  | {
      readonly op: 'setTrialUserAttr';
      readonly study: string;
      readonly number: number;
      readonly key: string;
      readonly value: JsonValue;
    }
  | { readonly op: 'finishTrial'; readonly study: string; readonly number: number; readonly result: TrialResult; readonly at: string };

/**
 * What a refused `markStarted` says it wanted, the same on every backend. A trial is re-stamped only before its first report:
 * once it reported, its start is known to be in the past and moving it would cut a running time short.
 */
export const MARK_STARTED = 'be marked as started (only a running trial that has reported nothing yet can be)';

/** Every trial state, for shape checks of stored records. */
export const TRIAL_STATES: readonly TrialState[] = ['waiting', 'running', 'complete', 'pruned', 'failed'];
const FINISHED_STATES: readonly FinishedState[] = ['complete', 'pruned', 'failed'];
const DIRECTIONS: readonly Direction[] = ['minimize', 'maximize'];

function oneOf<T extends string>(x: unknown, allowed: readonly T[], path: string): T {
  if (typeof x !== 'string' || !(allowed as readonly string[]).includes(x)) {
    throw new ShapeError(path, `expected one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${describe(x)}`);
  }
  return x as T;
}

/** Reads a study record (stored or given to createStudy) into a deep-frozen copy. */
/** A list of numbers (NaN/Infinity as their string forms), frozen. */
function decodeNumbers(x: unknown, path: string): readonly number[] {
  return Object.freeze(checkArray(x, path).map((v, i) => decodeNumber(v, `${path}[${i}]`)));
}

export function decodeStudy(x: unknown, path: string): StudyRecord {
  const o = checkObject(x, path);
  const name = checkString(o.name, `${path}.name`);
  if (name.length === 0) throw new ShapeError(`${path}.name`, 'a study name must not be empty');
  if (typeof o.seed !== 'number' || !Number.isFinite(o.seed)) {
    throw new ShapeError(`${path}.seed`, `expected a finite number, got ${describe(o.seed)}`);
  }
  if (o.searcher === undefined) throw new ShapeError(`${path}.searcher`, 'expected a JSON value, got undefined');
  let budget: StudyRecord['budget'];
  if (o.budget !== undefined) {
    const b = checkObject(o.budget, `${path}.budget`);
    budget = Object.freeze({ min: decodeNumber(b.min, `${path}.budget.min`), max: decodeNumber(b.max, `${path}.budget.max`) });
  }
  return Object.freeze({
    name,
    direction: oneOf(o.direction, DIRECTIONS, `${path}.direction`),
    searcher: freezeJson(o.searcher, `${path}.searcher`),
    seed: o.seed,
    space: checkJsonObject(o.space, `${path}.space`),
    ...(budget ? { budget } : {}),
    ...(o.pruner !== undefined ? { pruner: freezeJson(o.pruner, `${path}.pruner`) } : {}),
    ...(o.directions !== undefined
      ? {
          directions: Object.freeze(
            checkArray(o.directions, `${path}.directions`).map((d, i) => oneOf(d, DIRECTIONS, `${path}.directions[${i}]`)),
          ),
        }
      : {}),
    ...(o.metrics !== undefined
      ? { metrics: Object.freeze(checkArray(o.metrics, `${path}.metrics`).map((m, i) => checkString(m, `${path}.metrics[${i}]`))) }
      : {}),
    ...(o.scheduler !== undefined ? { scheduler: freezeJson(o.scheduler, `${path}.scheduler`) } : {}),
    ...(o.deterministic === true ? { deterministic: true } : {}),
    ...(o.constraints === true ? { constraints: true } : {}),
    created: checkString(o.created, `${path}.created`),
    userAttrs: checkJsonObject(o.userAttrs ?? {}, `${path}.userAttrs`),
  });
}

function decodeError(x: unknown, path: string): { readonly message: string; readonly stack?: string } | undefined {
  if (x === undefined) return undefined;
  const o = checkObject(x, path);
  const stack = optString(o.stack, `${path}.stack`);
  const message = checkString(o.message, `${path}.message`);
  return Object.freeze(stack === undefined ? { message } : { message, stack });
}

/**
 * Reads a finish result. `complete` needs a finite value: the searchers rank completed trials by it, and a NaN "best" trial
 * would poison every comparison. Used for live `finishTrial` arguments (errors become TypeErrors) and for journal lines.
 */
export function decodeResult(x: unknown, path: string): TrialResult {
  const o = checkObject(x, path);
  const state = oneOf(o.state, FINISHED_STATES, `${path}.state`);
  const value = o.value === undefined ? undefined : decodeNumber(o.value, `${path}.value`);
  if (state === 'complete' && (value === undefined || !Number.isFinite(value))) {
    throw new ShapeError(
      `${path}.value`,
      `a complete trial needs a finite value, got ${value === undefined ? 'none' : String(value)}; finish it as "failed" instead`,
    );
  }
  const out: { -readonly [K in keyof TrialResult]: TrialResult[K] } = { state };
  if (value !== undefined) out.value = value;
  if (o.values !== undefined) out.values = decodeNumbers(o.values, `${path}.values`);
  if (o.constraints !== undefined) out.constraints = decodeNumbers(o.constraints, `${path}.constraints`);
  if (o.metrics !== undefined) out.metrics = decodeMetrics(o.metrics, `${path}.metrics`);
  const reason = optString(o.reason, `${path}.reason`);
  if (reason !== undefined) out.reason = reason;
  const error = decodeError(o.error, `${path}.error`);
  if (error !== undefined) out.error = error;
  return Object.freeze(out);
}

function encodeResultFields(r: TrialResult | TrialRecord): { [key: string]: unknown } {
  const out: { [key: string]: unknown } = {};
  if (r.value !== undefined) out.value = encodeNumber(r.value);
  if (r.values !== undefined) out.values = r.values.map(encodeNumber);
  if (r.constraints !== undefined) out.constraints = r.constraints.map(encodeNumber);
  if (r.metrics !== undefined) out.metrics = encodeMetrics(r.metrics);
  if (r.reason !== undefined) out.reason = r.reason;
  if (r.error !== undefined) out.error = r.error;
  return out;
}

/** JSON-safe form of a trial record (non-finite numbers as strings). */
export function encodeTrial(t: TrialRecord): { [key: string]: unknown } {
  const out: { [key: string]: unknown } = { number: t.number, state: t.state, params: t.params };
  if (t.budget !== undefined) out.budget = encodeNumber(t.budget);
  Object.assign(out, encodeResultFields(t));
  out.intermediate = t.intermediate.map((iv) => ({
    step: iv.step,
    value: encodeNumber(iv.value),
    ...(iv.metrics ? { metrics: encodeMetrics(iv.metrics) } : {}),
  }));
  out.userAttrs = t.userAttrs;
  out.system = t.system;
  out.created = t.created;
  if (t.started !== undefined) out.started = t.started;
  if (t.finished !== undefined) out.finished = t.finished;
  return out;
}

/**
 * A trial's intermediate values, columnar: two arrays of plain numbers (V8 stores them unboxed, 8 bytes each) instead of one
 * object per report, which dominated the heap (and GC time) of long studies. `metrics[i]` belongs to step `steps[i]`;
 * `metrics` is undefined while no report carried metrics.
 */
export interface Curve {
  readonly steps: number[];
  readonly values: number[];
  metrics: (Metrics | undefined)[] | undefined;
}

/** Every field of a trial but its intermediate values. */
export type TrialFields = Omit<TrialRecord, 'intermediate'>;

/**
 * Applies a finish to a running trial's fields (the one place that says which result fields a finished trial keeps): used by
 * the live state machine (state.ts) and by `repair` replaying a journal.
 */
export function applyFinish(f: { -readonly [K in keyof TrialFields]: TrialFields[K] }, r: TrialResult, at: string): void {
  f.state = r.state;
  if (r.value !== undefined) f.value = r.value;
  if (r.values !== undefined) f.values = r.values;
  if (r.constraints !== undefined) f.constraints = r.constraints;
  if (r.metrics !== undefined) f.metrics = r.metrics;
  if (r.reason !== undefined) f.reason = r.reason;
  if (r.error !== undefined) f.error = r.error;
  f.finished = at;
}

/** A trial as the snapshot stores it: its fields and its curve. */
export interface StoredTrial {
  readonly fields: TrialFields;
  readonly curve: Curve;
}

/** The curve of a list of intermediate values. */
export function curveOf(inter: readonly { readonly step: number; readonly value: number; readonly metrics?: Metrics }[]): Curve {
  const curve: Curve = { steps: [], values: [], metrics: undefined };
  for (const iv of inter) pushPoint(curve, iv.step, iv.value, iv.metrics);
  return curve;
}

/** Appends one report to a curve. */
export function pushPoint(curve: Curve, step: number, value: number, metrics: Metrics | undefined): void {
  if (metrics !== undefined && curve.metrics === undefined) curve.metrics = new Array<Metrics | undefined>(curve.steps.length);
  curve.steps.push(step);
  curve.values.push(value);
  curve.metrics?.push(metrics);
}

/** Snapshot (version 2) form of a trial: the journal form, with the curve as `"iv": [steps, values(, metrics)]`. */
export function encodeStoredTrial(fields: TrialFields, curve: Curve): { [key: string]: unknown } {
  const out = encodeTrial({ ...fields, intermediate: [] });
  delete out.intermediate;
  if (curve.steps.length > 0) {
    const iv: unknown[] = [curve.steps, curve.values.map(encodeNumber)];
    if (curve.metrics !== undefined) iv.push(curve.metrics.map((m) => (m === undefined ? null : encodeMetrics(m))));
    out.iv = iv;
  }
  return out;
}

function decodeCurve(o: { readonly [key: string]: unknown }, path: string): Curve {
  if (o.iv === undefined) {
    return curveOf(
      checkArray(o.intermediate ?? [], `${path}.intermediate`).map((iv, i) => {
        const p = `${path}.intermediate[${i}]`;
        const io = checkObject(iv, p);
        const metrics = io.metrics === undefined ? undefined : decodeMetrics(io.metrics, `${p}.metrics`);
        return { step: decodeNumber(io.step, `${p}.step`), value: decodeNumber(io.value, `${p}.value`), ...(metrics ? { metrics } : {}) };
      }),
    );
  }
  const iv = checkArray(o.iv, `${path}.iv`);
  const steps = checkArray(iv[0], `${path}.iv[0]`).map((s, i) => decodeNumber(s, `${path}.iv[0][${i}]`));
  const values = checkArray(iv[1], `${path}.iv[1]`).map((v, i) => decodeNumber(v, `${path}.iv[1][${i}]`));
  if (values.length !== steps.length) throw new ShapeError(`${path}.iv`, `has ${steps.length} steps but ${values.length} values`);
  let metrics: (Metrics | undefined)[] | undefined;
  if (iv[2] !== undefined) {
    metrics = checkArray(iv[2], `${path}.iv[2]`).map((m, i) => (m === null ? undefined : decodeMetrics(m, `${path}.iv[2][${i}]`)));
    if (metrics.length !== steps.length) throw new ShapeError(`${path}.iv`, `has ${steps.length} steps but ${metrics.length} metrics`);
  }
  return { steps, values, metrics };
}

/** Reads a stored trial of either snapshot version; consistency with its state is checked by `state.ts`. */
export function decodeStoredTrial(x: unknown, path: string): StoredTrial {
  const o = checkObject(x, path);
  return { fields: decodeFields(o, path), curve: decodeCurve(o, path) };
}

/** Reads a stored trial record into a deep-frozen TrialRecord; field consistency with `state` is checked by `state.ts`. */
export function decodeTrial(x: unknown, path: string): TrialRecord {
  const { fields, curve } = decodeStoredTrial(x, path);
  const inter = curve.steps.map((step, i) => {
    const metrics = curve.metrics?.[i];
    return Object.freeze(metrics === undefined ? { step, value: curve.values[i]! } : { step, value: curve.values[i]!, metrics });
  });
  return { ...fields, intermediate: Object.freeze(inter) };
}

function decodeFields(o: { readonly [key: string]: unknown }, path: string): TrialFields {
  const out: { -readonly [K in keyof TrialFields]: TrialFields[K] } = {
    number: checkIndex(o.number, `${path}.number`),
    state: oneOf(o.state, TRIAL_STATES, `${path}.state`),
    params: checkJsonObject(o.params, `${path}.params`),
    userAttrs: checkJsonObject(o.userAttrs ?? {}, `${path}.userAttrs`),
    system: checkJsonObject(o.system ?? {}, `${path}.system`),
    created: checkString(o.created, `${path}.created`),
  };
  if (o.budget !== undefined) out.budget = decodeNumber(o.budget, `${path}.budget`);
  if (o.value !== undefined) out.value = decodeNumber(o.value, `${path}.value`);
  if (o.values !== undefined) out.values = decodeNumbers(o.values, `${path}.values`);
  if (o.constraints !== undefined) out.constraints = decodeNumbers(o.constraints, `${path}.constraints`);
  if (o.metrics !== undefined) out.metrics = decodeMetrics(o.metrics, `${path}.metrics`);
  const reason = optString(o.reason, `${path}.reason`);
  if (reason !== undefined) out.reason = reason;
  const error = decodeError(o.error, `${path}.error`);
  if (error !== undefined) out.error = error;
  const started = optString(o.started, `${path}.started`);
  if (started !== undefined) out.started = started;
  const finished = optString(o.finished, `${path}.finished`);
  if (finished !== undefined) out.finished = finished;
  return out;
}

/** One journal line (without the newline): the op's fields plus `seq`, numbers JSON-safe. */
export function encodeOp(op: Op, seq: number): string {
  switch (op.op) {
    case 'createStudy':
      return JSON.stringify({ seq, op: op.op, study: op.study });
    case 'createTrial':
      return JSON.stringify({ seq, op: op.op, study: op.study, trial: encodeTrial(op.trial) });
    case 'reportIntermediate':
      return JSON.stringify({ seq, ...op, value: encodeNumber(op.value), ...(op.metrics ? { metrics: encodeMetrics(op.metrics) } : {}) });
    case 'finishTrial':
      return JSON.stringify({
        seq,
        op: op.op,
        study: op.study,
        number: op.number,
        at: op.at,
        result: { state: op.result.state, ...encodeResultFields(op.result) },
      });
    default:
      return JSON.stringify({ seq, ...op });
  }
}

/** Reads one parsed journal line; throws ShapeError on a wrong shape. */
export function decodeOp(x: unknown, path: string): { seq: number; op: Op } {
  const o = checkObject(x, path);
  const seq = checkIndex(o.seq, `${path}.seq`);
  const kind = oneOf(
    o.op,
    ['createStudy', 'createTrial', 'startWaiting', 'markStarted', 'reportIntermediate', 'setTrialUserAttr', 'finishTrial'] as const,
    `${path}.op`,
  );
  if (kind === 'createStudy') return { seq, op: { op: kind, study: decodeStudy(o.study, `${path}.study`) } };
  const study = checkString(o.study, `${path}.study`);
  if (kind === 'createTrial') return { seq, op: { op: kind, study, trial: decodeTrial(o.trial, `${path}.trial`) } };
  const number = checkIndex(o.number, `${path}.number`);
  switch (kind) {
    case 'startWaiting':
    case 'markStarted':
      return { seq, op: { op: kind, study, number, at: checkString(o.at, `${path}.at`) } };
    case 'reportIntermediate':
      return {
        seq,
        op: {
          op: kind,
          study,
          number,
          step: decodeNumber(o.step, `${path}.step`),
          value: decodeNumber(o.value, `${path}.value`),
          ...(o.metrics !== undefined ? { metrics: decodeMetrics(o.metrics, `${path}.metrics`) } : {}),
        },
      };
    case 'setTrialUserAttr':
      if (o.value === undefined) throw new ShapeError(`${path}.value`, 'expected a JSON value, got undefined');
      return { seq, op: { op: kind, study, number, key: checkString(o.key, `${path}.key`), value: freezeJson(o.value, `${path}.value`) } };
    case 'finishTrial':
      return {
        seq,
        op: { op: kind, study, number, at: checkString(o.at, `${path}.at`), result: decodeResult(o.result, `${path}.result`) },
      };
  }
}
