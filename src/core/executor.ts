/**
 * The seam between the one optimize loop (src/study/loop.ts) and whatever runs a trial's code. The loop asks the study for a
 * trial, hands it to an {@link Executor}, answers the trial's reports through a {@link TrialChannel} (the pruner decides), and
 * turns the {@link ExecOutcome} into a tell. Executors know nothing of studies, storages or searchers:
 *
 *   study.ask() -> loop -> executor.run(task, slot, channel) -> trial code
 *                    ^            channel.report(step, value) <-'   (each report answered: continue | prune | abort)
 *                    '-- outcome (returned | threw | crashed | killed) -> interpret -> study tell (durable) -> next ask
 *
 * Two executors exist: the in-process one (src/study/in-process.ts: plain async objectives) and the worker pool
 * (src/pool/executor.ts: piscina threads pinned to devices, crash isolation). Both live behind these types, which sit in the
 * shared core so that neither src/study nor src/pool imports the other.
 */
import type { JsonValue, Metrics } from './types.js';

/** The loop's answer to a report: go on, stop because the pruner decided, or stop because the sweep is stopping. */
export type TrialDecision = 'continue' | 'prune' | 'abort';

/** One trial as the loop hands it to an executor. */
export interface TrialTask<P = unknown> {
  readonly number: number;
  readonly params: P;
  /** Steps the trial may run (multi-fidelity searchers); undefined: no limit. */
  readonly budget?: number;
  /** An earlier trial (same params, smaller budget) whose checkpoint this one may continue from. */
  readonly continueFrom?: number;
  /** The budget that trial `continueFrom` ran (epochs already trained), read from storage by the loop. */
  readonly continueFromBudget?: number;
}

/** The loop's side of one running trial, given to the executor. */
export interface TrialChannel {
  /** The trial's code started running (a worker picked it up): its timeout clock starts here. */
  started(): void;
  /** An intermediate report; resolves with the decision. `curve` holds extra per-step numbers that are not stored. */
  report(step: number, value: number | Metrics, curve?: Metrics): Promise<TrialDecision>;
  setUserAttr(key: string, value: JsonValue): Promise<void>;
}

/**
 * How a trial ended, as its executor saw it. `stopped` says the trial code saw a prune or abort decision (so an error it threw
 * afterwards is no failure). `returned.result` is raw: the loop interprets it (number, `{ value, metrics }`, metrics object).
 */
export type ExecOutcome =
  | { readonly kind: 'returned'; readonly result: unknown; readonly stopped?: 'prune' | 'abort'; readonly aborted?: boolean }
  | { readonly kind: 'threw'; readonly error: unknown; readonly stopped?: 'prune' | 'abort' }
  /** The process or thread running the trial died (exit, out-of-memory, native crash). */
  | { readonly kind: 'crashed'; readonly error: Error }
  /** The executor terminated the trial because the loop asked it to (`kill()`: timeout or hard stop). */
  | { readonly kind: 'killed' };

/** A trial an executor is running. */
export interface RunningTrial {
  /** Always resolves (never rejects), once the trial ended; every report of the trial was answered before. */
  readonly outcome: Promise<ExecOutcome>;
  /** What the trial's code receives, when the executor resolved it (the built-in trainer's full TrialConfig). */
  readonly config?: { readonly [key: string]: JsonValue };
  /** Cooperative stop: the trial's signal aborts and reports answer `abort`; it should end within one step. */
  stop(): void;
  /** Hard stop: the trial is abandoned or its worker terminated; the outcome resolves `killed` promptly. */
  kill(): void;
}

/** One place where a trial can run (a lane of the loop). */
export interface ExecutorSlot {
  /** Device name, e.g. 'cpu', 'gpu:1', or 'in-process'. */
  readonly device: string;
}

/**
 * What a trial's work looks like before it runs, for the loop's cost model (src/study/cost.ts), which predicts a queued trial's
 * running time from the finished trials most like it. Trials of the same `kind` are compared by `work` (non-negative counts,
 * compared on a log scale, so a count twice another's is as far as a count half of it); trials of different kinds never are.
 * Counts only: the cost model learns what they cost on this machine from finished trials.
 */
export interface CostHint {
  readonly kind: string;
  readonly work: readonly number[];
  /**
   * One positive number that grows with the trial's work (the built-in trainer: multiply-adds plus element-wise reads per
   * sample). A prediction scales each finished neighbour's time by the square root of the size ratio, so a queued trial four
   * times the size of the only finished trial of its kind is predicted twice as long, not as long.
   */
  readonly size?: number;
}

/** Runs trials. Created per optimize call; the loop closes it when the call ends. */
export interface Executor<P = unknown> {
  /** The lanes: the loop keeps at most one trial running per slot. */
  readonly slots: readonly ExecutorSlot[];
  /** What the outcomes are called in messages ('objective' or 'trainable'). */
  readonly what: 'objective' | 'trainable';
  /**
   * The trial's {@link CostHint}, when the executor can count its work from the params (the pool's built-in trainer: the
   * model's multiply-adds; trials/work.ts); undefined, or absent, when it cannot (the cost model then compares params in
   * the search space). Must not throw.
   */
  costHint?(params: P): CostHint | undefined;
  /** Starts a trial on `slot` (which is free). Must not throw: a failure to start is an outcome. */
  run(task: TrialTask<P>, slot: number, channel: TrialChannel): RunningTrial;
  /** Waits for running trials (graceful) or terminates them (hard), then frees every resource. */
  close(hard: boolean): Promise<void>;
}
