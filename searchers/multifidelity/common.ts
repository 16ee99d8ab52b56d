/**
 * Pieces shared by the multi-fidelity searchers (`hyperband`, `asha`, `bohb`): budget options, the rung budget ladder, reading
 * rung membership back from stored trials, ranking a rung, and the seeded random configuration.
 *
 * Every decision is a pure function of the stored trials (their `budget` and `system` fields), never of searcher memory, so a
 * resumed study, or another process sharing the study, makes the same promotions as an uninterrupted one.
 */
import seedrandom from 'seedrandom';
import type { SearchSpace } from '../../spaces/types.js';
import { OptionsError } from '../../src/core/errors.js';
import type { Direction, Params, StudyBudget, TrialRecord } from '../../src/core/types.js';
import type { SearcherInit } from '../types.js';
import { checkKnownOptions, type SearcherOptions } from '../options.js';

/** Budget ladder settings every multi-fidelity searcher takes (options `min`, `max`, `eta`). */
export interface FidelityOptions {
  /** Smallest budget handed out (steps, e.g. epochs); >= 1. */
  readonly min: number;
  /** Largest budget: the one the best configurations are finally trained with; >= min. */
  readonly max: number;
  /** Reduction factor: each rung keeps 1/eta of the configurations at eta times the budget; >= 2. Default 3. */
  readonly eta: number;
}

/** Option names the fidelity options use. */
const FIDELITY_KEYS = ['min', 'max', 'eta'] as const;

function numberOption(who: string, options: SearcherOptions, key: string): number | undefined {
  const v = options[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new OptionsError(`option "${key}" of ${who} must be a finite number, got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Rejects option keys other than `min`, `max`, `eta` and the searcher's own `extraKeys`, then reads and checks `min`, `max`
 * (searcher options, falling back to the study's `budget`) and `eta` (default 3). Called by each searcher factory, so a bad
 * spec fails in `createStudy` before anything is stored. `role` 'scheduler' words the errors for a `scheduler` spec.
 */
export function fidelityOptions(
  searcher: string,
  options: SearcherOptions,
  init: SearcherInit,
  extraKeys: readonly string[] = [],
  role: 'searcher' | 'scheduler' = 'searcher',
): FidelityOptions {
  const who = `${role} "${searcher}"`;
  if (role === 'searcher') checkKnownOptions(searcher, options, [...FIDELITY_KEYS, ...extraKeys]);
  else {
    const known = [...FIDELITY_KEYS, ...extraKeys];
    for (const key of Object.keys(options)) {
      if (!known.includes(key)) throw new OptionsError(`unknown option "${key}" for ${who}; known options: ${known.join(', ')}`);
    }
  }
  const studyBudget: StudyBudget | undefined = init.budget;
  const min = numberOption(who, options, 'min') ?? studyBudget?.min;
  const max = numberOption(who, options, 'max') ?? studyBudget?.max;
  const eta = numberOption(who, options, 'eta') ?? 3;
  if (min === undefined || max === undefined) {
    throw new OptionsError(
      `${who} needs budget bounds: pass { type: '${searcher}', min: 1, max: 27 } ` +
        `or createStudy({ budget: { min: 1, max: 27 } }) (steps a trial may run, e.g. epochs); got min=${String(min)}, max=${String(max)}`,
    );
  }
  if (!(min >= 1)) throw new OptionsError(`\`min >= 1\` must hold for ${who} (the smallest budget, in steps), got min=${min}`);
  if (!(max >= min)) throw new OptionsError(`\`max >= min\` must hold for ${who}, got min=${min}, max=${max}`);
  if (!(eta >= 2))
    throw new OptionsError(`\`eta >= 2\` must hold for ${who} (each rung keeps 1/eta of the configurations), got eta=${eta}`);
  return { min, max, eta };
}

/** Largest s with eta^s <= R (the number of halvings that fit between min and max), robust to float error. */
export function maxRungIndex(R: number, eta: number): number {
  let s = 0;
  while (eta ** (s + 1) <= R * (1 + 1e-9)) s++;
  return s;
}

/**
 * Budget of a configuration `k` rungs above the bottom of a ladder of `top + 1` rungs ending at `max`: max / eta^(top - k).
 * Rounded to whole steps when `min` and `max` are integers (the usual epochs case), and never below 1 step then.
 */
export function rungBudget(f: FidelityOptions, top: number, k: number): number {
  const raw = f.max / f.eta ** (top - k);
  if (Number.isInteger(f.min) && Number.isInteger(f.max)) return Math.max(1, Math.round(raw));
  return raw;
}

/** A stored trial as a rung member. */
export interface RungEntry {
  readonly trial: TrialRecord;
  readonly rung: number;
  /** Hyperband/BOHB bracket index (absent for ASHA). */
  readonly bracket?: number;
  /** The trial this one continues (a promotion). */
  readonly continueFrom?: number;
}

/** Running or enqueued (a retry of an interrupted trial): its result is not known yet. */
export function isPending(t: TrialRecord): boolean {
  return t.state === 'running' || t.state === 'waiting';
}

/**
 * The rung members among stored trials: trials whose `system.rung` is a number. Interrupted trials are skipped, because the
 * study always enqueues their retry (same params, budget and `system`) first, and the retry takes their place in the rung.
 * User-enqueued trials carry no rung and are ignored.
 */
export function rungEntries(trials: readonly TrialRecord[]): RungEntry[] {
  const out: RungEntry[] = [];
  for (const t of trials) {
    const rung = t.system['rung'];
    if (typeof rung !== 'number') continue;
    if (t.state === 'failed' && t.reason === 'interrupted') continue;
    const bracket = t.system['bracket'];
    const from = t.system['continueFrom'];
    out.push({
      trial: t,
      rung,
      ...(typeof bracket === 'number' ? { bracket } : {}),
      ...(typeof from === 'number' ? { continueFrom: from } : {}),
    });
  }
  return out;
}

/**
 * Orders finished rung members best first: complete trials by value in the study's direction (ties: lower trial number
 * first, so the order is deterministic), then pruned and failed trials, which never rank above a complete one.
 */
export function rankFinished(entries: readonly RungEntry[], direction: Direction): RungEntry[] {
  const key = (e: RungEntry) => {
    const v = e.trial.value;
    if (e.trial.state !== 'complete' || v === undefined || !Number.isFinite(v)) return Infinity;
    return direction === 'minimize' ? v : -v;
  };
  return entries
    .filter((e) => !isPending(e.trial))
    .map((e) => ({ e, k: key(e) }))
    .sort((a, b) => a.k - b.k || a.e.trial.number - b.e.trial.number)
    .map((x) => x.e);
}

/** True for a finished member that may be promoted: complete with a finite value (failed and pruned ones never are). */
export function promotable(e: RungEntry): boolean {
  return e.trial.state === 'complete' && e.trial.value !== undefined && Number.isFinite(e.trial.value);
}

/** The per-ask random stream: `alea(`${seed}/${type}/${number}`)`, so trial n's draws depend only on the seed and n. */
export function askRng(seed: number, type: string, number: number): seedrandom.PRNG {
  return seedrandom.alea(`${seed}/${type}/${number}`);
}

/** A uniformly random configuration: one draw per unit-cube coordinate, decoded. */
export function randomParams(space: SearchSpace, rng: () => number): Params {
  const x = new Float64Array(space.dims.length);
  for (let i = 0; i < x.length; i++) x[i] = rng();
  return space.decode(x);
}
