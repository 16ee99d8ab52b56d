/**
 * Reading a trial's stored history the same way in every pruner: the intermediate values up to the step being decided,
 * sorted by step, plus number formatting for reasons. Everything here is a pure function of stored records, which is what
 * makes pruner decisions reproducible after a restart.
 */
import type { IntermediateValue, TrialRecord } from '../core/types.js';
import type { PruneDecision, PruneRequest } from './types.js';

/** The shared "go on" answer (frozen: callers never mutate decisions). */
export const CONTINUE: PruneDecision = Object.freeze({ action: 'continue' });

/** A prune decision with its reason. */
export function prune(reason: string): PruneDecision {
  return Object.freeze({ action: 'prune', reason });
}

/**
 * The trial's intermediate values with `step <= upTo`, sorted by step. Steps reported out of order after `upTo` are left out
 * so that a decision replayed later from the stored trial (which then holds more steps) sees exactly what it saw live.
 * Storages keep the first value reported for a step, so steps are unique.
 */
export function historyUpTo(trial: TrialRecord, upTo: number): IntermediateValue[] {
  return trial.intermediate.filter((p) => p.step <= upTo).sort((a, b) => a.step - b.step);
}

/** The history the request is about and its last point (the reported step), or undefined if the step is not stored. */
export function current(req: PruneRequest): { history: IntermediateValue[]; point: IntermediateValue } | undefined {
  const history = historyUpTo(req.trial, req.step);
  const point = history[history.length - 1];
  if (!point || point.step !== req.step) return undefined;
  return { history, point };
}

/** A numeric metric of a point, or undefined when the point has no metrics or not that one. */
export function signal(point: IntermediateValue, name: string): number | undefined {
  const v = point.metrics?.[name];
  return typeof v === 'number' ? v : undefined;
}

/** 'epoch' when the objective reported an `epoch` metric (as `epochSignals` does), else 'step'. */
export function unitOf(point: IntermediateValue): 'epoch' | 'step' {
  return typeof point.metrics?.['epoch'] === 'number' ? 'epoch' : 'step';
}

/** "epoch 3" (from the reported `epoch` metric) or "step 3". */
export function at(point: IntermediateValue): string {
  const epoch = point.metrics?.['epoch'];
  return typeof epoch === 'number' ? `epoch ${epoch}` : `step ${point.step}`;
}

/** "epochs 2-4" / "steps 2-4" for a span of points (or the single label when both ends are the same). */
export function span(first: IntermediateValue, last: IntermediateValue): string {
  const a = at(first);
  const b = at(last);
  if (a === b) return a;
  return `${unitOf(last)}s ${a.split(' ')[1]}-${b.split(' ')[1]}`;
}

/** "1 epoch" / "3 steps". */
export function count(n: number, unit: 'epoch' | 'step'): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/**
 * Short human-readable numbers for reasons: 4 significant digits (0.41, 123, 1.125), exponent form with 3 beyond [1e-3, 1e4)
 * (3.1e4, 1e-7, 1.23e-5), and NaN / Infinity spelled out.
 */
export function fmt(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) {
    const [mantissa, exponent] = x.toExponential(2).split('e') as [string, string];
    return `${Number(mantissa)}e${exponent.replace('+', '')}`;
  }
  return String(Number(x.toPrecision(4)));
}

/** `a -> b -> c` of a metric along points. */
export function trail(points: readonly IntermediateValue[], read: (p: IntermediateValue) => number): string {
  return points.map((p) => fmt(read(p))).join(' -> ');
}

/** Whether `a` is better than `b` in the study's direction (NaN is never better). */
export function better(direction: 'minimize' | 'maximize', a: number, b: number): boolean {
  return direction === 'minimize' ? a < b : a > b;
}

/** The best non-NaN value of a list in the direction (NaN when all are NaN or the list is empty), like numpy's nanmin/nanmax. */
export function bestOf(direction: 'minimize' | 'maximize', values: readonly number[]): number {
  let best = NaN;
  for (const v of values) if (!Number.isNaN(v) && (Number.isNaN(best) || better(direction, v, best))) best = v;
  return best;
}
