/**
 * The worker-pool executor: runs trials in parallel on devices (piscina worker threads for `cpu`, one child process per GPU)
 * for the one optimize loop (src/study/loop.ts), behind the shared {@link Executor} interface. It knows nothing of studies: it
 * gets a trial (number, params, budget, continue-from), resolves what the trainable receives (the built-in trainer's full
 * TrialConfig, or the params merged over a module's defaults), sends it to a free worker of the slot's device, forwards the
 * worker's reports to the loop's channel and returns how the trial ended. Isolation: a trial that throws fails alone (message
 * and stack kept), a worker that dies ends its trial as `crashed` and is replaced, `kill()` terminates the worker.
 *
 * Slots: one per unit of device capacity (`workers` threads for cpu, `trialsPerDevice` per GPU), each bound to its device, so a
 * device never runs more trials at once than its capacity and piscina never queues.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describeValue } from '../core/describe.js';
import { OptionsError } from '../core/errors.js';
import type { CostHint, ExecOutcome, Executor, RunningTrial, TrialChannel, TrialTask } from '../core/executor.js';
import type { Dataset } from '../../trials/types.js';
import { builtinConfig, builtinCostHint, mergeConfig } from './config.js';
import { createDevices, type Device, type RunHandle } from './devices.js';
import { defaultWorkers } from './slots.js';
import type { ControllerReply, JsonObject, RunTrialTask, TrainableRef, TrialOutcome, WorkerRequest } from './protocol.js';

/** The trainable of a pool: the built-in TF.js trainer, or a user module (`.js`, `.mjs`, `.ts`) exporting `default (config, ctx)`. */
export type TrainableSpec =
  'builtin' | { readonly builtin: { readonly defaults?: JsonObject } } | { readonly module: string; readonly defaults?: JsonObject };

/** The pool's own options (the loop's options come beside them in `study.optimize(trainable, options)`). */
export interface PoolExecutorOptions {
  /** Worker threads of the `cpu` device (default: available cores; at most {@link MAX_WORKERS_PER_CORE} x the cores). */
  readonly workers?: number;
  /** Default ['cpu']; or ['gpu:0', 'gpu:1', ...], each served by its own process with CUDA_VISIBLE_DEVICES set. */
  readonly devices?: readonly string[];
  /** Trials each GPU device runs at once (default 1). */
  readonly trialsPerDevice?: number;
  /** Dataset shared with every worker (shared memory, no copy per trial): the built-in trainer's data, ctx.data of modules. */
  readonly data?: Dataset;
  /** Max epochs per trial: caps the built-in trainer's epochs, and is ctx.budget of modules when the searcher gives none. */
  readonly maxEpochs?: number;
  /** V8 heap limit per worker thread in MB (at least {@link MIN_WORKER_MEMORY_MB}); a trial exceeding it fails ('worker crashed'). */
  readonly workerMemoryMb?: number;
  /** Directory a trial may save its checkpoint to (built-in: runTrial's outDir), or undefined for none. */
  readonly checkpointDir?: (number: number) => string | undefined;
}

/** The pool option names (for the unknown-option check). */
export const POOL_KEYS = ['workers', 'devices', 'trialsPerDevice', 'data', 'maxEpochs', 'workerMemoryMb', 'checkpointDir'] as const;

/** Worker threads per core allowed: more only thrash (each thread holds a TF.js runtime), and 1e9 would exhaust memory. */
export const MAX_WORKERS_PER_CORE = 4;
/** Smallest heap a worker thread can load TF.js and a dataset view with (MB). */
export const MIN_WORKER_MEMORY_MB = 64;

/** What the study tells the executor about itself (the pool never sees the study). */
export interface PoolStudyInfo {
  readonly seed: number;
  /** The objective metric (built-in trainer: picks the best epoch, and is what reports carry as the value). */
  readonly objective: { readonly metric: string; readonly direction: 'minimize' | 'maximize' };
  /** True when the study has a `metric`, so reports may be metrics objects. */
  readonly metricReports: boolean;
}

function checkPoolOptions(o: PoolExecutorOptions): void {
  const int = (name: string, v: unknown, min: number, max: number, why = '') => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)) {
      throw new OptionsError(
        `optimize(): \`${name}\` must be an integer >= ${min} and <= ${max}${why}, got ${typeof v === 'number' ? String(v) : describeValue(v)}`,
      );
    }
  };
  const maxWorkers = MAX_WORKERS_PER_CORE * defaultWorkers();
  int('workers', o.workers, 1, maxWorkers, ` (${MAX_WORKERS_PER_CORE} x the ${defaultWorkers()} cores here)`);
  int('trialsPerDevice', o.trialsPerDevice, 1, 64);
  int('maxEpochs', o.maxEpochs, 1, 1_000_000);
  const mem = o.workerMemoryMb;
  if (mem !== undefined && (typeof mem !== 'number' || !Number.isFinite(mem) || mem < MIN_WORKER_MEMORY_MB)) {
    throw new OptionsError(
      `optimize(): \`workerMemoryMb\` must be a number >= ${MIN_WORKER_MEMORY_MB} (a worker thread needs that much to start), got ${String(mem)}`,
    );
  }
  if (o.checkpointDir !== undefined && typeof o.checkpointDir !== 'function')
    throw new OptionsError('optimize(): `checkpointDir` must be a function (trial number) => directory');
}

function resolveTrainable(spec: TrainableSpec): { ref: TrainableRef; defaults: JsonObject } {
  if (spec === 'builtin') return { ref: { kind: 'builtin' }, defaults: {} };
  if (spec !== null && typeof spec === 'object' && 'module' in spec && typeof spec.module === 'string' && spec.module) {
    return { ref: { kind: 'module', path: path.resolve(spec.module) }, defaults: spec.defaults ?? {} };
  }
  if (spec !== null && typeof spec === 'object' && 'builtin' in spec && typeof spec.builtin === 'object' && spec.builtin !== null) {
    return { ref: { kind: 'builtin' }, defaults: spec.builtin.defaults ?? {} };
  }
  throw new OptionsError(
    `the trainable must be 'builtin', { builtin: { defaults } } or { module: './train.ts' }, got ${JSON.stringify(spec)}`,
  );
}

/**
 * The built-in trainer's backend on a device: the defaults' `backend`, else wasm on cpu and the CUDA backend of
 * @tensorflow/tfjs-node-gpu on a GPU (whose process sees only its own GPU). Sampled params may still override it per trial.
 */
function builtinBackend(defaults: JsonObject, device: string): string {
  const given = defaults['backend'];
  return typeof given === 'string' ? given : device.startsWith('gpu:') ? 'tensorflow-gpu' : 'wasm';
}

/** Rebuilds a thrown error (message + stack from the worker). */
function asError(outcome: { readonly message: string; readonly stack?: string }): Error {
  const e = new Error(outcome.message);
  e.stack = outcome.stack ?? outcome.message;
  return e;
}

/** A worker's outcome in the executor's terms. */
function toExec(outcome: TrialOutcome): ExecOutcome {
  if (outcome.type === 'result') {
    const aborted = outcome.stopReason === 'aborted';
    return {
      kind: 'returned',
      result: outcome.result,
      ...(outcome.stopped ? { stopped: outcome.stopped } : {}),
      ...(aborted ? { aborted } : {}),
    };
  }
  if (outcome.kind === 'killed') return { kind: 'killed' };
  if (outcome.kind === 'crash') return { kind: 'crashed', error: asError(outcome) };
  return { kind: 'threw', error: asError(outcome), ...(outcome.stopped ? { stopped: outcome.stopped } : {}) };
}

/**
 * Builds the pool for `trainable` (devices start now: their threads preload the TF.js backend). Throws OptionsError for bad
 * options before starting anything.
 */
export function createPoolExecutor<P>(trainable: TrainableSpec, o: PoolExecutorOptions, study: PoolStudyInfo): Executor<P> {
  checkPoolOptions(o);
  const { ref, defaults } = resolveTrainable(trainable);
  const devices: Device[] = createDevices(o.devices ?? ['cpu'], {
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    ...(o.trialsPerDevice !== undefined ? { trialsPerDevice: o.trialsPerDevice } : {}),
    ...(o.workerMemoryMb !== undefined ? { workerMemoryMb: o.workerMemoryMb } : {}),
    ...(o.data ? { data: o.data } : {}),
    ...(ref.kind === 'builtin' ? { preload: (device: string) => builtinBackend(defaults, device) } : {}),
  });
  const slotDevices: Device[] = devices.flatMap((d) => Array.from({ length: d.capacity }, () => d));

  /**
   * A promoted trial continues from the earlier trial's checkpoint (initFrom, and startEpoch = the epochs that trial ran) when
   * that checkpoint still exists: the sweep's top-k retention may have deleted it, and the trial then trains from scratch.
   */
  const warmStart = (from: number, startEpoch: number, epochs: number): { initFrom: string; startEpoch: number } | undefined => {
    const dir = o.checkpointDir?.(from);
    if (!dir || !fs.existsSync(dir) || fs.readdirSync(dir).length === 0 || !(startEpoch < epochs)) return undefined;
    return { initFrom: dir, startEpoch };
  };

  const taskOf = (t: TrialTask<P>, device: Device): RunTrialTask => {
    const params = t.params as unknown as JsonObject;
    const budget = t.budget;
    let config =
      ref.kind === 'builtin'
        ? builtinConfig(defaults, params, {
            ...(budget !== undefined ? { budget } : {}),
            ...(o.maxEpochs !== undefined ? { maxEpochs: o.maxEpochs } : {}),
            seed: study.seed,
            objective: study.objective,
          })
        : mergeConfig(defaults, params);
    if (ref.kind === 'builtin' && config['backend'] === undefined) config = { ...config, backend: builtinBackend(defaults, device.name) };
    const trialBudget = budget ?? o.maxEpochs;
    const checkpointDir = o.checkpointDir?.(t.number);
    const epochs = trialBudget ?? (typeof config['epochs'] === 'number' ? config['epochs'] : 0);
    const warm = t.continueFrom !== undefined ? warmStart(t.continueFrom, t.continueFromBudget ?? 0, epochs) : undefined;
    return {
      type: 'run',
      number: t.number,
      trainable: ref,
      config,
      params,
      ...(trialBudget !== undefined ? { budget: trialBudget } : {}),
      ...(t.continueFrom !== undefined ? { continueFrom: t.continueFrom } : {}),
      ...(checkpointDir !== undefined ? { checkpointDir } : {}),
      ...(warm ?? {}),
      device: device.name,
      objective: study.objective,
      metricReports: study.metricReports,
    };
  };

  // The built-in trainer's work is countable from the config and the dataset's shape; a module's is not.
  const data = o.data;
  const costHint =
    ref.kind === 'builtin' && data
      ? (params: P): CostHint | undefined => {
          try {
            const config = builtinConfig(defaults, params as unknown as JsonObject, { seed: study.seed, objective: study.objective });
            return builtinCostHint(config, data);
          } catch {
            return undefined;
          }
        }
      : undefined;

  return {
    what: 'trainable',
    slots: slotDevices.map((d) => ({ device: d.name })),
    ...(costHint ? { costHint } : {}),
    run: (t: TrialTask<P>, slot: number, channel: TrialChannel): RunningTrial => {
      const device = slotDevices[slot] as Device;
      let task: RunTrialTask;
      try {
        task = taskOf(t, device);
      } catch (error) {
        return { outcome: Promise.resolve({ kind: 'threw', error }), stop: () => undefined, kill: () => undefined };
      }
      const answer = async (req: WorkerRequest): Promise<ControllerReply> => {
        if (req.type === 'started') {
          channel.started();
          return { type: 'decision', seq: req.seq, action: 'continue' };
        }
        if (req.type === 'attr') {
          await channel.setUserAttr(req.key, req.value);
          return { type: 'decision', seq: req.seq, action: 'continue' };
        }
        return { type: 'decision', seq: req.seq, action: await channel.report(req.step, req.value, req.curve) };
      };
      const handle: RunHandle = device.start(task, answer);
      return { config: task.config, outcome: handle.outcome.then(toExec), stop: () => handle.stop(), kill: () => handle.kill() };
    },
    close: async (hard: boolean) => {
      await Promise.all(devices.map((d) => (hard ? d.destroy() : d.close()).catch(() => undefined)));
    },
  };
}
