/**
 * Acquisition maximisation over a mixed unit-cube space for the GP searcher: seeded candidates (scrambled Sobol points plus
 * multi-scale perturbations of the best observations), each snapped to what the space can actually produce, scored in one
 * batch, and the best few refined locally (projected gradient ascent in the continuous coordinates, then a coordinate search
 * over neighbouring ordinal levels and other one-hot categories).
 *
 * Snapping ("canonical" points): a raw point x is replaced by encode(decode(x)) with inactive (NaN) coordinates imputed by
 * {@link INACTIVE}, so the model scores exactly the parameters that will be suggested: ints and steps sit on their level
 * centres, one-hot blocks are valid (exactly one 1), and coordinates of untaken branches carry the same constant as in the
 * training data. Continuous coordinates keep their raw value (decode/encode only round them to 12 significant digits).
 */
import type { SearchSpace } from '../../spaces/types.js';
import type { Acquisition } from './acquisition.js';
import type { GpPosterior } from './fit.js';
import { minimizeBox } from './optimize.js';
import { SOBOL_MAX_DIM, SobolSequence } from '../sobol/index.js';

/**
 * Value the model sees on inactive coordinates (parameters of a branch the point did not take). A fixed mid-cube constant:
 * points of the same branch compare as usual on their active coordinates, and points of different branches differ in the
 * branch's one-hot block (distance >= sqrt 2 there), which keeps the branches apart without a dedicated kernel.
 */
export const INACTIVE = 0.5;

/** What the candidate search needs to know about the cube's coordinates, derived once from `space.dims`. */
export interface CubeLayout {
  readonly d: number;
  /** Indices of `continuous` coordinates (active or not, depending on the point). */
  readonly continuous: readonly number[];
  /** `ordinal` coordinates and their level counts. */
  readonly ordinal: readonly { readonly index: number; readonly levels: number }[];
  /** One-hot blocks: first coordinate and size. */
  readonly groups: readonly { readonly start: number; readonly size: number }[];
  /** True when every coordinate is continuous (no snapping needed: the cube is the space). */
  readonly allContinuous: boolean;
}

/** Builds the layout of a compiled space. Called once per searcher. */
export function cubeLayout(space: SearchSpace): CubeLayout {
  const continuous: number[] = [];
  const ordinal: { index: number; levels: number }[] = [];
  const groups: { start: number; size: number }[] = [];
  space.dims.forEach((dim, i) => {
    if (dim.type === 'continuous') continuous.push(i);
    else if (dim.type === 'ordinal') ordinal.push({ index: i, levels: dim.levels });
    else if (dim.group === i) groups.push({ start: i, size: dim.levels });
  });
  return { d: space.dims.length, continuous, ordinal, groups, allContinuous: continuous.length === space.dims.length };
}

/**
 * Snaps the raw point `raw` (d coordinates at offset `o`) in place to its canonical form and records in `active` (when given)
 * which coordinates the decoded params use. Called on every candidate before scoring and on the final choice.
 */
export function canonicalize(space: SearchSpace, layout: CubeLayout, raw: Float64Array, o: number, active?: Uint8Array): void {
  const d = layout.d;
  for (let i = 0; i < d; i++) raw[o + i] = Math.min(1, Math.max(0, raw[o + i]!));
  if (layout.allContinuous) {
    if (active) active.fill(1);
    return;
  }
  const enc = space.encode(space.decode(raw.subarray(o, o + d)));
  for (let i = 0; i < d; i++) {
    const v = enc[i]!;
    if (active) active[i] = Number.isNaN(v) ? 0 : 1;
    if (Number.isNaN(v)) raw[o + i] = INACTIVE;
    else if (space.dims[i]!.type !== 'continuous') raw[o + i] = v;
  }
}

/** How {@link maximizeAcquisition} searches. */
export interface SearchOptions {
  /** Scrambled Sobol candidates. */
  readonly candidates: number;
  /** Candidates refined locally (the best-scoring distinct ones). */
  readonly restarts: number;
  /** Seeded uniform [0,1) stream (the trial's). */
  readonly rng: () => number;
  /** Canonical points of the best observations, best first (perturbation centres). */
  readonly incumbents: readonly Float64Array[];
  /** Canonical points already observed or pending: the answer avoids them when any other candidate scores finitely. */
  readonly taken: ReadonlySet<string>;
}

/** Key of a canonical point for duplicate checks (12 significant digits: decode rounds continuous values the same way). */
export function pointKey(x: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < x.length; i++) s += (i ? ',' : '') + Number(x[i]!).toPrecision(12);
  return s;
}

function gaussian(rng: () => number): number {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Raw candidate points: Sobol, then perturbations of the incumbents at three scales. */
function generate(layout: CubeLayout, opts: SearchOptions): { xs: Float64Array; m: number } {
  const { d } = layout;
  const nSobol = opts.candidates;
  const centres = opts.incumbents.slice(0, 5);
  const perCentre = centres.length ? Math.ceil(opts.candidates / 4 / centres.length) : 0;
  const m = nSobol + perCentre * centres.length;
  const xs = new Float64Array(m * d);
  if (d <= SOBOL_MAX_DIM) {
    const seq = new SobolSequence(d, { seed: Math.floor(opts.rng() * 2 ** 32), scramble: true });
    seq.fill(0, nSobol, xs);
  } else {
    for (let i = 0; i < nSobol * d; i++) xs[i] = opts.rng();
  }
  // Sparse perturbations (about 4 coordinates at a time, as BoTorch's sample-around-best does in high dimensions).
  const prob = Math.min(1, 4 / d);
  const scales = [0.2, 0.05, 0.01];
  let q = nSobol;
  for (const c of centres) {
    for (let r = 0; r < perCentre; r++, q++) {
      const o = q * d;
      xs.set(c, o);
      const scale = scales[r % scales.length]!;
      const forced = Math.floor(opts.rng() * d); // at least one coordinate moves
      for (const i of layout.continuous) {
        if (i === forced || opts.rng() < prob) xs[o + i] = xs[o + i]! + scale * gaussian(opts.rng);
      }
      for (const { index, levels } of layout.ordinal) {
        if (index === forced || opts.rng() < prob) {
          const steps = Math.max(1, Math.round(Math.abs(gaussian(opts.rng)) * scale * levels));
          xs[o + index] = xs[o + index]! + (opts.rng() < 0.5 ? -steps : steps) / levels;
        }
      }
      for (const { start, size } of layout.groups) {
        // Change the category with probability ~prob (always when this block holds the forced coordinate).
        if ((forced >= start && forced < start + size) || opts.rng() < prob) {
          const j = Math.floor(opts.rng() * size);
          for (let k = 0; k < size; k++) xs[o + start + k] = k === j ? 1 : 0;
        }
      }
    }
  }
  return { xs, m };
}

/**
 * Maximises the acquisition over the space and returns the canonical point (d coordinates) with the highest value found.
 * Deterministic given the options' rng. Called once per suggestion by the GP searcher.
 */
export function maximizeAcquisition(
  space: SearchSpace,
  layout: CubeLayout,
  post: GpPosterior,
  acq: Acquisition,
  opts: SearchOptions,
): Float64Array {
  const { d } = layout;
  const { xs, m } = generate(layout, opts);
  for (let q = 0; q < m; q++) canonicalize(space, layout, xs, q * d);
  const mean = new Float64Array(m);
  const variance = new Float64Array(m);
  post.predict(xs, m, mean, variance);
  const order: { q: number; v: number; key: string }[] = [];
  for (let q = 0; q < m; q++) {
    const v = acq.value(mean[q]!, variance[q]!);
    order.push({ q, v: Number.isNaN(v) ? -Infinity : v, key: '' });
  }
  order.sort((a, b) => b.v - a.v || a.q - b.q);
  // Refine the best distinct candidates that are not already taken.
  const starts: Float64Array[] = [];
  const seen = new Set<string>();
  for (const o of order) {
    if (starts.length >= opts.restarts) break;
    const x = xs.slice(o.q * d, o.q * d + d);
    const key = pointKey(x);
    if (seen.has(key) || opts.taken.has(key)) continue;
    seen.add(key);
    starts.push(x);
  }
  if (starts.length === 0) starts.push(xs.slice(order[0]!.q * d, order[0]!.q * d + d)); // everything is taken: accept a repeat
  let best: Float64Array = starts[0]!;
  let bestValue = -Infinity;
  for (const x0 of starts) {
    const { x, value } = refine(space, layout, post, acq, x0, opts.taken);
    if (value > bestValue) {
      best = x;
      bestValue = value;
    }
  }
  return best;
}

/** Scores one canonical point. */
function score(post: GpPosterior, acq: Acquisition, x: Float64Array, mean: Float64Array, variance: Float64Array): number {
  post.predict(x, 1, mean, variance);
  const v = acq.value(mean[0]!, variance[0]!);
  return Number.isNaN(v) ? -Infinity : v;
}

/** Local refinement of one canonical start: continuous gradient ascent, then one discrete coordinate sweep, then again. */
function refine(
  space: SearchSpace,
  layout: CubeLayout,
  post: GpPosterior,
  acq: Acquisition,
  x0: Float64Array,
  taken: ReadonlySet<string>,
): { x: Float64Array; value: number } {
  const d = layout.d;
  const mean = new Float64Array(1);
  const variance = new Float64Array(1);
  const active = new Uint8Array(d);
  let x: Float64Array = Float64Array.from(x0);
  canonicalize(space, layout, x, 0, active);
  let value = score(post, acq, x, mean, variance);
  for (let round = 0; round < 2; round++) {
    // Continuous coordinates the point uses: projected quasi-Newton ascent, other coordinates fixed.
    const free = layout.continuous.filter((i) => active[i] === 1);
    if (free.length > 0) {
      const gMean = new Float64Array(d);
      const gVar = new Float64Array(d);
      const grad = new Float64Array(d);
      const probe = Float64Array.from(x);
      const fg = (z: Float64Array, g: Float64Array): number => {
        for (let k = 0; k < free.length; k++) probe[free[k]!] = z[k]!;
        const p = post.predictWithGradient(probe, gMean, gVar);
        const v = acq.valueAndGradient(p.mean, p.variance, gMean, gVar, grad);
        for (let k = 0; k < free.length; k++) g[k] = -grad[free[k]!]!;
        return Number.isFinite(v) ? -v : Infinity;
      };
      const z0 = Float64Array.from(free, (i) => x[i]!);
      const res = minimizeBox(fg, z0, new Float64Array(free.length), new Float64Array(free.length).fill(1), {
        maxEvals: 40,
        gtol: 1e-7,
        ftol: 1e-12,
      });
      if (-res.f > value) {
        const y = Float64Array.from(x);
        for (let k = 0; k < free.length; k++) y[free[k]!] = res.x[k]!;
        canonicalize(space, layout, y, 0, active);
        const v = score(post, acq, y, mean, variance);
        if (v > value && !taken.has(pointKey(y))) {
          x = y;
          value = v;
        }
      }
    }
    if (layout.allContinuous) break;
    // Discrete sweep: each ordinal coordinate one and two levels either way, each one-hot block every other category.
    let improved = false;
    const tryMove = (y: Float64Array): void => {
      canonicalize(space, layout, y, 0);
      const v = score(post, acq, y, mean, variance);
      if (v > value && !taken.has(pointKey(y))) {
        x = y;
        value = v;
        improved = true;
      }
    };
    for (const { index, levels } of layout.ordinal) {
      if (active[index] !== 1) continue;
      for (const step of [-2, -1, 1, 2]) {
        const y = Float64Array.from(x);
        y[index] = y[index]! + step / levels;
        if (y[index]! < 0 || y[index]! > 1) continue;
        tryMove(y);
      }
    }
    for (const { start, size } of layout.groups) {
      if (active[start] !== 1) continue; // a choice inside an untaken branch: switching it changes nothing
      for (let j = 0; j < size; j++) {
        if (x[start + j] === 1) continue;
        const y = Float64Array.from(x);
        for (let k = 0; k < size; k++) y[start + k] = k === j ? 1 : 0;
        tryMove(y);
      }
    }
    canonicalize(space, layout, x, 0, active);
    if (!improved) break;
  }
  return { x, value };
}
