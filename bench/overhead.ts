/**
 * bench/overhead: tunekit's orchestration cost per trial for a no-op objective over 8 float params (random searcher), beside
 * Optuna 3.1 on the same workload measured in the same run (../shared/anchors/optuna_overhead.py, if python3-optuna is
 * installed: `apt-get install python3-optuna`).
 *
 *   npm run bench                      # every workload
 *   node --import tsx bench/overhead.ts --quick   # 1/10 of the trials
 *
 * Workloads: 2,000 trials x 50 reports (file storage = durable lowdb+journal, and memory); 10,000 trials without reports.
 * Each workload runs in its own child process so its peak RSS is its own. Goals: durable storage at or below Optuna's
 * in-memory ms/trial; RSS under 300 MB at 10,000 trials.
 *
 * Note: Optuna's anchor uses MedianPruner, which prunes some trials early (fewer reports); tunekit's runs here use no pruner, so
 * every trial makes all 50 reports — more work on tunekit's side.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Workload {
  readonly id: string;
  readonly storage: 'file' | 'memory';
  readonly trials: number;
  readonly reports: number;
  /** File storage without fdatasync (survives a killed process, not a power loss). */
  readonly noFsync?: boolean;
  readonly concurrency?: number;
}

interface Figure {
  readonly id: string;
  readonly msPerTrial: number;
  readonly peakRssMb: number;
  readonly fileMb?: number;
}

const self = fileURLToPath(import.meta.url);
const anchors = path.resolve(path.dirname(self), '../../shared/anchors');

async function runOne(w: Workload): Promise<Figure> {
  const { createStudy } = await import('../src/study/open.js');
  const { space } = await import('../spaces/index.js');
  const { FileStorage } = await import('../src/storage/index.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-bench-'));
  const file = path.join(dir, 'study.json');
  const sp: Record<string, ReturnType<typeof space.float>> = {};
  for (let i = 0; i < 8; i++) sp[`x${i}`] = space.float(-5, 5);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  const storage = w.storage === 'file' ? (w.noFsync ? await FileStorage.open(file, { fsync: false }) : file) : undefined;
  const study = await createStudy({ name: 'bench', space: sp, seed: 0, ...(storage ? { storage } : {}) });
  await study.optimize(
    async (p, ctx) => {
      let v = 0;
      for (const k in p) v += (p[k] as number) ** 2;
      for (let step = 0; step < w.reports; step++) await ctx.report(step, v / (step + 1));
      return v;
    },
    { trials: w.trials, concurrency: w.concurrency ?? 1 },
  );
  await study.close();
  if (typeof storage === 'object') await storage.close();
  const ms = performance.now() - t0;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const fileMb =
    w.storage === 'file' ? fs.readdirSync(dir).reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0) / 2 ** 20 : undefined;
  fs.rmSync(dir, { recursive: true, force: true });
  return { id: w.id, msPerTrial: ms / w.trials, peakRssMb: peak / 2 ** 20, ...(fileMb !== undefined ? { fileMb } : {}) };
}

function optuna(storage: string, trials: number, reports: number): number | undefined {
  const script = path.join(anchors, 'optuna_overhead.py');
  if (!fs.existsSync(script)) return undefined;
  const r = spawnSync('/usr/bin/python3', [script, 'random', storage, String(trials), String(reports)], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0) return undefined;
  try {
    return (JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { ms_per_trial: number }).ms_per_trial;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--one') {
    const w = JSON.parse(args[1] as string) as Workload;
    process.stdout.write(`${JSON.stringify(await runOne(w))}\n`);
    return;
  }
  const scale = args.includes('--quick') ? 10 : 1;
  const workloads: Workload[] = [
    { id: 'file, 2000 x 50 reports', storage: 'file', trials: 2000 / scale, reports: 50 },
    { id: 'memory, 2000 x 50 reports', storage: 'memory', trials: 2000 / scale, reports: 50 },
    { id: 'file, 10000, no reports', storage: 'file', trials: 10000 / scale, reports: 0 },
    { id: 'memory, 10000, no reports', storage: 'memory', trials: 10000 / scale, reports: 0 },
    { id: 'file, 10000, no reports, c=4', storage: 'file', trials: 10000 / scale, reports: 0, concurrency: 4 },
    { id: 'file no fsync, 10000, no rep.', storage: 'file', trials: 10000 / scale, reports: 0, noFsync: true },
  ];
  const figures: Figure[] = [];
  for (const w of workloads) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--one', JSON.stringify(w)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`workload ${w.id} failed:\n${r.stderr}`);
    figures.push(JSON.parse(r.stdout.trim().split('\n').pop() as string) as Figure);
    const f = figures[figures.length - 1] as Figure;
    console.log(
      `tunekit ${f.id.padEnd(30)} ${f.msPerTrial.toFixed(3).padStart(8)} ms/trial  peak RSS ${f.peakRssMb.toFixed(0)} MB${f.fileMb !== undefined ? `  files ${f.fileMb.toFixed(1)} MB` : ''}`,
    );
  }
  const journal = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'optuna-')), 'journal.log');
  const anchorsMs = {
    memory50: optuna('memory', 2000 / scale, 50),
    journal50: optuna(`journal:${journal}`, 2000 / scale, 50),
    memory0: optuna('memory', 10000 / scale, 0),
  };
  if (anchorsMs.memory50 === undefined) {
    console.log(
      '\nOptuna anchor not measured (install it with: apt-get install python3-optuna). Figures from ../shared/anchors/README.md:',
    );
    console.log('  optuna memory 2000x50: 1.17 ms/trial, journal 2000x50: 8.8 ms/trial, memory 10000x0: 0.59 ms/trial');
    return;
  }
  const get = (id: string) => figures.find((f) => f.id === id) as Figure;
  console.log('\nOptuna 3.1 (random sampler, MedianPruner), same run:');
  console.log(`  memory  2000 x 50:  ${anchorsMs.memory50.toFixed(3)} ms/trial`);
  console.log(`  journal 2000 x 50:  ${anchorsMs.journal50?.toFixed(3) ?? '-'} ms/trial`);
  console.log(`  memory 10000 x 0:   ${anchorsMs.memory0?.toFixed(3) ?? '-'} ms/trial`);
  console.log('\nratios (tunekit / optuna, < 1 is faster):');
  console.log(
    `  tunekit file 2000x50 / optuna memory 2000x50:   ${(get('file, 2000 x 50 reports').msPerTrial / anchorsMs.memory50).toFixed(2)}  (goal <= 1)`,
  );
  if (anchorsMs.journal50)
    console.log(
      `  tunekit file 2000x50 / optuna journal 2000x50:  ${(get('file, 2000 x 50 reports').msPerTrial / anchorsMs.journal50).toFixed(2)}`,
    );
  if (anchorsMs.memory0)
    console.log(
      `  tunekit file 10000x0 / optuna memory 10000x0:   ${(get('file, 10000, no reports').msPerTrial / anchorsMs.memory0).toFixed(2)}`,
    );
  console.log(`  peak RSS at 10,000 trials (file): ${get('file, 10000, no reports').peakRssMb.toFixed(0)} MB (goal < 300 MB)`);
}

await main();
