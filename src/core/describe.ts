/**
 * Describing arbitrary values in messages: what an objective returned (a metric given as the string "0.9"), or what it threw
 * (`throw undefined`, a plain object, an Error whose `message` getter throws). The values come from user code, so nothing
 * here may trust them: no `toString`, `toJSON` or getter of the value is ever called, proxies may throw from any trap, objects
 * may be cyclic or hold BigInts. Every function here returns a string of bounded length and never throws.
 */

/** Longest description `describeValue` returns (characters). */
export const DESCRIBE_MAX = 200;

/** What is shown when even the defensive path fails (e.g. a proxy whose every trap throws). */
const OPAQUE = 'an object that cannot be inspected (its proxy or accessors threw)';

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}

/** Own property names, or undefined when listing them throws (a proxy's ownKeys trap). */
function keysOf(o: object): string[] | undefined {
  try {
    return Object.keys(o);
  } catch {
    return undefined;
  }
}

/**
 * A compact JSON-like rendering that reads data properties only (a getter shows as `[getter]`), never calls toJSON, marks
 * cycles, and stops once `budget` characters are written (the caller clips). Depth is bounded so deep nesting costs nothing.
 */
function render(v: unknown, budget: number, seen: Set<object>, depth: number): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v.length > budget ? v.slice(0, budget) : v);
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint':
      return `${v}n`;
    case 'boolean':
      return String(v);
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return String(v);
    case 'function':
      return '[function]';
    case 'object':
      break; // null, arrays and objects: below
  }
  if (v === null) return 'null';
  const o = v as object;
  if (seen.has(o)) return '[cycle]';
  if (depth > 8) return '[...]';
  seen.add(o);
  try {
    const cell = (d: PropertyDescriptor | undefined, left: number): string =>
      d === undefined ? '' : 'value' in d ? render(d.value, left, seen, depth + 1) : '[getter]';
    if (Array.isArray(o)) {
      // Index by index, stopping at the budget: Object.keys of a 10^7-element array alone takes seconds.
      const length = Reflect.get(o, 'length') as number;
      let out = '[';
      for (let i = 0; i < length; i++) {
        if (out.length > budget) return out;
        out += (i ? ',' : '') + cell(Object.getOwnPropertyDescriptor(o, i), budget - out.length);
      }
      return `${out}]`;
    }
    const keys = keysOf(o);
    if (keys === undefined) return '[?]';
    let out = '{';
    for (let i = 0; i < keys.length; i++) {
      if (out.length > budget) return out;
      const k = keys[i]!;
      out += `${i ? ',' : ''}${JSON.stringify(k)}:${cell(Object.getOwnPropertyDescriptor(o, k), budget - out.length)}`;
    }
    return `${out}}`;
  } finally {
    seen.delete(o);
  }
}

/** %TypedArray%.prototype, whose own `length` getter is read: an instance may shadow `length`, and a typed array's keys are all indexes. */
const TypedArrayPrototype = Object.getPrototypeOf(Int8Array.prototype) as object;

/** `a Float32Array of 10000000 values [0,0,...]`: the first values only (metrics returned as a tensor's data are common). */
function describeView(o: ArrayBufferView, max: number): string {
  if (o instanceof DataView) return `a DataView of ${o.byteLength} bytes`;
  const n = Reflect.get(TypedArrayPrototype, 'length', o) as number;
  const first: string[] = [];
  for (let i = 0, len = 0; i < n && len < max; i++) {
    const v = (o as unknown as ArrayLike<number | bigint>)[i]!;
    const t = typeof v === 'bigint' ? `${v}n` : Object.is(v, -0) ? '-0' : String(v);
    first.push(t);
    len += t.length + 1;
  }
  return clip(`a ${tagOf(o)} of ${n} values [${first.join(',')}${first.length < n ? ',...' : ''}]`, max);
}

/** An own data property (never a getter), or undefined. */
function dataValue(o: unknown, key: string): unknown {
  if ((typeof o !== 'object' && typeof o !== 'function') || o === null) return undefined;
  const d = Object.getOwnPropertyDescriptor(o, key);
  return d && 'value' in d ? d.value : undefined;
}

function dataString(o: unknown, key: string): string | undefined {
  const v = dataValue(o, key);
  return typeof v === 'string' && v ? v : undefined;
}

/** `Object.prototype.toString`'s tag without trusting `Symbol.toStringTag` getters (they may throw). */
function tagOf(o: object): string {
  try {
    return Object.prototype.toString.call(o).slice(8, -1);
  } catch {
    return 'Object';
  }
}

function describeObject(o: object, max: number): string {
  if (Array.isArray(o)) return clip(`an array ${render(o, max, new Set(), 0)}`, max);
  if (ArrayBuffer.isView(o)) return describeView(o, max);
  if (o instanceof Error) {
    const d = Object.getOwnPropertyDescriptor(o, 'message');
    const message = d && 'value' in d && typeof d.value === 'string' ? d.value : '(message unreadable)';
    const name = dataString(o, 'name') ?? dataString(dataValue(Object.getPrototypeOf(o), 'constructor'), 'name') ?? 'Error';
    return clip(message ? `${name}: ${message}` : `${name} (with an empty message)`, max);
  }
  if (o instanceof Date) {
    const t = Date.prototype.getTime.call(o);
    return Number.isNaN(t) ? 'an invalid Date' : `a Date ${new Date(t).toISOString()}`;
  }
  // The prototypes' own getters: an instance may shadow `size`.
  if (o instanceof Map) return `a Map with ${Reflect.get(Map.prototype, 'size', o) as number} entries`;
  if (o instanceof Set) return `a Set with ${Reflect.get(Set.prototype, 'size', o) as number} entries`;
  const proto: unknown = Object.getPrototypeOf(o);
  const tag = tagOf(o);
  const kind = proto === Object.prototype || proto === null ? 'an object' : `a ${tag === 'Object' ? 'class instance' : tag}`;
  return clip(`${kind} ${render(o, max, new Set(), 0)}`, max);
}

/**
 * Describes any value in at most DESCRIBE_MAX characters, naming its type so that look-alikes differ: `the string "0.9"`,
 * `the number 0.9`, `undefined`, `an object {"valAccuracy":"0.9"}`, `TypeError: bad`, `a function (train)`. Never throws:
 * used for metrics an objective returned and for values it threw.
 */
export function describeValue(v: unknown): string {
  try {
    switch (typeof v) {
      case 'string':
        return clip(`the string ${render(v, DESCRIBE_MAX, new Set(), 0)}`, DESCRIBE_MAX);
      case 'number':
        return `the number ${render(v, DESCRIBE_MAX, new Set(), 0)}`;
      case 'bigint':
        return clip(`the bigint ${v}n`, DESCRIBE_MAX);
      case 'boolean':
        return `the boolean ${v}`;
      case 'undefined':
        return 'undefined';
      case 'symbol':
        return clip(`the symbol ${String(v)}`, DESCRIBE_MAX);
      case 'function': {
        const d = Object.getOwnPropertyDescriptor(v, 'name');
        const name = d && 'value' in d && typeof d.value === 'string' && d.value ? d.value : 'anonymous';
        return clip(`a function (${name})`, DESCRIBE_MAX);
      }
      case 'object':
        break; // null, arrays and objects: below
    }
    if (v === null) return 'null';
    return describeObject(v as object, DESCRIBE_MAX);
  } catch {
    return OPAQUE;
  }
}

/**
 * The message stored for a failed trial from whatever the objective threw: an Error's own message (`describeValue` form when
 * it is empty), or for anything else a sentence saying what was thrown, e.g. `the objective threw undefined (throw an Error
 * with a message to say why)`. Never throws; at most DESCRIBE_MAX + 60 characters.
 */
export function describeThrown(thrown: unknown): string {
  try {
    if (thrown instanceof Error) {
      const d = Object.getOwnPropertyDescriptor(thrown, 'message');
      if (d && 'value' in d && typeof d.value === 'string' && d.value) return clip(d.value, DESCRIBE_MAX);
      return `the objective threw ${describeValue(thrown)}`;
    }
  } catch {
    // a proxy that throws from getPrototypeOf: described below like any other value
  }
  return `the objective threw ${describeValue(thrown)} (throw an Error with a message to say why)`;
}
