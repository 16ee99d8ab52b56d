/**
 * ASHA's stop rule as a pruner (the pruner-style form of the `asha` scheduler; Optuna's SuccessiveHalvingPruner with
 * `min_early_stopping_rate` 0): trials run with the full budget and report as they train; at each rung step r_k = min * eta^k
 * (below max) a trial goes on only if its value there is among the top max(1, floor(n_k / eta)) of the n_k values recorded at
 * rung k so far, its own included. Nothing is stored besides the reports: the rung values are read back from every trial's
 * intermediate values (a trial's value at rung k is its first report at a step >= r_k), so the decision is a pure function of
 * the stored trials. A trial reaching the top rung is never stopped.
 *
 * Compared with promotions (`scheduler: 'asha'`), no checkpoint is needed, but a trial that will be stopped keeps its worker
 * until its next rung step, and early trials are judged against few competitors (the first one always passes).
 */
import type { PruneDecision, PruneRequest, Pruner } from '../../src/pruners/index.js';
import type { TrialRecord } from '../../src/core/types.js';
import type { SearcherOptions } from '../options.js';
import type { SearcherInit } from '../types.js';
import { fidelityOptions, maxRungIndex } from '../multifidelity/common.js';

/** The value of trial `t` at rung step `r`: its first report at a step >= r (undefined if it never got there). */
function valueAt(t: TrialRecord, r: number): number | undefined {
  for (const iv of t.intermediate) if (iv.step >= r) return iv.value;
  return undefined;
}

/** The rung steps below the top: min * eta^k (rounded like the promotion ladder). */
export function stopRungs(min: number, max: number, eta: number): number[] {
  const top = maxRungIndex(max / min, eta);
  // Rungs counted up from min here (Optuna's ladder), not down from max as the promotion schedulers do: a trial reports every
  // step, so the first rung is the smallest budget worth judging.
  const out: number[] = [];
  for (let k = 0; k < top; k++) out.push(Number.isInteger(min) ? Math.round(min * eta ** k) : min * eta ** k);
  return out;
}

/**
 * Builds ASHA's stop rule as a `Pruner` (`{ min, max, eta = 3 }`, min/max default to the study's `budget`); the lead wires it
 * as the pruner of studies created with `scheduler: { type: 'asha', mode: 'stop' }` (see searchers/schedulers/index.ts).
 */
export function ashaStopPruner(init: SearcherInit, options: SearcherOptions): Pruner {
  const f = fidelityOptions('asha', options, init, [], 'scheduler');
  const rungs = stopRungs(f.min, f.max, f.eta);
  return {
    type: 'asha',
    decide(req: PruneRequest): PruneDecision {
      const { trial, step, trials, direction } = req;
      // The rung this report decides: the highest rung step <= step that the trial's earlier reports had not reached.
      const before = trial.intermediate.filter((iv) => iv.step < step);
      const lastBefore = before.length ? Math.max(...before.map((iv) => iv.step)) : -Infinity;
      const k = rungs.findLastIndex((r) => r <= step && r > lastBefore);
      if (k < 0) return { action: 'continue' };
      const r = rungs[k]!;
      const mine = valueAt(trial, r);
      if (mine === undefined || !Number.isFinite(mine)) return { action: 'prune', reason: `asha: no finite value at rung ${k} (step ${r})` };
      const sign = direction === 'minimize' ? 1 : -1;
      const values: number[] = [];
      for (const t of trials) {
        if (t.number === trial.number) continue;
        const v = valueAt(t, r);
        if (v !== undefined && Number.isFinite(v)) values.push(sign * v);
      }
      values.push(sign * mine);
      values.sort((a, b) => a - b);
      const keep = Math.max(1, Math.floor(values.length / f.eta));
      if (sign * mine <= values[keep - 1]!) return { action: 'continue' };
      return { action: 'prune', reason: `asha: not in the top ${keep} of ${values.length} at rung ${k} (step ${r})` };
    },
  };
}
