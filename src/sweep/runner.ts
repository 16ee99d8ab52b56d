/**
 * `runSweep`: one resolved sweep, end to end. Writes `<out>/sweep.json`, loads the dataset once, opens (or continues) the
 * study in `<out>/study.json`, runs it on the worker pool with the output writer and the progress display hooked to the
 * pool's events, and writes the final leaderboard. Running it again on the same directory continues the sweep (`tunekit
 * resume`): finished trials count toward the budget, trials left running by a killed process are retried.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openStudy, type Prebuilt } from '../study/open.js';
import { countsTowardBudget } from '../study/optimize.js';
import type { TrainableSpec } from '../pool/executor.js';
import type { OptimizeResult } from '../study/loop.js';
import { defaultWorkers } from '../pool/slots.js';
import { writeJsonAtomic } from '../core/json-file.js';
import type { Leaderboard } from '../report/leaderboard.js';
import type { JsonValue, TrialRecord } from '../core/types.js';
import { OptionsError } from '../core/errors.js';
import { outUnderFile, runDir } from '../core/run-dir.js';
import { openArtifactStore, type ArtifactStore } from '../storage/index.js';
import { safeSink } from '../core/terminal.js';
import type { Dataset } from '../../trials/types.js';
import { startUtilisation, type Utilisation } from './utilisation.js';
import { loadSweepDataset } from './dataset.js';
import { checkpointDir, SweepOutput } from './output.js';
import { Progress, type ProgressSink } from './progress.js';
import type { ResolvedSweep } from './spec.js';
import { sweepMetricNames, sweepStudyOptions } from './objectives.js';

export interface RunSweepOptions {
  /** The output directory (absolute or relative to the working directory). */
  readonly out: string;
  /** Graceful stop (first Ctrl-C): running trials end within one batch and are recorded interrupted. */
  readonly signal?: AbortSignal;
  /** Immediate stop (second Ctrl-C): workers are terminated. */
  readonly killSignal?: AbortSignal;
  /** Progress output (default process.stdout; a TTY gets the live block). */
  readonly sink?: ProgressSink;
  /** Overrides the plain-mode summary period (ms). */
  readonly logIntervalMs?: number;
  /** The sweep's dataset, already loaded and checked (checkDataset); loaded here when absent. */
  readonly data?: Dataset;
  /** Keep the study in this storage (a PostgreSQL URL) instead of <out>/study.json; workers on other machines can join it. */
  readonly storage?: string;
  /** The searcher and pruner the sweep's validation built (resolveSweep): used as they are, not built again. */
  readonly prebuilt?: Prebuilt;
  /** Keep one trial per worker asked ahead (LoopOptions.askAhead; default on, off for deterministic sweeps). For A/B benches. */
  readonly askAhead?: boolean;
  /** Serve the live dashboard while the sweep runs (in its own process: it can never slow or break the sweep). */
  readonly dashboard?: { readonly port?: number; readonly log: (line: string) => void };
}

export interface SweepRunResult extends OptimizeResult {
  /** Busy cores over available ones during this run. */
  readonly utilisation: Utilisation;
  readonly dir: string;
  readonly leaderboard: Leaderboard;
  /** Trials whose checkpoints were kept. */
  readonly checkpoints: readonly number[];
}

/** The pool's trainable for a sweep. */
export function sweepTrainable(sweep: ResolvedSweep): TrainableSpec {
  return sweep.trainable === 'builtin'
    ? { builtin: { defaults: sweep.defaults } }
    : { module: sweep.trainable.module, defaults: sweep.defaults };
}

/** Slot devices in pool order (cpu threads first, then trialsPerDevice per GPU), for the progress lines. */
function slotDevices(sweep: ResolvedSweep): string[] {
  return sweep.devices.flatMap((d) =>
    Array.from({ length: d === 'cpu' ? (sweep.workers ?? defaultWorkers()) : sweep.trialsPerDevice }, () => d),
  );
}

/**
 * Runs (or continues) `sweep` in `options.out`. Resolves once the budget is met, the searcher is exhausted, the time budget
 * ran out or a signal stopped it; every finished trial is durable and the leaderboard written by then. Rejects (after the
 * same clean-up) on TooManyFailuresError and storage errors.
 */
export async function runSweep(sweep: ResolvedSweep, options: RunSweepOptions): Promise<SweepRunResult> {
  const dir = path.resolve(options.out);
  const layout = runDir(dir);
  const sink: ProgressSink = options.sink ?? safeSink(process.stdout);
  const data = options.data ?? (sweep.dataset ? await loadSweepDataset(sweep.dataset) : undefined);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new OptionsError(
      code === 'ENOTDIR' || code === 'EEXIST'
        ? outUnderFile('out', dir)
        : `out ${dir} cannot be created (${code ?? 'error'}); check the permissions of its parent or choose another directory`,
    );
  }
  const epochs = sweep.budget.epochs;
  const measure = startUtilisation();
  const study = await openStudy(
    {
      name: sweep.name,
      space: sweep.space,
      // Direction(s), objective metric(s), a derived objective and the constraints of the sweep file (src/sweep/objectives.ts).
      ...sweepStudyOptions(sweep, sweepMetricNames(sweep)),
      searcher: sweep.searcher,
      seed: sweep.seed,
      storage: options.storage ?? layout.study,
      loadIfExists: true,
      // The spec (not a built pruner) so that it is stored with the study and every process that loads it prunes alike.
      pruner: sweep.pruner,
      // The resolved sweep travels with the study: `tunekit worker <url> --study NAME` runs it from there.
      userAttrs: { sweep: sweep as unknown as JsonValue },
      ...(epochs !== undefined ? { budget: { min: sweep.budget.minEpochs ?? 1, max: epochs } } : {}),
      ...(sweep.scheduler !== undefined ? { scheduler: sweep.scheduler } : {}),
      ...(sweep.deterministic ? { deterministic: true } : {}),
      ...(sweep.heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs: sweep.heartbeatIntervalMs } : {}),
      ...(sweep.gracePeriodMs !== undefined ? { gracePeriodMs: sweep.gracePeriodMs } : {}),
    },
    options.prebuilt ?? {},
  );
  let progress: Progress | undefined;
  let dashboard: { close(): Promise<void> } | undefined;
  let artifacts: ArtifactStore | undefined;
  try {
    // Written once the study (and its single-writer lock) is ours, so a second `run` on a busy directory changes nothing.
    writeJsonAtomic(layout.sweep, sweep);
    if (options.storage !== undefined) {
      const { redactUrl } = await import('../storage/url.js');
      writeJsonAtomic(layout.storageRef, { storage: redactUrl(options.storage), study: sweep.name });
    }
    if (options.dashboard) dashboard = await startSweepDashboard(options.storage ?? dir, sweep.name, options.dashboard);
    // A study shared by machines keeps its checkpoints where every machine reaches them (promotions, export).
    if (options.storage !== undefined) artifacts = await openArtifactStore(options.storage);
    const store = artifacts;
    const key = (n: number) => `${sweep.name}/${n}`;
    const trials = await study.trials();
    const already = trials.filter(countsTowardBudget).length;
    // Several objectives: which trials stay on the Pareto front changes as trials finish, so no checkpoint is dropped (a
    // front member must stay exportable); one objective: the best `keepCheckpoints`.
    const keep = (sweep.objectives?.length ?? 1) > 1 ? Number.MAX_SAFE_INTEGER : sweep.keepCheckpoints;
    // leaderboard.json also says how busy the machine was during this run so far (schema: the optional `run` object).
    const leaderboard = async (): Promise<Leaderboard> => ({ ...(await study.leaderboard()), run: measure() });
    const output = new SweepOutput(dir, { keep, direction: sweep.objective.direction, leaderboard });
    output.init(trials);
    progress = new Progress(sink, {
      name: sweep.name,
      total: sweep.budget.trials,
      already,
      metric: sweep.objective.metric,
      direction: sweep.objective.direction,
      slots: slotDevices(sweep),
      ...(epochs !== undefined ? { maxEpochs: epochs } : {}),
      ...(sweep.budget.seconds !== undefined ? { seconds: sweep.budget.seconds } : {}),
      ...(study.best ? { best: study.best } : {}),
      ...(options.logIntervalMs !== undefined ? { logIntervalMs: options.logIntervalMs } : {}),
    });
    const p = progress;
    if (!p.tty) {
      sink.write(
        `${sweep.name}: ${already}/${sweep.budget.trials} trials finished so far; ${data ? `dataset ${data.name} ${data.train.n}/${data.val.n}/${data.test.n} (train/val/test), ` : ''}output ${dir}\n`,
      );
    }
    p.start();
    const result = await study
      .optimize(sweepTrainable(sweep), {
        trials: sweep.budget.trials,
        ...(sweep.workers !== undefined ? { workers: sweep.workers } : {}),
        devices: sweep.devices,
        trialsPerDevice: sweep.trialsPerDevice,
        ...(data ? { data } : {}),
        ...(epochs !== undefined ? { maxEpochs: epochs } : {}),
        ...(sweep.budget.seconds !== undefined ? { timeoutMs: sweep.budget.seconds * 1000 } : {}),
        ...(sweep.trialTimeout !== undefined ? { trialTimeoutMs: sweep.trialTimeout * 1000 } : {}),
        ...(sweep.workerMemoryMb !== undefined ? { workerMemoryMb: sweep.workerMemoryMb } : {}),
        maxConsecutiveFailures: sweep.maxConsecutiveFailures,
        ...(options.askAhead !== undefined ? { askAhead: options.askAhead } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.killSignal ? { killSignal: options.killSignal } : {}),
        checkpointDir: (n) => checkpointDir(dir, n),
        ...(store
          ? {
              beforeTrial: async ({ continueFrom }: { readonly continueFrom?: number }) => {
                const local = continueFrom !== undefined ? checkpointDir(dir, continueFrom) : undefined;
                if (local !== undefined && continueFrom !== undefined && !hasFiles(local)) await store.get(key(continueFrom), local);
              },
              // Before the tell: a finished trial's checkpoint is in the shared store before the trial is finished.
              afterTrial: async (n: number) => {
                const ckpt = checkpointDir(dir, n);
                if (hasFiles(ckpt)) await store.put(key(n), ckpt);
              },
            }
          : {}),
        onTrialStarted: (e) => {
          output.started(e);
          p.started(e);
        },
        onReport: (e) => {
          output.report(e);
          p.report(e);
        },
        onTrialInterrupted: (n, e) => {
          output.interrupted(n);
          p.interrupted(n, e.slot);
        },
        onTrialFinished: async (t: TrialRecord, e) => {
          await output.finished(t);
          // The study's best: never an infeasible trial, none for several objectives (the front is in the leaderboard).
          p.finished(t, e.slot, study.best ?? null);
        },
      })
      .finally(() => output.flush());
    p.stop();
    const utilisation = measure();
    const final = { ...(await study.leaderboard()), run: utilisation };
    return { ...result, dir, leaderboard: final, checkpoints: output.checkpoints, utilisation };
  } finally {
    progress?.stop();
    await dashboard?.close().catch(() => undefined);
    await artifacts?.close().catch(() => undefined);
    await study.close();
  }
}

/**
 * Starts the live dashboard for a sweep; a dashboard that cannot start is reported and the sweep goes on without it (it runs
 * in its own process, so once started it can neither slow nor break the sweep).
 */
async function startSweepDashboard(
  source: string,
  study: string,
  o: { readonly port?: number; readonly log: (line: string) => void },
): Promise<{ close(): Promise<void> } | undefined> {
  try {
    const { startDashboard } = await import('../report/launch.js');
    const handle = await startDashboard({ source, study, ...(o.port !== undefined ? { port: o.port } : {}) }, o.log);
    o.log(`dashboard: ${handle.url}`);
    return handle;
  } catch (error) {
    o.log(`dashboard: not started (${(error as Error).message})`);
    return undefined;
  }
}

/** A checkpoint directory that holds something (what a trainable saved there). */
function hasFiles(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}
