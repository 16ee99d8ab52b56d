/**
 * bench/multifidelity: what the multi-fidelity searchers (hyperband, asha, bohb) buy over random search at full budget.
 *
 *   node --import tsx bench/multifidelity.ts            # simulator (30 seeds) + MNIST (~10-15 min on a quiet 2-core box)
 *   node --import tsx bench/multifidelity.ts --quick    # simulator (10 seeds) + a smaller MNIST run (~3-5 min)
 *   node --import tsx bench/multifidelity.ts --sim      # simulator only;  --mnist: MNIST only
 *
 * 1. Learning-curve simulator (noise-free, seconds): configurations are points of a 5-d unit cube; each seed hides an optimum c
 *    and per-coordinate weights; a configuration's final loss is y* + sum_i w_i (u_i - c_i)^2 and its loss after t epochs is
 *    that plus k(lr) / sqrt(t), k set by the "learning rate" coordinate (fast learners look better early whatever their final
 *    loss, so low budgets rank configurations only roughly, as in real training). Each method runs until it has spent the same total epochs; the
 *    incumbent is the best configuration at the highest budget reached so far; regret = its final loss - y*. Promotions
 *    continue from the earlier trial (only the extra epochs count).
 * 2. MNIST (real training, in-process `study.optimize`, wasm): random search with full budgets (9 epochs) against hyperband,
 *    asha and bohb (min 1, max 9, eta 3) under the same total epoch budget; promoted trials load the earlier trial's checkpoint
 *    (`runTrial(..., { initFrom, startEpoch })`). Reported: best validation accuracy, epochs spent to reach random search's
 *    final best minus 0.5 points, and the best reached within a third of the epochs. Goal: random's best accuracy
 *    (within 0.5 points) for at most a third of its epochs.
 *
 * Searcher + scheduler combinations (tpe/gp + hyperband/asha) against Optuna's TPE + HyperbandPruner on this simulator (the
 * `sqrt` family of bench/curves.ts) and a second curve family: bench/schedulers.ts. There (10 seeds, same run as Optuna 3.1),
 * gp + hyperband's median regret is 0.74 / 0.57 / 0.28 / 0.35 of Optuna's at 8R / 16R / 32R / 64R on this simulator, and
 * bohb's 0.95 / 1.21 / 1.07 / 0.84.
 *
 * The machine is shared: wall times are noisy; the epoch counts and accuracies are what matter (single seed for MNIST, so one
 * lucky or unlucky draw moves them: read them as an indication, the simulator as the statistics).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileSpace, space } from '../spaces/index.js';
import type { SearchSpace } from '../spaces/types.js';
import { createSearcher, registerSearcher, searcherTypes } from '../searchers/index.js';
import { createAshaSearcher, createBohbSearcher, createHyperbandSearcher } from '../searchers/multifidelity/index.js';
import type { Searcher } from '../searchers/types.js';
import { createStudy } from '../src/study/open.js';
import type { Params, TrialRecord } from '../src/core/types.js';
import { demoConfig, demoSpace } from '../src/cli/demo.js';
import { loadMnist, runTrial, useBackend } from '../trials/index.js';
import type { Dataset } from '../trials/types.js';
import { curveProblem, Y_STAR } from './curves.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const runSim = !args.has('--mnist');
const runMnist = !args.has('--sim');

for (const [type, factory] of [
  ['hyperband', createHyperbandSearcher],
  ['asha', createAshaSearcher],
  ['bohb', createBohbSearcher],
] as const) {
  if (!searcherTypes().includes(type)) registerSearcher(type, factory);
}
const METHODS = ['random', 'hyperband', 'asha', 'bohb'] as const;
type Method = (typeof METHODS)[number];

// ------------------------------------------------------------------------------------------------------------ simulator

const simSpace: SearchSpace = compileSpace({
  lr: space.float(0, 1),
  a: space.float(0, 1),
  b: space.float(0, 1),
  c: space.float(0, 1),
  d: space.float(0, 1),
});
/** The `sqrt` family of bench/curves.ts (shared with bench/schedulers.ts and its Optuna anchor). */
const problem = (seed: number) => curveProblem('sqrt', seed);

interface Point {
  readonly spent: number;
  readonly regret: number;
}

/** Runs one method on one problem until `total` epochs are spent; returns the regret trajectory. */
async function simulate(method: Method, seed: number, R: number, total: number): Promise<Point[]> {
  const prob = problem(seed);
  const spec = method === 'random' ? 'random' : { type: method, min: 1, max: R, eta: 3 };
  const searcher: Searcher = createSearcher(spec, { space: simSpace, seed, direction: 'minimize' });
  const trials: TrialRecord[] = [];
  const out: Point[] = [];
  let spent = 0;
  let incumbent: { budget: number; value: number; params: Params } | undefined;
  while (spent < total) {
    const r = await searcher.suggest({ number: trials.length, trials });
    if (r.kind !== 'suggest') throw new Error(`${method} answered ${r.kind} with nothing running`);
    const budget = r.budget ?? R;
    const from = r.system?.['continueFrom'];
    const start = typeof from === 'number' ? (trials[from]?.budget ?? 0) : 0;
    spent += budget - start;
    const value = prob.at(r.params, budget);
    trials.push({
      number: trials.length,
      state: 'complete',
      params: r.params,
      budget,
      value,
      system: r.system ?? {},
      intermediate: [],
      userAttrs: {},
      created: '',
    });
    if (!incumbent || budget > incumbent.budget || (budget === incumbent.budget && value < incumbent.value))
      incumbent = { budget, value, params: r.params };
    out.push({ spent, regret: prob.final(incumbent.params) - Y_STAR });
  }
  return out;
}

function regretAt(traj: readonly Point[], spent: number): number {
  let r = NaN;
  for (const p of traj) if (p.spent <= spent) r = p.regret;
  return r;
}

async function simulatorBench(): Promise<void> {
  const R = 27;
  const seeds = quick ? 10 : 30;
  const multiples = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64];
  const total = R * multiples[multiples.length - 1]!;
  console.log(
    `\n1. Learning-curve simulator: R = ${R} epochs (min 1, eta 3), ${seeds} seeds, up to ${total} epochs (= ${total / R} full-budget trials)`,
  );
  console.log(`   mean regret (final loss of the incumbent - optimum) after E epochs; lower is better`);
  const t0 = performance.now();
  const mean: Record<Method, number[]> = { random: [], hyperband: [], asha: [], bohb: [] };
  for (const m of METHODS) {
    const runs: Point[][] = [];
    for (let seed = 1; seed <= seeds; seed++) runs.push(await simulate(m, seed, R, total));
    mean[m] = multiples.map(
      (k) => runs.reduce((a, tr) => a + (Number.isNaN(regretAt(tr, k * R)) ? 1 : regretAt(tr, k * R)), 0) / runs.length,
    );
  }
  console.log(`   ${'E (x R)'.padEnd(11)}` + multiples.map((k) => `${k}R`.padStart(9)).join(''));
  for (const m of METHODS) console.log(`   ${m.padEnd(11)}` + mean[m].map((v) => v.toFixed(4).padStart(9)).join(''));
  // Epochs each method needs to match random search's final regret.
  const target = mean.random[mean.random.length - 1]!;
  for (const m of METHODS) {
    const i = mean[m].findIndex((v) => v <= target);
    console.log(
      `   ${m.padEnd(11)} reaches random's ${total / R}R regret (${target.toFixed(4)}) at ${i < 0 ? `> ${total / R}R` : `${multiples[i]}R (${((multiples[i]! * R) / total).toFixed(3)} of random's epochs)`}`,
    );
  }
  console.log(`   (simulator wall time ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

// ------------------------------------------------------------------------------------------------------------ MNIST

/** A smaller demo-like space (narrower layers than `demoSpace`) so an epoch costs ~1-2 s on 6,400 digits. */
const benchSpace = {
  ...demoSpace,
  model: space.choice({
    mlp: { units: space.choice([[64], [128], [128, 64]]), dropout: space.float(0, 0.4, { step: 0.1 }), batchNorm: space.bool() },
    residual_mlp: { blocks: space.int(1, 2), units: space.choice([32, 64, 128]), dropout: space.float(0, 0.3, { step: 0.1 }) },
  }),
};

interface MnistRun {
  readonly method: Method;
  readonly trials: number;
  readonly spent: number;
  readonly best: number;
  readonly trajectory: readonly { spent: number; best: number }[];
  readonly seconds: number;
  /** BOHB: configurations proposed by the model (the rest were random). */
  readonly modelled: number;
}

async function mnistMethod(method: Method, data: Dataset, total: number, R: number, seed: number, root: string): Promise<MnistRun> {
  const study = await createStudy({
    name: `mnist-${method}`,
    space: benchSpace,
    direction: 'maximize',
    searcher: method === 'random' ? 'random' : { type: method, min: 1, max: R, eta: 3 },
    seed,
  });
  const dir = await mkdtemp(path.join(root, `${method}-`));
  const stop = new AbortController();
  let spent = 0;
  let best = 0;
  const trajectory: { spent: number; best: number }[] = [];
  const t0 = performance.now();
  await study.optimize(
    async (p, ctx) => {
      const budget = ctx.budget ?? R;
      const from = ctx.continueFrom !== undefined ? await study.trial(ctx.continueFrom) : undefined;
      // A configuration keeps its seed across promotions: the root trial's number.
      const root = from ? ((from.userAttrs['root'] as number | undefined) ?? from.number) : ctx.number;
      if (from) await study.setTrialUserAttr(ctx.number, 'root', root);
      const run = await runTrial(demoConfig(p as unknown as Parameters<typeof demoConfig>[0], budget, seed * 1000 + root), data, {
        signal: ctx.signal,
        outDir: path.join(dir, String(ctx.number)),
        ...(from ? { initFrom: path.join(dir, String(from.number)), startEpoch: from.budget ?? 0 } : {}),
        report: async (e) => ((await ctx.report(e.epoch, e.metrics['valAccuracy'] ?? NaN)) === 'prune' ? 'stop' : 'continue'),
      });
      spent += run.history.length;
      const acc = Math.max(...run.history.map((e) => e.metrics['valAccuracy'] ?? 0));
      best = Math.max(best, acc);
      trajectory.push({ spent, best });
      return acc;
    },
    {
      trials: 10_000,
      signal: stop.signal,
      onTrialFinished: () => {
        if (spent >= total) stop.abort();
      },
    },
  );
  const stored = await study.trials();
  const trials = stored.filter((t) => t.state === 'complete').length;
  const modelled = stored.filter((t) => t.system['sampler'] === 'model').length;
  await study.close();
  await rm(dir, { recursive: true, force: true });
  return { method, trials, spent, best, trajectory, seconds: (performance.now() - t0) / 1000, modelled };
}

async function mnistBench(): Promise<void> {
  const R = 9;
  const randomTrials = quick ? 4 : 12;
  const total = randomTrials * R;
  const limit = quick ? 2500 : 8000;
  const seed = 1;
  await useBackend('wasm');
  const data = await loadMnist({ seed, val: 0.2, test: 0, limit });
  console.log(
    `\n2. MNIST ${data.train.n}/${data.val.n} (train/val), wasm, a small demo-like space; random: ${randomTrials} trials x ${R} epochs = ${total} epochs; ` +
      `hyperband/asha/bohb (min 1, max ${R}, eta 3) get the same ${total} epochs (the last trial may overshoot); promotions continue from checkpoints`,
  );
  const root = await mkdtemp(path.join(tmpdir(), 'tunekit-mf-bench-'));
  const runs: MnistRun[] = [];
  try {
    for (const m of METHODS) {
      const r = await mnistMethod(m, data, total, R, seed, root);
      runs.push(r);
      console.log(
        `   ${m.padEnd(10)} ${String(r.trials).padStart(3)} trials, ${String(r.spent).padStart(3)} epochs, best val acc ${(r.best * 100).toFixed(2)}%  (${r.seconds.toFixed(0)} s)` +
          (m === 'bohb' ? `; ${r.modelled} configurations from the model (needs d + 1 observations at one budget first)` : ''),
      );
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  const random = runs[0]!;
  const target = random.best - 0.005;
  console.log(`   target: random's best - 0.5 points = ${(target * 100).toFixed(2)}%`);
  for (const r of runs) {
    const hit = r.trajectory.find((x) => x.best >= target);
    const third = r.trajectory.filter((x) => x.spent <= total / 3).reduce((a, x) => Math.max(a, x.best), 0);
    console.log(
      `   ${r.method.padEnd(10)} reaches it after ${hit ? `${hit.spent} epochs (${(hit.spent / random.spent).toFixed(2)} of random's)` : 'never'}; ` +
        `best within ${Math.floor(total / 3)} epochs (a third): ${(third * 100).toFixed(2)}%; s/epoch ${(r.seconds / r.spent).toFixed(2)}`,
    );
  }
}

if (runSim) await simulatorBench();
if (runMnist) await mnistBench();
