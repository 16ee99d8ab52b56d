/**
 * Stop rules as pruners: the pruner-style forms of the `asha` and `hyperband` schedulers (`mode: 'stop'`). Trials run with
 * the full budget and report as they train; at each rung step a trial goes on only if its value there is among the top
 * max(1, floor(n / eta)) of the n values recorded at that rung so far, its own included (Optuna's SuccessiveHalvingPruner).
 * Nothing is stored besides the reports: rung values are read back from every trial's intermediate values (a trial's value
 * at a rung is its first report at a step >= the rung step), so a decision is a pure function of the stored trials. A trial
 * past the last rung below max is never stopped.
 *
 * - asha: rungs at min * eta^k below max, every trial competing with every other (Optuna's `min_early_stopping_rate` 0).
 * - hyperband: trial n belongs to bracket s = 0..s_max, drawn by its number in proportion to the bracket's configuration
 *   count in Hyperband's table (a pure function of n); bracket s has rungs at max / eta^s * eta^i (i < s) and its trials
 *   compete only with each other, so s = 0 never stops and s = s_max stops as aggressively as asha (Optuna's
 *   HyperbandPruner, which draws brackets by hashing the study name and trial number).
 *
 * Compared with promotions, no checkpoint is needed, but a trial that will be stopped keeps its worker until its next rung
 * step, and early trials are judged against few competitors (the first one always passes).
 */
import type { PruneDecision, PruneRequest, Pruner } from '../../src/pruners/index.js';
import type { TrialRecord } from '../../src/core/types.js';
import type { SearcherOptions } from '../options.js';
import type { SearcherInit } from '../types.js';
import { fidelityOptions, maxRungIndex, type FidelityOptions } from '../multifidelity/common.js';
import { hyperbandBrackets } from '../multifidelity/hyperband.js';

/** The value of trial `t` at rung step `r`: its first report at a step >= r (undefined if it never got there). */
function valueAt(t: TrialRecord, r: number): number | undefined {
  for (const iv of t.intermediate) if (iv.step >= r) return iv.value;
  return undefined;
}

const whole = (f: FidelityOptions, v: number) => (Number.isInteger(f.min) && Number.isInteger(f.max) ? Math.max(1, Math.round(v)) : v);

/** The rung steps below the top: min * eta^k (rounded to whole steps when min and max are integers). */
export function stopRungs(min: number, max: number, eta: number): number[] {
  const top = maxRungIndex(max / min, eta);
  const out: number[] = [];
  for (let k = 0; k < top; k++) out.push(Number.isInteger(min) && Number.isInteger(max) ? Math.round(min * eta ** k) : min * eta ** k);
  return out;
}

/**
 * The successive-halving decision for one report, given the rung steps and which trials compete (`peer`). Exported for the
 * two pruners and tests.
 */
export function stopDecision(
  req: PruneRequest,
  rungs: readonly number[],
  eta: number,
  peer: (t: TrialRecord) => boolean,
  type: string,
): PruneDecision {
  const { trial, step, trials, direction } = req;
  // The rung this report decides: the highest rung step <= step that the trial's earlier reports had not reached.
  let lastBefore = -Infinity;
  for (const iv of trial.intermediate) if (iv.step < step) lastBefore = Math.max(lastBefore, iv.step);
  const k = rungs.findLastIndex((r) => r <= step && r > lastBefore);
  if (k < 0) return { action: 'continue' };
  const r = rungs[k]!;
  const mine = valueAt(trial, r);
  if (mine === undefined || !Number.isFinite(mine)) return { action: 'prune', reason: `${type}: no finite value at rung ${k} (step ${r})` };
  const sign = direction === 'minimize' ? 1 : -1;
  const values: number[] = [sign * mine];
  for (const t of trials) {
    if (t.number === trial.number || !peer(t)) continue;
    const v = valueAt(t, r);
    if (v !== undefined && Number.isFinite(v)) values.push(sign * v);
  }
  values.sort((a, b) => a - b);
  const keep = Math.max(1, Math.floor(values.length / eta));
  if (sign * mine <= values[keep - 1]!) return { action: 'continue' };
  return { action: 'prune', reason: `${type}: not in the top ${keep} of ${values.length} at rung ${k} (step ${r})` };
}

/** ASHA's stop rule as a `Pruner` (`{ min, max, eta = 3 }`, min/max default to the study's `budget`). */
export function ashaStopPruner(init: SearcherInit, options: SearcherOptions): Pruner {
  const f = fidelityOptions('asha', options, init, [], 'scheduler');
  const rungs = stopRungs(f.min, f.max, f.eta);
  return { type: 'asha', decide: (req) => stopDecision(req, rungs, f.eta, () => true, 'asha') };
}

/** The Hyperband bracket (its number of halvings s) of trial `number` under a bracket table; see the module comment. */
export function stopBracket(number: number, weights: readonly { s: number; n: number }[]): number {
  const total = weights.reduce((a, w) => a + w.n, 0);
  // Spread consecutive numbers over the brackets (a multiplicative hash), so any stretch of trials samples all of them.
  let x = (Math.imul(number + 1, 2654435761) >>> 0) % total;
  for (const w of weights) {
    if (x < w.n) return w.s;
    x -= w.n;
  }
  return weights[weights.length - 1]!.s;
}

/** Hyperband's stop rule as a `Pruner` (`{ min, max, eta = 3 }`, min/max default to the study's `budget`). */
export function hyperbandStopPruner(init: SearcherInit, options: SearcherOptions): Pruner {
  const f = fidelityOptions('hyperband', options, init, [], 'scheduler');
  const weights = hyperbandBrackets(f.max / f.min, f.eta).map((b) => ({ s: b.s, n: b.rungs[0]!.n }));
  const rungsOf = new Map(weights.map(({ s }) => [s, Array.from({ length: s }, (_, i) => whole(f, (f.max / f.eta ** s) * f.eta ** i))]));
  return {
    type: 'hyperband',
    decide(req) {
      const s = stopBracket(req.trial.number, weights);
      return stopDecision(req, rungsOf.get(s)!, f.eta, (t) => stopBracket(t.number, weights) === s, 'hyperband');
    },
  };
}
