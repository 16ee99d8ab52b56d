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
  /**
   * With `halves`: each half's wall time in a fresh thread of its own, the halves one after the other (no concurrency), and
   * what follows from them and the twin.
   */
  readonly split?: {
    readonly halves: readonly number[];
    /** sum of halves - alone: what the second thread's start-up (module load, backend, V8 compiling the same code again) cost. */
    readonly startup: number;
    /**
     * 2 x alone / ((sum of halves) x twin / alone): the best ratio two workers can give on these trials here, split perfectly
     * evenly, each paying its own start-up, and costing each other what the twin's two threads did.
     */
    readonly bound: number;
  };
}

/**
 * The machine's own scaling on the sweep's work, with nothing of tunekit's scheduling in it: one bare thread runs every trial
 * in order, then two threads each run every trial, in the same order, at the same time. Both lanes are the same work, so no
 * split can balance them better and no trial runs alone at the end; what separates 2 x alone / twin from 2 is what two
 * trainings cost each other (shared caches and memory bandwidth, the hypervisor, other tenants). Each thread pays its own
 * start-up here against twice the work, so that cost is halved in this bound against a sweep, whose two workers each pay it
 * for half the work. `halves` (a split of the trials into two lanes) measures that cost too: each lane alone in a fresh
 * thread, one after the other; the split bound adds it. `twinFirst` reverses the runs (ABBA order over repeats).
 */
export async function runTwin(
  trials: readonly OracleTrial[],
  data: unknown,
  modules: { readonly loop: string; readonly diagnostics: string },
  twinFirst: boolean,
  halves?: readonly (readonly OracleTrial[])[],
): Promise<TwinRun> {
  let alone = 0;
  let twin = 0;
  const halfWalls: number[] = [];
  const steps = ['alone', ...(halves ? ['halves'] : []), 'twin'];
  for (const step of twinFirst ? steps.reverse() : steps) {
    if (step === 'alone') alone = (await runOracle([trials], data, modules)).wall;
    else if (step === 'twin') twin = (await runOracle([trials, trials], data, modules)).wall;
    else for (const lane of halves!) halfWalls.push((await runOracle([lane], data, modules)).wall);
  }
  const bound = (2 * alone) / twin;
  if (!halves) return { alone, twin, bound };
  const both = halfWalls.reduce((a, b) => a + b, 0);
  return { alone, twin, bound, split: { halves: halfWalls, startup: both - alone, bound: (2 * alone * alone) / (both * twin) } };
}
