/**
 * A study's objectives: how many there are and in which direction, where their values are read from (numbers, arrays,
 * metrics objects), the constraints evaluated when a trial completes, and which complete trials are best (feasible first,
 * Pareto front for several objectives). Pure helpers used by StudyCore (core.ts); kept apart so core.ts stays about the
 * trial life cycle.
 */
import { paretoRanking, violation } from '../../searchers/objectives.js';
import { OptionsError } from '../core/errors.js';
import { describeThrown, describeValue } from '../core/describe.js';
import type { Direction, Metrics, Params, TrialRecord, TrialResult } from '../core/types.js';

/**
 * Constraints of a study, evaluated when a trial completes: one number per constraint, each <= 0 when satisfied (Optuna's
 * `constraints_func`). `metrics` are the trial's final metrics (derived metrics included), `params` its sampled params.
 */
export type ConstraintsFunction<P = Params> = (metrics: Metrics, params: P) => readonly number[];

/**
 * Metrics computed from a trial's final metrics before its objective values are read, by name (a sweep's
 * `objective.expression`). Each function may throw when a metric it needs is missing: the trial then fails with that message.
 */
export type DerivedMetrics = { readonly [name: string]: (metrics: Metrics) => number };

/** The objective options of createStudy (see CreateStudyOptions). */
export interface ObjectiveOptions<P = Params> {
  readonly direction?: Direction;
  readonly directions?: readonly Direction[];
  readonly metric?: string;
  readonly metrics?: readonly string[];
  readonly constraints?: ConstraintsFunction<P>;
  readonly derivedMetrics?: DerivedMetrics;
}

/** Validated objective options: one direction per objective, and the metric names when given. */
export interface ResolvedObjectives {
  readonly directions: readonly Direction[];
  readonly metrics?: readonly string[];
}

const isDirection = (d: unknown): d is Direction => d === 'minimize' || d === 'maximize';

/** Checks createStudy's objective options (OptionsError naming the option and the fix). */
export function resolveObjectives(o: ObjectiveOptions<unknown>): ResolvedObjectives {
  if (o.directions !== undefined) {
    if (!Array.isArray(o.directions) || o.directions.length === 0 || !o.directions.every(isDirection)) {
      throw new OptionsError(`\`directions\` must be a non-empty array of 'minimize' | 'maximize', got ${describeValue(o.directions)}`);
    }
    if (o.direction !== undefined && o.direction !== o.directions[0]) {
      throw new OptionsError(
        `\`direction === directions[0]\` must hold (give one of them), got direction=${o.direction}, directions=${JSON.stringify(o.directions)}`,
      );
    }
  }
  const directions: readonly Direction[] = o.directions ?? [o.direction ?? 'minimize'];
  let metrics: readonly string[] | undefined;
  if (o.metrics !== undefined) {
    const m = o.metrics as unknown;
    if (!Array.isArray(m) || !m.every((x) => typeof x === 'string' && x.length > 0) || new Set(m).size !== m.length) {
      throw new OptionsError(`\`metrics\` must be an array of distinct metric names, one per objective, got ${describeValue(m)}`);
    }
    if (m.length !== directions.length) {
      throw new OptionsError(
        `\`metrics.length === directions.length\` must hold (one metric per objective), got ${m.length} metrics and ${directions.length} directions; ` +
          `pass directions: [${m.map(() => "'minimize' | 'maximize'").join(', ')}]`,
      );
    }
    metrics = m as string[];
  }
  if (o.constraints !== undefined && typeof o.constraints !== 'function') {
    throw new OptionsError(
      `\`constraints\` must be a function (metrics, params) => number[] (each <= 0 satisfied), got ${describeValue(o.constraints)}`,
    );
  }
  if (o.derivedMetrics !== undefined) {
    const d = o.derivedMetrics as unknown;
    if (d === null || typeof d !== 'object' || Array.isArray(d) || !Object.values(d).every((f) => typeof f === 'function')) {
      throw new OptionsError(`\`derivedMetrics\` must be an object of functions (metrics) => number, got ${describeValue(d)}`);
    }
  }
  return { directions, ...(metrics ? { metrics } : {}) };
}

/** What a complete outcome carries before the core turns it into a stored result. */
export interface CompleteOutcome {
  readonly state: 'complete';
  readonly value?: number;
  readonly values?: readonly number[];
  readonly metrics?: Metrics;
  readonly constraints?: readonly number[];
}

/** What an {@link ObjectiveReader} is built from (StudyCore's parts and record). */
export interface ObjectiveReaderInit<P> {
  readonly studyName: string;
  readonly directions: readonly Direction[];
  /** Metric names of the objectives (length = directions), when the study reads them from metrics objects. */
  readonly names: readonly string[] | undefined;
  /** The metric reports carry (createStudy's `metric`, else the first objective's). */
  readonly reportMetric: string | undefined;
  readonly derived: DerivedMetrics | undefined;
  readonly constraintsFn: ConstraintsFunction<P> | undefined;
  /** True when the study has constraints (record.constraints): finished trials are ranked feasible first. */
  readonly constrained: boolean;
}

/** How one study reads objective values (from reports, results and tells); built once by StudyCore. */
export class ObjectiveReader<P = Params> {
  readonly studyName: string;
  readonly directions: readonly Direction[];
  readonly names: readonly string[] | undefined;
  readonly reportMetric: string | undefined;
  readonly derived: DerivedMetrics | undefined;
  readonly constraintsFn: ConstraintsFunction<P> | undefined;
  readonly constrained: boolean;

  constructor(init: ObjectiveReaderInit<P>) {
    this.studyName = init.studyName;
    this.directions = init.directions;
    this.names = init.names;
    this.reportMetric = init.reportMetric;
    this.derived = init.derived;
    this.constraintsFn = init.constraintsFn;
    this.constrained = init.constrained;
  }

  get count(): number {
    return this.directions.length;
  }

  /** The metrics with the derived ones added (a derived metric that throws propagates: the trial fails with its message). */
  withDerived(metrics: Metrics): Metrics {
    if (!this.derived) return metrics;
    const out: Metrics = { ...metrics };
    for (const [name, f] of Object.entries(this.derived)) {
      const v = f(out);
      if (typeof v !== 'number') throw new OptionsError(`derived metric "${name}" must compute a number, got ${describeValue(v)}`);
      out[name] = v;
    }
    return out;
  }

  /**
   * An objective's or trainable's result as a complete outcome: a number (one objective), an array of numbers (one per
   * objective), `{ value | values, metrics }`, or a metrics object holding every objective metric. Throws an OptionsError
   * saying what to return otherwise.
   */
  interpret(result: unknown, what: string): CompleteOutcome | undefined {
    const m = this.count;
    if (typeof result === 'number') {
      if (m === 1) return { state: 'complete', value: result };
      throw new OptionsError(
        `the ${what} returned one number, but this study has ${m} objectives; return an array of ${m} numbers${this.#namesHint()}`,
      );
    }
    if (Array.isArray(result)) return { state: 'complete', ...this.#vector(result, what) };
    if (result === null || typeof result !== 'object') return undefined;
    const r = result as { value?: unknown; values?: unknown; metrics?: Metrics };
    const metrics = r.metrics !== undefined ? { metrics: r.metrics } : {};
    if (Array.isArray(r.values)) return { state: 'complete', ...this.#vector(r.values, what), ...metrics };
    if (typeof r.value === 'number') {
      if (m === 1) return { state: 'complete', value: r.value, ...metrics };
      throw new OptionsError(
        `the ${what} returned { value }, but this study has ${m} objectives; return { values: [${m} numbers], metrics }${this.#namesHint()}`,
      );
    }
    if (this.names === undefined) return undefined;
    const all = this.withDerived(result as Metrics);
    const values = this.names.map((name) => {
      const v = all[name];
      if (typeof v === 'number') return v;
      if (v !== undefined)
        throw new OptionsError(`${what} result: the objective metric "${name}" must be a number, got ${describeValue(v)}`);
      throw new OptionsError(
        `${what} result: metrics lack the objective metric "${name}" (got keys: ${Object.keys(result).join(', ') || 'none'})`,
      );
    });
    return { state: 'complete', ...(m === 1 ? { value: values[0]! } : { values }), metrics: all };
  }

  #namesHint(): string {
    return this.names ? `, or a metrics object holding ${this.names.map((n) => `"${n}"`).join(', ')}` : '';
  }

  #vector(v: readonly unknown[], what: string): { value: number } | { values: readonly number[] } {
    if (v.length !== this.count || !v.every((x) => typeof x === 'number')) {
      throw new OptionsError(
        `the ${what} returned ${describeValue(v)}; this study has ${this.count} objectives (${this.directions.join(', ')}): give ${this.count} numbers`,
      );
    }
    return this.count === 1 ? { value: v[0] as number } : { values: v as number[] };
  }

  /**
   * The stored result of a complete outcome: `value` is the first objective, `values` are kept for several objectives, and
   * the constraints (given, or computed by the study's function from the final metrics and params) for constrained studies.
   * A non-finite objective value fails the trial (as in Optuna); so does a constraint function that throws or returns
   * something other than an array of numbers (the message says which).
   */
  complete(outcome: CompleteOutcome, params: P): TrialResult {
    const metrics = outcome.metrics ? { metrics: outcome.metrics } : {};
    const values = outcome.values ?? (outcome.value !== undefined ? [outcome.value] : []);
    if (values.length !== this.count) {
      throw new OptionsError(
        `tell(): this study has ${this.count} objectives (${this.directions.join(', ')}); give ${this.count} values, got ${describeValue(outcome.values ?? outcome.value)}`,
      );
    }
    const bad = values.find((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad !== undefined) {
      return {
        state: 'failed',
        ...metrics,
        reason: 'non-finite value',
        error: { message: `the objective returned ${String(bad)}, which is not a finite number` },
      };
    }
    let constraints = outcome.constraints;
    if (constraints === undefined && this.constraintsFn) {
      try {
        constraints = this.constraintsFn(outcome.metrics ?? {}, params);
      } catch (e) {
        return {
          state: 'failed',
          ...metrics,
          reason: 'constraints failed',
          error: { message: `the constraints could not be evaluated: ${describeThrown(e)}` },
        };
      }
    }
    if (constraints !== undefined && (!Array.isArray(constraints) || !constraints.every((c) => typeof c === 'number'))) {
      return {
        state: 'failed',
        ...metrics,
        reason: 'constraints failed',
        error: { message: `constraints must be an array of numbers (each <= 0 satisfied), got ${describeValue(constraints)}` },
      };
    }
    return {
      state: 'complete',
      value: values[0]!,
      ...(this.count > 1 ? { values: [...values] } : {}),
      ...metrics,
      ...(constraints !== undefined ? { constraints: [...constraints] } : {}),
    };
  }

  /**
   * The metric and direction a trainer reports each epoch and picks its best epoch by: the report metric in the first
   * objective's direction; `valLoss` (minimised) when the first objective is derived from final metrics only.
   */
  get trainerObjective(): { readonly metric: string; readonly direction: Direction } {
    const metric = this.reportMetric;
    if (metric !== undefined && !(this.derived && metric in this.derived)) return { metric, direction: this.directions[0]! };
    return { metric: 'valLoss', direction: metric === undefined ? this.directions[0]! : 'minimize' };
  }

  /**
   * A report's value and the direction pruners compare it in. A derived first objective (an expression of final metrics) is
   * computed from the report when it holds every name the expression reads; otherwise (the built-in trainer learns
   * paramCount and latency only after training) the report carries the trainer's metric, valLoss, minimised.
   */
  reported(value: number | Metrics): { readonly v: number; readonly direction: Direction } {
    const derive = this.reportMetric !== undefined ? this.derived?.[this.reportMetric] : undefined;
    if (derive && value !== null && typeof value === 'object') {
      let v: number | undefined;
      let why = '';
      try {
        v = derive(value);
      } catch (e) {
        why = describeThrown(e); // a name the expression reads is not in this report: fall back to the trainer's metric
      }
      if (typeof v === 'number') return { v, direction: this.directions[0]! };
      const fallback = this.trainerObjective.metric;
      if (typeof value[fallback] !== 'number') {
        throw new OptionsError(
          `report(): the objective "${String(this.reportMetric)}" cannot be computed from this report (${why}), and the report lacks "${fallback}", reported instead; report every metric the objective reads`,
        );
      }
    }
    return { v: this.#reportValue(value), direction: this.trainerObjective.direction };
  }

  /** Reads the report metric's value out of a number or a metrics object. */
  #reportValue(value: number | Metrics): number {
    if (typeof value === 'number') return value;
    if (value === null || typeof value !== 'object')
      throw new OptionsError(`report() takes a number or a metrics object, got ${describeValue(value)}`);
    if (this.reportMetric === undefined) {
      throw new OptionsError(
        `report() got a metrics object but study "${this.studyName}" has no \`metric\`; pass createStudy({ metric: '<name>' }) to say which one is the objective`,
      );
    }
    const name = this.trainerObjective.metric;
    const v = value[name];
    if (typeof v === 'number') return v;
    if (v !== undefined) throw new OptionsError(`report(): the objective metric "${name}" must be a number, got ${describeValue(v)}`);
    throw new OptionsError(`report(): metrics lack the objective metric "${name}" (got keys: ${Object.keys(value).join(', ') || 'none'})`);
  }

  /**
   * What an objective or a trainable returned, as a complete outcome, or a failure whose message says the fix. A
   * trainable's `{ value, metrics }` (the built-in trainer's) carries the report metric's value: objectives read from metrics
   * (several, or derived ones) are taken from the metrics instead. Throws OptionsError for a metrics object without an
   * objective metric (the loop fails the trial with it).
   */
  interpretResult(result: unknown, what: string): CompleteOutcome | { readonly state: 'failed'; readonly error: unknown } {
    const r = result as { value?: unknown; metrics?: Metrics } | null;
    const fromMetrics =
      r !== null && typeof r === 'object' && !Array.isArray(r) && r.metrics !== undefined && !('values' in r) && this.#readsMetrics();
    const outcome = this.interpret(fromMetrics ? r.metrics : result, what);
    if (outcome) return outcome;
    const m = this.count;
    return {
      state: 'failed',
      error: new OptionsError(
        m > 1
          ? `the ${what} returned ${describeValue(result)}; return an array of ${m} numbers, { values, metrics }, or a metrics object holding the objective metrics of createStudy({ metrics })`
          : `the ${what} returned ${describeValue(result)}; return a number, { value, metrics }, or a metrics object holding the ` +
              'objective metric of createStudy({ metric })',
      ),
    };
  }

  /** True when the objective values come from metrics objects rather than the trainer's single `value`. */
  #readsMetrics(): boolean {
    const names = this.names;
    const derived = this.derived;
    return (
      names !== undefined &&
      (names.length > 1 || names[0] !== this.reportMetric || (derived !== undefined && names.some((n) => n in derived)))
    );
  }

  /** True when the trial satisfies every constraint (always, for an unconstrained study). */
  feasible(t: TrialRecord): boolean {
    return !this.constrained || violation(t) === 0;
  }

  /**
   * The best trials among `complete` ones: the feasible Pareto front for several objectives (ranked as the leaderboard
   * does), else the single best feasible trial. Empty while no complete trial is feasible.
   */
  best(complete: readonly TrialRecord[]): TrialRecord[] {
    if (this.count > 1) {
      const byNumber = new Map(complete.map((t) => [t.number, t]));
      return paretoRanking(complete, this.directions, this.constrained)
        .filter((p) => p.rank === 0 && p.violation === 0)
        .map((p) => byNumber.get(p.number)!);
    }
    let best: TrialRecord | undefined;
    const sign = this.directions[0] === 'minimize' ? 1 : -1;
    for (const t of complete) {
      if (t.value === undefined || !Number.isFinite(t.value) || !this.feasible(t)) continue;
      if (!best || sign * (t.value - (best.value as number)) < 0) best = t;
    }
    return best ? [best] : [];
  }
}
