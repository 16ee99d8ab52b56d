/**
 * Options of `study.optimize`, checked up front: the loop's options (loop.ts) plus those of the executor that runs the trials
 * (in-process objectives here; the worker pool's in src/pool/executor.ts).
 */
import { OptionsError } from '../core/errors.js';
import { LOOP_KEYS, checkLoopOptions, type LoopOptions } from './loop.js';

export type { Objective, ObjectiveResult, TrialContext } from './in-process.js';
export type { LoopOptions, OptimizeResult, SlotEvent, TrialReportEvent, TrialStartEvent } from './loop.js';
export { countsTowardBudget } from './ledger.js';

/** `study.optimize(objective, options)` for in-process objectives. */
export interface OptimizeOptions extends LoopOptions {
  /** Trials in flight at once (default 1). */
  readonly concurrency?: number;
  /**
   * Which objective errors fail just their trial (default: all, `true`). An error not caught fails its trial, stops the sweep
   * and is rethrown once running trials end.
   */
  readonly catch?: boolean | ((error: unknown) => boolean);
}

/** Largest in-process concurrency (lanes are cheap, but a typo such as 1e9 would allocate them all). */
export const MAX_CONCURRENCY = 10_000;

/** Throws OptionsError naming an unknown key; `extra` are the executor's own option names. */
export function checkKnownKeys(o: object, who: string, extra: readonly string[]): void {
  const known = [...LOOP_KEYS, ...extra];
  for (const k of Object.keys(o))
    if (!known.includes(k)) throw new OptionsError(`${who}: unknown option "${k}"; known options: ${known.join(', ')}`);
}

/** Checks `study.optimize(fn, options)`'s options. */
export function checkOptimizeOptions(o: OptimizeOptions): void {
  if (o === null || typeof o !== 'object') throw new OptionsError('optimize() needs options, e.g. { trials: 100 }');
  checkKnownKeys(o, 'optimize()', ['concurrency', 'catch']);
  checkLoopOptions(o, 'optimize()');
  const c = o.concurrency;
  if (c !== undefined && (typeof c !== 'number' || !Number.isInteger(c) || c < 1 || c > MAX_CONCURRENCY)) {
    throw new OptionsError(`optimize(): \`concurrency\` must be an integer >= 1 and <= ${MAX_CONCURRENCY}, got ${String(c)}`);
  }
}
