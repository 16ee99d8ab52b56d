/**
 * Types of the search-space DSL. Builders in `spaces/builders.ts` create these nodes; `compileSpace` turns a tree of them into a
 * validated {@link SearchSpace} that searchers use through the unit-cube transform.
 */

/** Any JSON value: what parameters, metrics and stored records are made of. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A sampled configuration: nested plain objects of JSON values (branches carry `type`: the chosen branch name). */
export type Params = { [key: string]: JsonValue };

/** Shared by every parameter node; `__tunekit` brands nodes so plain nested objects (groups) are told apart from parameters. */
interface NodeBase {
  readonly __tunekit: 'param';
}

/** A float in [low, high]; `log` samples uniformly in log space (low > 0); `step` quantises to low + k*step. */
export interface FloatParam extends NodeBase {
  readonly kind: 'float';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  readonly step?: number;
}

/** An integer in [low, high] (both inclusive); `step` defaults to 1; `log` needs low >= 1. */
export interface IntParam extends NodeBase {
  readonly kind: 'int';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  readonly step: number;
}

/** One of a list of distinct JSON values. */
export interface ChoiceParam<V extends JsonValue = JsonValue> extends NodeBase {
  readonly kind: 'choice';
  readonly values: readonly V[];
}

/** true or false. */
export interface BoolParam extends NodeBase {
  readonly kind: 'bool';
}

/**
 * A conditional choice between named branches, each a sub-space. The sampled value is `{ type: <branch name>, ...that branch's
 * params }`, so a branch body may not use the key `type`.
 */
export interface BranchParam<B extends Record<string, SpaceTree> = Record<string, SpaceTree>> extends NodeBase {
  readonly kind: 'branch';
  readonly branches: B;
}

export type ParamNode = FloatParam | IntParam | ChoiceParam | BoolParam | BranchParam;

/** A space as users write it: parameter nodes, nested in plain objects (groups) to any depth. */
export type SpaceTree = ParamNode | { readonly [key: string]: SpaceTree };

/** The parameter values a tree produces, e.g. `InferParams<{ lr: FloatParam }>` is `{ lr: number }`. */
export type InferParams<T> = T extends FloatParam | IntParam
  ? number
  : T extends BoolParam
    ? boolean
    : T extends ChoiceParam<infer V>
      ? V
      : T extends BranchParam<infer B>
        ? { [K in keyof B]: { type: K } & InferParams<B[K]> }[keyof B]
        : T extends { readonly [key: string]: SpaceTree }
          ? { [K in keyof T]: InferParams<T[K]> }
          : never;

/** How one coordinate of the unit cube maps back to a parameter. Searchers may read it but need not branch on it. */
export interface CubeDim {
  /** Dotted parameter path, e.g. `model.mlp.units` (branch names appear as path segments). */
  readonly path: string;
  /** `continuous` floats, `ordinal` ints/stepped floats/bools (n levels), `onehot` one coordinate of a choice's one-hot block. */
  readonly type: 'continuous' | 'ordinal' | 'onehot';
  /** Number of distinct values this coordinate can take (Infinity for continuous). For one-hot: the block's size. */
  readonly levels: number;
  /** For one-hot coordinates: index of the block's first coordinate (all coordinates of one choice share it). */
  readonly group?: number;
}

/**
 * A validated, compiled search space. Created by `compileSpace(tree)` or `SearchSpace.fromJSON(json)`.
 *
 * Invariants: `decode(x)` for any x in [0,1]^dims gives valid params; `decode(encode(p))` deep-equals p for valid p;
 * `encode(p)` puts NaN on coordinates of branches that p did not take (inactive), so model-based searchers can mask them.
 */
export interface SearchSpace {
  /** The tree as given (validated). */
  readonly tree: SpaceTree;
  /** Unit-cube coordinates, in a stable order (depth-first, keys in insertion order). */
  readonly dims: readonly CubeDim[];
  /** Maps a point of [0,1]^dims to params (values outside [0,1] are clamped; one-hot blocks take the arg-max). */
  decode(x: ArrayLike<number>): Params;
  /** Maps params to a point of [0,1]^dims (NaN on inactive coordinates). Throws a SpaceError naming the path on invalid params. */
  encode(params: Params): number[];
  /** Throws a SpaceError naming the first bad path unless params is a valid point of this space. */
  validate(params: Params): void;
  /** Serialisable form; `SearchSpace.fromJSON(space.toJSON())` is an equal space. */
  toJSON(): SpaceJson;
}

/** JSON form of a parameter: `{ "_type": "float", "low": 0.001, "high": 0.1, "log": true }` etc. Groups are plain objects. */
export type SpaceJson = { readonly [key: string]: JsonValue };
