/**
 * Synthetic test functions (minimisation, known optimum) for `bench/searchers.ts`. Domains and optima follow the Virtual
 * Library of Simulation Experiments (Surjanovic & Bingham), as `/work/shared/anchors/functions.py` does for the two the Optuna
 * anchor knows (branin, hartmann6). Each function also carries its Python source so the bench can run Optuna on the extra
 * ones with exactly the same definition.
 */
import { space } from '../spaces/index.js';
import type { SearcherSpec } from '../searchers/index.js';
import { createStudy } from '../src/study/open.js';
import type { Params, SpaceTree } from '../spaces/types.js';

/** One benchmark problem. `fn` takes the params the study's space produces. */
export interface BenchFunction {
  readonly name: string;
  readonly space: SpaceTree;
  readonly fn: (p: Params) => number;
  /** Global minimum value f*. Simple regret = best value found - fStar. */
  readonly fStar: number;
  /** `def f(p):` over a dict of the same params, for the Optuna side (the anchor's own definition is used when it has one). */
  readonly py: string;
  /** True when `/work/shared/anchors/optuna_anchor.py` knows this function by `name`. */
  readonly inAnchor: boolean;
}

const num = (p: Params, k: string): number => p[k] as number;

function floats(count: number, low: number, high: number): SpaceTree {
  const t: Record<string, SpaceTree> = {};
  for (let i = 0; i < count; i++) t[`x${i}`] = space.float(low, high);
  return t;
}

function branin(p: Params): number {
  const x1 = num(p, 'x0');
  const x2 = num(p, 'x1');
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}

const A6 = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const P6 = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];
const ALPHA = [1.0, 1.2, 3.0, 3.2];

function hartmann6(p: Params): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += A6[i]![j]! * (num(p, `x${j}`) - P6[i]![j]! * 1e-4) ** 2;
    s += ALPHA[i]! * Math.exp(-inner);
  }
  return -s;
}

/** Styblinski-Tang in d dimensions on [-5, 5]^d: separable, one global minimum at x_i = -2.903534 among 2^d local ones. */
function styblinski(p: Params, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) {
    const x = num(p, `x${i}`);
    s += x ** 4 - 16 * x ** 2 + 5 * x;
  }
  return s / 2;
}

/** Rosenbrock in d dimensions on [-5, 10]^d: a narrow curved valley, minimum 0 at (1, ..., 1). */
function rosenbrock(p: Params, d: number): number {
  let s = 0;
  for (let i = 0; i < d - 1; i++) {
    const a = num(p, `x${i}`);
    const b = num(p, `x${i + 1}`);
    s += 100 * (b - a * a) ** 2 + (1 - a) ** 2;
  }
  return s;
}

const MIXED_OFFSET: Record<string, number> = { relu: 1, gelu: 0, tanh: 2, sigmoid: 3 };

/**
 * A hyper-parameter-like mixed space: a plain float, a log float, a stepped int and a 4-way choice, separable, minimum 0 at
 * x = 1.5, lr = 0.01, units = 13, act = 'gelu'.
 */
function mixed(p: Params): number {
  return (
    (num(p, 'x') - 1.5) ** 2 + (Math.log10(num(p, 'lr')) + 2) ** 2 + ((num(p, 'units') - 13) / 4) ** 2 + MIXED_OFFSET[p.act as string]!
  );
}

/** Every benchmark function, by name. */
export const FUNCTIONS: readonly BenchFunction[] = [
  {
    name: 'branin',
    space: { x0: space.float(-5, 10), x1: space.float(0, 15) },
    fn: branin,
    fStar: 0.397887,
    inAnchor: true,
    py: `def f(p):
    x1, x2 = p['x0'], p['x1']
    return (x2 - 5.1 / (4 * math.pi ** 2) * x1 ** 2 + 5 / math.pi * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10`,
  },
  {
    name: 'hartmann6',
    space: floats(6, 0, 1),
    fn: hartmann6,
    fStar: -3.32237,
    inAnchor: true,
    py: `A6 = ${JSON.stringify(A6)}
P6 = ${JSON.stringify(P6)}
def f(p):
    s = 0.0
    for i in range(4):
        s += [1.0, 1.2, 3.0, 3.2][i] * math.exp(-sum(A6[i][j] * (p['x%d' % j] - P6[i][j] * 1e-4) ** 2 for j in range(6)))
    return -s`,
  },
  {
    name: 'styblinski5',
    space: floats(5, -5, 5),
    fn: (p) => styblinski(p, 5),
    fStar: -39.16616570377142 * 5,
    inAnchor: false,
    py: `def f(p):
    return sum(p['x%d' % i] ** 4 - 16 * p['x%d' % i] ** 2 + 5 * p['x%d' % i] for i in range(5)) / 2`,
  },
  {
    name: 'rosenbrock4',
    space: floats(4, -5, 10),
    fn: (p) => rosenbrock(p, 4),
    fStar: 0,
    inAnchor: false,
    py: `def f(p):
    return sum(100 * (p['x%d' % (i + 1)] - p['x%d' % i] ** 2) ** 2 + (1 - p['x%d' % i]) ** 2 for i in range(3))`,
  },
  {
    name: 'mixed',
    space: {
      x: space.float(-5, 5),
      lr: space.float(1e-5, 1, { log: true }),
      units: space.int(1, 32),
      act: space.choice(['relu', 'gelu', 'tanh', 'sigmoid']),
    },
    fn: mixed,
    fStar: 0,
    inAnchor: false,
    py: `def f(p):
    return (p['x'] - 1.5) ** 2 + (math.log10(p['lr']) + 2) ** 2 + ((p['units'] - 13) / 4) ** 2 + ${JSON.stringify(MIXED_OFFSET)}[p['act']]`,
  },
];

/**
 * Runs one in-memory study of `f` (`createStudy` + `optimize`, `trials` trials) and returns the simple regret (best value so
 * far - f*) after each of the `checkpoints` trial counts it reaches. Used by bench/searchers.ts and bench/tpe-tune.ts.
 */
export async function simpleRegret(
  f: BenchFunction,
  searcher: SearcherSpec,
  seed: number,
  trials: number,
  checkpoints: readonly number[],
): Promise<Map<number, number>> {
  const study = await createStudy({ name: `${f.name}-${seed}`, space: f.space, searcher, seed });
  await study.optimize((p) => f.fn(p as Params), { trials });
  const done = await study.trials(['complete']);
  await study.close();
  const out = new Map<number, number>();
  let best = Infinity;
  done.forEach((t, i) => {
    best = Math.min(best, t.value as number);
    if (checkpoints.includes(i + 1)) out.set(i + 1, best - f.fStar);
  });
  return out;
}
