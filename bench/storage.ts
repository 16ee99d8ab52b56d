/**
 * Storage scaling benchmark: `node --import tsx bench/storage.ts [--trials 10000,30000] [--reports 50] [--workers 4]`.
 *
 * For each trial count, one FileStorage (default options, temp dir removed afterwards) records `trials` trials of
 * createTrial + `reports` reportIntermediate + finishTrial, with `workers` concurrent trials (as a sweep's pool does). Prints:
 *   - ms/trial over the first and the last 10% of the trials, and their ratio (flat = compaction is amortised; a rewrite of
 *     the whole study per checkpoint makes the last 10% grow with the study), and per tenth of the run, in wall-clock and in
 *     CPU time (the steadier figure when other processes share the cores);
 *   - peak RSS of this process, sampled every 50 ms while the study runs and reloads;
 *   - close() time (final checkpoint), file sizes after close;
 *   - reload time (FileStorage.openReadOnly + getTrials), wall and CPU, and the same per 10,000 trials;
 *   - the in-memory backend's ms/trial in the same run, as the baseline the file backend's overhead is measured against.
 * Each trial count runs in a fresh child process so RSS figures do not include an earlier run's heap. No assertions.
 * `--quick` runs 2,000 trials only.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InMemoryStorage } from '../src/storage/memory.js';
import { FileStorage } from '../src/storage/lowdb.js';
import type { Storage } from '../src/storage/types.js';

const STUDY = {
  name: 'bench',
  direction: 'minimize' as const,
  searcher: 'random',
  seed: 1,
  space: { lr: { _type: 'float', low: 1e-4, high: 1e-1, log: true }, units: { _type: 'int', low: 8, high: 256 } },
  created: new Date().toISOString(),
  userAttrs: {},
};

/** One trial's storage traffic, as the study controller generates it. */
async function oneTrial(st: Storage, i: number, reports: number): Promise<void> {
  const t = await st.createTrial('bench', { state: 'running', params: { lr: 0.001 * (1 + (i % 97)), units: 8 + (i % 249) } });
  for (let step = 1; step <= reports; step++) await st.reportIntermediate('bench', t.number, step, 1 / (step + i));
  await st.finishTrial('bench', t.number, { state: 'complete', value: 1 / (reports + i + 1), metrics: { acc: 0.5, loss: 0.7 } });
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};

/**
 * Runs the study; returns the wall-clock and CPU time (ms since start) at which each trial finished, in finishing order.
 * CPU time is the steadier figure on a shared machine (wall time includes waiting for a core and for fsync).
 */
async function run(st: Storage, trials: number, reports: number, workers: number): Promise<{ wall: number[]; cpu: number[] }> {
  await st.createStudy(STUDY);
  let next = 0;
  const wall: number[] = [];
  const cpu: number[] = [];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < trials) {
        await oneTrial(st, next++, reports);
        wall.push(performance.now() - t0);
        cpu.push(cpuMs(c0));
      }
    }),
  );
  return { wall, cpu };
}

/** ms/trial over the first and last 10% of the trials (by finishing order). */
function tenths(done: readonly number[]): { first: number; last: number; total: number; deciles: number[] } {
  const n = done.length;
  const k = Math.max(1, Math.floor(n / 10));
  const deciles = Array.from({ length: 10 }, (_, i) => (done[Math.min(n, (i + 1) * k) - 1]! - (i === 0 ? 0 : done[i * k - 1]!)) / k);
  return { first: done[k - 1]! / k, last: (done[n - 1]! - done[n - 1 - k]!) / k, total: done[n - 1]! / n, deciles };
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const size = (p: string): number => (fs.existsSync(p) ? fs.statSync(p).size : 0);

/** One trial count, in this (child) process; prints one JSON line. */
async function child(trials: number, reports: number, workers: number): Promise<void> {
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-bench-storage-'));
  try {
    const memRun = tenths((await run(new InMemoryStorage(), Math.min(trials, 10000), reports, workers)).wall);
    global.gc?.();
    const file = path.join(dir, 's.json');
    const st = await FileStorage.open(file);
    const times = await run(st, trials, reports, workers);
    const fileRun = tenths(times.wall);
    const fileCpu = tenths(times.cpu);
    const c0 = performance.now();
    await st.close();
    const closeMs = performance.now() - c0;
    const runPeak = Math.max(peak, process.memoryUsage.rss());
    const files = Object.fromEntries(fs.readdirSync(dir).map((f) => [f, size(path.join(dir, f))]));
    const r0 = performance.now();
    const rc0 = process.cpuUsage();
    const ro = await FileStorage.openReadOnly(file);
    const n = (await ro.getTrials('bench')).length;
    const reloadMs = performance.now() - r0;
    const reloadCpuMs = cpuMs(rc0);
    await ro.close();
    if (n !== trials) throw new Error(`reopened storage holds ${n} trials, expected ${trials}`);
    clearInterval(sampler);
    console.log(JSON.stringify({ trials, memRun, fileRun, fileCpu, closeMs, runPeak, reloadMs, reloadCpuMs, files }));
  } finally {
    clearInterval(sampler);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const reports = Number(arg('reports', '50'));
  const workers = Number(arg('workers', '4'));
  if (process.argv.includes('--child')) return child(Number(arg('trials', '0')), reports, workers);
  const counts = process.argv.includes('--quick') ? [2000] : arg('trials', '10000,30000').split(',').map(Number);
  console.log(`storage scaling benchmark (node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg()[0]!.toFixed(1)})`);
  console.log(`${reports} reports per trial, ${workers} concurrent trials, default FileStorage options (fsync on)`);
  console.log(
    'trials   memory ms/trial   file ms/trial: first 10%  last 10%  last/first   all   close ms   peak RSS   reload ms  reload/10k   files',
  );
  for (const trials of counts) {
    const self = fileURLToPath(import.meta.url);
    const r = spawnSync(
      process.execPath,
      [...process.execArgv, self, '--child', '--trials', String(trials), '--reports', String(reports), '--workers', String(workers)],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      },
    );
    if (r.status !== 0) throw new Error(`child run failed (${r.status ?? r.signal ?? 'no exit status'}): ${r.stderr}`);
    const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      memRun: { total: number };
      fileRun: { first: number; last: number; total: number; deciles: number[] };
      fileCpu: { first: number; last: number; total: number; deciles: number[] };
      reloadCpuMs: number;
      closeMs: number;
      runPeak: number;
      reloadMs: number;
      files: { [name: string]: number };
    };
    const f = o.fileRun;
    const files = Object.entries(o.files)
      .map(([k, v]) => `${k} ${mib(v)}`)
      .join(', ');
    console.log(
      `${String(trials).padStart(6)}   ${o.memRun.total.toFixed(3).padStart(15)}   ${f.first.toFixed(3).padStart(21)}  ${f.last.toFixed(3).padStart(8)}  ` +
        `${(f.last / f.first).toFixed(2).padStart(9)}x  ${f.total.toFixed(3)}  ${o.closeMs.toFixed(0).padStart(8)}  ${mib(o.runPeak).padStart(9)}  ` +
        `${o.reloadMs.toFixed(0).padStart(10)}  ${((o.reloadMs * 10000) / trials).toFixed(0).padStart(10)}   ${files}`,
    );
    console.log(`        wall ms/trial by tenth of the run: ${f.deciles.map((d) => d.toFixed(3)).join(' ')}`);
    const c = o.fileCpu;
    console.log(
      `        CPU  ms/trial by tenth of the run: ${c.deciles.map((d) => d.toFixed(3)).join(' ')}  (last/first ${(c.last / c.first).toFixed(2)}x)`,
    );
    console.log(
      `        reload CPU ${o.reloadCpuMs.toFixed(0)} ms = ${((o.reloadCpuMs * 10000) / trials).toFixed(0)} ms per 10,000 trials`,
    );
  }
}

await main();
