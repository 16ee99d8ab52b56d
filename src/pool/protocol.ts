/**
 * Every message the worker pool exchanges, in one place. Three hops speak it:
 *
 *   controller (runPool) <-- MessagePort (one per task) --> worker thread (worker.ts)           for the in-process cpu device
 *   controller (runPool) <-- IPC (child_process.fork) --> device child (device-child.ts) <-- MessagePort --> worker thread
 *
 * A trial is one piscina task: the controller sends a {@link RunTrialTask} (with a fresh MessagePort in its transfer list); the
 * worker streams {@link WorkerRequest}s (epoch reports, user attributes) over the port, each answered by one
 * {@link ControllerReply} carrying the same `seq` (so every report is acknowledged before the trial goes on, and all reports
 * of a trial are handled before its {@link TrialOutcome} resolves the task). The controller may also push an unsolicited
 * `decision` with `seq: 0` and action `abort` to stop a trial cooperatively (Ctrl-C): the trial's signal aborts and it ends
 * within one batch. Hard stops (timeouts, a second Ctrl-C) terminate the worker instead.
 *
 * Everything here is structured-clone data (plain objects, typed arrays, SharedArrayBuffers, ports): no classes, no functions.
 */
import type { MessagePort } from 'node:worker_threads';
import type { JsonValue, Metrics } from '../core/types.js';
import type { Dataset } from '../../trials/types.js';

/** A JSON object (trial configs, params, defaults). */
export type JsonObject = { readonly [key: string]: JsonValue };

// ---------------------------------------------------------------- data

/** One split whose arrays are views on SharedArrayBuffers (shared by every worker thread of a process, never copied). */
export interface SharedSplit {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly n: number;
}

/** A `Dataset` (trials/types.ts) whose split arrays live in shared memory; structurally a Dataset. */
export interface SharedDataset extends Omit<Dataset, 'train' | 'val' | 'test'> {
  readonly train: SharedSplit;
  readonly val: SharedSplit;
  readonly test: SharedSplit;
}

// ---------------------------------------------------------------- controller -> worker

/** Which code trains a trial: the built-in TF.js loop (`runTrial`) or a user module's default export. */
export type TrainableRef = { readonly kind: 'builtin' } | { readonly kind: 'module'; readonly path: string };

/**
 * The task message: run one trial. `config` is the resolved TrialConfig (builtin) or the params merged over the sweep's
 * defaults (module). `data` is attached by the device that runs the task (shared memory); `port` is transferred.
 */
export interface RunTrialTask {
  readonly type: 'run';
  readonly number: number;
  readonly trainable: TrainableRef;
  readonly config: JsonObject;
  readonly params: JsonObject;
  /** Steps (epochs) the trial may run: the searcher's budget, else the sweep's max epochs per trial. */
  readonly budget?: number;
  readonly continueFrom?: number;
  /** Where the trial may save its best checkpoint (builtin: runTrial's outDir). */
  readonly checkpointDir?: string;
  /**
   * Promotions (multi-fidelity): the checkpoint directory of trial `continueFrom` to start from, and the epochs that trial ran
   * (builtin: runTrial's initFrom / startEpoch; modules: ctx.initFrom / ctx.startEpoch). Absent when that checkpoint no longer
   * exists (the top-k retention deleted it): the trial then trains from scratch.
   */
  readonly initFrom?: string;
  readonly startEpoch?: number;
  /** Device name, e.g. 'cpu' or 'gpu:1'. */
  readonly device: string;
  /** The objective metric (builtin trainer: picks the best epoch and is what reports carry as the value). */
  readonly objective: { readonly metric: string; readonly direction: 'minimize' | 'maximize' };
  /** True when the study was created with a `metric`, so reports may be metrics objects. */
  readonly metricReports: boolean;
  readonly data?: SharedDataset;
}

/** What a worker thread receives: the task plus its end of the task's channel. */
export interface WorkerTask extends RunTrialTask {
  readonly port: MessagePort;
}

// ---------------------------------------------------------------- worker -> controller (requests, each answered)

/** One intermediate report (an epoch of the builtin trainer, or `ctx.report(step, value)` of a user module). */
export interface ReportRequest {
  readonly type: 'report';
  readonly seq: number;
  readonly step: number;
  /** A number, or a metrics object (studies with a `metric`). */
  readonly value: number | Metrics;
  /** Extra per-step numbers for curves.json (builtin: lr, gradient norms, timings); not stored in the study. */
  readonly curve?: Metrics;
}

/** `ctx.setUserAttr(key, value)` of a user module. */
export interface AttrRequest {
  readonly type: 'attr';
  readonly seq: number;
  readonly key: string;
  readonly value: JsonValue;
}

/**
 * Sent first by every task, once a worker thread picked it up: the trial's clock (trialTimeout) starts here, so the
 * start-up of a fresh worker thread (replacing a crashed one) is not charged to the trial.
 */
export interface StartedRequest {
  readonly type: 'started';
  readonly seq: number;
}

export type WorkerRequest = ReportRequest | AttrRequest | StartedRequest;

// ---------------------------------------------------------------- controller -> worker (replies, pushes)

/**
 * The controller's answer: `continue`, `prune` (the pruner decided; the trial's signal aborts too) or `abort` (the sweep is
 * stopping; the trial ends within one batch and is recorded as interrupted). `error` carries a message when the request
 * itself failed (e.g. a report lacking the objective metric): the worker throws it inside the trial, which then fails.
 */
export type Decision = 'continue' | 'prune' | 'abort';

export interface ControllerReply {
  readonly type: 'decision';
  /** The request answered; 0 for an unsolicited push (always `abort`). */
  readonly seq: number;
  readonly action: Decision;
  readonly error?: string;
}

// ---------------------------------------------------------------- worker -> controller (the task's result)

/**
 * How a trial ended, as the task's return value. `result` holds what the trainable returned (a number, `{ value, metrics }`
 * or a metrics object), interpreted by the controller exactly like `study.optimize` objectives. `stopped` says the trainable
 * saw a prune or abort decision (so an error thrown afterwards is not a failure).
 */
export interface ResultOutcome {
  readonly type: 'result';
  readonly result: unknown;
  readonly stopped?: 'prune' | 'abort';
  /** Builtin trainer: why the loop ended (completed, early_stopped, stopped, aborted). */
  readonly stopReason?: string;
}

/**
 * A trial that did not return: `error` (the trainable threw; message and stack kept), `crash` (the worker thread or device
 * process died: process.exit, out-of-memory, a native crash), `killed` (the controller terminated it: timeout, hard stop).
 */
export interface ErrorOutcome {
  readonly type: 'error';
  readonly kind: 'error' | 'crash' | 'killed';
  readonly message: string;
  readonly stack?: string;
  readonly stopped?: 'prune' | 'abort';
}

export type TrialOutcome = ResultOutcome | ErrorOutcome;

// ---------------------------------------------------------------- controller <-> device child process (IPC)

/** Options a device child needs to host its worker threads. */
export interface DeviceChildInit {
  readonly type: 'init';
  readonly device: string;
  readonly threads: number;
  readonly workerMemoryMb?: number;
  /** TF.js backend each thread loads as soon as it starts (built-in trainer sweeps), so no trial waits for it. */
  readonly preload?: string;
  /** The dataset as plain (copyable) arrays; the child moves it into its own shared memory once. */
  readonly data?: SharedDataset;
}

export type ToDeviceChild =
  | DeviceChildInit
  | { readonly type: 'run'; readonly id: number; readonly task: RunTrialTask }
  | { readonly type: 'reply'; readonly id: number; readonly reply: ControllerReply }
  /** Terminate the task's worker now (timeout, hard stop): the task ends with a `killed` outcome. */
  | { readonly type: 'kill'; readonly id: number }
  | { readonly type: 'close' };

export type FromDeviceChild =
  | { readonly type: 'ready'; readonly pid: number }
  | { readonly type: 'request'; readonly id: number; readonly request: WorkerRequest }
  | { readonly type: 'done'; readonly id: number; readonly outcome: TrialOutcome }
  | { readonly type: 'fatal'; readonly message: string };

// ---------------------------------------------------------------- worker side

/**
 * What trial code in a worker talks to (worker.ts's TaskChannel implements it; trainables.ts runs trainables against it).
 * Declared here so that the two modules need not import each other.
 */
export interface WorkerChannel {
  /** Aborted on a prune or abort decision. */
  readonly signal: AbortSignal;
  /** The decision the trial saw, if it was told to stop. */
  readonly stopped: 'prune' | 'abort' | undefined;
  request(request: Omit<ReportRequest, 'seq'> | Omit<AttrRequest, 'seq'> | Omit<StartedRequest, 'seq'>): Promise<Decision>;
  report(step: number, value: number | Metrics, curve?: Metrics): Promise<Decision>;
}

// ---------------------------------------------------------------- guards

function isObject(v: unknown): v is { [key: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Narrowing for messages arriving on a task port (worker side and controller side share one channel). */
export function isWorkerRequest(v: unknown): v is WorkerRequest {
  return isObject(v) && (v['type'] === 'report' || v['type'] === 'attr' || v['type'] === 'started') && typeof v['seq'] === 'number';
}

export function isControllerReply(v: unknown): v is ControllerReply {
  return isObject(v) && v['type'] === 'decision' && typeof v['seq'] === 'number' && typeof v['action'] === 'string';
}

export function isTrialOutcome(v: unknown): v is TrialOutcome {
  return isObject(v) && (v['type'] === 'result' || (v['type'] === 'error' && typeof v['message'] === 'string'));
}

/** Message and stack of anything thrown, for an `error` outcome (non-Errors are shown as JSON). */
export function errorOutcome(kind: ErrorOutcome['kind'], error: unknown, stopped?: 'prune' | 'abort'): ErrorOutcome {
  const base =
    error instanceof Error
      ? { message: error.message || error.name, ...(error.stack ? { stack: error.stack } : {}) }
      : { message: typeof error === 'string' ? error : (safeJson(error) ?? String(error)) };
  return { type: 'error', kind, ...base, ...(stopped ? { stopped } : {}) };
}

function safeJson(v: unknown): string | undefined {
  try {
    return JSON.stringify(v);
  } catch {
    return undefined;
  }
}
