/**
 * The Study: the public face of one optimisation run, a thin facade over {@link StudyCore} (core.ts), which owns the trial
 * life cycle. Created by `createStudy` / `loadStudy` (open.ts), never with `new` by users. `optimize` runs the one loop
 * (loop.ts) over an executor: in-process for objective functions, the worker pool (src/pool, loaded on demand) for trainables.
 */
import type { SearchSpace } from '../../spaces/types.js';
import type { Direction, JsonValue, Metrics, Params, StudyRecord, TrialRecord, TrialState } from '../core/types.js';
import { OptionsError } from '../core/errors.js';
import type { Leaderboard, LeaderboardOptions } from '../report/leaderboard.js';
import type { PoolExecutorOptions, TrainableSpec } from '../pool/executor.js';
import type { AskedTrial, StudyCore, TellInput } from './core.js';
import { inProcessExecutor, type Objective } from './in-process.js';
import { runLoop, type LoopOptions, type OptimizeResult } from './loop.js';
import { checkKnownKeys, checkOptimizeOptions, type OptimizeOptions } from './optimize.js';
import { checkLoopOptions } from './loop.js';
import { countsTowardBudget } from './ledger.js';

export type { AskedTrial, TellInput, TellResult } from './core.js';

/** `study.optimize(trainable, options)`: the loop's options plus the worker pool's (workers, devices, data, ...). */
export type PoolOptions = LoopOptions & PoolExecutorOptions;

export class Study<P = Params> {
  readonly #core: StudyCore<P>;

  /** Built by createStudy / loadStudy. */
  constructor(core: StudyCore<P>) {
    this.#core = core;
  }

  get name(): string {
    return this.#core.name;
  }
  get direction(): Direction {
    return this.#core.direction;
  }
  get seed(): number {
    return this.#core.seed;
  }
  /** The study's immutable description, as stored. */
  get record(): StudyRecord {
    return this.#core.record;
  }
  get space(): SearchSpace {
    return this.#core.space;
  }
  /** The searcher's type name. */
  get searcherType(): string {
    return this.#core.searcherType;
  }
  /** The objective metric name given at creation, if any. */
  get metric(): string | undefined {
    return this.#core.metric;
  }
  /**
   * The best complete trial so far (in this process's view), or undefined. A constrained study's best is always feasible
   * (undefined while no trial is); a multi-objective study has no single best (see `bestTrials`).
   */
  get best(): TrialRecord | undefined {
    return this.#core.best;
  }
  /** The feasible Pareto front of the complete trials (in this process's view); `[best]` for one objective. */
  get bestTrials(): readonly TrialRecord[] {
    return this.#core.bestTrials;
  }
  /** One direction per objective (`[direction]` for a single-objective study). */
  get directions(): readonly Direction[] {
    return this.#core.directions;
  }
  /** The objective metric names of a multi-objective study (createStudy({ metrics })), if given. */
  get metrics(): readonly string[] | undefined {
    return this.#core.metrics;
  }

  /** Every stored trial in number order, optionally only some states. Read-only records. */
  trials(states?: readonly TrialState[]): Promise<readonly TrialRecord[]> {
    return this.#core.trials(states);
  }

  /** One stored trial. */
  trial(number: number): Promise<TrialRecord | undefined> {
    return this.#core.trial(number);
  }

  /** The leaderboard JSON (see schema/leaderboard.schema.json). */
  leaderboard(options: LeaderboardOptions = {}): Promise<Leaderboard> {
    return this.#core.leaderboard(options);
  }

  /**
   * Starts a trial: an enqueued one if any waits (retries of interrupted trials come first), else the searcher's proposal.
   * Rejects with SearchExhaustedError when the searcher has nothing left.
   */
  ask(): Promise<AskedTrial<P>> {
    return this.#core.ask();
  }

  /** Queues params to be tried before the searcher's next proposals (like Optuna's enqueue_trial). Returns the trial number. */
  enqueue(params: P, userAttrs: { readonly [key: string]: JsonValue } = {}): Promise<number> {
    return this.#core.enqueue(params, userAttrs);
  }

  /**
   * Stores an intermediate value of a running trial and asks the pruner. `value` may be a metrics object when the study has a
   * `metric`. Returns 'prune' when the trial should stop; the reason is recorded when the trial is told.
   */
  report(number: number, step: number, value: number | Metrics): Promise<'continue' | 'prune'> {
    return this.#core.report(number, step, value);
  }

  /** Sets a user attribute on a trial. */
  setTrialUserAttr(number: number, key: string, value: JsonValue): Promise<void> {
    return this.#core.setTrialUserAttr(number, key, value);
  }

  /**
   * Finishes a running trial. Resolves once the finished trial is durable in storage; from then on it never changes.
   * A trial that report() marked for pruning is stored as pruned even when told a value.
   */
  tell(number: number, result: TellInput): Promise<TrialRecord> {
    return this.#core.tell(number, result);
  }

  /**
   * Runs trials until the study holds `trials` finished trials (finished trials already stored count; interrupted ones do
   * not). Given a function, trials run in this thread, `concurrency` at a time (see OptimizeOptions). Given a trainable
   * (`'builtin'`, `{ module: './train.ts' }`), they run in the worker-thread pool (src/pool) with PoolOptions (`workers`,
   * `devices`, `data`, ...): a trial that throws, crashes its worker or runs past `trialTimeoutMs` fails alone.
   */
  optimize(objective: Objective<P>, options: OptimizeOptions): Promise<OptimizeResult>;
  optimize(trainable: TrainableSpec, options: PoolOptions): Promise<OptimizeResult>;
  async optimize(objective: Objective<P> | TrainableSpec, options: OptimizeOptions | PoolOptions): Promise<OptimizeResult> {
    this.#core.checkOpen();
    if (typeof objective === 'function') {
      const o = options as OptimizeOptions;
      checkOptimizeOptions(o);
      const catches = (err: unknown) => (typeof o.catch === 'function' ? o.catch(err) : o.catch !== false);
      return runLoop(this.#core, inProcessExecutor(objective, o.concurrency ?? 1), o, catches);
    }
    // Loaded on demand: in-process studies never pay for piscina and the worker machinery.
    const pool = await import('../pool/executor.js');
    const o = options as PoolOptions;
    if (o === null || typeof o !== 'object') throw new OptionsError('optimize() needs options, e.g. { trials: 100, workers: 2 }');
    checkKnownKeys(o, 'optimize()', pool.POOL_KEYS);
    checkLoopOptions(o, 'optimize()');
    // Nothing left to run: do not start worker threads (and their TF.js backends) just to close them.
    if ((await this.#core.trials()).filter(countsTowardBudget).length >= o.trials) {
      const best = this.best;
      return { stoppedBy: 'budget', finished: 0, ...(best ? { best } : {}) };
    }
    const executor = pool.createPoolExecutor<P>(objective, o, {
      seed: this.seed,
      // The metric the trainer reports and picks its best epoch by (the first objective's, or valLoss for derived ones).
      objective: this.#core.trainerObjective,
      metricReports: this.metric !== undefined,
    });
    // The searcher runs on this thread while the workers train: asking ahead keeps them fed (LoopOptions.askAhead).
    return runLoop(this.#core, executor, { ...o, askAhead: o.askAhead ?? true });
  }

  /** Flushes and releases the storage if the study opened it itself (from a path). */
  close(): Promise<void> {
    return this.#core.close();
  }
}
