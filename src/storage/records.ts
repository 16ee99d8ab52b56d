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
  out.intermediate = t.intermediate.map((iv) => ({ step: iv.step, value: encodeNumber(iv.value), ...(iv.metrics ? { metrics: encodeMetrics(iv.metrics) } : {}) }));
  out.userAttrs = t.userAttrs;
  out.system = t.system;
  out.created = t.created;
  if (t.started !== undefined) out.started = t.started;
  if (t.finished !== undefined) out.finished = t.finished;
  return out;
}

/** Reads a stored trial record into a deep-frozen TrialRecord; field consistency with `state` is checked by `state.ts`. */
export function decodeTrial(x: unknown, path: string): TrialRecord {
  const o = checkObject(x, path);
  const inter = checkArray(o.intermediate ?? [], `${path}.intermediate`).map((iv, i) => {
    const p = `${path}.intermediate[${i}]`;
    const io = checkObject(iv, p);
    const step = decodeNumber(io.step, `${p}.step`);
    const value = decodeNumber(io.value, `${p}.value`);
    return Object.freeze(io.metrics === undefined ? { step, value } : { step, value, metrics: decodeMetrics(io.metrics, `${p}.metrics`) });
  });
  const out: { -readonly [K in keyof TrialRecord]: TrialRecord[K] } = {
    number: checkIndex(o.number, `${path}.number`),
    state: oneOf(o.state, TRIAL_STATES, `${path}.state`),
    params: checkJsonObject(o.params, `${path}.params`),
    intermediate: Object.freeze(inter),
    userAttrs: checkJsonObject(o.userAttrs ?? {}, `${path}.userAttrs`),
    system: checkJsonObject(o.system ?? {}, `${path}.system`),
    created: checkString(o.created, `${path}.created`),
  };
  if (o.budget !== undefined) out.budget = decodeNumber(o.budget, `${path}.budget`);
  if (o.value !== undefined) out.value = decodeNumber(o.value, `${path}.value`);
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
    ['createStudy', 'createTrial', 'startWaiting', 'reportIntermediate', 'setTrialUserAttr', 'finishTrial'] as const,
    `${path}.op`,
  );
  if (kind === 'createStudy') return { seq, op: { op: kind, study: decodeStudy(o.study, `${path}.study`) } };
  const study = checkString(o.study, `${path}.study`);
  if (kind === 'createTrial') return { seq, op: { op: kind, study, trial: decodeTrial(o.trial, `${path}.trial`) } };
  const number = checkIndex(o.number, `${path}.number`);
  switch (kind) {
    case 'startWaiting':
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
