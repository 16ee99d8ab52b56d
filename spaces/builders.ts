/**
 * Parameter builders (`space.float/int/choice/bool`) and the checks they share with `compileSpace` and `space.fromJSON`.
 * Every `make*` function validates raw (possibly untyped, from plain JS or JSON) fields and returns a frozen node, so one set of
 * invariants and messages serves all three entry points; only the `Where` (path + label in the message) differs.
 */
import { SpaceError, show } from './errors.js';
import type { BoolParam, BranchParam, ChoiceParam, FloatParam, IntParam, JsonValue, ParamNode, SpaceTree } from './types.js';

/** Where a node is checked: `path` goes to `SpaceError.path`, `label` into the message (`"optimizer.lr"` or `space.float`). */
export interface Where {
  readonly path: string;
  readonly label: string;
}

/** Used by builders, which cannot know the path their node will get. */
const builderAt = (fn: string): Where => ({ path: '', label: fn });

/** Used by `compileSpace` and `space.fromJSON`: names the node by its dotted path. */
export const pathAt = (path: string): Where => ({ path, label: `"${path}"` });

/** Joins path segments; the root group has the empty path. */
export const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

/**
 * How deep groups and branch bodies may nest (the root group is level 1). Real spaces use a handful of levels; the bound turns
 * a generated or malicious space (thousands of levels) into a SpaceError instead of a stack overflow in the recursive checks.
 */
export const MAX_SPACE_DEPTH = 64;

/** Throws a SpaceError once a group at `path` would be level `depth` > MAX_SPACE_DEPTH. The path is shortened for the message. */
export function checkDepth(depth: number, path: string): void {
  if (depth <= MAX_SPACE_DEPTH) return;
  const shown = path.length > 160 ? `${path.slice(0, 157)}...` : path;
  throw new SpaceError(
    `space nesting deeper than ${MAX_SPACE_DEPTH} levels at "${shown}"; \`depth <= ${MAX_SPACE_DEPTH}\` must hold ` +
      `(groups and branch bodies count, the root is level 1): flatten the space`,
    path,
  );
}

/**
 * Keys that would reach Object.prototype machinery: `out[key] = v` with `__proto__` replaces an object's prototype (and
 * JSON.parse does create an own `__proto__` key), and `constructor`/`prototype` in decoded params mislead every consumer.
 */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Throws a SpaceError naming `key` when it is `__proto__`, `constructor` or `prototype` (parameter, group or branch name). */
export function checkReservedKey(key: string, path: string): void {
  if (!RESERVED_KEYS.has(key)) return;
  throw new SpaceError(
    `the key "${key}" is not allowed ${path ? `in "${path}"` : 'at the root'} (\`__proto__\`, \`constructor\` and ` +
      `\`prototype\` would reach the object prototype); rename it`,
    path,
  );
}

/** True for `{}`-style objects (not arrays, class instances, null): the only objects that may be groups or JSON objects. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** True for parameter nodes (branded objects); every other plain object in a tree is a group. */
export function isParamNode(v: unknown): v is ParamNode {
  return isPlainObject(v) && v.__tunekit === 'param';
}

/**
 * Canonical JSON (sorted keys) of a JSON value, or undefined if `v` is not JSON (NaN, undefined, functions, class instances,
 * sparse arrays, cycles). Choice values are compared by it, so `{a:1,b:2}` and `{b:2,a:1}` are the same value.
 */
export function canonical(v: unknown, depth = 0): string | undefined {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : undefined;
  if (typeof v !== 'object' || depth > 64) return undefined; // depth bound: a cycle is not JSON
  const parts: string[] = [];
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const c = i in v ? canonical(v[i], depth + 1) : undefined;
      if (c === undefined) return undefined;
      parts.push(c);
    }
    return `[${parts.join(',')}]`;
  }
  if (!isPlainObject(v)) return undefined;
  for (const k of Object.keys(v).sort()) {
    const c = canonical(v[k], depth + 1);
    if (c === undefined) return undefined;
    parts.push(`${JSON.stringify(k)}:${c}`);
  }
  return `{${parts.join(',')}}`;
}

/** Deep copy of a JSON value (key order kept), so values handed out by decode/toJSON never alias the space's own. */
export function cloneJson(v: JsonValue): JsonValue {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(cloneJson);
  const o: { [key: string]: JsonValue } = {};
  for (const k of Object.keys(v)) o[k] = cloneJson(v[k]);
  return o;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  return Object.freeze(v);
}

function num(v: unknown, name: string, at: Where): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  const why = v === undefined ? 'it is missing' : `got ${show(v)}`;
  throw new SpaceError(`\`${name}\` must be a finite number for ${at.label}, ${why}`, at.path);
}

function flag(v: unknown, name: string, at: Where): boolean {
  if (v === undefined || typeof v === 'boolean') return v === true;
  throw new SpaceError(`\`${name}\` must be true or false for ${at.label}, got ${show(v)}`, at.path);
}

function ordered(low: number, high: number, at: Where): void {
  if (low > high) throw new SpaceError(`\`low <= high\` must hold for ${at.label}, got low=${low}, high=${high}; swap them`, at.path);
  if (!Number.isFinite(high - low)) {
    throw new SpaceError(`\`high - low\` must be finite for ${at.label}, got low=${low}, high=${high}; narrow the range`, at.path);
  }
}

/** Decimal places of a finite number as written by JS (`1e-7` has 7, `0.25` has 2). */
function decimals(x: number): number {
  const s = String(Math.abs(x));
  const e = s.indexOf('e');
  const mant = e < 0 ? s : s.slice(0, e);
  const dot = mant.indexOf('.');
  return Math.max(0, (dot < 0 ? 0 : mant.length - dot - 1) - (e < 0 ? 0 : Number(s.slice(e + 1))));
}

/**
 * Returns a rounder for the levels `low + k*step` of a stepped float: rounds to the decimals of low and step, so level 3 of
 * step 0.1 is 0.3, not 0.30000000000000004. With more than 15 decimals (e.g. step 1/3) rounding would lose digits: identity.
 */
export function stepRounder(low: number, step: number): (x: number) => number {
  const d = Math.max(decimals(low), decimals(step));
  if (d > 15) return (x) => x;
  const p = 10 ** d;
  // m / p with exact integer m and exact power p is correctly rounded, i.e. the double nearest the decimal.
  return (x) => (Math.abs(x * p) < 2 ** 53 ? Math.round(x * p) / p : x);
}

function divides(low: number, high: number, step: number, at: Where, round: (x: number) => number): void {
  const n = (high - low) / step;
  if (Math.abs(n - Math.round(n)) <= 1e-9 * Math.max(1, Math.round(n))) return;
  const below = round(low + Math.floor(n) * step);
  const above = round(low + Math.ceil(n) * step);
  throw new SpaceError(
    `\`step\` must divide \`high - low\` for ${at.label}, got low=${low}, high=${high}, step=${step}; ` +
      `use high=${below} or high=${above}`,
    at.path,
  );
}

/** Validates and builds a float node (shared by `space.float`, compile and fromJSON). */
export function makeFloat(low: unknown, high: unknown, log: unknown, step: unknown, at: Where): FloatParam {
  const lo = num(low, 'low', at);
  const hi = num(high, 'high', at);
  const lg = flag(log, 'log', at);
  ordered(lo, hi, at);
  if (lg && lo <= 0) {
    throw new SpaceError(
      `\`low > 0\` must hold for a log parameter (${at.label}), got low=${lo}; use a positive low such as 1e-6, or drop log`,
      at.path,
    );
  }
  if (step === undefined) return Object.freeze({ __tunekit: 'param', kind: 'float', low: lo, high: hi, log: lg });
  if (lg) throw new SpaceError(`\`step\` cannot be combined with \`log\` for ${at.label}; drop one of them`, at.path);
  const st = num(step, 'step', at);
  if (st <= 0) throw new SpaceError(`\`step > 0\` must hold for ${at.label}, got step=${st}`, at.path);
  divides(lo, hi, st, at, stepRounder(lo, st));
  return Object.freeze({ __tunekit: 'param', kind: 'float', low: lo, high: hi, log: false, step: st });
}

/** Validates and builds an int node; `step` defaults to 1, and log allows only step 1. */
export function makeInt(low: unknown, high: unknown, log: unknown, step: unknown, at: Where): IntParam {
  const lo = num(low, 'low', at);
  const hi = num(high, 'high', at);
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) {
    throw new SpaceError(
      `\`low\` and \`high\` must be integers for an int parameter (${at.label}), got low=${lo}, high=${hi}; ` +
        `use space.float for a fractional range`,
      at.path,
    );
  }
  ordered(lo, hi, at);
  const lg = flag(log, 'log', at);
  const st = step === undefined ? 1 : num(step, 'step', at);
  if (!Number.isSafeInteger(st) || st <= 0) {
    throw new SpaceError(`\`step > 0\` must hold and step must be an integer for ${at.label}, got step=${st}`, at.path);
  }
  if (lg && st !== 1) {
    throw new SpaceError(`\`step\` cannot be combined with \`log\` for ${at.label} (only step=1); drop one of them`, at.path);
  }
  if (lg && lo < 1) {
    throw new SpaceError(`\`low >= 1\` must hold for a log int parameter (${at.label}), got low=${lo}; use low=1 or drop log`, at.path);
  }
  divides(lo, hi, st, at, (x) => x);
  return Object.freeze({ __tunekit: 'param', kind: 'int', low: lo, high: hi, log: lg, step: st });
}

/** True when a JSON value holds an own `__proto__` key (JSON.parse makes one) at any depth up to canonical()'s bound. */
function hasProtoKey(v: unknown, depth: number): boolean {
  if (typeof v !== 'object' || v === null || depth > 64) return false;
  if (!Array.isArray(v) && Object.hasOwn(v, '__proto__')) return true;
  return Object.values(v).some((x) => hasProtoKey(x, depth + 1));
}

/** Validates and builds a choice node: a non-empty list of distinct JSON values (copied and frozen). */
export function makeChoice(values: unknown, at: Where): ChoiceParam {
  if (!Array.isArray(values)) {
    throw new SpaceError(`\`values\` must be an array of JSON values for ${at.label}, got ${show(values)}`, at.path);
  }
  if (values.length === 0) {
    throw new SpaceError(`a choice needs at least one value for ${at.label}, got []; add values or remove the parameter`, at.path);
  }
  const seen = new Map<string, number>();
  for (let i = 0; i < values.length; i++) {
    if (i in values && hasProtoKey(values[i], 0)) {
      throw new SpaceError(
        `choice value ${i} of ${at.label} holds a key "__proto__" (copying it would replace an object's prototype, so the ` +
          `value would silently lose it); rename the key`,
        at.path,
      );
    }
    const c = i in values ? canonical(values[i]) : undefined;
    if (c === undefined) {
      throw new SpaceError(
        `choice values must be JSON for ${at.label}, got ${show(values[i])} at index ${i}; ` +
          `use strings, finite numbers, booleans, null, arrays or plain objects`,
        at.path,
      );
    }
    const j = seen.get(c);
    if (j !== undefined) {
      throw new SpaceError(
        `choice values must be distinct for ${at.label}, got ${c} twice (indexes ${j} and ${i}); remove the duplicate`,
        at.path,
      );
    }
    seen.set(c, i);
  }
  return Object.freeze({ __tunekit: 'param', kind: 'choice', values: deepFreeze((values as JsonValue[]).map(cloneJson)) });
}

/** Validates and builds a branch node. Bodies are checked for shape here; their contents are checked by compileSpace. */
export function makeBranch(branches: unknown, at: Where): BranchParam {
  if (!isPlainObject(branches)) {
    throw new SpaceError(`\`branches\` must be an object of named sub-spaces for ${at.label}, got ${show(branches)}`, at.path);
  }
  const names = Object.keys(branches);
  if (names.length === 0) {
    throw new SpaceError(`a branch parameter needs at least one branch for ${at.label}, got {}; add e.g. { mlp: {...} }`, at.path);
  }
  for (const name of names) {
    const body = branches[name];
    if (name === '') throw new SpaceError(`branch names must be non-empty for ${at.label}; name the branch`, at.path);
    if (!isPlainObject(body) || isParamNode(body)) {
      throw new SpaceError(
        `branch "${name}" of ${at.label} must be a group (an object of parameters, possibly {}), got ${show(body)}`,
        at.path,
      );
    }
    if (Object.hasOwn(body, 'type')) {
      throw new SpaceError(
        `branch "${name}" of ${at.label} may not have a parameter named \`type\`: the decoded value's \`type\` holds the ` +
          `branch name; rename it`,
        at.path,
      );
    }
  }
  return Object.freeze({ __tunekit: 'param', kind: 'branch', branches: Object.freeze({ ...branches }) as Record<string, SpaceTree> });
}

const BOOL: BoolParam = Object.freeze({ __tunekit: 'param', kind: 'bool' });

/** The (single, frozen) bool node. */
export const makeBool = (): BoolParam => BOOL;

/** Options of `space.float` / `space.int`. */
export interface NumOptions {
  /** Sample uniformly in log space (needs low > 0, or low >= 1 for ints). */
  readonly log?: boolean;
  /** Quantise to low + k*step; must divide high - low. Cannot be combined with log (except step 1 for ints). */
  readonly step?: number;
}

function options(o: unknown, fn: string): { log?: unknown; step?: unknown } {
  if (o === undefined) return {};
  if (!isPlainObject(o)) throw new SpaceError(`options of ${fn} must be an object like { log: true }, got ${show(o)}`, '');
  for (const k of Object.keys(o)) {
    if (k !== 'log' && k !== 'step') throw new SpaceError(`unknown option "${k}" for ${fn}; known options: log, step`, '');
  }
  return o;
}

/** `space.float(low, high, { log?, step? })`: a float in [low, high]. Throws SpaceError on bad arguments. */
export function float(low: number, high: number, opts?: NumOptions): FloatParam {
  const o = options(opts, 'space.float');
  return makeFloat(low, high, o.log, o.step, builderAt('space.float'));
}

/** `space.int(low, high, { log?, step? })`: an integer in [low, high], both inclusive. Throws SpaceError on bad arguments. */
export function int(low: number, high: number, opts?: NumOptions): IntParam {
  const o = options(opts, 'space.int');
  return makeInt(low, high, o.log, o.step, builderAt('space.int'));
}

/**
 * `space.choice([...values])`: one of distinct JSON values. `space.choice({ name: {...group}, ... })`: conditional branches;
 * the decoded value is `{ type: name, ...that branch's params }`.
 */
export function choice<V extends JsonValue>(values: readonly V[]): ChoiceParam<V>;
export function choice<B extends Record<string, SpaceTree>>(branches: B): BranchParam<B>;
export function choice(arg: unknown): ChoiceParam | BranchParam {
  if (Array.isArray(arg)) return makeChoice(arg, builderAt('space.choice'));
  if (isPlainObject(arg) && !isParamNode(arg)) return makeBranch(arg, builderAt('space.choice'));
  throw new SpaceError(
    `space.choice takes an array of values or an object of named branches, got ${show(arg)}; e.g. space.choice(['adam', 'sgd'])`,
    '',
  );
}

/** `space.bool()`: true or false. */
export function bool(): BoolParam {
  return makeBool();
}
