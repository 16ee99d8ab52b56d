/**
 * NSGA-II variation in the unit cube of the search space: crossover of two parent rows (simulated binary crossover, or
 * uniform swapping as Optuna's default) and mutation (polynomial, or a uniform redraw as Optuna's), both bounded to [0, 1].
 * A one-hot block (one categorical choice) moves as a whole: crossover takes it from either parent, mutation redraws the
 * category. Inactive coordinates (NaN: a branch the parent did not take) come from the other parent, else a uniform draw, so
 * a child is always a full row `decode` can read.
 */
import type { CubeDim } from '../../spaces/types.js';

/** How children are made; resolved options of the `nsga2` searcher. */
export interface VariationOptions {
  readonly crossover: 'sbx' | 'uniform';
  /** Probability that a child is a crossover of two parents (else a copy of the first). */
  readonly crossoverProb: number;
  /** Uniform crossover: probability of taking each variable from the second parent. SBX: of recombining each variable. */
  readonly swappingProb: number;
  /** SBX distribution index (larger keeps children closer to their parents). */
  readonly crossoverEta: number;
  readonly mutation: 'polynomial' | 'uniform';
  /** Per-variable mutation probability (a one-hot block counts as one variable). */
  readonly mutationProb: number;
  /** Polynomial-mutation distribution index. */
  readonly mutationEta: number;
}

/** A variable: one numeric coordinate, or a one-hot block (start, size). */
export interface Variable {
  readonly start: number;
  readonly size: number;
  readonly categorical: boolean;
}

/** The space's variables, from its cube dims. */
export function variables(dims: readonly CubeDim[]): Variable[] {
  const out: Variable[] = [];
  for (let j = 0; j < dims.length; j++) {
    const d = dims[j]!;
    if (d.type === 'onehot') {
      if (d.group === j) out.push({ start: j, size: d.levels, categorical: true });
    } else out.push({ start: j, size: 1, categorical: false });
  }
  return out;
}

/** Deb's bounded SBX on [0, 1]: one child value from parent values a and b. */
export function sbx(a: number, b: number, eta: number, rng: () => number): number {
  if (Math.abs(a - b) < 1e-14) return a;
  const y1 = Math.min(a, b);
  const y2 = Math.max(a, b);
  const u = rng();
  const spread = (beta: number): number => {
    const alpha = 2 - beta ** -(eta + 1);
    return u <= 1 / alpha ? (u * alpha) ** (1 / (eta + 1)) : (1 / (2 - u * alpha)) ** (1 / (eta + 1));
  };
  const c1 = 0.5 * (y1 + y2 - spread(1 + (2 * y1) / (y2 - y1)) * (y2 - y1));
  const c2 = 0.5 * (y1 + y2 + spread(1 + (2 * (1 - y2)) / (y2 - y1)) * (y2 - y1));
  const c = rng() < 0.5 ? c1 : c2;
  return Math.min(1, Math.max(0, c));
}

/** Deb's bounded polynomial mutation on [0, 1]. */
export function polynomialMutation(y: number, eta: number, rng: () => number): number {
  const u = rng();
  const pow = 1 / (eta + 1);
  let dq: number;
  if (u < 0.5) {
    const v = 2 * u + (1 - 2 * u) * (1 - y) ** (eta + 1);
    dq = v ** pow - 1;
  } else {
    const v = 2 * (1 - u) + 2 * (u - 0.5) * y ** (eta + 1);
    dq = 1 - v ** pow;
  }
  return Math.min(1, Math.max(0, y + dq));
}

function setCategory(out: Float64Array, v: Variable, k: number): void {
  for (let t = 0; t < v.size; t++) out[v.start + t] = t === k ? 1 : 0;
}

/** Writes one child of parents p and q into `out` (same length). Consumes the rng in a fixed order per variable. */
export function makeChild(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  vars: readonly Variable[],
  o: VariationOptions,
  rng: () => number,
  out: Float64Array,
): void {
  const cross = rng() < o.crossoverProb;
  for (const v of vars) {
    const pa = !Number.isNaN(p[v.start]!);
    const qa = !Number.isNaN(q[v.start]!);
    // Which parent the variable comes from when it is not blended (a NaN parent defers to the other).
    let fromQ = cross && rng() < o.swappingProb;
    if (!pa) fromQ = true;
    if (!qa) fromQ = false;
    const src = fromQ ? q : p;
    if (v.categorical) {
      if (!pa && !qa) setCategory(out, v, Math.floor(rng() * v.size));
      else for (let t = 0; t < v.size; t++) out[v.start + t] = src[v.start + t]!;
    } else {
      const j = v.start;
      if (!pa && !qa) out[j] = rng();
      else if (cross && o.crossover === 'sbx' && pa && qa && rng() < o.swappingProb) out[j] = sbx(p[j]!, q[j]!, o.crossoverEta, rng);
      else out[j] = src[j]!;
    }
    if (rng() < o.mutationProb) {
      if (v.categorical) setCategory(out, v, Math.floor(rng() * v.size));
      else out[v.start] = o.mutation === 'polynomial' ? polynomialMutation(out[v.start]!, o.mutationEta, rng) : rng();
    }
  }
}
