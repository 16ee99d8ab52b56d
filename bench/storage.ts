/**
 * Storage overhead benchmark: `node --import tsx bench/storage.ts`.
 *
 * Times, for the in-memory and the file backend (in a temp dir, removed afterwards):
 *   - 2,000 trials of createTrial + 50 reportIntermediate + finishTrial;
 *   - 10,000 trials of createTrial + finishTrial.
 * Each runs once with the trials one after another (every durable call waits for its own fsync: worst case) and once with
 * 8 concurrent "workers" (group commit lets them share fsyncs, as parallel trials of a sweep do); the file backend runs with
 * the default `fsync: true` and with `fsync: false`. Prints ms/trial, the time of close() (final checkpoint), the time to
 * reopen the file, and the file sizes. No assertions: figures for the report. `--quick` runs 1/10 of the trials.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

async function run(st: Storage, trials: number, reports: number, workers: number): Promise<number> {
  await st.createStudy(STUDY);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < trials) await oneTrial(st, next++, reports);
    }),
  );
  return performance.now() - t0;
}

const size = (p: string): string => (fs.existsSync(p) ? `${(fs.statSync(p).size / 1024).toFixed(0)} KiB` : '-');
const fmt = (ms: number, digits = 1): string => ms.toFixed(digits).padStart(8);

const quick = process.argv.includes('--quick');

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-bench-storage-'));
  console.log(`storage benchmark (node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg()[0]!.toFixed(1)}, ${dir})`);
  console.log('backend        trials reports workers   ms/trial   total ms   close ms  reopen ms  wal@close  snapshot      .bak');
  const row = (name: string, trials: number, reports: number, workers: number, ms: number, rest = '') =>
    console.log(`${name.padEnd(12)} ${String(trials).padStart(8)} ${String(reports).padStart(7)} ${String(workers).padStart(7)} ${fmt(ms / trials, 3)}   ${fmt(ms)}${rest}`);
  try {
    for (const [full, reports] of [
      [2000, 50],
      [10000, 0],
    ] as const) {
      const trials = quick ? full / 10 : full;
      for (const workers of [1, 8]) {
        const mem = new InMemoryStorage();
        row('memory', trials, reports, workers, await run(mem, trials, reports, workers));
        await mem.close();
        for (const fsync of [true, false]) {
          const file = path.join(dir, `s-${trials}-${workers}-${fsync}.json`);
          const st = await FileStorage.open(file, { fsync });
          const ms = await run(st, trials, reports, workers);
          const walSize = size(`${file}.wal`);
          const c0 = performance.now();
          await st.close();
          const closeMs = performance.now() - c0;
          const r0 = performance.now();
          const ro = await FileStorage.openReadOnly(file);
          const n = (await ro.getTrials('bench')).length;
          const reopenMs = performance.now() - r0;
          await ro.close();
          if (n !== trials) throw new Error(`reopened storage holds ${n} trials, expected ${trials}`);
          const rest = `   ${fmt(closeMs)}   ${fmt(reopenMs)}   ${walSize.padStart(8)}  ${size(file).padStart(8)}  ${size(`${file}.bak`).padStart(8)}`;
          row(fsync ? 'file' : 'file nofsync', trials, reports, workers, ms, rest);
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
