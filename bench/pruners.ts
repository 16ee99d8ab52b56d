/**
 * bench/pruners: do the metric pruners decide like Optuna 3.1, and what does a decision cost?
 *
 *   node --import tsx bench/pruners.ts [--scenarios 300] [--no-optuna] [--no-timing]
 *
 * Agreement: seeded random scenarios (completed trials with random curves, gaps and NaNs; a running trial reporting step by
 * step; random options and direction) are decided by tunekit's median/percentile/threshold/patience at every step, and by
 * Optuna's MedianPruner/PercentilePruner/ThresholdPruner/PatiencePruner on the same frozen trials (`/usr/bin/python3`, in the
 * same run). Prints the share of identical decisions and the first disagreements.
 *
 * Timing: microseconds per decide() with 100 completed trials of 50 steps stored, for the no-op pruner (baseline), `median`,
 * the diagnostics and `any([...])` of all of them. The machine's 2 cores are shared: compare the ratios, not the times.
 */
import { spawn } from 'node:child_process';
import seedrandom from 'seedrandom';
import {
  any,
  diverging,
  exploding,
  median,
  nanGuard,
  nopPruner,
  overfitting,
  patience,
  percentile,
  plateau,
  threshold,
  vanishing,
  type Pruner,
} from '../src/pruners/index.js';
import type { Direction, IntermediateValue, Metrics, TrialRecord } from '../src/core/types.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const SCENARIOS = Number(arg('scenarios', '300'));

interface Scenario {
  kind: 'median' | 'percentile' | 'threshold' | 'patience';
  options: { [k: string]: number };
  direction: Direction;
  /** Completed trials: [step, value] pairs (value null = NaN). */
  completed: [number, number | null][][];
  running: [number, number | null][];
}

function trial(number: number, points: readonly [number, number | null][], state: TrialRecord['state']): TrialRecord {
  const intermediate: IntermediateValue[] = points.map(([step, v]) => ({ step, value: v ?? NaN }));
  const last = intermediate[intermediate.length - 1]?.value ?? 0;
  return {
    number,
    state,
    params: {},
    intermediate,
    userAttrs: {},
    system: {},
    created: '2026-01-01T00:00:00.000Z',
    ...(state === 'complete' ? { value: Number.isFinite(last) ? last : 0 } : {}),
  };
}

function makeScenario(i: number): Scenario {
  const rng = seedrandom(`pruners-bench/${i}`);
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const kinds = ['median', 'percentile', 'threshold', 'patience'] as const;
  const kind = kinds[i % kinds.length]!;
  const direction: Direction = rng() < 0.5 ? 'minimize' : 'maximize';
  const curve = (len: number, offset: number): [number, number | null][] => {
    const out: [number, number | null][] = [];
    let step = 0;
    for (let k = 0; k < len; k++) {
      step += rng() < 0.15 ? 2 : 1; // some gaps
      const v = offset + 1 / (1 + step) + 0.3 * (rng() - 0.5);
      out.push([step - 1, rng() < 0.04 ? null : Math.round(v * 100) / 100]); // rounded: ties happen, as they do in real curves
    }
    return out;
  };
  const completed = Array.from({ length: int(0, 9) }, () => curve(int(1, 10), rng()));
  const running = curve(int(1, 10), rng());
  const options: { [k: string]: number } = {};
  if (kind === 'median' || kind === 'percentile') {
    options['startupTrials'] = int(0, 5);
    options['warmupSteps'] = int(0, 3);
    options['interval'] = int(1, 3);
    options['minTrials'] = int(1, 3);
    if (kind === 'percentile') options['percentile'] = [0, 10, 25, 50, 75, 90, 100][int(0, 6)]!;
  } else if (kind === 'threshold') {
    options['lower'] = 0.2 + rng() * 0.5;
    options['upper'] = options['lower'] + rng();
    options['warmupSteps'] = int(0, 2);
    options['interval'] = int(1, 2);
  } else {
    options['patience'] = int(0, 3);
    options['minDelta'] = rng() < 0.5 ? 0 : Math.round(rng() * 10) / 100;
  }
  return { kind, options, direction, completed, running };
}

function pruner(s: Scenario): Pruner {
  const o = s.options;
  if (s.kind === 'median') return median(o);
  if (s.kind === 'percentile') return percentile({ ...o, percentile: o['percentile']! });
  if (s.kind === 'threshold') return threshold(o);
  return patience({ patience: o['patience']!, minDelta: o['minDelta']! });
}

/** tunekit's decisions for every step of the running trial (no early stop: Optuna is asked at every step too). */
async function ours(s: Scenario): Promise<boolean[]> {
  const p = pruner(s);
  const done = s.completed.map((c, i) => trial(i, c, 'complete'));
  const out: boolean[] = [];
  for (let k = 0; k < s.running.length; k++) {
    const t = trial(done.length, s.running.slice(0, k + 1), 'running');
    const d = await p.decide({ trial: t, step: s.running[k]![0], trials: [...done, t], direction: s.direction });
    out.push(d.action === 'prune');
  }
  return out;
}

const PY = String.raw`
import json, math, sys, datetime
import optuna
from optuna.trial import FrozenTrial, TrialState
from optuna.study import StudyDirection
optuna.logging.set_verbosity(optuna.logging.ERROR)
now = datetime.datetime(2026, 1, 1)
def frozen(number, points, state):
    iv = {s: (float('nan') if v is None else v) for s, v in points}
    value = None
    if state == TrialState.COMPLETE:
        last = list(iv.values())[-1]
        value = last if math.isfinite(last) else 0.0
    return FrozenTrial(number=number, state=state, value=value, datetime_start=now, datetime_complete=None, params={},
                       distributions={}, user_attrs={}, system_attrs={}, intermediate_values=iv, trial_id=number)
class FakeStudy:
    def __init__(self, trials, direction):
        self.trials, self.direction = trials, direction
    def get_trials(self, deepcopy=True, states=None):
        return [t for t in self.trials if states is None or t.state in states]
out = []
for s in json.load(sys.stdin):
    o = s["options"]
    if s["kind"] == "median":
        p = optuna.pruners.MedianPruner(o["startupTrials"], o["warmupSteps"], o["interval"], n_min_trials=o["minTrials"])
    elif s["kind"] == "percentile":
        p = optuna.pruners.PercentilePruner(o["percentile"], o["startupTrials"], o["warmupSteps"], o["interval"], n_min_trials=o["minTrials"])
    elif s["kind"] == "threshold":
        p = optuna.pruners.ThresholdPruner(lower=o["lower"], upper=o["upper"], n_warmup_steps=o["warmupSteps"], interval_steps=o["interval"])
    else:
        p = optuna.pruners.PatientPruner(None, patience=o["patience"], min_delta=o["minDelta"])
    done = [frozen(i, c, TrialState.COMPLETE) for i, c in enumerate(s["completed"])]
    direction = StudyDirection.MINIMIZE if s["direction"] == "minimize" else StudyDirection.MAXIMIZE
    row = []
    for k in range(len(s["running"])):
        t = frozen(len(done), s["running"][:k + 1], TrialState.RUNNING)
        row.append(bool(p.prune(FakeStudy(done + [t], direction), t)))
    out.append(row)
print(json.dumps(out))
`;

function runPython(input: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const py = spawn('/usr/bin/python3', ['-c', PY], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    py.stdout.on('data', (d: Buffer) => (out += d.toString()));
    py.stderr.on('data', (d: Buffer) => (err += d.toString()));
    py.on('error', () => resolve(undefined));
    py.on('close', (code) => {
      if (code !== 0) process.stderr.write(`optuna side failed (${code ?? 'killed by a signal'}): ${err.slice(-2000)}\n`);
      resolve(code === 0 ? out : undefined);
    });
    py.stdin.end(input);
  });
}

async function agreement(): Promise<void> {
  const scenarios = Array.from({ length: SCENARIOS }, (_, i) => makeScenario(i));
  const mine = await Promise.all(scenarios.map(ours));
  const theirs = await runPython(JSON.stringify(scenarios));
  if (theirs === undefined) {
    console.log('agreement: skipped (/usr/bin/python3 with python3-optuna is needed)');
    return;
  }
  const rows = JSON.parse(theirs) as boolean[][];
  const byKind = new Map<string, { same: number; total: number; pruned: number }>();
  const diffs: string[] = [];
  scenarios.forEach((s, i) => {
    const k = byKind.get(s.kind) ?? { same: 0, total: 0, pruned: 0 };
    mine[i]!.forEach((d, j) => {
      k.total++;
      if (d) k.pruned++;
      if (d === rows[i]![j]) k.same++;
      else if (diffs.length < 5)
        diffs.push(
          `scenario ${i} (${s.kind}, ${s.direction}, ${JSON.stringify(s.options)}) step ${s.running[j]![0]}: tunekit ${d}, optuna ${rows[i]![j]}`,
        );
    });
    byKind.set(s.kind, k);
  });
  console.log(`agreement with Optuna 3.1 over ${SCENARIOS} random scenarios (decisions at every step):`);
  for (const [kind, k] of byKind) {
    console.log(
      `  ${kind.padEnd(10)} ${k.same}/${k.total} identical (${((100 * k.same) / k.total).toFixed(1)}%), ${k.pruned} prune decisions`,
    );
  }
  for (const d of diffs) console.log(`  differs: ${d}`);
}

async function timing(): Promise<void> {
  const rng = seedrandom('pruners-bench/timing');
  const STEPS = 50;
  const signals = (step: number): Metrics => ({
    epoch: step + 1,
    trainLoss: 1 / (step + 1),
    valLoss: 1.1 / (step + 1) + 0.1 * rng(),
    gradNorm: 2 + rng(),
    gradNormMean: 1,
    nonFinite: 0,
  });
  const done = Array.from({ length: 100 }, (_, n) => {
    const intermediate = Array.from({ length: STEPS }, (_, s) => {
      const metrics = signals(s);
      return { step: s, value: metrics['valLoss']!, metrics };
    });
    return { ...trial(n, [], 'complete'), intermediate, value: intermediate[STEPS - 1]!.value };
  });
  const run: TrialRecord = { ...trial(100, [], 'running'), intermediate: done[0]!.intermediate.slice(0, 30) };
  const req = { trial: run, step: 29, trials: [...done, run], direction: 'minimize' as const, metrics: run.intermediate[29]!.metrics! };
  const diag = [nanGuard(), exploding(), vanishing(), diverging(), overfitting(), plateau()];
  const cases: [string, Pruner][] = [
    ['none (baseline)', nopPruner()],
    ['median', median()],
    ['nanGuard', nanGuard()],
    ['exploding', exploding()],
    ['six diagnostics, any(reasons: all)', any(diag, { reasons: 'all' })],
    ['any([median, ...six diagnostics])', any([median(), ...diag], { reasons: 'all' })],
  ];
  const per: number[] = [];
  console.log(`\ndecide() cost, 100 completed trials x ${STEPS} steps stored, running trial at step 29 (median of 5 rounds):`);
  for (const [name, p] of cases) {
    const rounds: number[] = [];
    for (let r = 0; r < 5; r++) {
      const n = 2000;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await p.decide(req);
      rounds.push(((performance.now() - t0) * 1000) / n);
    }
    rounds.sort((a, b) => a - b);
    per.push(rounds[2]!);
    console.log(`  ${name.padEnd(36)} ${rounds[2]!.toFixed(2).padStart(8)} us/decide  (x${(rounds[2]! / per[0]!).toFixed(1)} the no-op)`);
  }
}

if (!process.argv.includes('--no-optuna')) await agreement();
if (!process.argv.includes('--no-timing')) await timing();
