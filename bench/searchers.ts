/**
 * bench/searchers: sample efficiency and cost of the model-based searchers beside Optuna 3.1 measured in the same run.
 *
 *   node --import tsx bench/searchers.ts [--seeds 20] [--seed-offset 0] [--searchers random,sobol,tpe,gp]
 *                                        [--funcs branin,hartmann6,...] [--trials 100] [--no-optuna] [--no-timing] [--no-regret]
 *
 * Regret: for every function of bench/functions.ts, searcher and seed (seed-offset .. seed-offset + seeds - 1), a study
 * (`createStudy` + `optimize`, in memory) runs `trials` trials; the table shows the median simple regret (best value - f*)
 * over seeds after 25, 50 and 100 trials. Optuna's TPE (univariate, its default, and multivariate) runs on the same functions
 * and seeds at the same time: the anchor's procedure (`/work/shared/anchors/optuna_anchor.py`) inlined so that it can return
 * per-seed regrets and start at any seed, with branin/hartmann6 taken from the anchor's `functions.py` and the others from
 * each function's `py` source. Ratios < 1 mean tunekit's searcher ends closer to the optimum than Optuna's TPE.
 *
 * Then, per model-based searcher, function and checkpoint: the ratio of medians with a 95% bootstrap interval and the
 * one-sided Mann-Whitney p-value of "tunekit's regrets are larger" (bench/stats.ts), and a count of cells by verdict. Over
 * 20 seeds a ratio near 1 can land on either side (its 95% interval is often 0.6-1.6 wide), which is why this is printed.
 *
 * Runs of 2026-11-30 (tpe with incumbent candidates; median regret @25/@50/@100):
 *   `node --import tsx bench/searchers.ts` (20 seeds, 0-19, as the issue asks):
 *     branin       tpe 0.430/0.231/0.0289   gp 3.6e-3/3.1e-5/6.6e-6   Optuna tpe 0.582/0.172/0.0121   mv 0.458/0.160/0.0725
 *     hartmann6    tpe 1.19/0.311/0.141     gp 0.180/1.6e-4/1.6e-5    Optuna tpe 1.39/0.562/0.254     mv 0.845/0.323/0.188
 *     styblinski5  tpe 56.5/34.0/28.7       gp 29.2/28.3/14.1         Optuna tpe 68.9/51.0/30.4       mv 61.9/48.5/27.8
 *     rosenbrock4  tpe 357/73.5/7.42        gp 32.7/3.63/2.30         Optuna tpe 1209/322/61.2        mv 655/232/53.8
 *     mixed        tpe 1.42/0.122/6.1e-3    gp 1.00/8.5e-6/9.5e-7     Optuna tpe 2.15/1.13/0.161      mv 1.51/0.392/0.0646
 *     tpe cells above 1 (all with 95% intervals containing 1, Mann-Whitney p >= 0.08): branin @50 1.34|1.45, @100 2.38 (vs
 *     univariate), hartmann6 @25 1.41 (vs multivariate), styblinski5 @100 1.03 (vs multivariate). 0 of 60 cells credibly
 *     worse, 47 credibly better.
 *   `node --import tsx bench/searchers.ts --seeds 300 --searchers tpe --no-timing` (seeds 0-299):
 *     branin       tpe 0.553/0.162/0.0156   Optuna tpe 0.692/0.178/0.0300   mv 0.673/0.208/0.0950
 *     hartmann6    tpe 0.859/0.291/0.147    Optuna tpe 1.32/0.581/0.243     mv 0.980/0.415/0.238
 *     styblinski5  tpe 56.6/37.9/29.5       Optuna tpe 59.9/44.6/28.8       mv 57.6/42.3/28.9
 *     rosenbrock4  tpe 624/70.1/8.42        Optuna tpe 918/255/47.6         mv 614/171/54.1
 *     mixed        tpe 1.25/0.0851/5.5e-3   Optuna tpe 1.65/0.592/0.0723    mv 1.21/0.317/0.0835
 *     26 of 30 ratios <= 1; above 1: styblinski5 @100 1.02 (both; intervals [0.93, 1.17] and [0.94, 1.08]), rosenbrock4 @25
 *     1.02 and mixed @25 1.03 (vs multivariate); 0 credibly worse, 22 credibly better.
 *   tpe ms/ask warm at 1,000 trials, 8 params: 2.3-3.7 ms over three runs (`--no-regret`; Optuna TPE 142 ms in the same run).
 * The defaults were tuned on seeds 100-299, so the 300-seed run is two-thirds in-sample. On seeds 0-99 alone (never used to
 * choose anything) the cells above 1 are branin @25 1.01 and @50 1.07 (vs univariate), styblinski5 @100 1.13 | 1.06,
 * rosenbrock4 @25 1.01 and mixed @25 1.07 (vs multivariate), every one with Mann-Whitney p >= 0.24 for "tunekit worse"; on
 * styblinski5 Optuna's seeds 0-119 are a lucky draw (its median @100 is 26.7 there and 30.8 on seeds 120-299).
 *
 * Timing: ms per ask of `tpe` with 100 and 1,000 complete trials stored (8 float params), first ask (cold encode cache) and the
 * median of later ones, beside Optuna's TPE ask+8 suggests on a study holding the same number of trials; `gp` at 200 trials in
 * 6-D when searchers/gp exists. The machine's 2 cores are shared with other work: times are noisy, compare ratios.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import seedrandom from 'seedrandom';
import { compileSpace, space } from '../spaces/index.js';
import { registerSearcher, searcherTypes } from '../searchers/index.js';
import type { SearcherFactory } from '../searchers/types.js';
import { createTpeSearcher } from '../searchers/tpe/index.js';
import type { SpaceTree } from '../spaces/types.js';
import type { TrialRecord } from '../src/core/types.js';
import { FUNCTIONS, simpleRegret, type BenchFunction } from './functions.js';
import { bootstrapRatioCi, mannWhitneyGreater, median } from './stats.js';

const anchors = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/anchors');
const CHECK = [25, 50, 100, 200];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
const SEEDS = Number(arg('seeds', '20'));
const SEED0 = Number(arg('seed-offset', '0'));
const TRIALS = Number(arg('trials', '100'));
const FUNCS = arg('funcs', FUNCTIONS.map((f) => f.name).join(',')).split(',');
let SEARCHERS = arg('searchers', 'random,sobol,tpe,gp').split(',');

/** Per function and sampler: `median_regret@n` and `ms_per_trial`. */
type Summary = { [func: string]: { [sampler: string]: { [k: string]: number } } };
/** Per function and sampler and checkpoint n: the per-seed regrets behind each median (for the confidence table). */
type PerSeed = { [func: string]: { [sampler: string]: { [n: string]: number[] } } };
const perSeed: PerSeed = {};

// ---------------------------------------------------------------- Optuna (Python) side
const PY_EXTRA = String.raw`
import json, math, sys, time, statistics, warnings
from concurrent.futures import ProcessPoolExecutor
import optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")
cfg = json.loads(sys.stdin.read())
sys.path.insert(0, cfg.get("anchors", "."))
def from_anchor(name):
    from functions import FUNCS
    g, bounds, _ = FUNCS[name]
    return lambda p: g([p["x%d" % i] for i in range(len(bounds))])
FN = {}
for spec in cfg["funcs"]:
    ns = {"math": math}
    exec(spec["py"], ns)
    # Functions the anchor knows use its own definition (functions.py), the others the bench's Python source.
    FN[spec["name"]] = (from_anchor(spec["name"]) if spec["anchor"] else ns["f"], spec["space"], spec["fStar"])
CHECK = [n for n in (10, 25, 50, 100, 200) if n <= cfg["n"]]
def suggest(t, name, d):
    k = d["_type"]
    if k == "float": return t.suggest_float(name, d["low"], d["high"], log=d["log"], step=d.get("step"))
    if k == "int": return t.suggest_int(name, d["low"], d["high"], step=d["step"], log=d["log"])
    if k == "bool": return t.suggest_categorical(name, [False, True])
    if k == "choice": return t.suggest_categorical(name, d["values"])
    raise ValueError(k)
def run(args):
    name, sampler, seed = args
    fn, sp, fstar = FN[name]
    s = optuna.samplers.TPESampler(seed=seed, multivariate=(sampler == "tpe_mv"))
    st = optuna.create_study(sampler=s)
    t0 = time.perf_counter()
    st.optimize(lambda t: fn({k: suggest(t, k, d) for k, d in sp.items()}), n_trials=cfg["n"])
    dt = time.perf_counter() - t0
    best, out = float("inf"), {}
    for i, t in enumerate(st.trials, 1):
        best = min(best, t.value)
        if i in CHECK: out[i] = best - fstar
    return name, sampler, out, dt / cfg["n"]
def timing(n):
    st = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    st.optimize(lambda t: sum(t.suggest_float("x%d" % i, -5, 5) ** 2 for i in range(8)), n_trials=n)
    st.sampler = optuna.samplers.TPESampler(seed=0)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        t = st.ask()
        v = sum(t.suggest_float("x%d" % i, -5, 5) ** 2 for i in range(8))
        times.append(time.perf_counter() - t0)
        st.tell(t, v)
    return 1000 * statistics.median(times)
if __name__ == "__main__":
    if cfg.get("timing"):
        print(json.dumps({str(n): timing(n) for n in cfg["timing"]}))
        sys.exit(0)
    seeds = range(cfg["seed0"], cfg["seed0"] + cfg["seeds"])
    jobs = [(f, s, seed) for f in FN for s in ("tpe", "tpe_mv") for seed in seeds]
    res = {}
    with ProcessPoolExecutor(2) as ex:
        for name, sampler, out, per in ex.map(run, jobs):
            r = res.setdefault(name, {}).setdefault(sampler, {"regret": {}, "sec": []})
            for n, v in out.items(): r["regret"].setdefault(n, []).append(v)
            r["sec"].append(per)
    print(json.dumps({f: {s: {**{"median_regret@%d" % n: statistics.median(v) for n, v in r["regret"].items()},
                              "ms_per_trial": 1000 * statistics.median(r["sec"]),
                              "regrets": {str(n): v for n, v in r["regret"].items()}} for s, r in d.items()} for f, d in res.items()}))
`;

function python(args: string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/python3', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`python3 ${args.join(' ')} exited ${code ?? 'by a signal'}: ${err.slice(-500)}`)),
    );
    p.stdin.end(stdin ?? '');
  });
}

/**
 * Optuna's TPE (univariate and multivariate) on every function, seeds SEED0..SEED0+SEEDS-1, per-seed regrets included. This
 * is the anchor's procedure (`optuna_anchor.py`: `TPESampler(seed=seed[, multivariate=True])`, `suggest_float` per
 * coordinate, best-so-far regret at the checkpoints) run inline, because the anchor prints medians only and always starts at
 * seed 0; branin and hartmann6 still come from the anchor's `functions.py`.
 */
async function optunaRegret(funcs: readonly BenchFunction[]): Promise<Summary> {
  const cfg = {
    n: TRIALS,
    seeds: SEEDS,
    seed0: SEED0,
    anchors,
    funcs: funcs.map((f) => ({ name: f.name, py: f.py, fStar: f.fStar, anchor: f.inAnchor, space: compileSpace(f.space).toJSON() })),
  };
  const out = JSON.parse(await python(['-c', PY_EXTRA], JSON.stringify(cfg))) as {
    [f: string]: { [s: string]: { [k: string]: number } & { regrets: { [n: string]: number[] } } };
  };
  const summary: Summary = {};
  for (const [f, bySampler] of Object.entries(out)) {
    for (const [s, { regrets, ...row }] of Object.entries(bySampler)) {
      (summary[f] ??= {})[s] = row;
      (perSeed[f] ??= {})[`optuna ${s}`] = regrets;
    }
  }
  return summary;
}

// ---------------------------------------------------------------- tunekit side
async function ourRegret(funcs: readonly BenchFunction[]): Promise<Summary> {
  const summary: Summary = {};
  for (const f of funcs) {
    for (const s of SEARCHERS) {
      const per = new Map<number, number[]>();
      const t0 = performance.now();
      try {
        for (let seed = SEED0; seed < SEED0 + SEEDS; seed++) {
          for (const [n, r] of await simpleRegret(f, s, seed, TRIALS, CHECK)) per.set(n, [...(per.get(n) ?? []), r]);
        }
      } catch (e) {
        // Another searcher may be mid-development: report and carry on with the rest of the table.
        console.log(`(${s} failed on ${f.name}: ${(e as Error).message.split('\n')[0]})`);
        continue;
      }
      const row: { [k: string]: number } = { ms_per_trial: (performance.now() - t0) / (SEEDS * TRIALS) };
      const seeds: { [n: string]: number[] } = {};
      for (const [n, rs] of per) {
        row[`median_regret@${n}`] = median(rs);
        seeds[String(n)] = rs;
      }
      (perSeed[f.name] ??= {})[s] = seeds;
      (summary[f.name] ??= {})[s] = row;
    }
  }
  return summary;
}

// ---------------------------------------------------------------- timing
function history(sp: ReturnType<typeof compileSpace>, n: number, seed: number): TrialRecord[] {
  const rng = seedrandom.alea(`bench/${seed}`);
  const x = new Float64Array(sp.dims.length);
  const out: TrialRecord[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < x.length; j++) x[j] = rng();
    const params = sp.decode(x);
    const value = Object.values(params).reduce<number>((a, v) => a + (v as number) ** 2, 0);
    out.push({
      number: i,
      state: 'complete',
      value,
      params,
      intermediate: [],
      userAttrs: {},
      system: {},
      created: new Date(i).toISOString(),
    });
  }
  return out;
}

/**
 * [cold first ask, median of 15 warm asks] in ms. Warm asks follow 20 untimed ones: in a real study of n trials the searcher
 * has already run n times, so its code is compiled and its caches are full.
 */
async function timeAsks(factory: SearcherFactory, options: { [k: string]: never }, dims: number, n: number): Promise<[number, number]> {
  const tree: Record<string, SpaceTree> = {};
  for (let i = 0; i < dims; i++) tree[`x${i}`] = space.float(-5, 5);
  const sp = compileSpace(tree);
  const trials = history(sp, n, 1);
  const s = factory({ space: sp, seed: 0, direction: 'minimize' }, options);
  let t0 = performance.now();
  await s.suggest({ number: n, trials });
  const cold = performance.now() - t0;
  for (let k = 1; k <= 20; k++) await s.suggest({ number: n + k, trials });
  const warm: number[] = [];
  for (let k = 21; k <= 35; k++) {
    t0 = performance.now();
    await s.suggest({ number: n + k, trials });
    warm.push(performance.now() - t0);
  }
  return [cold, median(warm)];
}

async function loadGp(): Promise<SearcherFactory | undefined> {
  try {
    const mod = (await import('../searchers/gp/index.js' as string)) as Record<string, unknown>;
    const name = Object.keys(mod).find((k) => /^create.*gp.*searcher$/i.test(k) && typeof mod[k] === 'function');
    return name ? (mod[name] as SearcherFactory) : undefined;
  } catch (e) {
    console.log(`(gp: searchers/gp/index.ts not loadable, skipped: ${(e as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

// ---------------------------------------------------------------- confidence
/**
 * How sure each ratio is: per model-based searcher, function and checkpoint, the ratio of medians against each Optuna TPE
 * variant with its 95% bootstrap interval and the one-sided Mann-Whitney p-value of "tunekit's regrets are larger" (p < 0.05:
 * credibly worse). Printed after the median table; then a count of cells by verdict.
 */
function confidence(): void {
  const ns = CHECK.filter((n) => n <= TRIALS).map(String);
  const models = SEARCHERS.filter((s) => s !== 'random' && s !== 'sobol');
  console.log(
    `ratio of medians with 95% bootstrap interval and p = P(Mann-Whitney U this large | tunekit no worse), ${SEEDS} seeds from ${SEED0}`,
  );
  const tally = { better: 0, worse: 0, credibleWorse: 0, credibleBetter: 0, cells: 0 };
  for (const [fname, bySampler] of Object.entries(perSeed)) {
    for (const s of models) {
      const mine = bySampler[s];
      if (!mine) continue;
      for (const ref of ['tpe', 'tpe_mv']) {
        const theirs = bySampler[`optuna ${ref}`];
        if (!theirs) continue;
        const cells = ns
          .filter((n) => mine[n] && theirs[n])
          .map((n) => {
            const a = mine[n]!;
            const b = theirs[n]!;
            const r = median(a) / median(b);
            const [lo, hi] = bootstrapRatioCi(a, b, 0.95, 2000, `bench/ci/${fname}/${s}/${ref}/${n}`);
            const p = mannWhitneyGreater(a, b);
            tally.cells++;
            if (r <= 1) tally.better++;
            else tally.worse++;
            if (p < 0.05) tally.credibleWorse++;
            if (mannWhitneyGreater(b, a) < 0.05) tally.credibleBetter++;
            return `@${n} ${ratio(r)} [${ratio(lo)}, ${ratio(hi)}] p=${p.toFixed(2)}`.padEnd(31);
          });
        console.log(`${fname.padEnd(12)} ${s.padEnd(4)} vs optuna ${ref.padEnd(7)} ${cells.join(' ')}`);
      }
    }
  }
  console.log(
    `cells: ${tally.cells}; ratio <= 1 in ${tally.better}, > 1 in ${tally.worse}; credibly worse (p < 0.05) in ${tally.credibleWorse}, credibly better in ${tally.credibleBetter}\n`,
  );
}

// ---------------------------------------------------------------- main
const fmt = (v: number | undefined): string =>
  v === undefined ? '-' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 0.01 ? v.toPrecision(3) : v.toExponential(1);

const ratio = (v: number): string => (v >= 0.01 || v === 0 ? v.toFixed(2) : v.toExponential(0));

async function main(): Promise<void> {
  registerSearcher('tpe', createTpeSearcher);
  const gp = await loadGp();
  if (gp) registerSearcher('gp', gp);
  SEARCHERS = SEARCHERS.filter((s) => {
    const ok = searcherTypes().includes(s);
    if (!ok) console.log(`(searcher "${s}" is not available, skipped)`);
    return ok;
  });
  const funcs = FUNCTIONS.filter((f) => FUNCS.includes(f.name));
  console.log(
    `searchers bench: ${funcs.map((f) => f.name).join(', ')} x ${SEARCHERS.join(', ')}; ${SEEDS} seeds (${SEED0}..${SEED0 + SEEDS - 1}) x ${TRIALS} trials`,
  );
  console.log('(2 shared cores: the Optuna anchor runs at the same time; regret figures are deterministic, times are noisy)\n');

  if (!flag('no-regret')) {
    const optunaP = flag('no-optuna')
      ? Promise.resolve({} as Summary)
      : optunaRegret(funcs).catch((e: Error) => (console.log(`(optuna: ${e.message})`), {} as Summary));
    const ours = await ourRegret(funcs);
    const optuna = await optunaP;
    const ns = CHECK.filter((n) => n <= TRIALS);
    console.log(`median simple regret over ${SEEDS} seeds (lower is better); ratio = tunekit / Optuna TPE (univariate | multivariate)`);
    console.log(
      [
        'function'.padEnd(12),
        'searcher'.padEnd(16),
        ...ns.map((n) => `@${n}`.padStart(9)),
        'ms/trial'.padStart(9),
        ...ns.map((n) => `ratio@${n}`.padStart(15)),
      ].join(' '),
    );
    for (const f of funcs) {
      const o = optuna[f.name] ?? {};
      const rows: [string, { [k: string]: number } | undefined][] = [
        ...SEARCHERS.map((s) => [s, ours[f.name]?.[s]] as [string, { [k: string]: number } | undefined]),
        ['optuna tpe', o.tpe],
        ['optuna tpe mv', o.tpe_mv],
      ];
      for (const [label, r] of rows) {
        if (!r) continue;
        const ratios =
          label.startsWith('optuna') || label === 'random' || label === 'sobol'
            ? []
            : ns.map((n) => {
                const k = `median_regret@${n}`;
                const q = (b: number | undefined) => (b === undefined || r[k] === undefined ? '-' : ratio(r[k]! / b));
                return `${q(o.tpe?.[k])} | ${q(o.tpe_mv?.[k])}`.padStart(15);
              });
        console.log(
          [
            f.name.padEnd(12),
            label.padEnd(16),
            ...ns.map((n) => fmt(r[`median_regret@${n}`]).padStart(9)),
            fmt(r.ms_per_trial).padStart(9),
            ...ratios,
          ].join(' '),
        );
      }
    }
    console.log();
  }

  if (!flag('no-regret') && !flag('no-optuna')) confidence();

  if (!flag('no-timing')) {
    const sizes = [100, 1000];
    const py = flag('no-optuna')
      ? Promise.resolve({} as Record<string, number>)
      : python(['-c', PY_EXTRA], JSON.stringify({ timing: sizes, funcs: [], n: 0, seeds: 0 }))
          .then((s) => JSON.parse(s) as Record<string, number>)
          .catch((e: Error) => (console.log(`(optuna timing: ${e.message})`), {} as Record<string, number>));
    const opt = await py; // not concurrently with our timing: both would slow each other down
    console.log(
      'ms per ask, 8 float params (cold = first ask of a fresh searcher: encodes every stored trial; warm = median of 15 asks after 20)',
    );
    for (const n of sizes) {
      const [cold, warm] = await timeAsks(createTpeSearcher, {}, 8, n);
      const o = opt[String(n)];
      console.log(
        `tpe  @ ${String(n).padStart(4)} trials: cold ${cold.toFixed(2)} ms, warm ${warm.toFixed(2)} ms` +
          (o !== undefined ? `; Optuna TPE ${o.toFixed(1)} ms -> ratio warm/Optuna ${(warm / o).toFixed(3)}` : ''),
      );
    }
    if (gp) {
      const [cold, warm] = await timeAsks(gp, {}, 6, 200);
      console.log(`gp   @  200 trials (6-D): cold ${cold.toFixed(1)} ms, warm ${warm.toFixed(1)} ms`);
    } else {
      console.log('gp   timing skipped: searchers/gp not available');
    }
  }
}

await main();
