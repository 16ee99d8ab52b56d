/**
 * The in-process executor: runs plain async objectives (`study.optimize(fn, { concurrency })`) on `concurrency` slots of this
 * thread. The objective gets a {@link TrialContext}; its `report` goes through the loop's channel (the pruner decides) and
 * aborts the trial's signal on a prune or stop decision. A hard stop or timeout abandons the objective's promise at once
 * (JavaScript cannot cancel it; a well-behaved objective watches `ctx.signal`).
 */
import type { ExecOutcome, Executor, RunningTrial, TrialChannel, TrialTask } from '../core/executor.js';
import { TrialPruned } from '../core/errors.js';
import type { JsonValue, Metrics } from '../core/types.js';

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

/**
 * A number, `{ value, metrics }`, or (for studies with a `metric`) a metrics object holding it. Multi-objective studies: an
 * array of numbers (one per objective), `{ values, metrics }`, or a metrics object holding every name of `metrics`.
 */
export type ObjectiveResult =
  | number
  | readonly number[]
  | { readonly value: number; readonly metrics?: Metrics }
  | { readonly values: readonly number[]; readonly metrics?: Metrics }
  | Metrics;

export type Objective<P> = (params: P, ctx: TrialContext<P>) => ObjectiveResult | Promise<ObjectiveResult>;

/** Why a trial's signal was aborted by a stop (as opposed to a prune). */
class TrialStopped extends Error {
  constructor() {
    super('the sweep is stopping');
  }
}

/** An executor with `concurrency` in-process slots running `objective`. */
export function inProcessExecutor<P>(objective: Objective<P>, concurrency: number): Executor<P> {
  return {
    what: 'objective',
    slots: Array.from({ length: concurrency }, () => ({ device: 'in-process' })),
    run: (task: TrialTask<P>, _slot: number, channel: TrialChannel): RunningTrial => {
      const trial = new AbortController();
      let killed!: (out: ExecOutcome) => void;
      const kill = new Promise<ExecOutcome>((resolve) => (killed = resolve));
      const ctx: TrialContext<P> = {
        number: task.number,
        params: task.params,
        ...(task.budget !== undefined ? { budget: task.budget } : {}),
        ...(task.continueFrom !== undefined ? { continueFrom: task.continueFrom } : {}),
        signal: trial.signal,
        report: async (step, value) => {
          const decision = await channel.report(step, value);
          if (decision === 'prune' && !trial.signal.aborted) trial.abort(new TrialPruned(`pruned at step ${step}`));
          if (decision === 'abort' && !trial.signal.aborted) trial.abort(new TrialStopped());
          // An objective only knows 'continue' | 'prune': a stop looks like a prune to it, and is told apart by the loop.
          return decision === 'continue' ? 'continue' : 'prune';
        },
        setUserAttr: (key, value) => channel.setUserAttr(key, value),
      };
      channel.started();
      const run: Promise<ExecOutcome> = Promise.resolve()
        .then(() => objective(task.params, ctx))
        .then(
          (result): ExecOutcome => ({ kind: 'returned', result }),
          (error: unknown): ExecOutcome => ({ kind: 'threw', error }),
        );
      return {
        outcome: Promise.race([run, kill]),
        stop: () => {
          if (!trial.signal.aborted) trial.abort(new TrialStopped());
        },
        kill: () => {
          if (!trial.signal.aborted) trial.abort(new TrialStopped());
          killed({ kind: 'killed' });
        },
      };
    },
    close: async () => undefined,
  };
}
