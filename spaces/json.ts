/**
 * `space.fromJSON`: the inverse of `SearchSpace.toJSON()`. Used to rebuild a study's space from its stored record, and by users
 * who keep spaces in files. Checks run through the same `make*` functions as the builders, so invariants and messages match;
 * errors name the JSON path (branch bodies sit under `<param>.branches.<name>`).
 */
import { SpaceError, show } from './errors.js';
import {
  checkDepth,
  checkReservedKey,
  isPlainObject,
  join,
  makeBool,
  makeBranch,
  makeChoice,
  makeFloat,
  makeInt,
  pathAt,
} from './builders.js';
import { compileSpace } from './compile.js';
import type { SearchSpace, SpaceTree } from './types.js';

/** Allowed keys per `_type` (besides `_type`). */
const FIELDS: Readonly<Record<string, readonly string[]>> = {
  float: ['low', 'high', 'log', 'step'],
  int: ['low', 'high', 'log', 'step'],
  choice: ['values'],
  bool: [],
  branch: ['branches'],
};

/** `depth`: the group's level (root 1), bounded by MAX_SPACE_DEPTH so hostile nesting cannot overflow the stack. */
function groupFromJson(g: Record<string, unknown>, path: string, depth: number): Record<string, SpaceTree> {
  checkDepth(depth, path);
  const out: Record<string, SpaceTree> = {};
  for (const key of Object.keys(g)) {
    checkReservedKey(key, path); // before `out[key] =`, which for "__proto__" would set out's prototype
    out[key] = nodeFromJson(g[key], join(path, key), depth);
  }
  return out;
}

function nodeFromJson(v: unknown, path: string, depth: number): SpaceTree {
  if (!isPlainObject(v)) {
    throw new SpaceError(`"${path}" must be a parameter object (with "_type") or a group object, got ${show(v)}`, path);
  }
  if (!Object.hasOwn(v, '_type')) return groupFromJson(v, path, depth + 1);
  const type = v._type;
  const fields = typeof type === 'string' && Object.hasOwn(FIELDS, type) ? FIELDS[type] : undefined;
  if (fields === undefined) {
    throw new SpaceError(`unknown _type ${show(type)} at "${path}"; known: ${Object.keys(FIELDS).join(', ')}`, path);
  }
  for (const k of Object.keys(v)) {
    if (k !== '_type' && !fields.includes(k)) {
      throw new SpaceError(
        `unknown key "${k}" in the ${String(type)} parameter at "${path}"; known keys: ${['_type', ...fields].join(', ')}`,
        path,
      );
    }
  }
  const at = pathAt(path);
  switch (type) {
    case 'float':
      return makeFloat(v.low, v.high, v.log, v.step, at);
    case 'int':
      return makeInt(v.low, v.high, v.log, v.step, at);
    case 'choice':
      return makeChoice(v.values, at);
    case 'bool':
      return makeBool();
    default: {
      const branches = v.branches;
      if (!isPlainObject(branches)) {
        throw new SpaceError(`\`branches\` must be an object of named groups at "${path}", got ${show(branches)}`, path);
      }
      const bodies: Record<string, SpaceTree> = {};
      for (const name of Object.keys(branches)) {
        checkReservedKey(name, `${path}.branches`);
        const body = branches[name];
        const bodyPath = `${path}.branches.${name}`;
        if (!isPlainObject(body) || Object.hasOwn(body, '_type')) {
          throw new SpaceError(`"${bodyPath}" must be a group object (a branch body, possibly {}), got ${show(body)}`, bodyPath);
        }
        bodies[name] = groupFromJson(body, bodyPath, depth + 1);
      }
      return makeBranch(bodies, at);
    }
  }
}

/**
 * Builds a validated SearchSpace from its JSON form (an object or a JSON string), e.g. a stored study's `space`.
 * `spaceFromJSON(s.toJSON())` equals `s`: same JSON, dims and decode. Throws SpaceError naming the JSON path.
 */
export function spaceFromJSON(json: unknown): SearchSpace {
  let j = json;
  if (typeof j === 'string') {
    try {
      j = JSON.parse(j);
    } catch (e) {
      throw new SpaceError(`space JSON must be valid JSON: ${(e as Error).message}`, '');
    }
  }
  if (!isPlainObject(j) || Object.hasOwn(j, '_type')) {
    throw new SpaceError(`the root of space JSON must be a group object (parameters by name, no "_type"), got ${show(j)}`, '');
  }
  return compileSpace(groupFromJson(j, '', 1));
}
