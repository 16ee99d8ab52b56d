/**
 * The TPE acquisition step shared by the single- and multi-objective searchers (index.ts, multi.ts): fit l and g on one unit of
 * coordinates, draw candidates from l, keep the one with the best log l - log g.
 */
import type { CubeDim } from '../../spaces/types.js';
import { fitParzen } from './parzen.js';
import { rampWeights } from './history.js';

/** The TPE options the acquisition step reads (a part of index.ts's TpeOptions; declared here so index.ts can import this file). */
export interface ChoiceOptions {
  readonly candidates: number;
  readonly incumbentCandidates: number;
  readonly multivariate: boolean;
  readonly priorWeight: number;
  readonly considerEndpoints: boolean;
  readonly weights: 'ramp' | 'uniform';
  readonly bandwidthFactor: number;
}

/** Where a choice is written: the unit's coordinates of `point` (scratch candidate `cand`, both of the space's dimension). */
export interface ChoiceBuffers {
  readonly dims: readonly CubeDim[];
  readonly point: Float64Array;
  readonly cand: Float64Array;
}

/**
 * Fits l (on `good`, weighted by `goodWeights`) and g (on `bad`, ramp-weighted when `o.weights` says so) on `unit`'s
 * coordinates, draws `o.candidates` from l plus `o.incumbentCandidates` from the kernel of good row `anchor` (unless it is
 * -1), and writes the best one into `buf.point`.
 */
export function chooseUnit(
  o: ChoiceOptions,
  buf: ChoiceBuffers,
  unit: readonly number[],
  good: Float64Array[],
  bad: Float64Array[],
  goodWeights: Float64Array | undefined,
  rng: () => number,
  anchor: number,
): void {
  const common = {
    coords: unit,
    priorWeight: o.priorWeight,
    bandwidth: o.multivariate ? ('scott' as const) : ('neighbors' as const),
    bandwidthFactor: o.bandwidthFactor,
    considerEndpoints: o.considerEndpoints,
    normalize: false, // peak-scaled kernels in the acquisition, as Optuna 3.1: see ParzenOptions.normalize
  };
  const l = fitParzen(good, buf.dims, { ...common, ...(goodWeights ? { weights: goodWeights } : {}) });
  const g = fitParzen(bad, buf.dims, { ...common, ...(o.weights === 'ramp' ? { weights: rampWeights(bad.length) } : {}) });
  let best = -Infinity;
  const total = o.candidates + (anchor >= 0 ? o.incumbentCandidates : 0);
  for (let c = 0; c < total; c++) {
    l.sample(rng, buf.cand, c < o.candidates ? undefined : anchor);
    const score = l.logpdf(buf.cand) - g.logpdf(buf.cand);
    // The first candidate is always taken, so a NaN or -Infinity score everywhere still yields a point.
    if (c === 0 || score > best) {
      best = score;
      for (const j of unit) buf.point[j] = buf.cand[j]!;
    }
  }
}

/** Splits a group into single parameters (one numeric coordinate, or one whole one-hot block) for univariate TPE. */
export function unitsOf(group: readonly number[], dims: readonly CubeDim[]): number[][] {
  const out: number[][] = [];
  for (const j of group) {
    const d = dims[j]!;
    if (d.type === 'onehot' && d.group !== j) out[out.length - 1]!.push(j);
    else out.push([j]);
  }
  return out;
}
