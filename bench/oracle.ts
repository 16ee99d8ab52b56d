/**
 * bench/oracle: the trials of a finished sweep rerun in a split chosen with their durations known, for bench/pool's scaling part.
 *
 * The sweep's scaling ratio (2 workers / 1 worker) mixes two things: what this machine gives when two trainings run at once
 * (shared caches and memory bandwidth, the hypervisor's placement of the two vCPUs, other tenants), and what tunekit loses
 * to scheduling (a long trial started last runs alone at the end) and to its controller (reports, storage, output files).
 * The oracle takes the scheduling part out: the same trial configurations, split over the lanes before the run by longest
 * processing time first on the durations the 1-worker sweep measured (a split that needs those durations in advance), each
 * lane a bare worker thread calling `runTrial` one trial after another, with the same checkpoint and diagnostics writes as a
 * pool trial, and no controller, storage or pool. 1-worker wall / oracle wall is what that split gave in the run; oracle
 * wall / 2-worker wall compares the sweep with it. It is not a ceiling: the split puts the longest trials at the heads of
 * the lanes, where they run against each other (measured on 36 trials: the sweep beat it by 3%).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { readPlacement, readTrialFiles } from '../src/report/trial-files.js';

/** One trial of a finished sweep: its number, the TrialConfig the pool ran (trials/<n>/config.json) and how long it ran. */
export interface OracleTrial {
  readonly number: number;
  readonly config: unknown;
  readonly seconds: number;
}

/**
 * The trials of the sweep written to `dir` with their running times: from the start its worker recorded in
 * trials/<n>/config.json (src/report/trial-files.ts) to the finish in `finished` (the leaderboard's).
 */
export function sweepTrials(dir: string, finished: ReadonlyMap<number, string>): OracleTrial[] {
  const out: OracleTrial[] = [];
  for (const [number, end] of finished) {
    const { started } = readPlacement(dir, number);
    const config = readTrialFiles(dir, number).config?.['config'];
    if (started === undefined || config === undefined) throw new Error(`bench/oracle: trial ${number} of ${dir} has no config.json`);
    out.push({ number, config, seconds: (Date.parse(end) - started) / 1000 });
  }
  return out.sort((a, b) => a.number - b.number);
}

/**
 * Longest processing time first: trials in decreasing duration, each to the lane with the least work so far (ties: the
 * lower lane). Within a lane the trials run longest first, as assigned. Returns the lanes' trial lists.
 */
export function lptSplit(trials: readonly OracleTrial[], lanes: number): OracleTrial[][] {
  const out: OracleTrial[][] = Array.from({ length: lanes }, () => []);
  const load = new Array<number>(lanes).fill(0);
  for (const t of [...trials].sort((a, b) => b.seconds - a.seconds || a.number - b.number)) {
    const lane = load.indexOf(Math.min(...load));
    out[lane]!.push(t);
    load[lane]! += t.seconds;
  }
  return out;
}

/** Wall and CPU time of one oracle run, and each lane's trial times. */
export interface OracleRun {
  readonly wall: number;
  readonly cpu: number;
  readonly lanes: readonly (readonly number[])[];
}

// The lane's code, evaluated in a worker thread: register tsx for a source run, then run the lane's trials in order.
const LANE = `
const { workerData, parentPort } = require('node:worker_threads');
const path = require('node:path');
(async () => {
  if (workerData.loop.endsWith('.ts')) (await import('tsx/esm/api')).register();
  const { runTrial } = await import(workerData.loop);
  const { writeTrialDiagnostics } = await import(workerData.diagnostics);
  const times = [];
  for (const [i, config] of workerData.configs.entries()) {
    const outDir = path.join(workerData.out, String(i), 'checkpoint');
    const t0 = performance.now();
    const run = await runTrial(config, workerData.data, { outDir });
    writeTrialDiagnostics(path.dirname(outDir), run, workerData.data.classNames);
    times.push((performance.now() - t0) / 1000);
  }
  parentPort.postMessage(times);
})().catch((e) => { parentPort.postMessage({ error: String(e && e.stack || e) }); });
`;

/**
 * Runs each lane's trials in its own worker thread, all lanes at once, on `data` (a dataset whose arrays are on
 * SharedArrayBuffers, so every thread reads the same memory, as the pool's workers do). `modules` are the absolute paths of
 * trials/loop and trials/diagnostics-file (compiled or TypeScript, as the sweep ran).
 */
export async function runOracle(
  lanes: readonly (readonly OracleTrial[])[],
  data: unknown,
  modules: { readonly loop: string; readonly diagnostics: string },
): Promise<OracleRun> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-bench-oracle-'));
  const usage0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    const times = await Promise.all(
      lanes.map(
        (trials, i) =>
          new Promise<number[]>((resolve, reject) => {
            const w = new Worker(LANE, {
              eval: true,
              workerData: { ...modules, data, configs: trials.map((t) => t.config), out: path.join(out, String(i)) },
            });
            w.once('message', (m: number[] | { error: string }) => {
              void w.terminate();
              if (Array.isArray(m)) resolve(m);
              else reject(new Error(`oracle lane ${i}: ${m.error}`));
            });
            w.once('error', reject);
          }),
      ),
    );
    const u = process.cpuUsage(usage0);
    return { wall: (performance.now() - t0) / 1000, cpu: (u.user + u.system) / 1e6, lanes: times };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/** One twin measurement: the trials alone in one bare thread, then the same trials in each of two threads at once. */
export interface TwinRun {
  /** Wall time of one thread running every trial with the other core idle. */
  readonly alone: number;
  /** Wall time until both threads, each running every trial, had finished. */
  readonly twin: number;
  /** 2 x alone / twin: how much work per second two threads gave against one on this work, this machine, this minute. */
  readonly bound: number;
}

/**
 * The machine's own scaling on the sweep's work, with nothing of tunekit's scheduling in it: one bare thread runs every trial
 * in order, then two threads each run every trial, in the same order, at the same time. Both lanes are the same work, so no
 * split can balance them better and no trial runs alone at the end; what separates 2 x alone / twin from 2 is what two
 * trainings cost each other (shared caches, memory bandwidth, the hypervisor, other tenants) and each thread's own start-up.
 * No scheduler can give the sweep more than this ratio, up to the minute-to-minute drift, so it is the baseline the sweep's
 * scaling ratio is read against. `twinFirst` reverses the two runs (ABBA order over repeats).
 */
export async function runTwin(
  trials: readonly OracleTrial[],
  data: unknown,
  modules: { readonly loop: string; readonly diagnostics: string },
  twinFirst: boolean,
): Promise<TwinRun> {
  let alone = 0;
  let twin = 0;
  for (const step of twinFirst ? ['twin', 'alone'] : ['alone', 'twin']) {
    if (step === 'alone') alone = (await runOracle([trials], data, modules)).wall;
    else twin = (await runOracle([trials, trials], data, modules)).wall;
  }
  return { alone, twin, bound: (2 * alone) / twin };
}
