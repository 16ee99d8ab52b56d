/**
 * Grid search: the full Cartesian product of every choice, bool, int and stepped float (conditional branches contribute the sum
 * of their branches' grids). Points are visited once each in a seeded shuffled order; the searcher is exhausted after the last.
 *
 * State is rebuilt from the stored trials: a point counts as visited when any stored trial (any state, enqueued ones included)
 * has its params, so a resumed study never repeats a point. Retries of interrupted trials are enqueued by the study, not drawn
 * from the grid, so they do not consume new points.
 *
 * Points are never materialised: a mixed-radix index maps each integer in [0, size) to its params, so a 1e6-point grid costs one
 * Int32Array permutation.
 */
import seedrandom from 'seedrandom';
import type { BranchParam, JsonValue, Params, ParamNode, SearchSpace, SpaceTree } from '../spaces/types.js';
import type { Searcher, SearcherInit } from './types.js';
import { checkKnownOptions, type SearcherOptions } from './options.js';
import { SearcherError } from '../src/core/errors.js';
import { canonical } from '../spaces/builders.js';

/** Grids larger than this are refused: a shuffled permutation of them would not fit comfortably in memory. */
const MAX_GRID = 10_000_000;

/** Lazily indexable grid of one subtree. */
interface GridNode {
  readonly size: number;
  at(index: number): JsonValue;
}

function isParam(node: SpaceTree): node is ParamNode {
  return (node as ParamNode).__tunekit === 'param';
}

function levelsGrid(path: string, low: number, high: number, step: number): GridNode {
  const size = Math.round((high - low) / step) + 1;
  if (!Number.isFinite(size) || size < 1)
    throw new SearcherError(`grid: cannot enumerate "${path}" (low=${low}, high=${high}, step=${step})`);
  return { size, at: (i) => low + i * step };
}

function valuesGrid(values: readonly JsonValue[]): GridNode {
  return { size: values.length, at: (i) => values[i] as JsonValue };
}

function branchGrid(path: string, node: BranchParam): GridNode {
  const names = Object.keys(node.branches);
  const subs = names.map((name) => groupGrid(path ? `${path}.${name}` : name, node.branches[name] as { readonly [k: string]: SpaceTree }));
  const size = subs.reduce((s, g) => s + g.size, 0);
  return {
    size,
    at(i) {
      let rest = i;
      for (let b = 0; b < subs.length; b++) {
        const sub = subs[b] as GridNode;
        if (rest < sub.size) return { type: names[b] as string, ...(sub.at(rest) as Params) };
        rest -= sub.size;
      }
      throw new RangeError(`grid index ${i} out of range for "${path}"`);
    },
  };
}

function groupGrid(path: string, group: { readonly [key: string]: SpaceTree }): GridNode {
  const keys = Object.keys(group);
  const subs = keys.map((k) => nodeGrid(path ? `${path}.${k}` : k, group[k] as SpaceTree));
  let size = 1;
  for (const g of subs) {
    size *= g.size;
    if (size > MAX_GRID) {
      throw new SearcherError(
        `grid: the space has more than ${MAX_GRID} points (at "${path || '<root>'}"); use random, sobol or a Bayesian searcher, or coarser steps`,
      );
    }
  }
  return {
    size,
    at(index) {
      // Mixed radix, last key fastest.
      const out: Params = {};
      let rest = index;
      for (let k = keys.length - 1; k >= 0; k--) {
        const g = subs[k] as GridNode;
        out[keys[k] as string] = g.at(rest % g.size);
        rest = Math.floor(rest / g.size);
      }
      // Restore declaration order of keys (the loop above filled them backwards).
      const ordered: Params = {};
      for (const key of keys) ordered[key] = out[key] as JsonValue;
      return ordered;
    },
  };
}

function nodeGrid(path: string, node: SpaceTree): GridNode {
  if (!isParam(node)) return groupGrid(path, node as { readonly [key: string]: SpaceTree });
  switch (node.kind) {
    case 'float':
      if (node.step === undefined) {
        throw new SearcherError(
          `grid: float parameter "${path}" has no step, so it has no finite grid; give it one, e.g. space.float(${node.low}, ${node.high}, { step: ${(node.high - node.low) / 4} }), or use space.choice([...])`,
        );
      }
      return levelsGrid(path, node.low, node.high, node.step);
    case 'int':
      return levelsGrid(path, node.low, node.high, node.step);
    case 'bool':
      return valuesGrid([false, true]);
    case 'choice':
      return valuesGrid(node.values);
    case 'branch':
      return branchGrid(path, node);
  }
}

/**
 * Deterministic key of a params object (canonical JSON, sorted keys — the same comparison the space uses for choice values),
 * used to tell visited points apart.
 */
export function paramsKey(value: JsonValue): string {
  return canonical(value) ?? JSON.stringify(value);
}

/** Number of points of a space's grid (throws SearcherError if a float has no step). */
export function gridSize(space: SearchSpace): number {
  return nodeGrid('', space.tree).size;
}

export function createGridSearcher(init: SearcherInit, options: SearcherOptions): Searcher {
  checkKnownOptions('grid', options, []);
  const { space } = init;
  const grid = nodeGrid('', space.tree);
  // Seeded Fisher-Yates shuffle of the visiting order.
  const order = new Int32Array(grid.size);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const rng = seedrandom.alea(`${init.seed}/grid`);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  // Canonical params of grid point i: through the space's own encode/decode so rounding matches every other searcher.
  const pointAt = (i: number): Params => space.decode(space.encode(grid.at(i) as Params));

  // A cache of what the last asks read, never a source of truth: `seen` holds the params objects of the trials folded into
  // `visited`, and each ask checks that its history starts with exactly those (same objects, or equal params); otherwise (a
  // different or rewritten history) everything is rebuilt, so the answer is a pure function of the trials given.
  const visited = new Set<string>();
  const seen: Params[] = [];
  // Positions of `order` before the cursor are known visited. The cursor is not moved past the point it returns: that point
  // becomes visited once the study stores its trial, and if storing failed the same point is offered again.
  let cursor = 0;
  const samePrefix = (trials: readonly { params: Params }[]): boolean => {
    if (trials.length < seen.length) return false;
    for (let i = 0; i < seen.length; i++) {
      const p = trials[i]!.params;
      if (p !== seen[i] && paramsKey(p) !== paramsKey(seen[i]!)) return false;
    }
    return true;
  };

  return {
    type: 'grid',
    // It reads stored params (visited points), never outcomes.
    ignoresResults: true,
    suggest({ trials }) {
      if (!samePrefix(trials)) {
        visited.clear();
        seen.length = 0;
        cursor = 0;
      }
      for (let i = seen.length; i < trials.length; i++) {
        const p = (trials[i] as { params: Params }).params;
        seen.push(p);
        visited.add(paramsKey(p));
      }
      for (; cursor < order.length; cursor++) {
        const index = order[cursor] as number;
        const params = pointAt(index);
        if (!visited.has(paramsKey(params))) return { kind: 'suggest', params, system: { gridIndex: index, gridSize: grid.size } };
      }
      return { kind: 'exhausted' };
    },
  };
}
