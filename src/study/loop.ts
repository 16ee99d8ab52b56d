/**
 * The one optimize loop, for every executor: one lane per executor slot, each lane asking the study for a trial, handing it to
 * the executor, answering its reports (the pruner decides), and telling the outcome, until the study holds `trials` finished
 * trials (or the searcher is exhausted, the time is up, a signal stops it, or too many trials fail in a row).
 *
 * Life cycle of one trial here: ask -> executor.run -> channel.started (the timeout clock starts) -> reports -> outcome ->
 * interpret (returned / threw / crashed / killed, with the stop and prune state) -> staged tell (applied, then durable) ->
 * hooks. A finished trial is reported (onTrialFinished, the budget) only once durable; the next trial of the lane may start
 * while the storage syncs the previous one (group commit across a lane's sequential trials).
 *
 * Stopping: `signal` stops gracefully (no new trials; running trials are asked to stop and, if they do not end within
 * `stopGraceMs`, are killed); `killSignal` kills at once. Either way running trials are recorded `failed` with reason
 * `interrupted` and a retry with the same params is enqueued, so a resumed sweep re-runs them.
 */
import { OptionsError, StaleTrialError, TrialPruned, TrialStateError } from '../core/errors.js';
import type { ExecOutcome, Executor, RunningTrial, TrialChannel, TrialDecision } from '../core/executor.js';
import type { Metrics, TrialRecord } from '../core/types.js';
import { describeThrown, describeValue } from '../core/describe.js';
import type { StudyCore, TellResult } from './core.js';
import { CostModel } from './cost.js';
import { TrialFeeder, type HeldTrial } from './feeder.js';
import { SweepLedger } from './ledger.js';

/** Where a trial runs, for hooks. */
export interface SlotEvent {
  readonly slot: number;
  readonly device: string;
}

/** A trial that just started (for progress displays and output writers). */
export interface TrialStartEvent extends SlotEvent {
  readonly number: number;
  readonly params: { readonly [key: string]: unknown };
  /** What the trial's code receives, when the executor resolved it (built-in trainer: the full TrialConfig). */
  readonly config?: { readonly [key: string]: unknown };
  readonly budget?: number;
}

/** One intermediate report as it arrived. */
export interface TrialReportEvent {
  readonly number: number;
  readonly slot: number;
  readonly device?: string;
  readonly step: number;
  readonly value: number | Metrics;
  readonly curve?: Metrics;
}

/** What every optimize call accepts, whatever runs the trials. */
export interface LoopOptions {
  /**
   * Total finished trials (complete, pruned or failed) the study should hold when optimize returns. Trials already stored
   * count, so a resumed sweep runs only what is missing; interrupted trials do not count (their retries do).
   */
  readonly trials: number;
  /** Stop starting new trials after this many ms (running ones finish), like Optuna's `timeout`. */
  readonly timeoutMs?: number;
  /** A trial still running after this many ms (from when its code started) is failed with reason `timeout`. */
  readonly trialTimeoutMs?: number;
  /** Stop with TooManyFailuresError after this many failed trials in a row (default 3, 0 = never). */
  readonly maxConsecutiveFailures?: number;
  /** Graceful stop: no new trials; running ones are asked to stop, killed after `stopGraceMs`, and recorded interrupted. */
  readonly signal?: AbortSignal;
  /** Immediate stop: running trials are killed and recorded interrupted. */
  readonly killSignal?: AbortSignal;
  /** After a graceful stop, how long running trials get to end before they are killed (default 10,000 ms). */
  readonly stopGraceMs?: number;
  /**
   * Ask ahead: while the lanes' trials run, keep one more asked trial per lane ready (four for a searcher that ignores
   * results: random, Sobol, grid), so a lane whose trial ends starts the next one at once instead of waiting for the searcher;
   * a free lane starts the queued trial predicted to run longest (from the running times of finished trials most like it:
   * the same counted work when the executor gives a cost hint, as the pool's built-in trainer does, else similar params;
   * src/study/cost.ts; one of a kind never seen finishing goes first, and a trial is passed over at most as many times as
   * the queue holds trials), which shortens the sweep's tail.
   * Default: on for the worker pool (the searcher then runs on the controller thread while the workers train), off for
   * in-process objectives (they share the controller's thread, so a CPU-bound objective gains nothing). Cost: each trial
   * asked ahead is proposed knowing one fewer result per lane (it sees the queued trials as running). A queued trial's stored
   * `started` is re-stamped when a lane starts it (Storage.markStarted; a storage without it keeps the ask time). Trials
   * still queued when the loop stops (signal, timeout, failures) are recorded interrupted and retried, like running ones.
   * Deterministic studies never ask ahead: trial k's proposal needs the result of trial k - c, which only arrives when a lane
   * frees anyway.
   */
  readonly askAhead?: boolean;
  /**
   * Awaited before a trial is handed to the executor, e.g. to fetch the checkpoint a promoted trial continues from out of an
   * artifact store shared by every machine.
   */
  readonly beforeTrial?: (trial: { readonly number: number; readonly continueFrom?: number }) => Promise<void>;
  /**
   * Awaited after a trial's code ended and before it is told (not for interrupted trials), e.g. to put its checkpoint in the
   * artifact store: a machine that dies between the two then leaves an unfinished trial (retried), never a finished trial
   * whose checkpoint no other machine can reach. A rejection stops the sweep like a failing hook.
   */
  readonly afterTrial?: (number: number) => Promise<void>;
  readonly onTrialStarted?: (event: TrialStartEvent) => void;
  readonly onReport?: (event: TrialReportEvent) => void;
  /** A running trial was recorded interrupted (a retry with the same params is enqueued). */
  readonly onTrialInterrupted?: (number: number, event: SlotEvent) => void;
  /** Called after each trial is durably finished (awaited before the lane's next trial is reported). */
  readonly onTrialFinished?: (trial: TrialRecord, event: SlotEvent) => void | Promise<void>;
}

export interface OptimizeResult {
  /** Why the loop ended. */
  readonly stoppedBy: 'budget' | 'exhausted' | 'timeout' | 'signal';
  /** Trials finished by this call. */
  readonly finished: number;
  readonly best?: TrialRecord;
}

/** The loop option names, for the callers' unknown-option checks. */
export const LOOP_KEYS = [
  'trials',
  'timeoutMs',
  'trialTimeoutMs',
  'maxConsecutiveFailures',
  'signal',
  'killSignal',
  'stopGraceMs',
  'askAhead',
  'beforeTrial',
  'afterTrial',
  'onTrialStarted',
  'onReport',
  'onTrialInterrupted',
  'onTrialFinished',
] as const;

/** Largest `trials` budget accepted (a typo such as 1e308 would otherwise run forever). */
export const MAX_TRIALS = 1_000_000;

/** Checks the loop options; `who` names the call in messages (e.g. 'optimize()'). */
export function checkLoopOptions(o: LoopOptions, who: string): void {
  const int = (name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)) {
      throw new OptionsError(
        `${who}: \`${name}\` must be an integer >= ${min}${max < Number.MAX_SAFE_INTEGER ? ` and <= ${max}` : ''}, got ${typeof v === 'number' ? String(v) : describeValue(v)}`,
      );
    }
  };
  if (o.trials === undefined) throw new OptionsError(`${who}: \`trials\` (the total number of finished trials wanted) is required`);
  int('trials', o.trials, 0, MAX_TRIALS);
  int('maxConsecutiveFailures', o.maxConsecutiveFailures, 0);
  if (o.askAhead !== undefined && typeof o.askAhead !== 'boolean')
    throw new OptionsError(`${who}: \`askAhead\` must be true or false, got ${describeValue(o.askAhead)}`);
  for (const k of ['timeoutMs', 'trialTimeoutMs', 'stopGraceMs'] as const) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)))
      throw new OptionsError(`${who}: \`${k}\` must be a finite number > 0, got ${String(v)}`);
  }
}

/** Trials asked ahead per lane for searchers that ignore results (see feeder.ts for what replays of measured runs gave). */
const DEEP_PER_LANE = 4;

/** Finished trials per lane that may wait for their fsync while the next trial runs. */
const MAX_UNSYNCED = 8;

/** How the loop classifies an outcome before telling it. */
type Verdict = { readonly tell: TellResult; readonly fatal?: unknown } | 'interrupted';

/**
 * Runs `core`'s trials on `executor` until the budget is met (see the file comment). `catches` says which errors thrown by the
 * trial code fail just their trial; others fail it, stop the sweep and are rethrown once running trials end. Rejects with
 * TooManyFailuresError after `maxConsecutiveFailures` failures in a row, and with storage errors. Closes the executor.
 */
export async function runLoop<P>(
  core: StudyCore<P>,
  executor: Executor<P>,
  o: LoopOptions,
  catches: (error: unknown) => boolean = () => true,
): Promise<OptimizeResult> {
  const stored = await core.trials();
  const ledger = new SweepLedger(o.trials, o.maxConsecutiveFailures ?? 3, stored);
  // Deterministic studies: with c lanes, trial k learns from trials < k - (c - 1) only (src/study/visibility.ts).
  const lag = Math.max(0, executor.slots.length - 1);
  core.setLag(lag);
  let stop: OptimizeResult['stoppedBy'] | undefined;
  let stopping = false;
  let hard = false;
  let timeUp = false;
  const ahead = (o.askAhead ?? false) && !core.record.deterministic;
  const hint = executor.costHint ? (params: unknown) => executor.costHint?.(params as P) : undefined;
  const cost = ahead ? new CostModel(core.space, hint) : undefined;
  for (const t of stored) cost?.observe(t);
  const feeder = new TrialFeeder(core, ledger, {
    lanes: executor.slots.length,
    ahead,
    // Searchers that ignore results lose nothing by proposing further ahead; the queue then has more to choose from.
    ...(core.searcherIgnoresResults && executor.slots.length > 1 ? { perLane: DEEP_PER_LANE } : {}),
    ...(cost ? { cost } : {}),
    ask: () => core.ask({ maxCounted: o.trials, lag }),
    // A graceful or hard stop, or the time budget: no trial starts any more (running ones end as the stop says).
    halted: () => stopping || timeUp,
    onAskClosed: (why) => (stop ??= why),
  });
  const running = new Map<number, RunningTrial>();
  let graceTimer: NodeJS.Timeout | undefined;

  const onKill = () => {
    stop ??= 'signal';
    stopping = true;
    hard = true;
    for (const r of running.values()) r.kill();
  };
  const onStop = () => {
    stop ??= 'signal';
    stopping = true;
    for (const r of running.values()) r.stop();
    // A trial stuck in a blocking loop never sees a cooperative stop: after the grace period it is killed.
    graceTimer ??= setTimeout(onKill, o.stopGraceMs ?? 10_000);
    graceTimer.unref();
  };
  if (o.killSignal?.aborted) onKill();
  else if (o.signal?.aborted) onStop();
  o.signal?.addEventListener('abort', onStop, { once: true });
  o.killSignal?.addEventListener('abort', onKill, { once: true });
  const timer =
    o.timeoutMs !== undefined
      ? setTimeout(() => {
          timeUp = true;
          stop ??= 'timeout';
        }, o.timeoutMs)
      : undefined;

  const verdict = (number: number, out: ExecOutcome, timedOut: boolean): Verdict => {
    const pending = core.pruneReason(number);
    if (out.kind === 'killed') return timedOut && !hard ? timeoutFailure(o.trialTimeoutMs) : 'interrupted';
    if (out.kind === 'crashed') {
      return stopping ? 'interrupted' : { tell: { state: 'failed', reason: 'worker crashed', error: out.error } };
    }
    const thrownPrune = out.kind === 'threw' && out.error instanceof TrialPruned ? out.error : undefined;
    const pruned = pending !== undefined || out.stopped === 'prune' || thrownPrune !== undefined;
    if (pruned && out.kind === 'threw') {
      return { tell: { state: 'pruned', ...(thrownPrune && pending === undefined ? { reason: thrownPrune.reason } : {}) } };
    }
    if (!pruned && stopping && (out.stopped === 'abort' || out.kind === 'threw' || (out.kind === 'returned' && out.aborted)))
      return 'interrupted';
    // A trial that overran its timeout without being killed (a blocking synchronous objective) does not count as done.
    if (timedOut && !pruned) return timeoutFailure(o.trialTimeoutMs);
    if (out.kind === 'threw') {
      // `throw undefined` must still leave a message saying what happened (the core stores strings as they are).
      const error = out.error === undefined ? describeThrown(undefined) : out.error;
      return { tell: { state: 'failed', error }, ...(catches(out.error) ? {} : { fatal: out.error }) };
    }
    // A value returned after a prune decision is kept as the pruned trial's value (the core stores it as pruned).
    try {
      const told = core.interpretResult(out.result, executor.what);
      return { tell: pruned && typeof told === 'object' && told.state === 'failed' ? { state: 'pruned' } : told };
    } catch (error) {
      if (pruned) return { tell: { state: 'pruned' } };
      return { tell: { state: 'failed', error }, ...(catches(error) ? {} : { fatal: error }) };
    }
  };

  interface Staged {
    readonly applied: Promise<void>;
    readonly durable: Promise<TrialRecord>;
    readonly failed: boolean;
    /** How long the trial's code ran (executor.run -> outcome), for the cost model. */
    readonly ranMs: number;
  }

  /** Runs one asked trial on `slot`; undefined when it was interrupted (and its retry enqueued). */
  const runOne = async (held: HeldTrial<P>, slot: number, device: string): Promise<Staged | undefined> => {
    const { asked } = held;
    const { number } = asked;
    const event = { slot, device };
    let timedOut = false;
    let startedAt: number | undefined;
    let timeout: NodeJS.Timeout | undefined;
    // The channel's callbacks run once the trial exists; the box lets them reach it.
    const box: { handle?: RunningTrial } = {};
    const channel: TrialChannel = {
      started: () => {
        if (startedAt !== undefined) return;
        startedAt = Date.now();
        if (o.trialTimeoutMs !== undefined) {
          timeout = setTimeout(() => {
            timedOut = true;
            box.handle?.kill();
          }, o.trialTimeoutMs);
        }
      },
      report: async (step, value, curve): Promise<TrialDecision> => {
        o.onReport?.({ number, step, value, ...(curve ? { curve } : {}), ...event });
        const decision = await core.report(number, step, value);
        return stopping ? 'abort' : decision;
      },
      setUserAttr: (key, value) => core.setTrialUserAttr(number, key, value),
    };
    const continueFromBudget = asked.continueFrom !== undefined ? (await core.trial(asked.continueFrom))?.budget : undefined;
    await o.beforeTrial?.(asked.continueFrom !== undefined ? { number, continueFrom: asked.continueFrom } : { number });
    if (held.lost) {
      // Declared stale by another process before it started: that process enqueued its retry.
      await held.alive.stop();
      return undefined;
    }
    // Asked ahead: its stored start becomes now, not its ask, so its duration leaves out its wait in the queue.
    if (ahead) {
      try {
        await core.markStarted(number);
      } catch (error) {
        if (!(error instanceof TrialStateError)) throw error;
        // No longer running: another process failed it as stale meanwhile (shared storages), as held.lost says above.
        await held.alive.stop();
        return undefined;
      }
    }
    const ran0 = performance.now();
    const handle = executor.run({ ...asked, ...(continueFromBudget !== undefined ? { continueFromBudget } : {}) }, slot, channel);
    box.handle = handle;
    running.set(number, handle);
    // Shared storages: the trial heartbeats from its ask (feeder.ts); if another process declared it stale (this one was
    // paused or cut off), it is stopped and its result dropped: the retry another process enqueued will run it again.
    held.onLost = () => box.handle?.kill();
    if (held.lost) handle.kill();
    o.onTrialStarted?.({
      number,
      params: asked.params as { readonly [key: string]: unknown },
      ...(handle.config ? { config: handle.config } : {}),
      ...(asked.budget !== undefined ? { budget: asked.budget } : {}),
      ...event,
    });
    if (hard) handle.kill();
    else if (stopping) handle.stop();
    let out: ExecOutcome;
    try {
      out = await handle.outcome;
    } finally {
      clearTimeout(timeout);
      running.delete(number);
      await held.alive.stop();
    }
    const ranMs = performance.now() - ran0;
    if (held.lost) {
      o.onTrialInterrupted?.(number, event);
      return undefined;
    }
    if (!timedOut && o.trialTimeoutMs !== undefined && startedAt !== undefined && Date.now() - startedAt > o.trialTimeoutMs)
      timedOut = true;
    const v = verdict(number, out, timedOut);
    if (v === 'interrupted') {
      await core.markInterrupted(number);
      o.onTrialInterrupted?.(number, event);
      return undefined;
    }
    if (v.fatal !== undefined) ledger.fail(v.fatal);
    if (o.afterTrial) await o.afterTrial(number).catch((error: unknown) => ledger.fail(error));
    const staged = core.tellStaged(number, v.tell);
    return { ...staged, failed: typeof v.tell === 'object' && v.tell.state === 'failed', ranMs };
  };

  const lane = async (slot: number, device: string): Promise<void> => {
    // Finished trials whose tell is applied but not yet durable: each still counts as in flight, and is reported finished
    // (hooks, budget) only once durable. Hooks run in finishing order within a lane.
    const unsynced: Promise<void>[] = [];
    let hooks: Promise<void> = Promise.resolve();
    try {
      for (;;) {
        // Counted in ledger.inFlight from its ask (feeder.ts) until settled here.
        const held = await feeder.next();
        if (!held) break;
        let staged: Staged | undefined;
        try {
          staged = await runOne(held, slot, device);
        } catch (error) {
          ledger.inFlight--;
          throw error;
        }
        if (!staged) {
          ledger.inFlight--; // interrupted: it does not count, and its retry is enqueued.
          continue;
        }
        await staged.applied;
        const { durable, ranMs } = staged;
        const settled = durable.then(
          (record) => {
            ledger.inFlight--;
            ledger.finish(record);
            cost?.observe(record, ranMs);
            hooks = hooks.then(() => o.onTrialFinished?.(record, { slot, device })).catch((error: unknown) => ledger.fail(error));
            return hooks;
          },
          (error: unknown) => {
            ledger.inFlight--;
            // Fencing: the trial was declared stale by another process between its end and its tell; the tell was refused
            // and overwrote nothing, and the retry runs elsewhere. Not a reason to stop this sweep.
            if (error instanceof StaleTrialError || error instanceof TrialStateError) return;
            ledger.fail(error);
          },
        );
        unsynced.push(settled);
        // A failure is accounted before the next start (maxConsecutiveFailures stays exact); otherwise a few may overlap.
        if (staged.failed) await Promise.all(unsynced.splice(0));
        else if (unsynced.length >= MAX_UNSYNCED) await unsynced.shift();
      }
    } finally {
      await Promise.all(unsynced);
      await hooks;
    }
  };

  try {
    await Promise.all(executor.slots.map((s, i) => lane(i, s.device).catch((error: unknown) => ledger.fail(error))));
    // Trials asked ahead that no lane started (the loop stopped): interrupted, their retries enqueued.
    await feeder.close().catch((error: unknown) => ledger.fail(error));
  } finally {
    clearTimeout(timer);
    clearTimeout(graceTimer);
    o.signal?.removeEventListener('abort', onStop);
    o.killSignal?.removeEventListener('abort', onKill);
    await executor.close(hard).catch(() => undefined);
  }
  if (ledger.fatal) throw ledger.fatal.error;
  const best = core.best;
  return { stoppedBy: stop ?? 'budget', finished: ledger.finishedHere, ...(best ? { best } : {}) };
}

function timeoutFailure(ms: number | undefined): Verdict {
  const error = new Error(`the trial ran longer than trialTimeout = ${(ms ?? 0) / 1000} s (trialTimeoutMs = ${String(ms)})`);
  return { tell: { state: 'failed', reason: 'timeout', error } };
}
