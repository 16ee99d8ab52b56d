/**
 * Diagnostic pruners: stop a trial that is broken, whatever other trials did. They read the per-step signals an objective
 * reports as a metrics object (`ctx.report(epoch, epochSignals(e))`, see `trials/signals.ts`), stored with every intermediate
 * value, so a resumed study decides exactly as the live one did. Metric names are options, defaulting to `epochSignals`' names.
 *
 * A signal a report lacks is "unknown", never "bad": a pruner whose metrics are absent simply never prunes (so `any([...])` of
 * diagnostics is safe on objectives that report plain numbers). Windows (`window`, `patience`, `epochs`) count reports, not
 * step numbers. Losses are always minimised; only `plateau` follows the study's direction.
 */
import type { IntermediateValue } from '../core/types.js';
import type { Pruner, PruneDecision, PruneRequest } from './types.js';
import { at, bestOf, better, CONTINUE, count, current, fmt, prune, signal, span, trail, unitOf } from './history.js';
import { OptionReader } from './options.js';

export interface NanGuardOptions {
  /** Loss metrics that must stay finite (default ['trainLoss', 'valLoss']). */
  readonly losses?: readonly string[];
  /** A 1/0 metric set when anything in the step was non-finite (default 'nonFinite'). */
  readonly flag?: string;
  /** Also prune on a non-finite objective value (default true). */
  readonly objective?: boolean;
}

export interface ExplodingOptions {
  /** Prune when the gradient norm exceeds this (default 1e3). */
  readonly maxNorm?: number;
  /** Prune when the norm grew by this factor or more over the last `window` reports (default 100). */
  readonly growth?: number;
  /** Reports looked back for growth (default 2). */
  readonly window?: number;
  /** Gradient norm metric (default 'gradNorm', the max over the epoch). */
  readonly metric?: string;
}

export interface VanishingOptions {
  /** Prune when the gradient norm stays below this (default 1e-7). */
  readonly minNorm?: number;
  /** ...for this many reports in a row (default 2). */
  readonly patience?: number;
  readonly metric?: string;
}

export interface DivergingOptions {
  /** Prune when the loss rose this many reports in a row (default 3). */
  readonly epochs?: number;
  /** Loss metric (default 'trainLoss': a rising training loss means the optimisation itself diverges). */
  readonly metric?: string;
  /** A rise must exceed this to count (default 0). */
  readonly minDelta?: number;
}

export interface OverfittingOptions {
  /** Prune only when valLoss - trainLoss exceeds this (default 0.1). */
  readonly tolerance?: number;
  /** ...and the val loss rose while the train loss fell this many reports in a row (default 2). */
  readonly epochs?: number;
  /** With `relative`, the gap is divided by |trainLoss| (for losses whose scale varies, e.g. MSE). Default false. */
  readonly relative?: boolean;
  readonly train?: string;
  readonly val?: string;
}

export interface PlateauOptions {
  /** Prune when the objective has not improved for this many reports (default 3). */
  readonly patience?: number;
  /** An improvement must exceed this (default 0). */
  readonly minDelta?: number;
}

/**
 * A diagnostic pruner: `decide` sees the reported step's point and the history up to it, and is not consulted (continue) when
 * that step is not stored.
 */
function diagnostic(type: string, decide: (cur: Current, req: PruneRequest) => PruneDecision): Pruner {
  return Object.freeze({
    type,
    decide: (req: PruneRequest): PruneDecision => {
      const cur = current(req);
      return cur ? decide(cur, req) : CONTINUE;
    },
  });
}

type Current = NonNullable<ReturnType<typeof current>>;

/** The last `n` points, if there are that many and every one has metric `name`. */
function lastWith(history: readonly IntermediateValue[], n: number, names: readonly string[]): IntermediateValue[] | undefined {
  if (history.length < n) return undefined;
  const pts = history.slice(history.length - n);
  return pts.every((p) => names.every((m) => signal(p, m) !== undefined)) ? pts : undefined;
}

/**
 * Prunes at once on a NaN/Inf loss, a set non-finite flag, or a non-finite objective value. Reason e.g.
 * `NaN loss at epoch 3 (valLoss=NaN)`.
 */
export function nanGuard(options: NanGuardOptions = {}): Pruner {
  const r = new OptionReader('nan_guard', options, ['losses', 'flag', 'objective']);
  const losses = r.strList('losses', ['trainLoss', 'valLoss']);
  const flag = r.str('flag', 'nonFinite');
  const objective = r.bool('objective', true);
  return diagnostic('nan_guard', (cur) => {
    const p = cur.point;
    const bad = losses.filter((l) => {
      const v = signal(p, l);
      return v !== undefined && !Number.isFinite(v);
    });
    if (bad.length > 0) {
      const word = bad.some((l) => Number.isNaN(signal(p, l))) ? 'NaN' : 'infinite';
      return prune(`${word} loss at ${at(p)} (${bad.map((l) => `${l}=${fmt(signal(p, l) as number)}`).join(', ')})`);
    }
    if (objective && !Number.isFinite(p.value)) {
      return prune(`${Number.isNaN(p.value) ? 'NaN' : 'infinite'} objective value at ${at(p)} (value=${fmt(p.value)})`);
    }
    const f = signal(p, flag);
    if (f !== undefined && f !== 0) {
      const others = Object.entries(p.metrics ?? {})
        .filter(([k, v]) => k !== flag && !Number.isFinite(v))
        .map(([k, v]) => `${k}=${fmt(v)}`);
      return prune(`non-finite values at ${at(p)} (${[`${flag}=${fmt(f)}`, ...others].join(', ')})`);
    }
    return CONTINUE;
  });
}

/**
 * Prunes when the gradient norm exceeds `maxNorm`, or grew `growth`-fold or more relative to the smallest norm of the previous
 * `window` reports. Reason e.g. `exploding gradients: global norm 3.1e4 at epoch 2, x120 in 2 epochs (above maxNorm 1000)`.
 * A NaN norm is left to `nanGuard`.
 */
export function exploding(options: ExplodingOptions = {}): Pruner {
  const r = new OptionReader('exploding', options, ['maxNorm', 'growth', 'window', 'metric']);
  const maxNorm = r.num('maxNorm', 1e3, { positive: true });
  const growth = r.num('growth', 100, { min: 1 });
  const window = r.int('window', 2, 1);
  const metric = r.str('metric', 'gradNorm');
  const name = metric === 'gradNorm' ? 'global norm' : metric;
  return diagnostic('exploding', (cur) => {
    const g = signal(cur.point, metric);
    if (g === undefined || Number.isNaN(g)) return CONTINUE;
    const last = cur.history.length - 1;
    let ref: { value: number; back: number } | undefined;
    for (let i = Math.max(0, last - window); i < last; i++) {
      const v = signal(cur.history[i]!, metric);
      if (v !== undefined && Number.isFinite(v) && v > 0 && (!ref || v < ref.value)) ref = { value: v, back: last - i };
    }
    const ratio = ref ? g / ref.value : NaN;
    const over = g > maxNorm;
    const grew = ratio >= growth;
    if (!over && !grew) return CONTINUE;
    const why = [over ? `above maxNorm ${fmt(maxNorm)}` : '', grew ? `growth over x${fmt(growth)}` : ''].filter(Boolean).join('; ');
    const growthPart = ref ? `, x${fmt(ratio)} in ${count(ref.back, unitOf(cur.point))}` : '';
    return prune(`exploding gradients: ${name} ${fmt(g)} at ${at(cur.point)}${growthPart} (${why})`);
  });
}

/** Prunes when the gradient norm stayed below `minNorm` for the last `patience` reports (dead or saturated network). */
export function vanishing(options: VanishingOptions = {}): Pruner {
  const r = new OptionReader('vanishing', options, ['minNorm', 'patience', 'metric']);
  const minNorm = r.num('minNorm', 1e-7, { positive: true });
  const patience = r.int('patience', 2, 1);
  const metric = r.str('metric', 'gradNorm');
  const name = metric === 'gradNorm' ? 'global norm' : metric;
  return diagnostic('vanishing', (cur) => {
    const pts = lastWith(cur.history, patience, [metric]);
    if (!pts || !pts.every((p) => (signal(p, metric) as number) < minNorm)) return CONTINUE;
    const read = (p: IntermediateValue) => signal(p, metric) as number;
    return prune(
      `vanishing gradients: ${name} ${fmt(read(cur.point))} at ${at(cur.point)}, below minNorm ${fmt(minNorm)} for ` +
        `${count(patience, unitOf(cur.point))} (${trail(pts, read)})`,
    );
  });
}

/** Prunes when the loss (default trainLoss) rose by more than `minDelta` in each of the last `epochs` reports. */
export function diverging(options: DivergingOptions = {}): Pruner {
  const r = new OptionReader('diverging', options, ['epochs', 'metric', 'minDelta']);
  const k = r.int('epochs', 3, 1);
  const metric = r.str('metric', 'trainLoss');
  const minDelta = r.num('minDelta', 0, { min: 0 });
  return diagnostic('diverging', (cur) => {
    const pts = lastWith(cur.history, k + 1, [metric]);
    if (!pts) return CONTINUE;
    const read = (p: IntermediateValue) => signal(p, metric) as number;
    for (let i = 1; i < pts.length; i++) if (!(read(pts[i]!) > read(pts[i - 1]!) + minDelta)) return CONTINUE;
    return prune(
      `diverging: ${metric} rose ${count(k, unitOf(cur.point))} in a row to ${fmt(read(cur.point))} at ${at(cur.point)} (${trail(pts, read)})`,
    );
  });
}

/**
 * Prunes when, over the last `epochs` reports, the val loss rose every time while the train loss fell every time, and the
 * gap val - train now exceeds `tolerance` (relative to |train| with `relative`).
 */
export function overfitting(options: OverfittingOptions = {}): Pruner {
  const r = new OptionReader('overfitting', options, ['tolerance', 'epochs', 'relative', 'train', 'val']);
  const tolerance = r.num('tolerance', 0.1, { min: 0 });
  const k = r.int('epochs', 2, 1);
  const relative = r.bool('relative', false);
  const train = r.str('train', 'trainLoss');
  const val = r.str('val', 'valLoss');
  return diagnostic('overfitting', (cur) => {
    const pts = lastWith(cur.history, k + 1, [train, val]);
    if (!pts) return CONTINUE;
    const tr = (p: IntermediateValue) => signal(p, train) as number;
    const va = (p: IntermediateValue) => signal(p, val) as number;
    for (let i = 1; i < pts.length; i++) {
      if (!(va(pts[i]!) > va(pts[i - 1]!)) || !(tr(pts[i]!) < tr(pts[i - 1]!))) return CONTINUE;
    }
    const gap = va(cur.point) - tr(cur.point);
    const measured = relative ? gap / Math.abs(tr(cur.point)) : gap;
    if (!(measured > tolerance)) return CONTINUE;
    const gapText = relative
      ? `relative gap ${fmt(measured)} > tolerance ${fmt(tolerance)}`
      : `gap ${fmt(gap)} > tolerance ${fmt(tolerance)}`;
    return prune(
      `overfitting: ${val} rose ${count(k, unitOf(cur.point))} in a row (${trail(pts, va)}) while ${train} fell ` +
        `(${trail(pts, tr)}); ${gapText} at ${at(cur.point)}`,
    );
  });
}

/**
 * Prunes when none of the last `patience` objective values beat the best value before them by more than `minDelta`, in the
 * study's direction (a NaN value is no improvement). Unlike `patience` (Optuna's), the window is exactly `patience` reports.
 */
export function plateau(options: PlateauOptions = {}): Pruner {
  const r = new OptionReader('plateau', options, ['patience', 'minDelta']);
  const p = r.int('patience', 3, 1);
  const minDelta = r.num('minDelta', 0, { min: 0 });
  return diagnostic('plateau', (cur, req) => {
    if (cur.history.length <= p) return CONTINUE;
    const before = cur.history.slice(0, -p);
    const after = cur.history.slice(-p);
    const best = bestOf(
      req.direction,
      before.map((x) => x.value),
    );
    if (Number.isNaN(best)) return CONTINUE;
    const target = req.direction === 'minimize' ? best - minDelta : best + minDelta;
    if (after.some((x) => better(req.direction, x.value, target))) return CONTINUE;
    const bestPoint = before.find((x) => x.value === best) as IntermediateValue;
    return prune(
      `plateau: no improvement of the objective for ${count(p, unitOf(cur.point))} (${span(after[0]!, cur.point)}: ` +
        `${after.map((x) => fmt(x.value)).join(', ')}; best ${fmt(best)} at ${at(bestPoint)}; ${req.direction}, minDelta ${fmt(minDelta)})`,
    );
  });
}
