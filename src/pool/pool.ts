/**
 * `runPool`: drives a Study with trials running in parallel on devices (worker threads, one child process per GPU), through
 * the study's public calls only: `ask()` -> run on a free slot -> `report()` per streamed epoch (the pruner decides) ->
 * `tell()`. It is `study.optimize` for trainables that live in their own threads, with the same budget semantics (`trials` =
 * finished trials in the study, interrupted ones excluded and retried), and adds isolation: a trial that throws fails alone
 * (message and stack kept), a worker that dies fails only its trial ('worker crashed') and is replaced, a trial running past
 * `trialTimeoutMs` fails ('timeout') and its worker is replaced.
 *
 * Scheduling: one lane per slot (device capacity), each lane bound to its device, so a device never runs more trials at once
 * than its capacity (`workers` for cpu, `trialsPerDevice` per GPU) and piscina never queues.
 *
 * Stopping: `signal` stops gracefully (no new trials; running ones get an `abort` decision, end within one batch and are
 * recorded interrupted, so a resume re-runs them); `killSignal` stops at once (workers terminated, running trials recorded
 * interrupted). Either way every finished trial is durable when runPool returns.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SearchExhaustedError, OptionsError } from '../core/errors.js';
import type { Dataset } from '../../trials/types.js';
import type { AskedTrial, Study, TellResult } from '../study/study.js';
import { interpretResult, type OptimizeResult } from '../study/optimize.js';
import { SweepLedger } from '../study/ledger.js';
import type { Metrics, TrialRecord } from '../core/types.js';
import { builtinConfig, mergeConfig } from './config.js';
import { createDevices, type Device, type RunHandle } from './devices.js';
import type { ControllerReply, JsonObject, RunTrialTask, TrainableRef, TrialOutcome, WorkerRequest } from './protocol.js';

/** The trainable of a pool: the built-in TF.js trainer, or a user module (`.js`, `.mjs`, `.ts`) exporting `default (config, ctx)`. */
export type TrainableSpec =
  | 'builtin'
  | { readonly builtin: { readonly defaults?: JsonObject } }
  | { readonly module: string; readonly defaults?: JsonObject };

/** A trial the pool just started (for progress displays and output writers). */
export interface TrialStartEvent {
  readonly number: number;
  readonly slot: number;
  readonly device: string;
  readonly params: JsonObject;
  /** What the trainable receives (built-in: the full TrialConfig). */
  readonly config: JsonObject;
  readonly budget?: number;
}

/** One streamed intermediate report. */
export interface TrialReportEvent {
  readonly number: number;
  readonly slot: number;
  readonly step: number;
  readonly value: number | Metrics;
  readonly curve?: Metrics;
}

export interface PoolOptions {
  /** Total finished trials the study should hold when runPool returns (as study.optimize's `trials`). */
  readonly trials: number;
  /** Worker threads of the `cpu` device (default: available cores). */
  readonly workers?: number;
  /** Default ['cpu']; or ['gpu:0', 'gpu:1', ...], each served by its own process with CUDA_VISIBLE_DEVICES set. */
  readonly devices?: readonly string[];
  /** Trials each GPU device runs at once (default 1). */
  readonly trialsPerDevice?: number;
  /** Dataset shared with every worker (shared memory, no copy per trial): the built-in trainer's data, ctx.data of modules. */
  readonly data?: Dataset;
  /** Max epochs per trial: caps the built-in trainer's epochs, and is ctx.budget of modules when the searcher gives none. */
  readonly maxEpochs?: number;
  /** Stop starting new trials after this many ms (running ones finish). */
  readonly timeoutMs?: number;
  /** A trial running longer fails with reason 'timeout'; its worker is terminated and replaced. */
  readonly trialTimeoutMs?: number;
  /** V8 heap limit per worker thread in MB; a trial exceeding it fails ('worker crashed'). */
  readonly workerMemoryMb?: number;
  /** Stop with TooManyFailuresError after this many failed trials in a row (default 3, 0 = never). */
  readonly maxConsecutiveFailures?: number;
  /** Graceful stop: running trials end within one batch and are recorded interrupted (re-run on resume). */
  readonly signal?: AbortSignal;
  /** Immediate stop: workers are terminated; running trials are recorded interrupted. */
  readonly killSignal?: AbortSignal;
  /** Directory a trial may save its checkpoint to (built-in: runTrial's outDir), or undefined for none. */
  readonly checkpointDir?: (number: number) => string | undefined;
  readonly onTrialStarted?: (event: TrialStartEvent) => void;
  readonly onReport?: (event: TrialReportEvent) => void;
  /** Called when a running trial was recorded interrupted (a retry with the same params is enqueued). */
  readonly onTrialInterrupted?: (number: number, event: { readonly slot: number; readonly device: string }) => void;
  /** Called after each trial is durably finished, before the lane starts its next trial. */
  readonly onTrialFinished?: (trial: TrialRecord, event: { readonly slot: number; readonly device: string }) => void | Promise<void>;
}

/** What runPool resolves with (study.optimize's result). */
export type PoolResult = OptimizeResult;

const KNOWN = [
  'trials', 'workers', 'devices', 'trialsPerDevice', 'data', 'maxEpochs', 'timeoutMs', 'trialTimeoutMs', 'workerMemoryMb',
  'maxConsecutiveFailures', 'signal', 'killSignal', 'checkpointDir', 'onTrialStarted', 'onReport', 'onTrialInterrupted', 'onTrialFinished',
];

function checkOptions(o: PoolOptions): void {
  if (o === null || typeof o !== 'object') throw new OptionsError('runPool() needs options, e.g. { trials: 100, workers: 2 }');
  for (const k of Object.keys(o)) if (!KNOWN.includes(k)) throw new OptionsError(`runPool(): unknown option "${k}"; known options: ${KNOWN.join(', ')}`);
  const int = (name: string, v: unknown, min: number) => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min)) throw new OptionsError(`runPool(): \`${name}\` must be an integer >= ${min}, got ${String(v)}`);
  };
  if (o.trials === undefined) throw new OptionsError('runPool(): `trials` (the total number of finished trials wanted) is required');
  int('trials', o.trials, 0);
  int('workers', o.workers, 1);
  int('trialsPerDevice', o.trialsPerDevice, 1);
  int('maxEpochs', o.maxEpochs, 1);
  int('maxConsecutiveFailures', o.maxConsecutiveFailures, 0);
  for (const k of ['timeoutMs', 'trialTimeoutMs', 'workerMemoryMb'] as const) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'number' || !(v > 0))) throw new OptionsError(`runPool(): \`${k}\` must be a number > 0, got ${String(v)}`);
  }
}

function resolveTrainable(spec: TrainableSpec): { ref: TrainableRef; defaults: JsonObject } {
  if (spec === 'builtin') return { ref: { kind: 'builtin' }, defaults: {} };
  if (spec !== null && typeof spec === 'object' && 'module' in spec && typeof spec.module === 'string' && spec.module) {
    return { ref: { kind: 'module', path: path.resolve(spec.module) }, defaults: spec.defaults ?? {} };
  }
  if (spec !== null && typeof spec === 'object' && 'builtin' in spec && typeof spec.builtin === 'object' && spec.builtin !== null) {
    return { ref: { kind: 'builtin' }, defaults: spec.builtin.defaults ?? {} };
  }
  throw new OptionsError(`the trainable must be 'builtin', { builtin: { defaults } } or { module: './train.ts' }, got ${JSON.stringify(spec)}`);
}

/**
 * The built-in trainer's backend on a device: the defaults' `backend`, else wasm on cpu and the CUDA backend of
 * @tensorflow/tfjs-node-gpu on a GPU (whose process sees only its own GPU). Sampled params may still override it per trial.
 */
function builtinBackend(defaults: JsonObject, device: string): string {
  const given = defaults['backend'];
  return typeof given === 'string' ? given : device.startsWith('gpu:') ? 'tensorflow-gpu' : 'wasm';
}

/** Rebuilds a thrown error (message + stack from the worker) for tell(), which stores both. */
function asError(outcome: { readonly message: string; readonly stack?: string }): Error {
  const e = new Error(outcome.message);
  e.stack = outcome.stack ?? outcome.message;
  return e;
}

/**
 * Runs `study` on a worker pool until it holds `options.trials` finished trials (or the searcher is exhausted, the time is
 * up, or a signal stops it). Called by the sweep runner (`tunekit run`) and by `study.optimize({ module }, { workers })`.
 * Throws OptionsError for bad options before starting anything, TooManyFailuresError after `maxConsecutiveFailures` failures
 * in a row (running trials finish first).
 */
export async function runPool<P>(study: Study<P>, trainable: TrainableSpec, options: PoolOptions): Promise<PoolResult> {
  checkOptions(options);
  const o = options;
  const { ref, defaults } = resolveTrainable(trainable);
  const maxFailures = o.maxConsecutiveFailures ?? 3;
  const objective = { metric: study.metric ?? 'valLoss', direction: study.direction };

  const ledger = new SweepLedger(o.trials, maxFailures, await study.trials());
  let stop: PoolResult['stoppedBy'] | undefined;
  let hard = false;
  const running = new Map<number, RunHandle>();

  if (ledger.finished >= o.trials) return { stoppedBy: 'budget', finished: 0, ...(study.best ? { best: study.best } : {}) };
  const devices: Device[] = createDevices(o.devices ?? ['cpu'], {
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    ...(o.trialsPerDevice !== undefined ? { trialsPerDevice: o.trialsPerDevice } : {}),
    ...(o.workerMemoryMb !== undefined ? { workerMemoryMb: o.workerMemoryMb } : {}),
    ...(o.data ? { data: o.data } : {}),
    ...(ref.kind === 'builtin' ? { preload: (device: string) => builtinBackend(defaults, device) } : {}),
  });

  const onStop = () => {
    stop ??= 'signal';
    for (const h of running.values()) h.stop();
  };
  const onKill = () => {
    stop ??= 'signal';
    hard = true;
    for (const h of running.values()) h.kill();
    for (const d of devices) void d.destroy();
  };
  if (o.signal?.aborted) onStop();
  if (o.killSignal?.aborted) onKill();
  o.signal?.addEventListener('abort', onStop, { once: true });
  o.killSignal?.addEventListener('abort', onKill, { once: true });
  const timer = o.timeoutMs !== undefined ? setTimeout(() => (stop ??= 'timeout'), o.timeoutMs) : undefined;
  const stopping = () => stop === 'signal';

  /**
   * A promoted trial continues from the earlier trial's checkpoint (initFrom, and startEpoch = the epochs that trial ran) when
   * that checkpoint still exists: the sweep's top-k retention may have deleted it, and the trial then trains from scratch.
   */
  const warmStart = async (from: number, epochs: number): Promise<{ initFrom: string; startEpoch: number } | undefined> => {
    const dir = o.checkpointDir?.(from);
    const startEpoch = (await study.trial(from))?.budget ?? 0;
    if (!dir || !fs.existsSync(dir) || fs.readdirSync(dir).length === 0 || !(startEpoch < epochs)) return undefined;
    return { initFrom: dir, startEpoch };
  };

  const runOne = async (asked: AskedTrial<P>, device: Device, slot: number): Promise<TrialRecord | undefined> => {
    const { number, budget, continueFrom } = asked;
    const params = asked.params as unknown as JsonObject;
    let config =
      ref.kind === 'builtin'
        ? builtinConfig(defaults, params, { ...(budget !== undefined ? { budget } : {}), ...(o.maxEpochs !== undefined ? { maxEpochs: o.maxEpochs } : {}), seed: study.seed, objective })
        : mergeConfig(defaults, params);
    if (ref.kind === 'builtin' && config['backend'] === undefined) config = { ...config, backend: builtinBackend(defaults, device.name) };
    const trialBudget = budget ?? o.maxEpochs;
    const checkpointDir = o.checkpointDir?.(number);
    const warm = continueFrom !== undefined ? await warmStart(continueFrom, trialBudget ?? (typeof config['epochs'] === 'number' ? config['epochs'] : 0)) : undefined;
    const task: RunTrialTask = {
      type: 'run',
      number,
      trainable: ref,
      config,
      params,
      ...(trialBudget !== undefined ? { budget: trialBudget } : {}),
      ...(continueFrom !== undefined ? { continueFrom } : {}),
      ...(checkpointDir !== undefined ? { checkpointDir } : {}),
      ...(warm ?? {}),
      device: device.name,
      objective,
      metricReports: study.metric !== undefined,
    };
    o.onTrialStarted?.({ number, slot, device: device.name, params, config, ...(trialBudget !== undefined ? { budget: trialBudget } : {}) });
    let timedOut = false;
    let done = false;
    let timeout: NodeJS.Timeout | undefined;
    let handle: RunHandle | undefined;
    const answer = async (req: WorkerRequest): Promise<ControllerReply> => {
      if (req.type === 'started') {
        // The trial's clock starts once a worker runs it (a fresh worker's start-up is not the trial's fault). `started` is
        // not awaited by the worker, so it could in principle arrive after the outcome: no timer then.
        if (o.trialTimeoutMs !== undefined && timeout === undefined && !done) {
          timeout = setTimeout(() => {
            timedOut = true;
            handle?.kill();
          }, o.trialTimeoutMs);
        }
      } else if (req.type === 'attr') {
        await study.setTrialUserAttr(number, req.key, req.value);
        return { type: 'decision', seq: req.seq, action: 'continue' };
      } else {
        o.onReport?.({ number, slot, step: req.step, value: req.value, ...(req.curve ? { curve: req.curve } : {}) });
        const decision = await study.report(number, req.step, req.value);
        return { type: 'decision', seq: req.seq, action: stopping() ? 'abort' : decision };
      }
      return { type: 'decision', seq: req.seq, action: stopping() ? 'abort' : 'continue' };
    };
    handle = device.start(task, answer);
    running.set(number, handle);
    if (stopping()) handle.stop();
    let outcome: TrialOutcome;
    try {
      outcome = await handle.outcome;
    } finally {
      done = true;
      clearTimeout(timeout);
      running.delete(number);
    }
    const pruned = study.pruneReason(number) !== undefined || outcome.stopped === 'prune';
    let result: TellResult | 'interrupted';
    if (outcome.type === 'result') {
      if (stopping() && (outcome.stopped === 'abort' || outcome.stopReason === 'aborted')) result = 'interrupted';
      else if (pruned) result = { state: 'pruned' };
      else {
        try {
          result = interpretResult(study, outcome.result, 'trainable');
        } catch (error) {
          result = { state: 'failed', error }; // the pool turns every trainable error into a failed trial
        }
      }
    } else if (outcome.kind === 'killed') {
      result = timedOut && !hard
        ? { state: 'failed', reason: 'timeout', error: new Error(`the trial ran longer than trialTimeout = ${(o.trialTimeoutMs as number) / 1000} s; its worker was terminated and replaced`) }
        : 'interrupted';
    } else if (hard || (stopping() && outcome.stopped === 'abort')) {
      result = 'interrupted';
    } else if (outcome.kind === 'crash') {
      result = { state: 'failed', reason: 'worker crashed', error: asError(outcome) };
    } else if (pruned) {
      result = { state: 'pruned' };
    } else {
      result = { state: 'failed', error: asError(outcome) };
    }
    if (result === 'interrupted') {
      await study.markInterrupted(number);
      o.onTrialInterrupted?.(number, { slot, device: device.name });
      return undefined;
    }
    return study.tell(number, result);
  };

  const lane = async (device: Device, slot: number): Promise<void> => {
    while (!stop && ledger.canStart()) {
      ledger.inFlight++;
      let record: TrialRecord | undefined;
      try {
        let asked: AskedTrial<P>;
        try {
          asked = await study.ask();
        } catch (error) {
          if (error instanceof SearchExhaustedError) {
            stop ??= 'exhausted';
            return;
          }
          throw error;
        }
        if (stopping()) {
          await study.markInterrupted(asked.number);
          return;
        }
        record = await runOne(asked, device, slot);
      } finally {
        ledger.inFlight--;
      }
      if (!record) continue; // interrupted: it does not count, and its retry is enqueued.
      ledger.finish(record);
      await o.onTrialFinished?.(record, { slot, device: device.name });
    }
  };

  try {
    const lanes: Promise<void>[] = [];
    let slot = 0;
    for (const device of devices) {
      for (let i = 0; i < device.capacity; i++) {
        lanes.push(
          lane(device, slot++).catch((error: unknown) => ledger.fail(error)),
        );
      }
    }
    await Promise.all(lanes);
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onStop);
    o.killSignal?.removeEventListener('abort', onKill);
    await Promise.all(devices.map((d) => (hard ? d.destroy() : d.close()).catch(() => undefined)));
  }
  if (ledger.fatal) throw ledger.fatal.error;
  const best = study.best;
  return { stoppedBy: stop ?? 'budget', finished: ledger.finishedHere, ...(best ? { best } : {}) };
}
