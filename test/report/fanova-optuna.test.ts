/**
 * tunekit's fANOVA decomposition (treeFractions) against Optuna 3.1's own `_FanovaTree` on the same trees: random seeded
 * trees are handed to Optuna as sklearn-shaped arrays (feature, threshold, children, value), so this runs on Debian's
 * python3-optuna without scikit-learn (which Optuna only needs to fit forests). Per tree and feature, Optuna's
 * marginal variance / variance must equal ours. Fails (never skips) when /usr/bin/python3 cannot import optuna.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import seedrandom from 'seedrandom';
import { treeFractions, type Leaf } from '../../src/report/importance/index.js';

interface Nodes {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

/** A random regression tree over `domain`: sklearn's node arrays and the same tree as leaf boxes. */
function randomTree(domain: [number, number][], rng: () => number, maxDepth: number): { nodes: Nodes; leaves: Leaf[] } {
  const nodes: Nodes = { feature: [], threshold: [], left: [], right: [], value: [] };
  const leaves: Leaf[] = [];
  const grow = (low: number[], high: number[], depth: number): number => {
    const id = nodes.feature.length;
    nodes.feature.push(-2);
    nodes.threshold.push(-2);
    nodes.left.push(-1);
    nodes.right.push(-1);
    nodes.value.push(0);
    const f = Math.floor(rng() * domain.length);
    if (depth >= maxDepth || rng() < 0.15 || high[f]! - low[f]! < 1e-6) {
      const v = Math.round(rng() * 1000) / 100;
      nodes.value[id] = v;
      leaves.push({ low: Float64Array.from(low), high: Float64Array.from(high), value: v });
      return id;
    }
    const t = low[f]! + (0.1 + 0.8 * rng()) * (high[f]! - low[f]!);
    nodes.feature[id] = f;
    nodes.threshold[id] = t;
    const h = [...high];
    h[f] = t;
    nodes.left[id] = grow(low, h, depth + 1);
    const l = [...low];
    l[f] = t;
    nodes.right[id] = grow(l, high, depth + 1);
    return id;
  };
  grow(
    domain.map((d) => d[0]),
    domain.map((d) => d[1]),
    0,
  );
  return { nodes, leaves };
}

const PY = String.raw`
import json, sys, types, numpy
from optuna.importance._fanova._tree import _FanovaTree
spec = json.load(open(sys.argv[1]))
space = numpy.array(spec['domain'], dtype=numpy.float64)
out = []
for t in spec['trees']:
    tree = types.SimpleNamespace(n_features=len(spec['domain']), node_count=len(t['feature']),
        feature=numpy.array(t['feature']), threshold=numpy.array(t['threshold'], dtype=numpy.float64),
        children_left=numpy.array(t['left']), children_right=numpy.array(t['right']), value=numpy.array(t['value'], dtype=numpy.float64))
    ft = _FanovaTree(tree, space)
    v = ft.variance
    out.append([float(ft.get_marginal_variance(numpy.array([j])) / v) if v > 0 else None for j in range(len(spec['domain']))])
print(json.dumps(out))
`;

test('per-tree variance fractions equal Optuna 3.1 _FanovaTree on 30 random trees', () => {
  const rng = seedrandom('fanova-vs-optuna');
  const domain: [number, number][] = [
    [0, 1],
    [-5, 5],
    [Math.log(1e-4), Math.log(1e-1)],
    [-0.5, 2.5],
  ];
  const trees = Array.from({ length: 30 }, (_, i) => randomTree(domain, rng, 2 + (i % 6)));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-fanova-'));
  try {
    fs.writeFileSync(path.join(dir, 'trees.json'), JSON.stringify({ domain, trees: trees.map((t) => t.nodes) }));
    fs.writeFileSync(path.join(dir, 'fanova.py'), PY);
    const theirs = JSON.parse(
      execFileSync('/usr/bin/python3', [path.join(dir, 'fanova.py'), path.join(dir, 'trees.json')], { encoding: 'utf8' }),
    ) as (number | null)[][];
    let compared = 0;
    trees.forEach((t, i) => {
      const ours = treeFractions(t.leaves, domain);
      if (theirs[i]![0] === null) return assert.is(ours, undefined, `tree ${i} is constant for both`);
      for (let j = 0; j < domain.length; j++) {
        assert.ok(Math.abs(ours![j]! - theirs[i]![j]!) < 1e-9, `tree ${i} feature ${j}: ours ${ours![j]} vs Optuna ${theirs[i]![j]!}`);
        compared++;
      }
    });
    assert.ok(compared >= 100, `${compared} fractions compared`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
