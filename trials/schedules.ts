/**
 * Learning-rate schedules, stepped per batch. The training loop builds one per trial with `makeSchedule`, calls
 * `lrAt(globalBatchIndex)` before every optimiser step (passing the value to `TrainOptimizer.setLearningRate`) and
 * `onEpochEnd(valLoss)` after every epoch (only `plateau` uses it; the others ignore it).
 *
 * Every schedule but `one_cycle` takes an optional linear warm-up (PyTorch-style): for step < warmupSteps the lr is
 * `lr0 * (step + 1) / warmupSteps`, where lr0 is what the schedule would give at its own step 0 (baseLr, or the current plateau
 * lr); from step = warmupSteps on, the schedule runs on its own clock `t = step - warmupSteps`, so it starts at lr0.
 * `one_cycle` rejects `warmupSteps`: its first phase already is a warm-up.
 */
import { OptionsError } from '../src/core/errors.js';
import { show } from './show.js';
import type { Schedule, ScheduleConfig } from './types.js';

/** Every schedule `type` `makeSchedule` accepts. */
export const SCHEDULE_TYPES = ['constant', 'step', 'exponential', 'cosine', 'plateau', 'one_cycle'] as const;

/** What a schedule needs to know about the run; `epochs * stepsPerEpoch` is the total number of batches. */
export interface ScheduleContext {
  /** The optimiser's configured lr (`optimizer.lr`). */
  readonly baseLr: number;
  /** Batches per epoch (ceil(nTrain / batchSize)). */
  readonly stepsPerEpoch: number;
  readonly epochs: number;
}

const FIELDS: Record<string, readonly string[]> = {
  constant: ['warmupSteps'],
  step: ['stepSize', 'gamma', 'warmupSteps'],
  exponential: ['gamma', 'warmupSteps'],
  cosine: ['minLr', 'warmupSteps'],
  plateau: ['factor', 'patience', 'minLr', 'warmupSteps'],
  one_cycle: ['maxLr', 'pctStart', 'divFactor', 'finalDivFactor'],
};

/** Relative improvement a monitored value must make to count (PyTorch ReduceLROnPlateau's default threshold, 'rel' mode). */
const PLATEAU_THRESHOLD = 1e-4;

/**
 * Builds the schedule for one trial; `undefined` means a constant lr. Throws `OptionsError` naming the field (e.g.
 * `schedule.gamma`) for an unknown type/field or an out-of-range value, and for a bad `ctx`.
 *
 * Formulas (t = step - warmupSteps, T = epochs * stepsPerEpoch, lr = baseLr):
 * - constant: lr.
 * - step: lr * gamma^floor(t / stepSize).
 * - exponential: lr * gamma^(t / stepsPerEpoch) (gamma per epoch, changing smoothly every batch).
 * - cosine: minLr + (lr - minLr) * (1 + cos(pi * t / (T - warmupSteps))) / 2, held at minLr from then on.
 * - plateau: the current lr, which `onEpochEnd(v)` multiplies by `factor` (floored at minLr, default 0) once more than `patience`
 *   consecutive epochs failed to improve on the best value by a relative 1e-4 (PyTorch semantics: patience 0 reduces at the
 *   first non-improving epoch, patience 2 at the third); after a reduction the count restarts. NaN counts as no improvement.
 * - one_cycle (PyTorch OneCycleLR, cosine annealing, two phases): starts at maxLr / divFactor, rises to maxLr (default lr) at
 *   step pctStart * T - 1 (the pctStart*T-th batch), then anneals to (maxLr / divFactor) / finalDivFactor at step T - 1, and
 *   stays there.
 */
export function makeSchedule(config: ScheduleConfig | undefined, ctx: ScheduleContext): Schedule {
  checkCtx(ctx);
  const cfg = checkConfig(config ?? { type: 'constant' }, ctx.baseLr);
  const base = ctx.baseLr;
  const total = ctx.epochs * ctx.stepsPerEpoch;
  const warmup = (cfg.warmupSteps as number | undefined) ?? 0;
  let inner: (t: number) => number;
  let onEpochEnd: (v: number) => void = () => {};

  switch (cfg.type) {
    case 'constant':
      inner = () => base;
      break;
    case 'step': {
      const { stepSize, gamma } = cfg as { stepSize: number; gamma: number };
      inner = (t) => base * gamma ** Math.floor(t / stepSize);
      break;
    }
    case 'exponential': {
      const gamma = cfg.gamma as number;
      inner = (t) => base * gamma ** (t / ctx.stepsPerEpoch);
      break;
    }
    case 'cosine': {
      const minLr = (cfg.minLr as number | undefined) ?? 0;
      const span = total - warmup;
      // span <= 0: the whole run is warm-up; hold baseLr rather than divide by zero.
      inner = (t) => (span <= 0 ? base : t >= span ? minLr : minLr + ((base - minLr) * (1 + Math.cos((Math.PI * t) / span))) / 2);
      break;
    }
    case 'plateau': {
      const { factor, patience } = cfg as { factor: number; patience: number };
      const minLr = (cfg.minLr as number | undefined) ?? 0;
      let current = base;
      let best = Infinity;
      let bad = 0;
      inner = () => current;
      onEpochEnd = (v) => {
        // |best| so the relative threshold also works for negative monitored values (PyTorch's best * (1 - eps) does not).
        if (Number.isFinite(v) && (best === Infinity || v < best - PLATEAU_THRESHOLD * Math.abs(best))) {
          best = v;
          bad = 0;
          return;
        }
        bad += 1;
        if (bad > patience) {
          current = Math.max(current * factor, minLr);
          bad = 0;
        }
      };
      break;
    }
    default: {
      const maxLr = (cfg.maxLr as number | undefined) ?? base;
      const pctStart = (cfg.pctStart as number | undefined) ?? 0.3;
      const initial = maxLr / ((cfg.divFactor as number | undefined) ?? 25);
      const final = initial / ((cfg.finalDivFactor as number | undefined) ?? 1e4);
      const peakStep = pctStart * total - 1;
      const lastStep = total - 1;
      const anneal = (from: number, to: number, pct: number): number =>
        to + ((from - to) / 2) * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, pct))));
      inner = (t) => {
        if (t <= peakStep) return anneal(initial, maxLr, peakStep <= 0 ? 1 : t / peakStep);
        const len = lastStep - peakStep;
        return anneal(maxLr, final, len <= 0 ? 1 : (t - peakStep) / len);
      };
    }
  }

  return {
    lrAt(step: number): number {
      if (!Number.isInteger(step) || step < 0) {
        throw new OptionsError(`schedule.lrAt(step) needs the global batch index, an integer >= 0; got ${String(step)}`);
      }
      return step < warmup ? (inner(0) * (step + 1)) / warmup : inner(step - warmup);
    },
    onEpochEnd(monitored: number): void {
      onEpochEnd(monitored);
    },
  };
}

function checkCtx(ctx: ScheduleContext): void {
  const bad = (field: string, want: string, got: unknown): never => {
    throw new OptionsError(`makeSchedule ctx.${field} must be ${want}, got ${String(got)}`);
  };
  if (typeof ctx.baseLr !== 'number' || !Number.isFinite(ctx.baseLr) || ctx.baseLr <= 0)
    bad('baseLr', 'a finite number > 0 (optimizer.lr)', ctx.baseLr);
  if (!Number.isInteger(ctx.stepsPerEpoch) || ctx.stepsPerEpoch < 1) bad('stepsPerEpoch', 'an integer >= 1', ctx.stepsPerEpoch);
  if (!Number.isInteger(ctx.epochs) || ctx.epochs < 1) bad('epochs', 'an integer >= 1', ctx.epochs);
}

/** Validates type, field names and ranges; returns the config as a record. */
function checkConfig(config: unknown, baseLr: number): Record<string, unknown> {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new OptionsError(`schedule must be an object such as { type: 'cosine' } (or absent for a constant lr), got ${show(config)}`);
  }
  const cfg = config as Record<string, unknown>;
  const type = cfg.type;
  if (typeof type !== 'string' || !(type in FIELDS)) {
    throw new OptionsError(`schedule.type must be one of ${SCHEDULE_TYPES.join(', ')}; got ${show(type)}`);
  }
  for (const key of Object.keys(cfg)) {
    if (key === 'type' || FIELDS[type]!.includes(key)) continue;
    if (key === 'warmupSteps') {
      throw new OptionsError(
        `schedule.warmupSteps is not allowed with one_cycle, whose first phase is the warm-up; tune schedule.pctStart instead`,
      );
    }
    throw new OptionsError(`schedule.${key} is not a field of "${type}"; it takes: ${FIELDS[type]!.join(', ')}`);
  }
  const opt = (field: string, ok: (x: number) => boolean, want: string): void => {
    if (cfg[field] !== undefined) req(field, ok, want);
  };
  const req = (field: string, ok: (x: number) => boolean, want: string): void => {
    const v = cfg[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v))
      throw new OptionsError(`schedule.${field} must be ${want} for "${type}", got ${show(v)}`);
  };
  opt('warmupSteps', (x) => Number.isInteger(x) && x >= 0, 'an integer >= 0 (batches)');
  const minLrOk = (x: number): boolean => x >= 0 && x <= baseLr;
  switch (type) {
    case 'step':
      req('stepSize', (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1 (batches)');
      req('gamma', (x) => x > 0 && x <= 1, 'in (0, 1]');
      break;
    case 'exponential':
      req('gamma', (x) => x > 0 && x <= 1, 'in (0, 1] (the factor per epoch)');
      break;
    case 'cosine':
      opt('minLr', minLrOk, `in [0, baseLr = ${baseLr}]`);
      break;
    case 'plateau':
      req('factor', (x) => x > 0 && x < 1, 'in (0, 1)');
      req('patience', (x) => Number.isInteger(x) && x >= 0, 'an integer >= 0 (epochs)');
      opt('minLr', minLrOk, `in [0, baseLr = ${baseLr}]`);
      break;
    case 'one_cycle':
      opt('maxLr', (x) => x > 0, '> 0');
      opt('pctStart', (x) => x > 0 && x < 1, 'in (0, 1)');
      opt('divFactor', (x) => x >= 1, '>= 1 (initial lr = maxLr / divFactor)');
      opt('finalDivFactor', (x) => x >= 1, '>= 1 (final lr = initial lr / finalDivFactor)');
      break;
  }
  return cfg;
}
