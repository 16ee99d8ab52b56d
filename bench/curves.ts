/**
 * Learning-curve families for the multi-fidelity benches (bench/multifidelity.ts, bench/schedulers.ts), in TypeScript and,
 * identically, in Python (`PY_CURVES`, for the Optuna anchor bench/anchors/optuna_hyperband.py). Configurations are points of
 * a 5-d unit cube (lr, a, b, c, d); each seed hides an optimum c and per-coordinate weights w (a tiny LCG: no Math.random, and
 * bit-identical in Python); the final loss is y* + sum_i w_i (u_i - c_i)^2.
 *
 * - `sqrt` (bench/multifidelity.ts's simulator): loss after t steps = final + (1 - 0.8 lr) / sqrt(t): fast learners look
 *   better early whatever their final loss, so low budgets rank configurations only roughly.
 * - `exp` (LCBench-like saturating exponential): loss(t) = final + (1 + 0.5 (1 - b)) exp(-t / tau), tau = 1 + 14 (1 - lr)^2:
 *   slow learners (low lr) stay far from their plateau for most of the budget, and the start level depends on b, so curves
 *   cross and low-budget rankings mislead more than in `sqrt`.
 */
import type { Params } from '../src/core/types.js';

export const Y_STAR = 0.05;
export const CURVE_KEYS = ['lr', 'a', 'b', 'c', 'd'] as const;
export type CurveFamily = 'sqrt' | 'exp';
export const FAMILIES: readonly CurveFamily[] = ['sqrt', 'exp'];

export interface CurveProblem {
  /** The loss after full training (what regret is measured on). */
  final(p: Params): number;
  /** The loss after t steps. */
  at(p: Params, t: number): number;
}

/** One synthetic problem of a family, hidden optimum and weights drawn from the problem seed. */
export function curveProblem(family: CurveFamily, seed: number): CurveProblem {
  let s = (seed * 2654435761) >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const c = CURVE_KEYS.map(() => 0.15 + 0.7 * rnd());
  const w = CURVE_KEYS.map(() => 0.2 + rnd());
  const final = (p: Params) => Y_STAR + CURVE_KEYS.reduce((acc, k, i) => acc + w[i]! * ((p[k] as number) - c[i]!) ** 2, 0);
  if (family === 'sqrt') return { final, at: (p, t) => final(p) + (1 - 0.8 * (p['lr'] as number)) / Math.sqrt(t) };
  return {
    final,
    at: (p, t) => final(p) + (1 + 0.5 * (1 - (p['b'] as number))) * Math.exp(-t / (1 + 14 * (1 - (p['lr'] as number)) ** 2)),
  };
}

/** The same families in Python (used by bench/anchors/optuna_hyperband.py through its stdin request). */
export const PY_CURVES = String.raw`
import math
Y_STAR = 0.05
KEYS = ['lr', 'a', 'b', 'c', 'd']
def curve_problem(family, seed):
    s = (seed * 2654435761) & 0xFFFFFFFF
    def rnd():
        nonlocal s
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        return s / 2**32
    c = [0.15 + 0.7 * rnd() for _ in KEYS]
    w = [0.2 + rnd() for _ in KEYS]
    def final(p):
        return Y_STAR + sum(w[i] * (p[k] - c[i]) ** 2 for i, k in enumerate(KEYS))
    if family == 'sqrt':
        return final, lambda p, t: final(p) + (1 - 0.8 * p['lr']) / math.sqrt(t)
    return final, lambda p, t: final(p) + (1 + 0.5 * (1 - p['b'])) * math.exp(-t / (1 + 14 * (1 - p['lr']) ** 2))
`;
