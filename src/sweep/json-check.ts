/**
 * The JSON-only check of a raw sweep (before validateSweep): a .ts sweep module may export functions, class instances or
 * non-finite numbers by mistake, a JSON file may nest absurdly deep or hold `__proto__` keys. Every problem is listed with
 * its path, and the walk is depth-bounded, so hostile input cannot overflow the stack.
 */

function isObject(v: unknown): v is { readonly [key: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * How deep a sweep's JSON may nest. The deepest legitimate part is the space (64 levels, each branch level 3 JSON objects);
 * beyond this the recursive checks would overflow the stack, so it is a listed problem instead.
 */
export const MAX_JSON_DEPTH = 256;

/** JSON values only (a .ts sweep module might export functions or class instances by mistake), at most MAX_JSON_DEPTH deep. */
export function jsonProblems(v: unknown, at = '', depth = 0): string[] {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return [];
  if (typeof v === 'number') return Number.isFinite(v) ? [] : [`${at || '(root)'}: must be a finite number, got ${String(v)}`];
  if (depth >= MAX_JSON_DEPTH && typeof v === 'object') {
    const shown = at.length > 160 ? `${at.slice(0, 157)}...` : at;
    return [`${shown}: nests deeper than ${MAX_JSON_DEPTH} levels; \`depth <= ${MAX_JSON_DEPTH}\` must hold for a sweep file: flatten it`];
  }
  if (Array.isArray(v)) return v.flatMap((x, i) => jsonProblems(x, `${at}[${i}]`, depth + 1));
  if (isObject(v) && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.entries(v).flatMap(([k, x]) =>
      // JSON.parse makes `__proto__` an own key; any later copy by assignment would turn it into the object's prototype.
      k === '__proto__'
        ? [
            `${at ? `${at}.` : ''}__proto__: a key named "__proto__" is not allowed in a sweep (copying the object would replace its prototype); rename or remove it`,
          ]
        : jsonProblems(x, at ? `${at}.${k}` : k, depth + 1),
    );
  }
  let what: string;
  try {
    what =
      typeof v === 'function'
        ? 'a function'
        : typeof v === 'symbol' || typeof v === 'bigint'
          ? `the ${typeof v} ${String(v)}`
          : Object.prototype.toString.call(v);
  } catch {
    what = typeof v;
  }
  return [`${at || '(root)'}: must be JSON (objects, arrays, strings, numbers, booleans, null), got ${what}`];
}
