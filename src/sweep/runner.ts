/**
 * `runSweep`: one resolved sweep, end to end. Writes `<out>/sweep.json`, loads the dataset once, opens (or continues) the
 * study in `<out>/study.json`, runs it on the worker pool with the output writer and the progress display hooked to the
 * pool's events, and writes the final leaderboard. Running it again on the same directory continues the sweep (`tunekit
 * resume`): finished trials count toward the budget, trials left running by a killed process are retried.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createStudy } from '../study/open.js';
import { countsTowardBudget } from '../study/optimize.js';
import { createPruner } from '../pruners/spec.js';
import type { TrainableSpec } from '../pool/executor.js';
import type { OptimizeResult } from '../study/loop.js';
import { defaultWorkers } from '../pool/slots.js';
import { writeJsonAtomic } from '../core/json-file.js';
import type { Leaderboard } from '../report/leaderboard.js';
import type { TrialRecord } from '../core/types.js';
import { loadSweepDataset } from './dataset.js';
import { checkpointDir, SweepOutput } from './output.js';
import { Progress, type ProgressSink } from './progress.js';
import type { ResolvedSweep } from './spec.js';

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
}

export interface SweepRunResult extends OptimizeResult {
  readonly dir: string;
  readonly leaderboard: Leaderboard;
  /** Trials whose checkpoints were kept. */
  readonly checkpoints: readonly number[];
}

/** The pool's trainable for a sweep. */
export function sweepTrainable(sweep: ResolvedSweep): TrainableSpec {
  return sweep.trainable === 'builtin' ? { builtin: { defaults: sweep.defaults } } : { module: sweep.trainable.module, defaults: sweep.defaults };
}

/** Slot devices in pool order (cpu threads first, then trialsPerDevice per GPU), for the progress lines. */
function slotDevices(sweep: ResolvedSweep): string[] {
  return sweep.devices.flatMap((d) => Array.from({ length: d === 'cpu' ? (sweep.workers ?? defaultWorkers()) : sweep.trialsPerDevice }, () => d));
}

/**
 * Runs (or continues) `sweep` in `options.out`. Resolves once the budget is met, the searcher is exhausted, the time budget
 * ran out or a signal stopped it; every finished trial is durable and the leaderboard written by then. Rejects (after the
 * same clean-up) on TooManyFailuresError and storage errors.
 */
export async function runSweep(sweep: ResolvedSweep, options: RunSweepOptions): Promise<SweepRunResult> {
  const dir = path.resolve(options.out);
  fs.mkdirSync(dir, { recursive: true });
  const sink: ProgressSink = options.sink ?? process.stdout;
  const data = sweep.dataset ? await loadSweepDataset(sweep.dataset) : undefined;
  const epochs = sweep.budget.epochs;
  const study = await createStudy({
    name: sweep.name,
    space: sweep.space,
    direction: sweep.objective.direction,
    searcher: sweep.searcher,
    seed: sweep.seed,
    storage: path.join(dir, 'study.json'),
    loadIfExists: true,
    metric: sweep.objective.metric,
    pruner: createPruner(sweep.pruner),
    ...(epochs !== undefined ? { budget: { min: sweep.budget.minEpochs ?? 1, max: epochs } } : {}),
  });
  let progress: Progress | undefined;
  try {
    // Written once the study (and its single-writer lock) is ours, so a second `run` on a busy directory changes nothing.
    writeJsonAtomic(path.join(dir, 'sweep.json'), sweep);
    const trials = await study.trials();
    const already = trials.filter(countsTowardBudget).length;
    const output = new SweepOutput(dir, { keep: sweep.keepCheckpoints, direction: sweep.objective.direction, leaderboard: () => study.leaderboard() });
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
      sink.write(`${sweep.name}: ${already}/${sweep.budget.trials} trials finished so far; ${data ? `dataset ${data.name} ${data.train.n}/${data.val.n}/${data.test.n} (train/val/test), ` : ''}output ${dir}\n`);
    }
    p.start();
    const result = await study.optimize(sweepTrainable(sweep), {
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
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.killSignal ? { killSignal: options.killSignal } : {}),
      checkpointDir: (n) => checkpointDir(dir, n),
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
        p.finished(t, e.slot);
      },
    }).finally(() => output.flush());
    p.stop();
    return { ...result, dir, leaderboard: await study.leaderboard(), checkpoints: output.checkpoints };
  } finally {
    progress?.stop();
    await study.close();
  }
}
