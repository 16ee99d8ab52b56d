/**
 * Reproducible parallel search (`createStudy({ deterministic: true })`). With c trials in flight, which results a searcher sees
 * when it proposes trial k normally depends on which trials happened to finish first. The fixed rule here removes that:
 *
 *   trial k sees the results of trials 0 .. k-c-1 (all of them, waiting for any still running), and treats trials
 *   k-c .. k-1 as pending (running, no result), whatever their real state.
 *
 * So the params, budget and continue-from of trial k depend only on the seed and on the results of trials < k - c, and a rerun
 * with the same seed and concurrency proposes the same trials however the objective's timing jitters. Pruners see the same
 * history (finished trials < k - c) when they judge trial k. The cost: a lane whose next trial needs a result still running
 * waits for it (idle), measured in bench/deterministic.ts.
 */
import type { TrialRecord } from '../core/types.js';

const FINISHED = new Set(['complete', 'pruned', 'failed']);

/**
 * The history trial `k` may learn from with `lag` trials in flight, or 'wait' while a trial it must see (number < k - lag)
 * is still running.
 */
export function visibleHistory(trials: readonly TrialRecord[], k: number, lag: number): readonly TrialRecord[] | 'wait' {
  const cut = k - lag;
  const out: TrialRecord[] = [];
  for (const t of trials) {
    if (t.number >= k) continue;
    if (t.number < cut) {
      if (t.state === 'running') return 'wait';
      out.push(t);
    } else {
      out.push(pending(t));
    }
  }
  return out;
}

/** A trial as a searcher sees one still in flight: running, params and budget only. */
function pending(t: TrialRecord): TrialRecord {
  if (t.state === 'running') return t.intermediate.length === 0 ? t : { ...t, intermediate: [] };
  const { value: _v, values: _vs, metrics: _m, reason: _r, error: _e, finished: _f, constraints: _c, ...rest } = t;
  return { ...rest, state: FINISHED.has(t.state) ? 'running' : t.state, intermediate: [] };
}

/** The trials a pruner may compare trial `number` with under the rule: finished ones before number - lag, and itself. */
export function visibleToPruner(trials: readonly TrialRecord[], number: number, lag: number): readonly TrialRecord[] {
  return trials.filter((t) => t.number === number || (t.number < number - lag && FINISHED.has(t.state)));
}
