/**
 * Multi-process studies on PostgreSQL, tunekit vs Optuna 3.1's RDBStorage on the same server in the same run:
 *
 *   node --import tsx bench/postgres.ts [--trials 20000] [--optuna-trials N] [--workers 1,4] [--reports 10] [--url postgresql://...]
 *
 * Workload (as /work/shared/anchors/optuna_rdb_anchor.py, which is run for the Optuna figures): random searcher, 8 floats in
 * [-5, 5], objective sum(x^2), `reports` intermediate values per trial (v / (step + 1)), median pruner; W worker processes
 * share one study through its postgresql:// URL until it holds `trials` trials (each worker checks the count before asking, like
 * Optuna's MaxTrialsCallback). tunekit workers drive the public API (loadStudy, ask, report, tell); all of them load the study
 * before any starts (a loading study fails the trials it finds running: that recovery is single-process today).
 *
 * Prints per run: ms/trial over the whole run (wall / trials), over the first and the last 10% of trials (from the stored
 * finish times, the anchor's formula), last/first, statements and rows read per trial, trials that repeat another trial's
 * params (the controller hands searchers `trials.length`, which workers read alike), and tunekit's speed-up over Optuna
 * (Optuna ms/trial / tunekit ms/trial) at each worker count. A private server is started (.ci/postgres.sh) unless --url or
 * TUNEKIT_TEST_PG is given; each system gets its own database. No assertions: the goals (>= 5x Optuna at 4 workers, last 10%
 * <= 1.2x the first) are read from the output. `--optuna-trials` (default: --trials) caps the much slower Optuna runs; Optuna's
 * cost per trial grows with the trials stored, so a shorter Optuna run only flatters Optuna.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createStudy, loadStudy, space } from '../src/index.js';
import { PostgresStorage } from '../src/storage/postgres.js';
import { freshDatabase, startServer } from '../test/helpers/postgres.js';

const SELF = fileURLToPath(import.meta.url);
const ANCHOR = '/work/shared/anchors/optuna_rdb_anchor.py';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

interface RunFigures {
  readonly trials: number;
  readonly wall: number;
  readonly first: number;
  readonly last: number;
  readonly queries?: number;
  readonly rows?: number;
  /** Trials whose params another trial already had (seeded searchers drawing for the same number in two processes). */
  readonly duplicates?: number;
}

/** ms/trial over the first and last 10% of finish times, as the Optuna anchor computes them. */
function spread(finished: number[]): { first: number; last: number } {
  const ts = [...finished].sort((a, b) => a - b);
  const k = Math.max(Math.floor(ts.length / 10), 2);
  return { first: (ts[k - 1]! - ts[0]!) / (k - 1), last: (ts[ts.length - 1]! - ts[ts.length - k]!) / (k - 1) };
}

/** One worker process: loads the study, waits for "go", runs trials until the study holds `n`. */
async function child(url: string, name: string, n: number, reports: number): Promise<void> {
  const storage = await PostgresStorage.open(url);
  const study = await loadStudy({ name, storage });
  process.stdout.write('ready\n');
  await once(process.stdin, 'data');
  for (;;) {
    if ((await study.trials()).length >= n) break;
    const t = await study.ask();
    const p = t.params as { [k: string]: number };
    let v = 0;
    for (let i = 0; i < 8; i++) v += p[`x${i}`]! ** 2;
    for (let step = 0; step < reports; step++) if ((await study.report(t.number, step, v / (step + 1))) === 'prune') break;
    await study.tell(t.number, v); // stored as pruned when report() said so
  }
  await study.close();
  process.stdout.write(`${JSON.stringify(storage.stats)}\n`);
  await storage.close();
}

async function runTunekit(url: string, n: number, workers: number, reports: number): Promise<RunFigures> {
  const name = `bench-${workers}w-${Date.now()}`;
  const shape = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`x${i}`, space.float(-5, 5)]));
  const study = await createStudy({ name, space: shape, storage: url, searcher: 'random', pruner: 'median', seed: 7 });
  const kids = Array.from({ length: workers }, () =>
    spawn(process.execPath, ['--import', 'tsx', SELF, '--child', url, name, String(n), String(reports)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const outputs = kids.map((k) => {
    let out = '';
    k.stdout.on('data', (d: Buffer) => (out += d.toString()));
    return { text: () => out, exit: once(k, 'exit') as Promise<[code: number | null, signal: NodeJS.Signals | null]> };
  });
  // Every worker has loaded the study before any starts (see the file comment).
  while (outputs.some((o) => !o.text().includes('ready'))) await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  for (const k of kids) k.stdin.write('go\n');
  const codes = await Promise.all(outputs.map((o) => o.exit));
  const wall = performance.now() - t0;
  if (codes.some((c) => c[0] !== 0)) throw new Error(`a tunekit worker failed (exit codes ${codes.map((c) => c[0]).join(', ')})`);
  const stats = outputs.map((o) => JSON.parse(o.text().trim().split('\n').pop()!) as { queries: number; rowsRead: number });
  const trials = await study.trials();
  await study.close();
  const finished = trials.filter((t) => t.finished).map((t) => Date.parse(t.finished!));
  return {
    trials: trials.length,
    wall: wall / trials.length,
    ...spread(finished),
    queries: stats.reduce((s, x) => s + x.queries, 0) / trials.length,
    rows: stats.reduce((s, x) => s + x.rowsRead, 0) / trials.length,
    duplicates: trials.length - new Set(trials.map((t) => JSON.stringify(t.params))).size,
  };
}

function runOptuna(url: string, n: number, workers: number, reports: number): RunFigures {
  const r = spawnSync('/usr/bin/python3', [ANCHOR, url, String(n), String(workers), String(reports)], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`the Optuna anchor failed (needs python3-optuna and python3-psycopg2):\n${r.stderr}`);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    trials: number;
    wall_ms_per_trial: number;
    first10pct_ms_per_trial: number;
    last10pct_ms_per_trial: number;
  };
  return { trials: j.trials, wall: j.wall_ms_per_trial, first: j.first10pct_ms_per_trial, last: j.last10pct_ms_per_trial };
}

async function main(): Promise<void> {
  const n = Number(arg('trials', '20000'));
  const nOptuna = Number(arg('optuna-trials', String(n)));
  const reports = Number(arg('reports', '10'));
  const workerCounts = arg('workers', '1,4').split(',').map(Number);
  const given = arg('url', process.env.TUNEKIT_TEST_PG ?? '');
  const server = given ? undefined : startServer();
  const base = given || server!.url;
  const f = (x: number) => x.toFixed(2).padStart(8);
  console.log(
    `PostgreSQL study, ${reports} reports/trial, random searcher, 8 floats, median pruner; tunekit ${n} trials, Optuna ${nOptuna}`,
  );
  console.log('system    workers  trials  ms/trial  first10%  last10%  last/first  stmts/trial  rows/trial  dup params');
  try {
    for (const w of workerCounts) {
      const tk = await runTunekit(await freshDatabase(base), n, w, reports);
      const op = runOptuna(await freshDatabase(base), nOptuna, w, reports);
      for (const [label, r] of [
        ['tunekit', tk],
        ['optuna', op],
      ] as const) {
        const extra =
          r.queries === undefined
            ? ''
            : `  ${r.queries.toFixed(1).padStart(11)}  ${r.rows!.toFixed(1).padStart(10)}  ${String(r.duplicates).padStart(10)}`;
        console.log(
          `${label.padEnd(8)}  ${String(w).padStart(7)}  ${String(r.trials).padStart(6)}  ${f(r.wall)}  ${f(r.first)}  ${f(r.last)}  ${f(r.last / r.first)}  ${extra}`,
        );
      }
      console.log(
        `  -> ${w} worker(s): tunekit takes ${(op.wall / tk.wall).toFixed(1)}x less time per trial than Optuna (goal at 4 workers: >= 5x); ` +
          `tunekit last/first 10% = ${(tk.last / tk.first).toFixed(2)} (goal <= 1.2)`,
      );
    }
  } finally {
    server?.destroy();
  }
}

if (process.argv[2] === '--child') {
  const [url, name, n, reports] = process.argv.slice(3);
  child(url!, name!, Number(n), Number(reports)).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
} else {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
