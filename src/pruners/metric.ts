/**
 * Metric-based pruners, with Optuna 3.1's semantics (MedianPruner, PercentilePruner, ThresholdPruner, PatiencePruner): they read
 * only the objective's intermediate values (`trial.intermediate[].value`) of the reporting trial and of completed trials.
 *
 * Like Optuna, `median`/`percentile` compare the reporting trial's *best* value so far (NaN ignored; all NaN -> prune) with the
 * median/percentile of completed trials' values *at the same step*; steps other trials never reported do not count.
 * `bench/pruners.ts` checks these decisions against Optuna itself on random histories.
 */
import { OptionsError } from '../core/errors.js';
import type { Direction } from '../core/types.js';
import type { Pruner, PruneDecision, PruneRequest } from './types.js';
import { bestOf, CONTINUE, current, fmt, prune, span } from './history.js';
import { OptionReader } from './options.js';
import { completedSteps } from './steps.js';

/** Options shared by `median` and `percentile` (Optuna's n_startup_trials, n_warmup_steps, interval_steps, n_min_trials). */
export interface MedianOptions {
  /** No pruning until this many trials have completed (default 5). */
  readonly startupTrials?: number;
  /** No pruning at steps below this (default 0; assumes steps start at 0). */
  readonly warmupSteps?: number;
  /** Decide only at the first report in each `interval` steps after the warm-up (default 1: every report). */
  readonly interval?: number;
  /** No pruning unless at least this many completed trials reported this step (default 1). */
  readonly minTrials?: number;
}

export interface PercentileOptions extends MedianOptions {
  /** Keep trials within the best `percentile`% at each step (0..100): 25 prunes everything outside the best quarter. */
  readonly percentile: number;
}

export interface ThresholdOptions {
  /** Prune when the value at a step is below this. */
  readonly lower?: number;
  /** Prune when the value at a step is above this. */
  readonly upper?: number;
  readonly warmupSteps?: number;
  readonly interval?: number;
}

export interface PatienceOptions {
  /** Reports without improvement tolerated: prunes once the best of the last `patience + 1` values is not better than the best before them. */
  readonly patience: number;
  /** Improvement smaller than this does not count (default 0; >= 0). */
  readonly minDelta?: number;
  /** When given, prune only if this pruner also prunes (Optuna's wrapped_pruner); default: prune on patience alone. */
  readonly wrapped?: Pruner;
}

const PERCENTILE_KEYS = ['percentile', 'startupTrials', 'warmupSteps', 'interval', 'minTrials'];

/**
 * Optuna's `_is_first_in_interval_step`: true when no earlier report of the trial falls in the interval window containing `step`.
 * So with interval 3 and warm-up 0 a trial reporting every step is judged at steps 0, 3, 6...; one reporting at 1, 5, 7 is
 * judged at 1 (window 0-2), 5 (window 3-5) and 7 (window 6-8).
 */
export function isFirstInInterval(step: number, steps: readonly number[], warmupSteps: number, interval: number): boolean {
  const nearestLower = Math.floor((step - warmupSteps) / interval) * interval + warmupSteps;
  let secondLast = -1;
  for (const s of steps) if (s > secondLast && s !== step) secondLast = s;
  return secondLast < nearestLower;
}

/** numpy's `nanpercentile` with linear interpolation (q in 0..100); NaN when no non-NaN value is given. */
export function nanPercentile(values: readonly number[], q: number): number {
  return sortedPercentile(
    values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b),
    q,
  );
}

/** `nanPercentile` of values already free of NaN and sorted ascending (NaN when there are none). */
export function sortedPercentile(v: readonly number[], q: number): number {
  if (v.length === 0) return NaN;
  const index = (v.length - 1) * (q / 100);
  const lo = Math.floor(index);
  const hi = Math.min(lo + 1, v.length - 1);
  const t = index - lo;
  const a = v[lo] as number;
  const b = v[hi] as number;
  if (t === 0 || a === b) return a;
  // numpy's _lerp: interpolates from the nearer end, so the result is exact at both ends.
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

function build(type: 'median' | 'percentile', options: unknown): Pruner {
  const r = new OptionReader(type, options, type === 'median' ? PERCENTILE_KEYS.slice(1) : PERCENTILE_KEYS);
  let pct = 50;
  if (type === 'percentile') {
    if (r.raw('percentile') === undefined)
      throw new OptionsError('pruner "percentile" needs `percentile` (0..100), e.g. percentile({ percentile: 25 })');
    pct = r.num('percentile', 50, { min: 0, max: 100 });
  }
  const startupTrials = r.int('startupTrials', 5);
  const warmupSteps = r.int('warmupSteps', 0);
  const interval = r.int('interval', 1, 1);
  const minTrials = r.int('minTrials', 1, 1);

  const decide = (req: PruneRequest): PruneDecision => {
    const completed = completedSteps(req);
    if (completed.count === 0 || completed.count < startupTrials) return CONTINUE;
    const { step, direction } = req;
    if (step < warmupSteps) return CONTINUE;
    const cur = current(req);
    if (!cur) return CONTINUE;
    if (
      !isFirstInInterval(
        step,
        cur.history.map((p) => p.step),
        warmupSteps,
        interval,
      )
    )
      return CONTINUE;
    const best = bestOf(
      direction,
      cur.history.map((p) => p.value),
    );
    if (Number.isNaN(best)) return prune(`${type}: every value up to step ${step} is NaN`);
    const others = completed.at(step);
    if (others.reported < minTrials) return CONTINUE;
    const cut = sortedPercentile(others.sorted, direction === 'maximize' ? 100 - pct : pct);
    if (Number.isNaN(cut)) return CONTINUE;
    if (!(direction === 'maximize' ? best < cut : best > cut)) return CONTINUE;
    const n = others.sorted.length;
    const trials = `${n} completed trial${n === 1 ? '' : 's'} at step ${step}`;
    return prune(
      type === 'median'
        ? `median: best value ${fmt(best)} up to step ${step} is worse than the median ${fmt(cut)} of ${trials} (${direction})`
        : `percentile: best value ${fmt(best)} up to step ${step} is outside the best ${fmt(pct)}% of ${trials} (cut-off ${fmt(cut)}, ${direction})`,
    );
  };
  return Object.freeze({ type, decide });
}

/**
 * Optuna's MedianPruner: prunes a trial whose best intermediate value so far is worse than the median of completed trials'
 * values at the same step. Built once per study (from code or `createPruner('median')`); stateless.
 */
export function median(options: MedianOptions = {}): Pruner {
  return build('median', options);
}

/** Optuna's PercentilePruner: like `median`, keeping only trials within the best `percentile`% at each step. */
export function percentile(options: PercentileOptions): Pruner {
  return build('percentile', options);
}

/**
 * Optuna's ThresholdPruner: prunes when the value reported at a step is NaN, below `lower` or above `upper` (at least one
 * bound is required). Honours `warmupSteps` and `interval` like `median`.
 */
export function threshold(options: ThresholdOptions): Pruner {
  const r = new OptionReader('threshold', options, ['lower', 'upper', 'warmupSteps', 'interval']);
  const lower = r.optNum('lower');
  const upper = r.optNum('upper');
  if (lower === undefined && upper === undefined) {
    throw new OptionsError('pruner "threshold" needs `lower` or `upper` (or both), e.g. threshold({ upper: 10 })');
  }
  if (lower !== undefined && upper !== undefined && lower > upper) {
    throw new OptionsError(`\`lower <= upper\` must hold for pruner "threshold", got lower=${lower}, upper=${upper}`);
  }
  const warmupSteps = r.int('warmupSteps', 0);
  const interval = r.int('interval', 1, 1);
  const decide = (req: PruneRequest): PruneDecision => {
    if (req.step < warmupSteps) return CONTINUE;
    const cur = current(req);
    if (!cur) return CONTINUE;
    if (
      !isFirstInInterval(
        req.step,
        cur.history.map((p) => p.step),
        warmupSteps,
        interval,
      )
    )
      return CONTINUE;
    const v = cur.point.value;
    if (Number.isNaN(v)) return prune(`threshold: value NaN at step ${req.step}`);
    if (lower !== undefined && v < lower) return prune(`threshold: value ${fmt(v)} at step ${req.step} is below lower ${fmt(lower)}`);
    if (upper !== undefined && v > upper) return prune(`threshold: value ${fmt(v)} at step ${req.step} is above upper ${fmt(upper)}`);
    return CONTINUE;
  };
  return Object.freeze({ type: 'threshold', decide });
}

function improvedEnough(direction: Direction, before: number, after: number, minDelta: number): boolean {
  // Optuna: minimize prunes when before + minDelta < after; maximize when before - minDelta > after (NaN never prunes).
  return direction === 'minimize' ? !(before + minDelta < after) : !(before - minDelta > after);
}

/**
 * Optuna's PatiencePruner: with `n` values reported, prunes once `n > patience + 1` and the best of the last `patience + 1`
 * values is worse than the best before them by more than `minDelta` (so `patience: 2` tolerates two reports without a new
 * best and prunes on the third). With `wrapped`, prunes only when that pruner prunes too (reasons joined by "; ").
 */
export function patience(options: PatienceOptions): Pruner {
  const r = new OptionReader('patience', options, ['patience', 'minDelta', 'wrapped']);
  if (r.raw('patience') === undefined)
    throw new OptionsError('pruner "patience" needs `patience` (an integer >= 0), e.g. patience({ patience: 3 })');
  const n = r.int('patience', 0);
  const minDelta = r.num('minDelta', 0, { min: 0 });
  const wrapped = r.raw('wrapped');
  if (wrapped !== undefined && typeof (wrapped as Partial<Pruner> | null)?.decide !== 'function') {
    throw r.error('wrapped', 'a pruner (an object with decide(request))', wrapped);
  }
  const inner = wrapped as Pruner | undefined;
  const decide = async (req: PruneRequest): Promise<PruneDecision> => {
    const cur = current(req);
    if (!cur || cur.history.length <= n + 1) return CONTINUE;
    const before = cur.history.slice(0, -(n + 1));
    const after = cur.history.slice(-(n + 1));
    const bestBefore = bestOf(
      req.direction,
      before.map((p) => p.value),
    );
    const bestAfter = bestOf(
      req.direction,
      after.map((p) => p.value),
    );
    if (improvedEnough(req.direction, bestBefore, bestAfter, minDelta)) return CONTINUE;
    const reason =
      `patience: no improvement in the last ${n + 1} reports (${span(after[0]!, cur.point)}): best ${fmt(bestAfter)} vs ` +
      `${fmt(bestBefore)} before (${req.direction}, minDelta ${fmt(minDelta)})`;
    if (!inner) return prune(reason);
    const d = await inner.decide(req);
    return d.action === 'prune' ? prune(`${reason}; ${d.reason}`) : CONTINUE;
  };
  return Object.freeze({ type: 'patience', decide });
}
