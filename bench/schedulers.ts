/**
 * bench/schedulers: searcher + scheduler combinations (`composeSearcher({ searcher, scheduler })`) against Optuna 3.1's
 * TPESampler + HyperbandPruner, measured in the same run, on the learning-curve families of bench/curves.ts (R = 27 steps).
 *
 *   node --import tsx bench/schedulers.ts [--seeds 10] [--seed-offset 1] [--families sqrt,exp] [--methods bohb,tpe+hyperband,...]
 *                                        [--budget 64] [--no-optuna]
 *
 * Each method runs one trial at a time until it has spent `budget` x R training steps (a promotion pays only the steps beyond
 * the checkpoint it continues from; an Optuna trial pays every step it ran before being pruned). The incumbent is the best
 * configuration at the highest budget reached so far (same rule for every method); regret = its final loss - optimum.
 * Printed per family and checkpoint (8R, 16R, 32R, 64R): median regret over seeds, then per method the ratio of its median to
 * Optuna's with a 95% bootstrap interval and the one-sided Mann-Whitney p of "this method's regrets are larger" (bench/stats.ts).
 *
 * Figures: see the header of the run record below (filled in from the runs).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSpace, space } from '../spaces/index.js';
import { composeSearcher, schedulerPruner, type ComposeSpec } from '../searchers/schedulers/index.js';
import type { Params, TrialRecord } from '../src/core/types.js';
import { CURVE_KEYS, curveProblem, FAMILIES, PY_CURVES, Y_STAR, type CurveFamily } from './curves.js';
import { bootstrapRatioCi, mannWhitneyGreater, median } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const SEEDS = Number(arg('seeds', '10'));
const SEED0 = Number(arg('seed-offset', '1'));
const R = 27;
const ETA = 3;
const BUDGET = Number(arg('budget', '64'));
const CHECK = [8, 16, 32, 64].filter((k) => k <= BUDGET);
const FAMS = arg('families', FAMILIES.join(',')).split(',') as CurveFamily[];
const METHODS = arg('methods', 'hyperband,bohb,tpe+hyperband,tpe+asha,gp+hyperband').split(',');
const OPTUNA = !process.argv.includes('--no-optuna');
const seeds = Array.from({ length: SEEDS }, (_, i) => SEED0 + i);

const simSpace = compileSpace(Object.fromEntries(CURVE_KEYS.map((k) => [k, space.float(0, 1)])));

/**
 * `tpe+asha` -> { searcher: 'tpe', scheduler: 'asha' }; `tpe+hyperband:budget:conservative-first` also sets the scheduler's
 * `learnFrom` and `order` (`tpe+hyperband::conservative-first`: the order alone; a fourth field: `minPoints`); `asha-stop`: ASHA's stop rule; a bare
 * name is a searcher (hyperband, bohb: self-scheduled).
 */
function specOf(method: string): ComposeSpec {
  const [searcher, rest] = method.split('+');
  if (!rest) return { searcher: searcher! };
  const [scheduler, learnFrom, order, minPoints] = rest.split(':');
  // `asha-stop`: ASHA's stop rule as a pruner (every configuration starts with R steps and reports each step).
  const stop = scheduler === 'asha-stop';
  return {
    searcher: searcher!,
    scheduler: { type: stop ? 'asha' : scheduler!, min: 1, max: R, eta: ETA, ...(stop ? { mode: 'stop' } : {}), ...(learnFrom ? { learnFrom } : {}), ...(order ? { order } : {}), ...(minPoints ? { minPoints: Number(minPoints) } : {}) },
  };
}

/** One finished trial as the regret bookkeeping sees it. */
interface Event {
  readonly steps: number;
  readonly budget: number;
  readonly value: number;
  readonly final: number;
}

/** Regret after each checkpoint's steps, from events in completion order (shared by tunekit and Optuna runs). */
function regrets(events: readonly Event[]): number[] {
  let spent = 0;
  let inc: Event | undefined;
  const out: number[] = [];
  let c = 0;
  for (const e of events) {
    // Before this event's steps are spent, record every checkpoint it would cross.
    while (c < CHECK.length && spent + e.steps > CHECK[c]! * R) out[c++] = inc ? inc.final - Y_STAR : NaN;
    spent += e.steps;
    if (!inc || e.budget > inc.budget || (e.budget === inc.budget && e.value < inc.value)) inc = e;
  }
  while (c < CHECK.length) out[c++] = inc ? inc.final - Y_STAR : NaN;
  return out;
}

async function runTunekit(method: string, family: CurveFamily, seed: number): Promise<number[]> {
  const prob = curveProblem(family, seed);
  const init = { space: simSpace, seed, direction: 'minimize' as const, budget: { min: 1, max: R } };
  const searcher = composeSearcher(specOf(method), init);
  const pruner = schedulerPruner(specOf(method), init);
  const trials: TrialRecord[] = [];
  const events: Event[] = [];
  let spent = 0;
  while (spent < BUDGET * R) {
    const r = await searcher.suggest({ number: trials.length, trials });
    if (r.kind !== 'suggest') throw new Error(`${method} answered ${r.kind} with nothing running`);
    const budget = r.budget ?? R;
    const from = r.system?.['continueFrom'];
    const start = typeof from === 'number' ? (trials[from]?.budget ?? 0) : 0;
    const base = { number: trials.length, params: r.params, budget, system: r.system ?? {}, userAttrs: {}, created: '' };
    if (pruner) {
      // Step by step, asking the stop rule after each report (as the study does with a pruner).
      const intermediate: { step: number; value: number }[] = [];
      let state: 'complete' | 'pruned' = 'complete';
      trials.push({ ...base, state: 'running', intermediate });
      for (let step = 1; step <= budget; step++) {
        intermediate.push({ step, value: prob.at(r.params as Params, step) });
        trials[base.number] = { ...base, state: 'running', intermediate: intermediate.slice() };
        const d = await pruner.decide({ trial: trials[base.number]!, step, trials, direction: 'minimize' });
        if (d.action === 'prune' && step < budget) {
          state = 'pruned';
          break;
        }
      }
      const last = intermediate[intermediate.length - 1]!;
      trials[base.number] = { ...base, state, value: last.value, intermediate };
      spent += last.step;
      events.push({ steps: last.step, budget: last.step, value: last.value, final: prob.final(r.params) });
      continue;
    }
    const value = prob.at(r.params as Params, budget);
    spent += budget - start;
    trials.push({ ...base, state: 'complete', value, intermediate: [] });
    events.push({ steps: budget - start, budget, value, final: prob.final(r.params) });
  }
  return regrets(events);
}

/** Optuna's per-seed regrets for one family (the child process runs while tunekit's methods run). */
function runOptuna(family: CurveFamily): Promise<Map<number, number[]>> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [path.join(here, 'anchors/optuna_hyperband.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`optuna anchor exited with ${code}`));
      const res = new Map<number, number[]>();
      for (const line of out.trim().split('\n')) {
        const { seed, trials } = JSON.parse(line) as { seed: number; trials: [number, number, number][] };
        res.set(seed, regrets(trials.map(([steps, value, final]) => ({ steps, budget: steps, value, final }))));
      }
      resolve(res);
    });
    child.stdin.end(JSON.stringify({ curves: PY_CURVES, family, seeds, R, eta: ETA, total: BUDGET * R }));
  });
}

const fmt = (v: number) => (v >= 0.01 ? v.toFixed(4) : v.toExponential(2));

console.log(`bench/schedulers: R = ${R}, eta = ${ETA}, seeds ${SEED0}..${SEED0 + SEEDS - 1}, ${BUDGET}R steps per run; median regret at E steps`);
for (const family of FAMS) {
  const t0 = performance.now();
  const optuna = OPTUNA ? runOptuna(family) : undefined;
  const per: Record<string, number[][]> = {};
  for (const m of METHODS) {
    const t1 = performance.now();
    per[m] = [];
    for (const seed of seeds) per[m].push(await runTunekit(m, family, seed));
    console.log(`  [${family}] ${m}: ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  }
  const opt = optuna ? await optuna : undefined;
  if (opt) per['optuna tpe+hb'] = seeds.map((s) => opt.get(s)!);
  console.log(`\n  family ${family} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  console.log(`  ${'method'.padEnd(16)}` + CHECK.map((k) => `${k}R`.padStart(11)).join(''));
  for (const [m, runs] of Object.entries(per)) {
    console.log(`  ${m.padEnd(16)}` + CHECK.map((_, c) => fmt(median(runs.map((r) => r[c]!))).padStart(11)).join(''));
  }
  if (!opt) continue;
  const base = per['optuna tpe+hb']!;
  console.log(`  ratio of medians to Optuna TPE+Hyperband [95% CI], Mann-Whitney p(method worse):`);
  for (const m of METHODS) {
    const cells = CHECK.map((_, c) => {
      const a = per[m]!.map((r) => r[c]!);
      const b = base.map((r) => r[c]!);
      const [lo, hi] = bootstrapRatioCi(a, b);
      return `${(median(a) / median(b)).toFixed(2)} [${lo.toFixed(2)}, ${hi.toFixed(2)}] p=${mannWhitneyGreater(a, b).toFixed(2)}`;
    });
    console.log(`  ${m.padEnd(16)}${cells.join('  ')}`);
  }
}
