/**
 * The search-space DSL: build a tree with `space.float/int/choice/bool`, compile it with `space.compile` (or load one with
 * `space.fromJSON`), then let searchers work in the unit cube through `SearchSpace.decode/encode`.
 *
 * @example
 * const tree = { lr: space.float(1e-4, 0.1, { log: true }), units: space.int(16, 256, { step: 16 }) };
 * const s = space.compile(tree);
 * const params = s.decode([0.5, 0.2]) as InferParams<typeof tree>; // { lr: number; units: number }
 */
import { bool, choice, float, int } from './builders.js';
import { compileSpace } from './compile.js';
import { spaceFromJSON } from './json.js';
import type { SearchSpace, SpaceTree } from './types.js';

export type * from './types.js';
export type { NumOptions } from './builders.js';
export { SpaceError } from './errors.js';
export { MAX_SPACE_DEPTH } from './builders.js';
export { compileSpace, isSearchSpace } from './compile.js';
export { spaceFromJSON } from './json.js';

/** The builder namespace users write spaces with. Every function validates its arguments and throws SpaceError. */
export const space = {
  float,
  int,
  choice,
  bool,
  /** Validates a whole tree (errors name the dotted path) and compiles it; same as `compileSpace`. */
  compile<T extends SpaceTree>(tree: T): SearchSpace {
    return compileSpace(tree);
  },
  /** Builds a space from `SearchSpace.toJSON()` output (object or JSON string); errors name the JSON path. */
  fromJSON(json: unknown): SearchSpace {
    return spaceFromJSON(json);
  },
};
