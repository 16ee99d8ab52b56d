import { test } from 'uvu';
import * as assert from 'uvu/assert';
import seedrandom from 'seedrandom';
import {
  crowdingDistance,
  dominates,
  hypervolume,
  hypervolumeContributions,
  nondominatedRanks,
  paretoFront,
  selectByHypervolume,
} from '../../searchers/pareto.js';
import type { Direction } from '../../src/core/types.js';

/** Brute-force hypervolume (minimisation): the grid of every point's coordinates cut into cells; a cell counts when some point
 * is <= its lower corner in every objective. Exact, O(n^(m+1)). */
function bruteHv(pts: number[][], ref: number[]): number {
  const m = ref.length;
  const inside = pts.filter((p) => p.every((v, j) => v < ref[j]!));
  const grids = ref.map((r, j) => [...new Set([...inside.map((p) => p[j]!), r])].sort((a, b) => a - b));
  let vol = 0;
  const idx = new Array<number>(m).fill(0);
  const rec = (j: number): void => {
    if (j === m) {
      const lower = idx.map((k, c) => grids[c]![k]!);
      if (inside.some((p) => p.every((v, c) => v <= lower[c]!))) {
        vol += idx.reduce((acc, k, c) => acc * (grids[c]![k + 1]! - grids[c]![k]!), 1);
      }
      return;
    }
    for (let k = 0; k + 1 < grids[j]!.length; k++) {
      idx[j] = k;
      rec(j + 1);
    }
  };
  rec(0);
  return vol;
}

function brutePareto(pts: number[][]): number[] {
  return pts.flatMap((p, i) => (pts.some((q) => q.every((v, j) => v <= p[j]!) && q.some((v, j) => v < p[j]!)) ? [] : [i]));
}

function randomPoints(rng: () => number, n: number, m: number, discrete: boolean): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: m }, () => (discrete ? Math.floor(rng() * 5) / 4 : rng())));
}

for (const m of [2, 3]) {
  test(`hypervolume and Pareto front match brute force on random sets (${m} objectives, ties included)`, () => {
    const rng = seedrandom.alea(`pareto/${m}`);
    const dirs = Array<Direction>(m).fill('minimize');
    for (let round = 0; round < 60; round++) {
      const pts = randomPoints(rng, 1 + Math.floor(rng() * 14), m, round % 3 === 0);
      const ref = Array<number>(m).fill(1.05);
      const want = bruteHv(pts, ref);
      assert.ok(Math.abs(hypervolume(pts, ref, dirs) - want) < 1e-12, `round ${round}: ${hypervolume(pts, ref, dirs)} vs ${want}`);
      assert.equal(paretoFront(pts, dirs), brutePareto(pts));
      // Contributions: HV(all) - HV(all but i), checked by brute force too.
      const contrib = hypervolumeContributions(pts, ref, dirs);
      pts.forEach((_, i) => {
        const rest = pts.filter((__, k) => k !== i);
        assert.ok(Math.abs(contrib[i]! - (want - bruteHv(rest, ref))) < 1e-12);
      });
    }
  });
}

test('hypervolume with maximised objectives equals the minimised mirror image', () => {
  const rng = seedrandom.alea('pareto/max');
  const pts = randomPoints(rng, 10, 3, false);
  const mirrored = pts.map(([a, b, c]) => [a!, -b!, c!]);
  const v1 = hypervolume(pts, [1, 1, 1], ['minimize', 'minimize', 'minimize']);
  const v2 = hypervolume(mirrored, [1, -1, 1], ['minimize', 'maximize', 'minimize']);
  assert.ok(Math.abs(v1 - v2) < 1e-12 && v1 > 0);
});

test('hypervolume: hand-checked 2-D and 4-D values; points outside the reference count nothing', () => {
  const dirs: Direction[] = ['minimize', 'minimize'];
  // Staircase (0,2) (1,1) (2,0) with ref (3,3): 3*1 + 2*1 + 1*1 = 6.
  assert.is(
    hypervolume(
      [
        [0, 2],
        [1, 1],
        [2, 0],
      ],
      [3, 3],
      dirs,
    ),
    6,
  );
  assert.is(
    hypervolume(
      [
        [4, 0],
        [0, 3],
      ],
      [3, 3],
      dirs,
    ),
    0,
  );
  // One point in 4-D: a box.
  assert.is(hypervolume([[0.5, 0.5, 0.5, 0.5]], [1, 1, 1, 1], Array(4).fill('minimize')), 0.0625);
  const rng = seedrandom.alea('pareto/4d');
  const pts = randomPoints(rng, 7, 4, false);
  assert.ok(Math.abs(hypervolume(pts, [1, 1, 1, 1], Array(4).fill('minimize')) - bruteHv(pts, [1, 1, 1, 1])) < 1e-12);
});

test('non-dominated ranks: hand-checked layers, NaN last, maximisation', () => {
  const pts = [
    [1, 5], // front
    [2, 2], // front
    [5, 1], // front
    [3, 3], // dominated by (2,2) only -> rank 1
    [4, 4], // dominated by (3,3) -> rank 2
    [2, 2], // duplicate of a front point: same rank
    [NaN, 0], // NaN is the worst x, but no point has y <= 0: undominated, rank 0
  ];
  assert.equal(nondominatedRanks(pts, ['minimize', 'minimize']), [0, 0, 0, 1, 2, 0, 0]);
  assert.equal(
    nondominatedRanks(
      [
        [1, 1],
        [NaN, 1],
      ],
      ['minimize', 'minimize'],
    ),
    [0, 1],
  );
  assert.equal(
    nondominatedRanks(
      [
        [1, 1],
        [2, 2],
      ],
      ['maximize', 'maximize'],
    ),
    [1, 0],
  );
  assert.ok(dominates([2, 2], [1, 1], ['maximize', 'maximize']));
  assert.not.ok(dominates([2, 0], [1, 1], ['maximize', 'maximize']));
});

test('crowding distance: hand-checked values (extremes infinite, interior = normalised neighbour gaps)', () => {
  // Points on a line x + y = 4: x = 0, 1, 3, 4. Ranges 4 and 4.
  const d = crowdingDistance([
    [0, 4],
    [1, 3],
    [3, 1],
    [4, 0],
  ]);
  assert.equal(d, [Infinity, (3 - 0) / 4 + (4 - 1) / 4, (4 - 1) / 4 + (3 - 0) / 4, Infinity]);
  assert.equal(
    crowdingDistance([
      [1, 1],
      [2, 2],
    ]),
    [Infinity, Infinity],
  );
  // A flat objective adds nothing.
  assert.equal(
    crowdingDistance([
      [0, 1],
      [1, 1],
      [2, 1],
    ]),
    [Infinity, 1, Infinity],
  );
});

test('greedy hypervolume subset selection picks the point adding most first', () => {
  const losses = [
    [0.9, 0.1],
    [0.5, 0.5],
    [0.1, 0.9],
    [0.45, 0.55],
  ];
  const picked = selectByHypervolume(losses, 2, [1, 1]);
  assert.is(picked[0], 1); // 0.25 alone, the largest single box
  assert.is(picked.length, 2);
});

test('lazy greedy subset selection reaches the plain greedy hypervolume at every size (2 and 3 objectives)', () => {
  const rng = seedrandom.alea('hssp');
  for (const m of [2, 3]) {
    for (let round = 0; round < 15; round++) {
      const pts = randomPoints(rng, 4 + Math.floor(rng() * 12), m, false);
      const ref = Array<number>(m).fill(1.1);
      const dirs = Array<Direction>(m).fill('minimize');
      const k = 1 + Math.floor(rng() * pts.length);
      // Plain greedy.
      const plain: number[] = [];
      while (plain.length < k) {
        let best = -1;
        let bestHv = -Infinity;
        for (let i = 0; i < pts.length; i++) {
          if (plain.includes(i)) continue;
          const v = hypervolume(
            [...plain, i].map((j) => pts[j]!),
            ref,
            dirs,
          );
          if (v > bestHv) {
            bestHv = v;
            best = i;
          }
        }
        plain.push(best);
      }
      const lazy = selectByHypervolume(pts, k, ref);
      assert.is(lazy.length, k);
      const hv = (idx: number[]): number =>
        hypervolume(
          idx.map((j) => pts[j]!),
          ref,
          dirs,
        );
      assert.ok(Math.abs(hv(lazy) - hv(plain)) < 1e-12, `m=${m} round ${round}: ${hv(lazy)} vs ${hv(plain)}`);
    }
  }
});

test.run();
