/**
 * The optimize loop: `concurrency` async lanes, each asking for a trial, running the objective with a context (report, signal,
 * budget) and telling the outcome, until the study holds `trials` finished trials. Used by `Study.optimize`; the worker pool
 * builds on the same ask/report/tell calls.
 */
import type { JsonValue, Metrics, TrialRecord } from '../core/types.js';
import { OptionsError, SearchExhaustedError, TrialPruned } from '../core/errors.js';
import { SweepLedger } from './ledger.js';
import type { AskedTrial, Study, TellResult } from './study.js';

/** What an objective receives besides its params. */
export interface TrialContext<P> {
  readonly number: number;
  readonly params: P;
  /** Steps the trial may run, for budgeted (multi-fidelity) searchers; undefined: no limit. */
  readonly budget?: number;
  /** Number of an earlier trial (same params, smaller budget) whose checkpoint this one may continue from (promotions). */
  readonly continueFrom?: number;
  /** Aborted when the trial is pruned, times out, or the sweep is stopped: long objectives should check it. */
  readonly signal: AbortSignal;
  /** Stores an intermediate value (a number, or metrics when the study has a `metric`); answers whether to stop. */
  report(step: number, value: number | Metrics): Promise<'continue' | 'prune'>;
  setUserAttr(key: string, value: JsonValue): Promise<void>;
}

/** A number, `{ value, metrics }`, or (for studies with a `metric`) a metrics object holding it. */
export type ObjectiveResult = number | { readonly value: number; readonly metrics?: Metrics } | Metrics;

export type Objective<P> = (params: P, ctx: TrialContext<P>) => ObjectiveResult | Promise<ObjectiveResult>;

export interface OptimizeOptions<P> {
  /**
   * Total finished trials (complete, pruned or failed) the study should hold when optimize returns. Trials already stored
   * count, so a resumed sweep runs only what is missing; interrupted trials do not count (their retries do).
   */
  readonly trials: number;
  /** Trials in flight at once (default 1). */
  readonly concurrency?: number;
  /** Stop starting new trials after this many ms (running ones finish), like Optuna's `timeout`. */
  readonly timeoutMs?: number;
  /** A trial still running after this many ms is failed with reason `timeout` and its signal aborted. */
  readonly trialTimeoutMs?: number;
  /**
   * Which objective errors fail just their trial (default: all, `true`). An error not caught fails its trial, stops the sweep
   * and is rethrown once running trials end.
   */
  readonly catch?: boolean | ((error: unknown) => boolean);
  /** Stop with TooManyFailuresError after this many failed trials in a row (default 3, 0 = never). */
  readonly maxConsecutiveFailures?: number;
  /** Stops the sweep: running trials are aborted and recorded as interrupted (re-run on resume). */
  readonly signal?: AbortSignal;
  /** Called after each trial is durably finished. */
  readonly onTrialFinished?: (trial: TrialRecord, study: Study<P>) => void;
}

export interface OptimizeResult {
  /** Why the loop ended. */
  readonly stoppedBy: 'budget' | 'exhausted' | 'timeout' | 'signal';
  /** Trials finished by this call. */
  readonly finished: number;
  readonly best?: TrialRecord;
}

export { countsTowardBudget } from './ledger.js';

function checkOptions<P>(o: OptimizeOptions<P>): void {
  if (o === null || typeof o !== 'object') throw new OptionsError('optimize() needs options, e.g. { trials: 100 }');
  const known = ['trials', 'concurrency', 'timeoutMs', 'trialTimeoutMs', 'catch', 'maxConsecutiveFailures', 'signal', 'onTrialFinished'];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new OptionsError(`optimize(): unknown option "${k}"; known options: ${known.join(', ')}`);
  const int = (name: string, v: unknown, min: number) => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min)) {
      throw new OptionsError(`optimize(): \`${name}\` must be an integer >= ${min}, got ${String(v)}`);
    }
  };
  if (o.trials === undefined) throw new OptionsError('optimize(): `trials` (the total number of finished trials wanted) is required');
  int('trials', o.trials, 0);
  int('concurrency', o.concurrency, 1);
  int('maxConsecutiveFailures', o.maxConsecutiveFailures, 0);
  for (const k of ['timeoutMs', 'trialTimeoutMs'] as const) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'number' || !(v > 0))) throw new OptionsError(`optimize(): \`${k}\` must be a number > 0, got ${String(v)}`);
  }
}

/** Finished trials per lane that may wait for their fsync while the next trial runs. */
const MAX_UNSYNCED = 8;

/** A told trial: the tell's two stages, and whether the trial failed. */
interface Staged {
  readonly applied: Promise<void>;
  readonly durable: Promise<TrialRecord>;
  readonly failed: boolean;
}

class TrialTimeout extends Error {
  constructor(ms: number) {
    super(`the trial ran longer than trialTimeoutMs = ${ms} ms`);
  }
}

/** @internal Study.optimize. */
export async function runOptimize<P>(study: Study<P>, objective: Objective<P>, o: OptimizeOptions<P>): Promise<OptimizeResult> {
  checkOptions(o);
  if (typeof objective !== 'function') throw new OptionsError('optimize(): the objective must be a function (params, ctx) => value');
  const concurrency = o.concurrency ?? 1;
  const maxFailures = o.maxConsecutiveFailures ?? 3;
  const catches = (err: unknown) => (typeof o.catch === 'function' ? o.catch(err) : o.catch !== false);

  const ledger = new SweepLedger(o.trials, maxFailures, await study.trials());
  let stop: OptimizeResult['stoppedBy'] | undefined;

  const sweep = new AbortController();
  const onAbort = () => {
    stop ??= 'signal';
    sweep.abort(o.signal?.reason);
  };
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = o.timeoutMs !== undefined ? setTimeout(() => (stop ??= 'timeout'), o.timeoutMs) : undefined;

  /** Runs one trial's objective and issues its tell; undefined when the trial was interrupted (and its retry enqueued). */
  const runOne = async ({ number, params, budget, continueFrom }: AskedTrial<P>): Promise<Staged | undefined> => {
    const trial = new AbortController();
    const onSweepAbort = () => trial.abort(sweep.signal.reason);
    sweep.signal.addEventListener('abort', onSweepAbort, { once: true });
    const ctx: TrialContext<P> = {
      number,
      params,
      ...(budget !== undefined ? { budget } : {}),
      ...(continueFrom !== undefined ? { continueFrom } : {}),
      signal: trial.signal,
      report: async (step, value) => {
        const decision = await study.report(number, step, value);
        if (decision === 'prune' && !trial.signal.aborted) trial.abort(new TrialPruned(study.pruneReason(number)));
        return decision;
      },
      setUserAttr: (key, value) => study.setTrialUserAttr(number, key, value),
    };
    let timeout: NodeJS.Timeout | undefined;
    let outcome: TellResult;
    try {
      const run = Promise.resolve().then(() => objective(params, ctx));
      const result =
        o.trialTimeoutMs === undefined
          ? await run
          : await Promise.race([
              run,
              new Promise<never>((_, reject) => {
                timeout = setTimeout(() => {
                  const err = new TrialTimeout(o.trialTimeoutMs as number);
                  trial.abort(err);
                  reject(err);
                }, o.trialTimeoutMs);
              }),
            ]);
      outcome = interpretResult(study, result, 'objective');
    } catch (error) {
      if (error instanceof TrialPruned || study.pruneReason(number) !== undefined) {
        outcome = { state: 'pruned', ...(error instanceof TrialPruned && study.pruneReason(number) === undefined ? { reason: error.reason } : {}) };
      } else if (sweep.signal.aborted && !(error instanceof TrialTimeout)) {
        await study.markInterrupted(number);
        return undefined;
      } else if (error instanceof TrialTimeout) {
        outcome = { state: 'failed', reason: 'timeout', error };
      } else {
        outcome = { state: 'failed', error };
        if (!catches(error)) ledger.fail(error);
      }
    } finally {
      clearTimeout(timeout);
      sweep.signal.removeEventListener('abort', onSweepAbort);
    }
    const staged = study.tellStaged(number, outcome);
    return { ...staged, failed: typeof outcome === 'object' && outcome.state === 'failed' };
  };

  const lane = async (): Promise<void> => {
    // Finished trials whose tell is applied but not yet durable: the next trial starts while the storage syncs them (group
    // commit across sequential trials). Each counts as in flight, and is reported finished, only once durable.
    const unsynced: Promise<void>[] = [];
    try {
      while (!stop && ledger.canStart()) {
        ledger.inFlight++;
        let staged: Staged | undefined;
        try {
          let asked;
          try {
            asked = await study.ask();
          } catch (error) {
            if (!(error instanceof SearchExhaustedError)) throw error;
            stop ??= 'exhausted';
            ledger.inFlight--;
            break;
          }
          staged = await runOne(asked);
        } catch (error) {
          ledger.inFlight--;
          throw error;
        }
        if (!staged) {
          ledger.inFlight--; // interrupted: it does not count, and its retry is enqueued.
          continue;
        }
        await staged.applied;
        const settled = staged.durable.then(
          (record) => {
            ledger.inFlight--;
            ledger.finish(record);
            o.onTrialFinished?.(record, study);
          },
          (error: unknown) => {
            ledger.inFlight--;
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
    }
  };

  try {
    const lanes = Array.from({ length: concurrency }, () =>
      lane().catch((error: unknown) => ledger.fail(error)),
    );
    await Promise.all(lanes);
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
  if (ledger.fatal) throw ledger.fatal.error;
  const best = study.best;
  return { stoppedBy: stop ?? 'budget', finished: ledger.finishedHere, ...(best ? { best } : {}) };
}

/**
 * Turns what an objective (`study.optimize`) or a pool trainable (`runPool`) returned into a tell() outcome: a number, `{ value,
 * metrics }`, or a metrics object holding the study's `metric`. Anything else fails the trial with a message saying the fix; a
 * metrics object without the objective metric throws (study.objectiveOf), which each caller handles as its trial errors.
 */
export function interpretResult<P>(study: Study<P>, result: unknown, what: 'objective' | 'trainable'): TellResult {
  if (typeof result === 'number') return { state: 'complete', value: result };
  if (result !== null && typeof result === 'object') {
    const r = result as { value?: unknown; metrics?: Metrics };
    if (typeof r.value === 'number') return { state: 'complete', value: r.value, ...(r.metrics ? { metrics: r.metrics } : {}) };
    if (study.metric !== undefined) {
      return { state: 'complete', value: study.objectiveOf(result as Metrics, `${what} result`), metrics: result as Metrics };
    }
  }
  return {
    state: 'failed',
    error: new OptionsError(
      `the ${what} returned ${JSON.stringify(result)}; return a number, { value, metrics }, or a metrics object holding the ` +
        'objective metric of createStudy({ metric })',
    ),
  };
}
