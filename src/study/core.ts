/**
 * StudyCore: the trial life cycle behind the public {@link Study} facade (study.ts). It owns no algorithm: the searcher
 * proposes, the pruner decides, the storage persists; the core sequences them and enforces the life cycle. The optimize loop
 * (loop.ts) drives it directly: the staged tell, pending prune reasons and interrupted-trial recovery are the loop's business
 * and are not part of the public Study. Built by open.ts; never exported from the package.
 */
import type { SearchSpace } from '../../spaces/types.js';
import type { Searcher, Suggestion } from '../../searchers/types.js';
import { NOP_PRUNER as NOP, type Pruner, type PruneRequest } from '../pruners/index.js';
import type { Storage, TrialOwner } from '../storage/types.js';
import { keepAlive, newOwner } from '../storage/heartbeat.js';
import { visibleHistory, visibleToPruner } from './visibility.js';
import { StudyMirror, lazyTrials } from './mirror.js';
import type { Direction, JsonValue, Metrics, Params, StudyRecord, TrialRecord, TrialResult, TrialState } from '../core/types.js';
import { OptionsError, SearchExhaustedError, SearcherError } from '../core/errors.js';
import { describeThrown, describeValue } from '../core/describe.js';
import { buildLeaderboard, type Leaderboard, type LeaderboardOptions } from '../report/leaderboard.js';
import { ObjectiveReader, type CompleteOutcome, type ConstraintsFunction, type DerivedMetrics } from './objectives.js';

/** A trial handed out by `ask()`. */
export interface AskedTrial<P = Params> {
  readonly number: number;
  readonly params: P;
  /** Steps the trial may run, for budgeted (multi-fidelity) searchers. */
  readonly budget?: number;
  /**
   * Set when a multi-fidelity searcher promotes a configuration: the number of the earlier trial (same params, smaller budget)
   * whose checkpoint this trial may continue from instead of starting at step 0. Read from the suggestion's `system.continueFrom`.
   */
  readonly continueFrom?: number;
}

/**
 * What `tell` accepts: a number (complete with that value), an array of numbers (one per objective of a multi-objective
 * study), or an explicit outcome. A `complete` value that is NaN or infinite makes the trial `failed` (reason
 * `non-finite value`), as in Optuna. `constraints` (each <= 0 satisfied) override the study's constraints function.
 */
export type TellResult = number | TellOutcome;

/** What the public `tell` accepts: a {@link TellResult}, or an array of numbers (one per objective). */
export type TellInput = TellResult | readonly number[];

/** The object forms of {@link TellResult}: what the loop's interpretResult returns. */
export type TellOutcome =
  | { readonly state: 'complete'; readonly value: number; readonly metrics?: Metrics; readonly constraints?: readonly number[] }
  | { readonly state: 'complete'; readonly values: readonly number[]; readonly metrics?: Metrics; readonly constraints?: readonly number[] }
  | { readonly state: 'pruned'; readonly reason?: string; readonly value?: number; readonly metrics?: Metrics }
  | { readonly state: 'failed'; readonly error?: unknown; readonly reason?: string; readonly metrics?: Metrics };

/** Internal wiring handed over by open.ts. */
export interface StudyParts<P = Params> {
  readonly storage: Storage;
  readonly ownsStorage: boolean;
  readonly record: StudyRecord;
  readonly space: SearchSpace;
  readonly searcher: Searcher;
  readonly pruner: Pruner;
  /** Name of the objective inside metric objects passed to `report`/returned by objectives. */
  readonly metric?: string;
  /** Multi-objective studies: the metric name of each objective (metrics objects returned by objectives hold them). */
  readonly metrics?: readonly string[];
  /** Evaluated when a trial completes (record.constraints is true). */
  readonly constraints?: ConstraintsFunction<P>;
  /** Metrics computed from a trial's final metrics before its objective values are read. */
  readonly derivedMetrics?: DerivedMetrics;
  readonly trials: readonly TrialRecord[];
  readonly heartbeatIntervalMs?: number;
  readonly gracePeriodMs?: number;
}

/** What the optimize loop passes to `ask`. */
export interface AskOptions {
  /** The global budget: start a trial only while counted finished + running trials are below it (shared storages). */
  readonly maxCounted?: number;
  /** Trials in flight (the loop's lanes): the deterministic rule's lag. */
  readonly lag?: number;
}

/** Thrown by ask() when the global budget (AskOptions.maxCounted) leaves no room: the loop stops as 'budget'. */
export class BudgetReached extends Error {
  constructor() {
    super('the study holds its budget of trials (counting those other processes run)');
  }
}

/** True if `a` is better than `b` in this direction. */
export function better(direction: Direction, a: number, b: number): boolean {
  return direction === 'minimize' ? a < b : a > b;
}

/** Message and stack of anything thrown; never throws itself (circular objects, BigInts, throwing getters...). */
function errorInfo(error: unknown): { message: string; stack?: string } {
  const message = typeof error === 'string' && error ? error : describeThrown(error);
  let stack: unknown;
  try {
    stack = error instanceof Error ? error.stack : undefined;
  } catch {
    stack = undefined; // a getter that throws: keep the message only
  }
  return typeof stack === 'string' && stack ? { message, stack } : { message };
}

/**
 * The metrics an objective returned, checked before they reach the storage: a plain object of numbers. Anything else makes
 * the trial fail with this message (the storage would reject it, leaving the trial running).
 */
function metricsProblem(metrics: unknown): string | undefined {
  if (metrics === undefined) return undefined;
  if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics))
    return `metrics must be an object of numbers, got ${describeValue(metrics)}`;
  try {
    for (const [k, v] of Object.entries(metrics)) {
      if (typeof v !== 'number') return `metric ${JSON.stringify(k)} must be a number, got ${describeValue(v)}`;
    }
  } catch (e) {
    return `metrics could not be read: ${describeThrown(e)}`;
  }
  return undefined;
}

export class StudyCore<P = Params> {
  readonly #storage: Storage;
  readonly #ownsStorage: boolean;
  readonly #searcher: Searcher;
  readonly #pruner: Pruner;
  readonly #metric: string | undefined;
  readonly #objectives: ObjectiveReader<P>;
  /** Complete trials seen by this process (multi-objective fronts are ranked from them). */
  readonly #complete: TrialRecord[] = [];
  /** Serialises ask(): the searcher must see every earlier suggestion stored before it proposes again. */
  #askChain: Promise<unknown> = Promise.resolve();
  /** Resolvers waiting for the next finished trial (searchers that answered 'wait'). */
  #finishWaiters: (() => void)[] = [];
  /** Prune decisions taken in report(), applied when the trial is told. */
  readonly #pruneReasons = new Map<number, string>();
  #best: TrialRecord | undefined;
  #closed = false;
  /** This process as the owner of the trials it runs (heartbeats, fencing on shared storages). */
  readonly #owner: TrialOwner = newOwner();
  #lastStaleCheck = Number.NEGATIVE_INFINITY;
  /** Trials in flight under the deterministic rule (set by the loop from its concurrency). */
  #lag: number | undefined;
  /** This study's copy of its trials for the report path (see mirror.ts). */
  readonly #mirror: StudyMirror;
  /** Shared storages: time between heartbeats of a running trial (default 10,000 ms). */
  readonly heartbeatIntervalMs: number;
  /** Shared storages: a running trial without a heartbeat for this long is failed as stale and retried (default 3 intervals). */
  readonly gracePeriodMs: number;

  readonly record: StudyRecord;
  readonly space: SearchSpace;

  constructor(parts: StudyParts<P>) {
    this.#storage = parts.storage;
    this.#mirror = new StudyMirror(parts.storage, parts.record.name);
    this.#ownsStorage = parts.ownsStorage;
    this.#searcher = parts.searcher;
    this.#pruner = parts.pruner;
    this.record = parts.record;
    const directions = parts.record.directions ?? [parts.record.direction];
    const names =
      parts.metrics ?? parts.record.metrics ?? (parts.metric !== undefined && directions.length === 1 ? [parts.metric] : undefined);
    // Reports stay single-valued: the first objective (its metric, unless the study names another one for reports).
    this.#metric = parts.metric ?? names?.[0];
    this.#objectives = new ObjectiveReader<P>({
      studyName: parts.record.name,
      directions,
      names,
      reportMetric: this.#metric,
      derived: parts.derivedMetrics,
      constraintsFn: parts.constraints,
      constrained: parts.record.constraints === true,
    });
    this.space = parts.space;
    this.heartbeatIntervalMs = parts.heartbeatIntervalMs ?? 10_000;
    this.gracePeriodMs = parts.gracePeriodMs ?? 3 * this.heartbeatIntervalMs;
    for (const t of parts.trials) this.#noteFinished(t);
  }

  get name(): string {
    return this.record.name;
  }
  get direction(): Direction {
    return this.record.direction;
  }
  get seed(): number {
    return this.record.seed;
  }
  /** The searcher's type name. */
  get searcherType(): string {
    return this.#searcher.type;
  }
  /** True when the searcher's proposals never depend on outcomes (Searcher.ignoresResults): it may be asked further ahead. */
  get searcherIgnoresResults(): boolean {
    return this.#searcher.ignoresResults === true;
  }
  /** The objective metric name given at creation, if any. */
  get metric(): string | undefined {
    return this.#metric;
  }
  /**
   * The best complete trial so far (in this process's view), or undefined. A constrained study's best is feasible: an
   * infeasible trial is never best (undefined while none is feasible). Multi-objective studies have no single best: see
   * `bestTrials`.
   */
  get best(): TrialRecord | undefined {
    return this.#best;
  }
  /** One direction per objective (`[direction]` for a single-objective study). */
  get directions(): readonly Direction[] {
    return this.#objectives.directions;
  }
  /** The objective metric names, when the study reads objectives from metrics objects. */
  get metrics(): readonly string[] | undefined {
    return this.#objectives.names;
  }
  /**
   * The Pareto front of the feasible complete trials (in this process's view), ranked as the leaderboard ranks them; for a
   * single objective, `[best]` (or none).
   */
  get bestTrials(): readonly TrialRecord[] {
    return this.#objectives.count > 1 ? this.#objectives.best(this.#complete) : this.#best ? [this.#best] : [];
  }
  /** The metric and direction a trainer reports each epoch and picks its best epoch by (see ObjectiveReader). */
  get trainerObjective(): { readonly metric: string; readonly direction: Direction } {
    return this.#objectives.trainerObjective;
  }

  /** Every stored trial in number order, optionally only some states. Read-only records. */
  trials(states?: readonly TrialState[]): Promise<readonly TrialRecord[]> {
    return this.#storage.getTrials(this.name, states);
  }

  /** One stored trial. */
  trial(number: number): Promise<TrialRecord | undefined> {
    return this.#storage.getTrial(this.name, number);
  }

  /** The leaderboard JSON (see schema/leaderboard.schema.json). */
  async leaderboard(options: LeaderboardOptions = {}): Promise<Leaderboard> {
    return buildLeaderboard(this.record, await this.trials(), { ...options, searcher: this.#searcher.type });
  }

  /**
   * Starts a trial: an enqueued one if any waits (retries of interrupted trials come first), else the searcher's proposal.
   * Rejects with SearchExhaustedError when the searcher has nothing left.
   */
  ask(options: AskOptions = {}): Promise<AskedTrial<P>> {
    this.checkOpen();
    const next = this.#askChain.then(() => this.#askNow(options));
    this.#askChain = next.catch(() => undefined);
    return next;
  }

  async #askNow(o: AskOptions): Promise<AskedTrial<P>> {
    await this.#recoverStale();
    const limit = o.maxCounted !== undefined ? { maxCounted: o.maxCounted } : {};
    for (;;) {
      const waiting = await this.#storage.startWaiting(this.name, { owner: this.#owner, ...limit });
      if (waiting) return this.#asked(waiting);
      const mirror = this.#mirror;
      await mirror.sync();
      // Shared storages hand out suggestion numbers no other process gets; elsewhere the next number is the count.
      const number = this.#storage.nextSuggestionNumber ? await this.#storage.nextSuggestionNumber(this.name) : mirror.size;
      let lag = this.record.deterministic ? (o.lag ?? 0) : undefined;
      let suggestion: Suggestion | undefined;
      for (;;) {
        const view = lag === undefined ? undefined : visibleHistory(mirror.list(), number, lag);
        if (view === 'wait') break;
        // Every stored trial, built only if the searcher reads it (model-based ones do; random, Sobol and grid do not).
        const request = view ? { number, trials: view } : lazyTrials({ number }, mirror);
        suggestion = await this.#searcher.suggest(request);
        // A searcher that must wait for pending results (a synchronous rung) sees one more of them, in number order: still
        // a function of the results alone.
        if (suggestion.kind !== 'wait' || lag === undefined || lag === 0) break;
        lag--;
      }
      if (suggestion === undefined) {
        await this.#nextFinish();
        continue;
      }
      if (suggestion.kind === 'exhausted') throw new SearchExhaustedError(this.name, this.#searcher.type);
      if (suggestion.kind === 'wait') {
        if (!mirror.list().some((t) => t.state === 'running')) {
          throw new SearcherError(`searcher "${this.#searcher.type}" asked to wait, but no trial of study "${this.name}" is running`);
        }
        await this.#nextFinish();
        continue;
      }
      const trial = {
        state: 'running' as const,
        params: suggestion.params,
        owner: this.#owner,
        ...(suggestion.budget !== undefined ? { budget: suggestion.budget } : {}),
        ...(suggestion.system ? { system: suggestion.system } : {}),
      };
      if (o.maxCounted !== undefined && this.#storage.createTrialIfBelow) {
        // The global budget: another process may have started the last trials that count meanwhile.
        const created = await this.#storage.createTrialIfBelow(this.name, trial, o.maxCounted);
        if (!created) throw new BudgetReached();
        return this.#asked(created);
      }
      return this.#asked(await this.#storage.createTrial(this.name, trial));
    }
  }

  /** Resolves when a trial of this process finishes, or after a heartbeat interval (another process may have finished one). */
  #nextFinish(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.#storage.heartbeat ? setTimeout(resolve, Math.min(this.heartbeatIntervalMs, 1000)) : undefined;
      this.#finishWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Shared storages: trials whose worker stopped heartbeating for `gracePeriodMs` are failed as stale and retried (their params
   * re-enqueued), by whichever process notices first. Throttled to one check per heartbeat interval.
   */
  async #recoverStale(): Promise<void> {
    if (!this.#storage.failStale) return;
    const now = Date.now();
    if (now - this.#lastStaleCheck < this.heartbeatIntervalMs) return;
    this.#lastStaleCheck = now;
    await this.#storage.failStale(this.name, this.gracePeriodMs);
  }

  /**
   * Keeps trial `number` alive on a shared storage (heartbeats every `heartbeatIntervalMs`); `onLost` is called once if the
   * trial was taken away (failed as stale by another process): its result would be refused, so the trial should stop.
   */
  keepAlive(number: number, onLost: () => void): { stop(): Promise<void> } {
    return keepAlive(this.#storage, this.name, number, this.#owner, { intervalMs: this.heartbeatIntervalMs, onLost });
  }

  /**
   * Trial `number`, asked ahead, begins running now: its stored `started` becomes now, so its duration (leaderboard, progress,
   * exports) is its running time, not its wait in the loop's queue. Does nothing on a storage without
   * {@link Storage.markStarted} (users' own storages need not implement it): the ask time stays.
   */
  async markStarted(number: number): Promise<void> {
    this.checkOpen();
    await this.#storage.markStarted?.(this.name, number);
  }

  #asked(t: TrialRecord): AskedTrial<P> {
    const continueFrom = t.system['continueFrom'];
    return {
      number: t.number,
      params: t.params as unknown as P,
      ...(t.budget !== undefined ? { budget: t.budget } : {}),
      ...(typeof continueFrom === 'number' ? { continueFrom } : {}),
    };
  }

  /** Queues params to be tried before the searcher's next proposals (like Optuna's enqueue_trial). Returns the trial number. */
  async enqueue(params: P, userAttrs: { readonly [key: string]: JsonValue } = {}): Promise<number> {
    this.checkOpen();
    this.space.validate(params as unknown as Params);
    const t = await this.#storage.createTrial(this.name, { state: 'waiting', params: params as unknown as Params, userAttrs });
    return t.number;
  }

  /**
   * Stores an intermediate value of a running trial and asks the pruner. `value` may be a metrics object when the study has a
   * `metric`. Returns 'prune' when the trial should stop; the reason is recorded when the trial is told.
   */
  async report(number: number, step: number, value: number | Metrics): Promise<'continue' | 'prune'> {
    this.checkOpen();
    if (!Number.isInteger(step) || step < 0) throw new OptionsError(`\`step\` must be an integer >= 0, got ${step}`);
    const { v, direction } = this.#objectives.reported(value);
    // A metrics object is stored whole with the step, so pruners (and resumed pruners) can read diagnostic signals.
    await this.#storage.reportIntermediate(this.name, number, step, v, typeof value === 'number' ? undefined : value);
    const already = this.#pruneReasons.get(number);
    if (already !== undefined) return 'prune';
    // The default pruner never prunes: skip handing it the history (this is the hot path of report-heavy sweeps).
    if (this.#pruner === NOP) return 'continue';
    await this.#mirror.sync();
    const trial = this.#mirror.get(number);
    if (!trial) return 'continue';
    const metrics = typeof value === 'number' ? {} : { metrics: value };
    const mirror = this.#mirror;
    const request: PruneRequest =
      this.record.deterministic && this.#lag !== undefined
        ? // The rule's history is a filtered list, so the pruner builds its index from it (the study's holds every trial).
          { trial, step, trials: visibleToPruner(mirror.list(), number, this.#lag), direction, ...metrics }
        : // `trials` is built only for pruners that read it (stop rules): median and percentile read `completed`.
          lazyTrials({ trial, step, completed: mirror.completed, direction, ...metrics }, mirror);
    const decision = await this.#pruner.decide(request);
    if (decision.action === 'prune') {
      this.#pruneReasons.set(number, decision.reason || `pruned by ${this.#pruner.type} at step ${step}`);
      return 'prune';
    }
    return 'continue';
  }

  /** Sets the deterministic rule's lag (the loop's concurrency) for pruning decisions. */
  setLag(lag: number): void {
    this.#lag = lag;
  }

  /** The pending prune reason of a running trial, if report() decided to prune it. */
  pruneReason(number: number): string | undefined {
    return this.#pruneReasons.get(number);
  }

  /**
   * Records a running trial as failed with reason `interrupted` and enqueues a retry with the same params, so a killed
   * or stopped sweep loses no budget. Idempotent across crashes: the retry is enqueued first and only if none exists yet.
   */
  async markInterrupted(number: number): Promise<void> {
    const trials = await this.#storage.getTrials(this.name);
    const t = trials[number];
    if (!t || t.state !== 'running') return;
    if (!trials.some((x) => x.system['retryOf'] === number)) {
      await this.#storage.createTrial(this.name, {
        state: 'waiting',
        params: t.params,
        ...(t.budget !== undefined ? { budget: t.budget } : {}),
        system: { ...t.system, retryOf: number },
        userAttrs: t.userAttrs,
      });
    }
    await this.tell(number, {
      state: 'failed',
      reason: 'interrupted',
      error: 'the process or sweep running this trial stopped before it finished; a retry with the same params was enqueued',
    });
  }

  /** Called when a study is loaded: trials left running by a dead process become interrupted (and are retried). */
  async recoverInterrupted(): Promise<number> {
    const running = await this.#storage.getTrials(this.name, ['running']);
    for (const t of running) await this.markInterrupted(t.number);
    return running.length;
  }

  /** Sets a user attribute on a trial. */
  async setTrialUserAttr(number: number, key: string, value: JsonValue): Promise<void> {
    this.checkOpen();
    await this.#storage.setTrialUserAttr(this.name, number, key, value);
  }

  /**
   * Finishes a running trial. Resolves once the finished trial is durable in storage; from then on it never changes.
   * A trial that report() marked for pruning is stored as pruned even when told a value.
   */
  tell(number: number, result: TellInput): Promise<TrialRecord> {
    return this.tellStaged(number, result).durable;
  }

  /**
   * tell() in two stages, for optimize's pipelining: `applied` resolves once the storage has recorded the finish (later
   * reads and suggestions see it), `durable` once it is on disk — only then is the trial reported finished. Storages apply a
   * change when the call is made and resolve when it is durable, so the next trial can start while the fsync runs.
   */
  tellStaged(number: number, result: TellInput): { readonly applied: Promise<void>; readonly durable: Promise<TrialRecord> } {
    this.checkOpen();
    let markApplied!: () => void;
    const applied = new Promise<void>((resolve) => (markApplied = resolve));
    const durable = (async () => {
      try {
        const current = await this.#storage.getTrial(this.name, number);
        const finishing = this.#storage.finishTrial(this.name, number, this.#toResult(number, result, current));
        markApplied();
        const record = await finishing;
        this.#pruneReasons.delete(number);
        this.#noteFinished(record);
        const waiters = this.#finishWaiters;
        this.#finishWaiters = [];
        for (const w of waiters) w();
        return record;
      } finally {
        markApplied();
      }
    })();
    return { applied, durable };
  }

  #toResult(number: number, told: TellInput, current: TrialRecord | undefined): TrialResult {
    const pending = this.#pruneReasons.get(number);
    let result: TellOutcome;
    if (typeof told === 'number') result = { state: 'complete', value: told };
    else if (Array.isArray(told)) result = { state: 'complete', values: told as readonly number[] };
    else result = told as TellOutcome;
    if (result === null || typeof result !== 'object' || !('state' in result)) {
      throw new OptionsError(
        `tell() takes a number, an array of numbers (one per objective) or { state: 'complete' | 'pruned' | 'failed', ... }, got ${describeValue(result)}`,
      );
    }
    const problem = metricsProblem(result.metrics);
    if (problem !== undefined) return { state: 'failed', reason: 'invalid metrics', error: { message: problem } };
    const metrics = result.metrics ? { metrics: result.metrics } : {};
    if (result.state === 'failed') {
      const error = result.error === undefined ? undefined : errorInfo(result.error);
      return { state: 'failed', ...metrics, ...(result.reason ? { reason: result.reason } : {}), ...(error ? { error } : {}) };
    }
    if (result.state === 'complete' && pending === undefined) {
      return this.#objectives.complete(result as CompleteOutcome, (current?.params ?? {}) as unknown as P);
    }
    if (result.state !== 'complete' && result.state !== 'pruned') {
      throw new OptionsError(
        `tell(): unknown state ${JSON.stringify((result as { state: unknown }).state)}; use 'complete', 'pruned' or 'failed'`,
      );
    }
    // Pruned: explicitly, or by a pending pruner decision. Its value is the last intermediate value (Optuna's convention).
    const reason = (result.state === 'pruned' ? result.reason : undefined) ?? pending ?? 'pruned';
    const last = current?.intermediate[current.intermediate.length - 1]?.value;
    const given = 'value' in result ? result.value : 'values' in result ? result.values[0] : undefined;
    const value = given !== undefined && Number.isFinite(given) ? given : last !== undefined && Number.isFinite(last) ? last : undefined;
    return { state: 'pruned', reason, ...metrics, ...(value !== undefined ? { value } : {}) };
  }

  #noteFinished(t: TrialRecord): void {
    if (t.state !== 'complete' || t.value === undefined) return;
    this.#complete.push(t);
    // Several objectives have no single best; a constrained study's best must be feasible.
    if (this.#objectives.count > 1 || !this.#objectives.feasible(t)) return;
    if (!this.#best || better(this.direction, t.value, this.#best.value as number)) this.#best = t;
  }

  /**
   * Turns what an objective or a trainable returned into a tell() outcome: a number, an array (one value per objective),
   * `{ value | values, metrics }`, or a metrics object holding the objective metric(s). Anything else fails the trial with a
   * message saying the fix; a metrics object without an objective metric throws OptionsError (the loop fails the trial).
   */
  interpretResult(result: unknown, what: 'objective' | 'trainable'): TellOutcome {
    return this.#objectives.interpretResult(result, what) as TellOutcome;
  }

  /** Flushes and releases the storage if the study opened it itself (from a path). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsStorage) await this.#storage.close();
  }

  checkOpen(): void {
    if (this.#closed) throw new OptionsError(`study "${this.name}" is closed`);
  }
}
