/**
 * `compileSpace`: validates a whole tree (naming full dotted paths) and turns it, once, into a tree of compiled nodes
 * (`nodes.ts`) behind the `SearchSpace` interface.
 *
 * Unit cube layout: depth-first, keys in insertion order. float/int/bool take 1 coordinate; a choice takes a one-hot block of
 * k; a branch takes a one-hot block over its names followed by the coordinates of every body, in branch order.
 */
import { SpaceError, show } from './errors.js';
import {
  checkDepth,
  checkReservedKey,
  cloneJson,
  isParamNode,
  isPlainObject,
  join,
  makeBool,
  makeBranch,
  makeChoice,
  makeFloat,
  makeInt,
  pathAt,
} from './builders.js';
import { boolNode, branchNode, choiceNode, floatNode, Group, intNode, type Node } from './nodes.js';
import type { BranchParam, CubeDim, Params, SearchSpace, SpaceJson, SpaceTree } from './types.js';

function checkKey(key: string, path: string): void {
  const where = path ? `in "${path}"` : 'at the root';
  if (key === '') throw new SpaceError(`keys must be non-empty ${where}; name the parameter`, path);
  if (key.includes('.')) {
    throw new SpaceError(`keys may not contain "." (it separates path segments), got "${key}" ${where}; rename it`, path);
  }
  if (key === '_type') throw new SpaceError(`the key "_type" is reserved for the JSON form, ${where}; rename it`, path);
  checkReservedKey(key, path);
}

interface Built<N extends Node = Node> {
  tree: SpaceTree;
  node: N;
}

/** `depth`: the group's level (root 1), bounded by MAX_SPACE_DEPTH so hostile nesting cannot overflow the stack. */
function buildGroup(
  g: Record<string, unknown>,
  path: string,
  dims: CubeDim[],
  role: 'root' | 'group' | 'body',
  depth: number,
): Built<Group> {
  checkDepth(depth, path);
  const keys = Object.keys(g);
  if (keys.length === 0 && role === 'group') {
    throw new SpaceError(`group "${path}" has no parameters; remove it or add some (only the root and branch bodies may be empty)`, path);
  }
  const tree: Record<string, SpaceTree> = {};
  const kids: Node[] = [];
  for (const key of keys) {
    checkKey(key, path);
    const built = buildAny(g[key], join(path, key), dims, depth);
    tree[key] = built.tree;
    kids.push(built.node);
  }
  return { tree: Object.freeze(tree), node: new Group(path, keys, kids, role === 'body') };
}

function buildAny(v: unknown, path: string, dims: CubeDim[], depth: number): Built {
  if (!isPlainObject(v)) {
    throw new SpaceError(
      `"${path}" must be a parameter (space.float/int/choice/bool) or a group object, got ${show(v)}; ` +
        `wrap a constant as space.choice([value])`,
      path,
    );
  }
  if (!isParamNode(v)) return buildGroup(v, path, dims, 'group', depth + 1);
  const at = pathAt(path);
  const p = v as unknown as Record<string, unknown>; // re-validate every field: hand-built nodes skip the builders
  const o = dims.length;
  switch (p.kind) {
    case 'float': {
      const t = makeFloat(p.low, p.high, p.log, p.step, at);
      return { tree: t, node: floatNode(t, path, o, dims) };
    }
    case 'int': {
      const t = makeInt(p.low, p.high, p.log, p.step, at);
      return { tree: t, node: intNode(t, path, o, dims) };
    }
    case 'choice': {
      const t = makeChoice(p.values, at);
      return { tree: t, node: choiceNode(t, path, o, dims) };
    }
    case 'bool':
      return { tree: makeBool(), node: boolNode(path, o, dims) };
    case 'branch': {
      const given: BranchParam = makeBranch(p.branches, at);
      const names = Object.keys(given.branches);
      for (const name of names) {
        checkKey(name, path);
        dims.push({ path, type: 'onehot', levels: names.length, group: o }); // the block precedes the bodies
      }
      const bodies: Record<string, SpaceTree> = {};
      const nodes = names.map((name) => {
        const built = buildGroup(given.branches[name] as Record<string, unknown>, join(path, name), dims, 'body', depth + 1);
        bodies[name] = built.tree;
        return built.node;
      });
      return { tree: makeBranch(bodies, at), node: branchNode(names, nodes, path, o) };
    }
    default:
      throw new SpaceError(`"${path}" has unknown parameter kind ${show(p.kind)}; build parameters with space.float/int/choice/bool`, path);
  }
}

/** The JSON form of a (validated) tree. Always the full canonical form (`log` and int `step` spelled out). */
function toJson(t: SpaceTree): SpaceJson {
  const map = (o: { readonly [k: string]: SpaceTree }): SpaceJson => Object.fromEntries(Object.keys(o).map((k) => [k, toJson(o[k])]));
  if (!isParamNode(t)) return map(t);
  switch (t.kind) {
    case 'float':
      return t.step === undefined
        ? { _type: 'float', low: t.low, high: t.high, log: t.log }
        : { _type: 'float', low: t.low, high: t.high, log: t.log, step: t.step };
    case 'int':
      return { _type: 'int', low: t.low, high: t.high, log: t.log, step: t.step };
    case 'choice':
      return { _type: 'choice', values: t.values.map(cloneJson) };
    case 'bool':
      return { _type: 'bool' };
    case 'branch':
      return { _type: 'branch', branches: map(t.branches) };
  }
}

const BRAND = Symbol.for('tunekit.SearchSpace');

class CompiledSpace implements SearchSpace {
  readonly [BRAND] = true;
  readonly #root: Group;
  readonly #json: string;
  constructor(
    readonly tree: SpaceTree,
    readonly dims: readonly CubeDim[],
    root: Group,
  ) {
    this.#root = root;
    this.#json = JSON.stringify(toJson(tree));
  }
  decode(x: ArrayLike<number>): Params {
    if (x == null || x.length !== this.dims.length) {
      throw new SpaceError(
        `decode needs a point with ${this.dims.length} coordinates (one per dims entry), got ${x == null ? show(x) : x.length}`,
        '',
      );
    }
    return this.#root.decode(x);
  }
  encode(params: Params): number[] {
    this.#root.check(params);
    const out = new Array<number>(this.dims.length).fill(NaN); // coordinates of branches not taken stay NaN
    this.#root.encode(params, out);
    return out;
  }
  validate(params: Params): void {
    this.#root.check(params);
  }
  toJSON(): SpaceJson {
    return JSON.parse(this.#json) as SpaceJson;
  }
}

/**
 * Validates a space tree and compiles it. Called by `space.compile`, `space.fromJSON` and anything taking a tree. The root
 * must be a group; a space without parameters is only `{}` (decodes to `{}`), since empty nested groups are errors.
 * Throws SpaceError naming the full dotted path (`optimizer.lr`, `model.mlp.units`).
 */
export function compileSpace(tree: SpaceTree): SearchSpace {
  if (isSearchSpace(tree)) {
    throw new SpaceError('compileSpace takes a space tree, got an already compiled SearchSpace; use it as it is', '');
  }
  if (!isPlainObject(tree) || isParamNode(tree)) {
    throw new SpaceError(
      `the root of a space must be a group (an object of named parameters), got ${
        isParamNode(tree) ? `a ${tree.kind} ` + 'parameter; wrap it as { name: param }' : show(tree)
      }`,
      '',
    );
  }
  const dims: CubeDim[] = [];
  const built = buildGroup(tree, '', dims, 'root', 1);
  return new CompiledSpace(built.tree, Object.freeze(dims.map((d) => Object.freeze(d))), built.node);
}

/** True for spaces made by `compileSpace`/`space.fromJSON` (checked by a registry symbol, so it works across module copies). */
export function isSearchSpace(x: unknown): x is SearchSpace {
  return typeof x === 'object' && x !== null && (x as { [BRAND]?: unknown })[BRAND] === true;
}
