/**
 * What a worker thread runs for one trial: the built-in TF.js trainer (`runTrial` from trials/) or a user module's default
 * export. Loaded lazily by worker.ts, so a sweep of user modules never pays for importing TF.js.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Dataset, EpochReport, TrialConfig } from '../../trials/types.js';
import type { JsonValue, Metrics } from '../core/types.js';
import type { JsonObject, ResultOutcome, SharedDataset, WorkerTask } from './protocol.js';
import type { WorkerChannel as TaskChannel } from './protocol.js';

/**
 * The second argument of a user trainable, `export default async (config, ctx) => metrics`. The same fields as the context
 * `study.optimize` objectives get, plus where the trial runs and the sweep's shared dataset.
 */
export interface TrainContext {
  /** The trial number in the study. */
  readonly number: number;
  /** The sampled params (before merging over the sweep's defaults). */
  readonly params: JsonObject;
  /** Steps (epochs) the trial may run: the searcher's budget, else the sweep's max epochs per trial. */
  readonly budget?: number;
  /** Promoted trials: the number of the earlier trial whose checkpoint this one may continue from. */
  readonly continueFrom?: number;
  /** Device name ('cpu', 'gpu:1'...). A gpu device's process has CUDA_VISIBLE_DEVICES set to its index. */
  readonly device: string;
  /** A directory for the trial's best checkpoint; only the sweep's top-k trials keep it. */
  readonly checkpointDir?: string;
  /** Promotions: the checkpoint directory of trial `continueFrom` (when it still exists) and the epochs that trial ran. */
  readonly initFrom?: string;
  readonly startEpoch?: number;
  /** The sweep's dataset, if it names one (split arrays in shared memory: read them, do not write). */
  readonly data?: Dataset;
  /** Aborted when the trial is pruned or the sweep stops: check it between batches/steps. */
  readonly signal: AbortSignal;
  /** Records an intermediate value (a number, or metrics holding the objective metric); answers whether to go on. */
  report(step: number, value: number | Metrics): Promise<'continue' | 'prune'>;
  /** Stores a JSON user attribute on the trial. */
  setUserAttr(key: string, value: JsonValue): Promise<void>;
}

/** The shape of a user trainable module's default export. */
export type TrainFunction = (config: JsonObject, ctx: TrainContext) => unknown;

/** Imported user modules, by path: each thread imports a module once and reuses it for every trial. */
const modules = new Map<string, Promise<TrainFunction>>();

async function importTrainable(path: string): Promise<TrainFunction> {
  const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  const fn = mod.default;
  if (typeof fn !== 'function') {
    throw new TypeError(
      `${path} must export a default function \`export default async (config, ctx) => metrics\`; its default export is ${fn === undefined ? 'missing' : typeof fn}`,
    );
  }
  return fn as TrainFunction;
}

/** Runs a user module's trainable with its context; returns what it returned, for the controller to interpret. */
export async function runModule(task: WorkerTask, path: string, channel: TaskChannel): Promise<ResultOutcome> {
  let loading = modules.get(path);
  if (!loading) {
    loading = importTrainable(path);
    modules.set(path, loading);
    loading.catch(() => modules.delete(path)); // a broken module is retried (and fails again, with its error) next trial
  }
  const train = await loading;
  const ctx: TrainContext = {
    number: task.number,
    params: task.params,
    ...(task.budget !== undefined ? { budget: task.budget } : {}),
    ...(task.continueFrom !== undefined ? { continueFrom: task.continueFrom } : {}),
    device: task.device,
    ...(task.checkpointDir !== undefined ? { checkpointDir: task.checkpointDir } : {}),
    ...(task.initFrom !== undefined ? { initFrom: task.initFrom, startEpoch: task.startEpoch ?? 0 } : {}),
    ...(task.data ? { data: task.data as Dataset } : {}),
    signal: channel.signal,
    report: async (step, value) => ((await channel.report(step, value)) === 'continue' ? 'continue' : 'prune'),
    setUserAttr: async (key, value) => {
      await channel.request({ type: 'attr', key, value });
    },
  };
  const result = await train(task.config, ctx);
  return { type: 'result', result, ...(channel.stopped ? { stopped: channel.stopped } : {}) };
}

/** The numbers of one epoch as one flat metrics object: trainLoss, valLoss and every validation metric. */
export function epochMetrics(e: EpochReport): Metrics {
  return { trainLoss: e.trainLoss, valLoss: e.valLoss, ...e.metrics };
}

function dataOf(data: SharedDataset | undefined): Dataset {
  if (!data) {
    throw new Error(
      'the built-in trainer needs a dataset: give the sweep a `dataset` (e.g. { "type": "mnist" }) or pass `data` to runPool',
    );
  }
  return data as Dataset;
}

/**
 * Trains `task.config` with `runTrial`. Each epoch is reported (the objective metric, or all metrics when the study has a
 * `metric`) and the controller's answer decides: prune -> 'stop'; abort -> the signal is already aborted, so the loop ends
 * within one batch without test metrics or checkpoint. The result's value is the objective at the best epoch; its metrics add
 * the test metrics (`testAccuracy`...), bestEpoch, epochs run and the hardware metrics measured after training (trials/
 * measure.ts: paramCount, modelBytes, latencyMs, latencyMs256...).
 */
export async function runBuiltin(task: WorkerTask, channel: TaskChannel): Promise<ResultOutcome> {
  const data = dataOf(task.data);
  const { runTrial } = await import('../../trials/loop.js');
  const { epochSignals } = await import('../../trials/signals.js');
  const config = task.config as unknown as TrialConfig;
  const metric = task.objective.metric;
  const wantsOnnx = (config.measure as { onnx?: unknown } | undefined)?.onnx === true;
  const run = await runTrial(config, data, {
    signal: channel.signal,
    // ONNX figures come from the exporter (src/deploy), loaded only for trials that ask for them: it loads onnxruntime.
    ...(wantsOnnx ? { onnx: (await import('../deploy/export/figures.js')).onnxFigures } : {}),
    ...(task.checkpointDir !== undefined ? { outDir: task.checkpointDir } : {}),
    ...(task.initFrom !== undefined ? { initFrom: task.initFrom, startEpoch: task.startEpoch ?? 0 } : {}),
    report: async (e) => {
      // Every per-epoch signal (losses, val metrics, lr, gradient/weight norms, nonFinite): diagnostic pruners read them.
      const signals = epochSignals(e);
      const decision = await channel.report(
        e.epoch,
        task.metricReports ? signals : (signals[metric] ?? NaN),
        task.metricReports ? { epochMs: e.epochMs } : { ...signals, epochMs: e.epochMs },
      );
      // 'abort' has aborted the signal: answering 'continue' lets the loop see it and skip the test pass and checkpoint.
      return decision === 'prune' ? 'stop' : 'continue';
    },
  });
  // The trial's confusion matrix, feature maps and per-layer gradient norms, for the report's detail view.
  if (task.checkpointDir !== undefined && run.stopReason !== 'aborted') {
    const { writeTrialDiagnostics } = await import('../../trials/diagnostics-file.js');
    writeTrialDiagnostics(path.dirname(task.checkpointDir), run, data.classNames);
  }
  const best = run.history.find((h) => h.epoch === run.bestEpoch) ?? run.history[run.history.length - 1];
  const bestMetrics = best ? epochMetrics(best) : {};
  const test: Metrics = {};
  for (const [k, v] of Object.entries(run.test)) test[`test${k.charAt(0).toUpperCase()}${k.slice(1)}`] = v;
  // Hardware figures (paramCount, modelBytes, latencyMs at batch 1 / latencyMs256, their IQRs, ONNX ones when asked) join
  // the metrics, so objectives and constraints such as "latencyMs <= 5" read them like any other metric.
  const metrics: Metrics = {
    ...bestMetrics,
    ...test,
    bestEpoch: run.bestEpoch,
    epochs: run.history.length,
    paramCount: run.paramCount,
    ...(run.hardware ?? {}),
  };
  return {
    type: 'result',
    result: { value: bestMetrics[metric] ?? NaN, metrics },
    stopReason: run.stopReason,
    ...(channel.stopped ? { stopped: channel.stopped } : {}),
  };
}
