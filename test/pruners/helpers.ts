/**
 * Fake stored trials for pruner tests (like `fakeTrial` in test/searchers/contract.ts, with intermediate values) and a replay
 * that feeds a scripted curve to a pruner one report at a time, as the study does.
 */
import type { Direction, IntermediateValue, Metrics, TrialRecord } from '../../src/core/types.js';
import type { Pruner, PruneDecision } from '../../src/pruners/index.js';

/** One report: the objective value, or a metrics object (its objective is `metric`, default valLoss). */
export type Report = number | Metrics;

function point(step: number, r: Report, metric: string): IntermediateValue {
  return typeof r === 'number' ? { step, value: r } : { step, value: r[metric] ?? NaN, metrics: r };
}

let clock = 0;
/** A stored-looking trial whose reports are steps 0, 1, 2... (or `steps`). Complete trials get their last value. */
export function trialWith(
  number: number,
  reports: readonly Report[],
  opts: { state?: TrialRecord['state']; steps?: readonly number[]; metric?: string } = {},
): TrialRecord {
  const state = opts.state ?? 'complete';
  const metric = opts.metric ?? 'valLoss';
  const intermediate = reports.map((r, i) => point(opts.steps?.[i] ?? i, r, metric));
  const ts = new Date(Date.UTC(2026, 0, 1) + clock++).toISOString();
  const last = intermediate[intermediate.length - 1]?.value;
  return {
    number,
    state,
    params: { x: number },
    intermediate,
    userAttrs: {},
    system: {},
    created: ts,
    ...(state === 'complete' && last !== undefined ? { value: last } : {}),
  };
}

/** `n` completed trials with the given curves (numbers 0..n-1). */
export function completed(curves: readonly (readonly Report[])[]): TrialRecord[] {
  return curves.map((c, i) => trialWith(i, c));
}

/**
 * Feeds `reports` to `pruner` one at a time as a running trial numbered after `others`, stopping at the first prune (as the
 * study does). Returns every decision made, so `.length` is the number of reports the trial got to make.
 */
export async function replay(
  pruner: Pruner,
  reports: readonly Report[],
  opts: { others?: readonly TrialRecord[]; direction?: Direction; steps?: readonly number[]; metric?: string } = {},
): Promise<PruneDecision[]> {
  const others = opts.others ?? [];
  const out: PruneDecision[] = [];
  for (let i = 0; i < reports.length; i++) {
    const trial = trialWith(others.length, reports.slice(0, i + 1), {
      state: 'running',
      ...(opts.steps ? { steps: opts.steps } : {}),
      ...(opts.metric ? { metric: opts.metric } : {}),
    });
    const step = trial.intermediate[i]!.step;
    const r = reports[i]!;
    const d = await pruner.decide({
      trial,
      step,
      trials: [...others, trial],
      direction: opts.direction ?? 'minimize',
      ...(typeof r === 'number' ? {} : { metrics: r }),
    });
    out.push(d);
    if (d.action === 'prune') break;
  }
  return out;
}

/** The reason of the last decision if it pruned, else undefined. */
export function prunedWith(decisions: readonly PruneDecision[]): string | undefined {
  const last = decisions[decisions.length - 1];
  return last?.action === 'prune' ? last.reason : undefined;
}

/** Per-epoch signals as `epochSignals` names them; `over` replaces fields. */
export function sig(epoch: number, over: Partial<Metrics> = {}): Metrics {
  const base: Metrics = { epoch, trainLoss: 1 / epoch, valLoss: 1.1 / epoch, gradNorm: 2, gradNormMean: 1, nonFinite: 0, valAccuracy: 0.5 };
  for (const [k, v] of Object.entries(over)) if (v !== undefined) base[k] = v;
  return base;
}
