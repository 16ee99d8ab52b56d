/**
 * Compiled nodes of a search space: small closures over constants precomputed once by `compileSpace`, so `decode` (called for
 * every trial of large sweeps) only reads coordinates and allocates the output. Each node owns a fixed slice of the unit cube
 * and pushes its `CubeDim`s when built; `check` validates a value (naming the node's path), `encode` writes its coordinates.
 */
import { SpaceError, show } from './errors.js';
import { canonical, cloneJson, isPlainObject, join, stepRounder } from './builders.js';
import type { ChoiceParam, CubeDim, FloatParam, IntParam, JsonValue, Params } from './types.js';

type X = ArrayLike<number>;

/** One compiled parameter or group. `check` runs before `encode`, so `encode` may trust its value. */
export interface Node {
  decode(x: X): JsonValue;
  encode(v: JsonValue, out: number[]): void;
  check(v: unknown): void;
}

/** NaN and values below 0 become 0, values above 1 become 1 (decode accepts any point). */
const clamp01 = (u: number): number => (u > 0 ? (u < 1 ? u : 1) : 0);
const subject = (path: string): string => (path ? `"${path}"` : 'params');

function rangeError(path: string, what: string, v: unknown): never {
  throw new SpaceError(`${subject(path)} must be ${what}, got ${show(v)}`, path);
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const bitsOf = (u: number): bigint => ((f64[0] = u), u64[0]);
const fromBits = (b: bigint): number => ((u64[0] = b), f64[0]);

/**
 * Finds u in [0,1] with f(u) === v for a non-decreasing f, starting from the analytic inverse u0. Round-off can make f(u0)
 * miss v by an ulp; then bisect on the bit patterns of [0,1] (monotone in u), 62 steps at most, and take the closest.
 */
function invert(f: (u: number) => number, v: number, u0: number): number {
  const u = clamp01(u0);
  if (f(u) === v) return u;
  if (f(0) >= v) return 0;
  let lo = 0n;
  let hi = bitsOf(1);
  while (hi - lo > 1n) {
    const mid = (lo + hi) >> 1n;
    if (f(fromBits(mid)) < v) lo = mid;
    else hi = mid;
  }
  const a = fromBits(lo);
  const b = fromBits(hi);
  return f(b) - v <= v - f(a) ? b : a;
}

/**
 * Rounds to 12 significant digits. Continuous floats are decoded through it so that every value a user would type (<= 12
 * digits) is exactly reachable by decode, which makes decode(encode(p)) === p hold for them, not just for decode's own output;
 * without it, e.g. lr=0.001 in a log range is missed by an ulp most of the time. 1e-12 relative is far below any tuning need.
 */
function sig12(v: number): number {
  if (v === 0) return 0;
  const d = 11 - Math.floor(Math.log10(Math.abs(v)));
  if (d > 22 || d < -22) return Number(v.toPrecision(12)); // 10**d inexact: take the slow, always-correct path
  // Integer m over an exact power of ten is correctly rounded: the double nearest the 12-digit decimal, as the parser gives.
  return d >= 0 ? Math.round(v * 10 ** d) / 10 ** d : Math.round(v / 10 ** -d) * 10 ** -d;
}

/** A float: one `continuous` coordinate (log-scaled if `log`), or one `ordinal` one with n levels if stepped. */
export function floatNode(p: FloatParam, path: string, o: number, dims: CubeDim[]): Node {
  const { low, high, step } = p;
  const inRange = (v: unknown): v is number => typeof v === 'number' && v >= low && v <= high;
  if (step !== undefined) {
    const n = Math.round((high - low) / step) + 1;
    const round = stepRounder(low, step);
    const level = (k: number): number => {
      if (k >= n - 1) return high;
      const v = round(low + k * step);
      return v < low ? low : v > high ? high : v;
    };
    const index = (v: number): number => Math.min(n - 1, Math.max(0, Math.round((v - low) / step)));
    dims.push({ path, type: 'ordinal', levels: n });
    return {
      decode: (x) => level(Math.min(Math.floor(clamp01(x[o]) * n), n - 1)),
      encode: (v, out) => void (out[o] = (index(v as number) + 0.5) / n),
      check(v) {
        if (!inRange(v)) rangeError(path, `a number in [${low}, ${high}]`, v);
        // Same tolerance as the step/range check, so a computed low + k*step (0.30000000000000004) is accepted; encode snaps
        // it to its level, which decode returns in canonical form (0.3).
        const k = index(v);
        const off = Math.abs((v - low) / step - k);
        if (off > 1e-9 * Math.max(1, k)) rangeError(path, `on the grid ${low} + k*${step} (nearest: ${level(k)})`, v);
      },
    };
  }
  const a = p.log ? Math.log(low) : low;
  const w = (p.log ? Math.log(high) : high) - a;
  // The ends map to low/high exactly even when those have more than 12 digits (sig12 would never reach them).
  const f = (u: number): number =>
    u <= 0 ? low : u >= 1 ? high : Math.min(high, Math.max(low, sig12(p.log ? Math.exp(a + u * w) : a + u * w)));
  dims.push({ path, type: 'continuous', levels: Infinity });
  return {
    decode: (x) => f(clamp01(x[o])),
    encode(v, out) {
      const t = v as number;
      out[o] = w === 0 ? 0.5 : invert(f, t, ((p.log ? Math.log(t) : t) - a) / w);
    },
    check: (v) => void (inRange(v) || rangeError(path, `a number in [${low}, ${high}]`, v)),
  };
}

/** An int: one `ordinal` coordinate; level k of n covers [k/n, (k+1)/n), so uniform u gives uniform levels. */
export function intNode(p: IntParam, path: string, o: number, dims: CubeDim[]): Node {
  const { low, high, step } = p;
  const check = (v: unknown): void => {
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= low && v <= high)) {
      rangeError(path, `an integer in [${low}, ${high}]`, v);
    }
    if ((v - low) % step !== 0) rangeError(path, `on the grid ${low} + k*${step}`, v);
  };
  if (p.log) {
    // Optuna's scheme: log-uniform over [low-0.5, high+0.5], rounded, so every integer gets its share of the log range.
    const a = Math.log(low - 0.5);
    const w = Math.log(high + 0.5) - a;
    const f = (u: number): number => Math.min(high, Math.max(low, Math.round(Math.exp(a + u * w))));
    dims.push({ path, type: 'ordinal', levels: high - low + 1 });
    return {
      decode: (x) => f(clamp01(x[o])),
      encode(v, out) {
        const t = v as number;
        const lo = t === low ? 0 : (Math.log(t - 0.5) - a) / w;
        const hi = t === high ? 1 : (Math.log(t + 0.5) - a) / w;
        out[o] = (lo + hi) / 2; // centre of t's interval: well clear of the rounding boundaries
      },
      check,
    };
  }
  const n = (high - low) / step + 1;
  dims.push({ path, type: 'ordinal', levels: n });
  return {
    decode: (x) => low + Math.min(Math.floor(clamp01(x[o]) * n), n - 1) * step,
    encode: (v, out) => void (out[o] = (((v as number) - low) / step + 0.5) / n),
    check,
  };
}

/** Arg-max of the (clamped) block x[o .. o+k), ties to the first: k independent uniforms give a uniform index. */
function argmax(x: X, o: number, k: number): number {
  let best = 0;
  let bv = clamp01(x[o]);
  for (let i = 1; i < k; i++) {
    const c = clamp01(x[o + i]);
    if (c > bv) {
      bv = c;
      best = i;
    }
  }
  return best;
}

function oneHot(out: number[], o: number, k: number, j: number): void {
  for (let i = 0; i < k; i++) out[o + i] = i === j ? 1 : 0;
}

/** A choice: a `onehot` block of k coordinates; decode takes the arg-max, encode writes 1 on the value, 0 elsewhere. */
export function choiceNode(p: ChoiceParam, path: string, o: number, dims: CubeDim[]): Node {
  const values = p.values;
  const k = values.length;
  const index = new Map(values.map((v, i) => [canonical(v) ?? '', i]));
  for (let i = 0; i < k; i++) dims.push({ path, type: 'onehot', levels: k, group: o });
  const listed = values.slice(0, 10).map(show).join(', ') + (k > 10 ? ', ...' : '');
  return {
    decode(x) {
      const v = values[argmax(x, o, k)];
      return typeof v === 'object' && v !== null ? cloneJson(v) : v;
    },
    encode: (v, out) => oneHot(out, o, k, index.get(canonical(v) ?? '') ?? -1),
    check: (v) => void (index.has(canonical(v) ?? '\0') || rangeError(path, `one of ${listed}`, v)),
  };
}

/** A group of named children. As a branch body (`body`), its value also carries `type`, which it skips. */
export class Group implements Node {
  private readonly keySet: ReadonlySet<string>;
  constructor(
    private readonly path: string,
    private readonly keys: readonly string[],
    private readonly kids: readonly Node[],
    private readonly body: boolean,
  ) {
    this.keySet = new Set(keys);
  }
  decode(x: X): Params {
    const out: Params = {};
    this.fill(out, x);
    return out;
  }
  fill(out: Params, x: X): void {
    for (let i = 0; i < this.keys.length; i++) out[this.keys[i]] = this.kids[i].decode(x);
  }
  encode(v: JsonValue, out: number[]): void {
    const o = v as Params;
    for (let i = 0; i < this.keys.length; i++) this.kids[i].encode(o[this.keys[i]], out);
  }
  check(v: unknown): void {
    if (!isPlainObject(v)) rangeError(this.path, 'an object of parameters', v);
    for (const k of this.keys) {
      if (!Object.hasOwn(v, k)) {
        throw new SpaceError(`params must give every parameter, "${join(this.path, k)}" is missing`, join(this.path, k));
      }
    }
    for (const k of Object.keys(v)) {
      if (!this.keySet.has(k) && !(this.body && k === 'type')) {
        throw new SpaceError(
          `"${join(this.path, k)}" is not a parameter of this space; remove it (known keys at ${subject(this.path)}: ` +
            `${this.keys.join(', ') || 'none'})`,
          join(this.path, k),
        );
      }
    }
    for (let i = 0; i < this.keys.length; i++) this.kids[i].check(v[this.keys[i]]);
  }
}

/**
 * A branch: a `onehot` block over the names (at `o`), followed (elsewhere in the cube) by every body's coordinates. Only the
 * chosen body is decoded/encoded; the others' coordinates stay NaN in `encode`.
 */
export function branchNode(names: readonly string[], bodies: readonly Group[], path: string, o: number): Node {
  const k = names.length;
  const index = new Map(names.map((n, i) => [n, i]));
  const typePath = join(path, 'type');
  return {
    decode(x) {
      const j = argmax(x, o, k);
      const out: Params = { type: names[j] };
      bodies[j].fill(out, x);
      return out;
    },
    encode(v, out) {
      const j = index.get((v as Params).type as string) ?? -1;
      oneHot(out, o, k, j);
      bodies[j].encode(v, out);
    },
    check(v) {
      if (!isPlainObject(v)) rangeError(path, `an object { type: <branch name>, ...that branch's params }`, v);
      const j = typeof v.type === 'string' ? index.get(v.type) : undefined;
      if (j === undefined) rangeError(typePath, `one of ${names.map((n) => `"${n}"`).join(', ')} (a branch name)`, v.type);
      bodies[j].check(v);
    },
  };
}

/** A bool: one ordinal coordinate with 2 levels, u < 0.5 is false. */
export function boolNode(path: string, o: number, dims: CubeDim[]): Node {
  dims.push({ path, type: 'ordinal', levels: 2 });
  return {
    decode: (x) => clamp01(x[o]) >= 0.5,
    encode: (b, out) => void (out[o] = b ? 0.75 : 0.25),
    check: (b) => void (typeof b === 'boolean' || rangeError(path, 'true or false', b)),
  };
}
