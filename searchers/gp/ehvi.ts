/**
 * The GP searcher for several objectives and/or constraints (`searcher: 'gp'` when the study has 2+ directions or
 * constraints; plain single-objective studies keep `index.ts` untouched): one independent Matern-5/2 GP per objective and
 * per constraint, the same fit and priors as the single-objective searcher, and as acquisition
 *
 *   log EHVI(x) + sum_k log P(c_k(x) <= 0)
 *
 * EHVI is exact (box decomposition, `ehvi-math.ts`) over the front of the feasible observations in each objective's
 * standardised (and, for heavy tails, log-warped: `transformTargets`) scale; with one objective it is expected improvement.
 * The reference point is the worst feasible observation per objective plus 10% of its observed range. P(feasible) is the
 * product of the constraint GPs' probabilities of c <= 0 (Gardner et al. 2014), the same trick Optuna and BoTorch use; until a
 * feasible trial exists the searcher maximises P(feasible) alone.
 *
 * Pending (running/waiting) trials are "kriging believer" fantasies: every model takes its posterior mean there as an
 * observation and the believed points join the front, so concurrent asks spread out.
 *
 * Candidates: `candidates` scrambled Sobol points plus perturbations of the front's points, snapped to the space
 * (`canonicalize`), scored in one batch; the `restarts` best are refined by a seeded local search at shrinking scales.
 * Determinism: everything draws from `seedrandom.alea(`${seed}/gp/${n}`)`, so a suggestion depends only on (seed, n, stored
 * trials).
 */
import seedrandom from 'seedrandom';
import type { Searcher, SearcherInit, Suggestion } from '../types.js';
import { checkKnownOptions, type SearcherOptions } from '../options.js';
import { OptionsError } from '../../src/core/errors.js';
import type { SearchSpace } from '../../spaces/types.js';
import type { TrialRecord } from '../../src/core/types.js';
import { lossVector, studyDirections, trialValues } from '../objectives.js';
import { lossRanks, selectByHypervolume } from '../pareto.js';
import { SOBOL_MAX_DIM, SobolSequence } from '../sobol/index.js';
import { normalCdf } from './acquisition.js';
import { canonicalize, INACTIVE, pointKey, type CubeLayout } from './candidates.js';
import { gpBase } from './base.js';
import { transformTargets } from './data.js';
import { fitKernel, GpPosterior } from './fit.js';
import { expectedHvi, hviBoxes } from './ehvi-math.js';

export { expectedHvi, hviBoxes, type HviBoxes } from './ehvi-math.js';

const KNOWN = ['acquisition', 'initialTrials', 'candidates', 'restarts', 'fitRestarts', 'maxObservations', 'fantasy'];
/** Hyperparameters are fitted on at most this many observations (a seeded subset above it), as the single-objective GP. */
const FIT_POINTS = 100;
/** The reference point's margin beyond the front's nadir, as a share of each objective's observed range. */
const REF_MARGIN = 0.1;
/** Most cells of the EHVI box decomposition (each candidate sums over them). */
const MAX_CELLS = 40_000;

interface Observation {
  readonly row: Float64Array;
  readonly loss: readonly number[];
  readonly cons: readonly number[];
}

function encodeRow(space: SearchSpace, t: TrialRecord): Float64Array | undefined {
  try {
    return Float64Array.from(space.encode(t.params), (v) => (Number.isNaN(v) ? INACTIVE : v));
  } catch {
    return undefined;
  }
}

/** One fitted model per target (objective or constraint), over the kept observations plus the pending fantasies. */
function fitModel(
  x: Float64Array,
  y: Float64Array,
  n: number,
  d: number,
  fitRestarts: number,
  rng: () => number,
  pending: Float64Array,
  p: number,
): GpPosterior {
  let fx = x;
  let fy = y;
  let fn = n;
  if (n > FIT_POINTS) {
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < FIT_POINTS; i++) {
      const j = i + Math.floor(rng() * (n - i));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    const pick = idx.slice(0, FIT_POINTS).sort((a, b) => a - b);
    fx = new Float64Array(FIT_POINTS * d);
    fy = new Float64Array(FIT_POINTS);
    pick.forEach((i, k) => (fx.set(x.subarray(i * d, i * d + d), k * d), (fy[k] = y[i]!)));
    fn = FIT_POINTS;
  }
  const params = fitKernel(fx, fy, fn, d, { restarts: fitRestarts, rng });
  const post = new GpPosterior(x, y, n, d, params);
  if (p === 0) return post;
  const lies = new Float64Array(p);
  post.predict(pending, p, lies, new Float64Array(p));
  const xa = new Float64Array((n + p) * d);
  xa.set(x);
  xa.set(pending, n * d);
  const ya = new Float64Array(n + p);
  ya.set(y);
  ya.set(lies, n);
  return new GpPosterior(xa, ya, n + p, d, params, post.constantMean);
}

/**
 * Builds the multi-objective / constrained GP searcher. Options as `gp` (`initialTrials`, `candidates`, `restarts`,
 * `fitRestarts`, `maxObservations`); `acquisition` may only be `'logei'` here (it means log EHVI); `fantasy` only
 * `'kriging_believer'` (the constant liar has no single "best value" to lie with when there are several objectives).
 * @throws OptionsError naming an unknown option or a value this variant does not support.
 */
export function createGpEhviSearcher(init: SearcherInit, options: SearcherOptions): Searcher {
  checkKnownOptions('gp', options, KNOWN);
  for (const [key, ok] of [
    ['acquisition', 'logei'],
    ['fantasy', 'kriging_believer'],
  ] as const) {
    const v = options[key];
    if (v !== undefined && v !== ok) {
      throw new OptionsError(
        `option "${key}" of searcher "gp" must be "${ok}" in a study with several objectives or constraints (log EHVI x P(feasible)), got ${JSON.stringify(v)}; remove it`,
      );
    }
  }
  const { space, seed } = init;
  const directions = studyDirections(init);
  const m = directions.length;
  const constrained = init.constraints === true;
  const { d, initialTrials, candidates, restarts, fitRestarts, maxObservations, layout, design } = gpBase(init, options);
  const rows = new WeakMap<object, Float64Array | null>();
  const row = (t: TrialRecord): Float64Array | undefined => {
    let r = rows.get(t.params);
    if (r === undefined) rows.set(t.params, (r = encodeRow(space, t) ?? null));
    return r ?? undefined;
  };

  return {
    type: 'gp',
    suggest({ number, trials }): Suggestion {
      if (d === 0) return { kind: 'suggest', params: {} };
      const rng = seedrandom.alea(`${seed}/gp/${number}`);
      if (number < initialTrials) return design(number, rng);
      let obs: Observation[] = [];
      const pend: Float64Array[] = [];
      for (const t of trials) {
        if (t.state === 'running' || t.state === 'waiting') {
          const r = row(t);
          if (r) pend.push(r);
          continue;
        }
        if (t.state !== 'complete') continue;
        const v = trialValues(t, m);
        const r = row(t);
        if (!v || !r) continue;
        const cons = constrained ? (t.constraints ?? []) : [];
        obs.push({ row: r, loss: lossVector(v, directions), cons });
      }
      // Constraint count: the most common length (trials whose constraint function failed carry none).
      const k = constrained ? Math.max(0, ...obs.map((o) => o.cons.length)) : 0;
      if (obs.length < 2) return design(number, rng);
      if (obs.length > maxObservations) obs = thin(obs, maxObservations, rng);
      const n = obs.length;
      const x = new Float64Array(n * d);
      obs.forEach((o, i) => x.set(o.row, i * d));
      const p = pend.length;
      const pending = new Float64Array(p * d);
      pend.forEach((r, i) => pending.set(r, i * d));

      // Objective models on standardised maximisation targets y = transform(-loss); the EHVI works on -y (minimisation).
      const objModels: GpPosterior[] = [];
      const stdLoss: Float64Array[] = [];
      for (let j = 0; j < m; j++) {
        const t = obs.map((o) => -o.loss[j]!);
        let worst = Infinity;
        for (const v of t) if (Number.isFinite(v)) worst = Math.min(worst, v);
        const y = transformTargets(t.map((v) => (Number.isFinite(v) ? v : worst === Infinity ? 0 : worst)));
        objModels.push(fitModel(x, y, n, d, fitRestarts, rng, pending, p));
        stdLoss.push(Float64Array.from(y, (v) => -v));
      }
      // Constraint models: raw values standardised (no warp, so the threshold 0 maps exactly), missing/NaN as clearly violated.
      const conModels: { post: GpPosterior; threshold: number }[] = [];
      const feasible = obs.map((o) => !constrained || (o.cons.length === k && o.cons.every((c) => c <= 0)));
      for (let c = 0; c < k; c++) {
        const raw = obs.map((o) => o.cons[c]);
        const finite = raw.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
        const hi = finite.length ? Math.max(...finite) : 1;
        const vals = raw.map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : Math.max(hi, 0) + 1));
        const mean = vals.reduce((a, b) => a + b, 0) / n;
        const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / n) || 1;
        const y = Float64Array.from(vals, (v) => (v - mean) / sd);
        conModels.push({ post: fitModel(x, y, n, d, fitRestarts, rng, pending, p), threshold: -mean / sd });
      }

      // Front (feasible observations + believed pending points) and reference point, in standardised loss units.
      const feasLoss: number[][] = [];
      for (let i = 0; i < n; i++) if (feasible[i]) feasLoss.push(stdLoss.map((s) => s[i]!));
      const anyFeasible = feasLoss.length > 0;
      // Reference: the nadir (worst value) of the feasible Pareto front, plus 10% of the objective's observed range. Far
      // references (the worst observation) made EHVI chase the corners of the space; the front's nadir alone left no room
      // beside a one-point front.
      const frontRanks = lossRanks(feasLoss);
      const nadirSet = feasLoss.filter((_, i) => frontRanks[i] === 0);
      const ref = Array.from({ length: m }, (_, j) => {
        const all = stdLoss[j]!;
        let lo = Infinity;
        let hi = -Infinity;
        for (const v of all) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        const nadir = nadirSet.length ? Math.max(...nadirSet.map((l) => l[j]!)) : hi;
        return nadir + REF_MARGIN * (hi - lo) + 1e-6;
      });
      const front = feasLoss.slice();
      if (p > 0) {
        const mean = new Float64Array(p);
        const vr = new Float64Array(p);
        const believed = Array.from({ length: p }, () => new Array<number>(m));
        objModels.forEach((post, j) => {
          post.predict(pending, p, mean, vr);
          for (let i = 0; i < p; i++) believed[i]![j] = -mean[i]!;
        });
        front.push(...believed);
      }
      const ranks = lossRanks(front);
      let nd = front.filter((_, i) => ranks[i] === 0);
      // The decomposition has (n+1)^(m-1) cells: with 4+ objectives (or huge 3-D fronts) keep the front's most
      // hypervolume-relevant points so that an ask stays bounded (the EHVI then slightly overstates improvement elsewhere).
      const keep = m > 1 ? Math.floor(MAX_CELLS ** (1 / (m - 1))) - 1 : nd.length;
      if (nd.length > keep) nd = selectByHypervolume(nd, keep, ref).map((i) => nd[i]!);
      const boxes = hviBoxes(nd, ref);

      const score = makeScorer(objModels, conModels, anyFeasible ? boxes : undefined);
      const taken = new Set<string>([...obs.map((o) => pointKey(o.row)), ...pend.map((r) => pointKey(r))]);
      // Perturbation centres: the feasible front's rows.
      const frontRows = obs.filter((_, i) => feasible[i]);
      const fr = lossRanks(frontRows.map((o) => o.loss));
      const centres = frontRows.filter((_, i) => fr[i] === 0).map((o) => o.row);
      const point = search(space, layout, score, { candidates, restarts, rng, centres, taken });
      return { kind: 'suggest', params: space.decode(point) };
    },
  };
}

/** Keeps `max` observations: every feasible non-dominated one (up to half the budget), then a seeded uniform sample. */
function thin(obs: Observation[], max: number, rng: () => number): Observation[] {
  const ranks = lossRanks(obs.map((o) => o.loss));
  const keep = new Set<number>();
  for (let i = 0; i < obs.length && keep.size < max / 2; i++) if (ranks[i] === 0) keep.add(i);
  const rest = obs.map((_, i) => i).filter((i) => !keep.has(i));
  for (let i = 0; i < rest.length && keep.size < max; i++) {
    const j = i + Math.floor(rng() * (rest.length - i));
    [rest[i], rest[j]] = [rest[j]!, rest[i]!];
    keep.add(rest[i]!);
  }
  return [...keep].sort((a, b) => a - b).map((i) => obs[i]!);
}

type Scorer = (xs: Float64Array, count: number, out: Float64Array) => void;

/** log EHVI + log P(feasible) for a batch of canonical points (log P(feasible) alone when `boxes` is undefined). */
function makeScorer(
  objModels: readonly GpPosterior[],
  conModels: readonly { post: GpPosterior; threshold: number }[],
  boxes: ReturnType<typeof hviBoxes> | undefined,
): Scorer {
  const m = objModels.length;
  return (xs, count, out) => {
    out.fill(0, 0, count);
    const mean = new Float64Array(count);
    const vr = new Float64Array(count);
    for (const c of conModels) {
      c.post.predict(xs, count, mean, vr);
      for (let q = 0; q < count; q++)
        out[q] = out[q]! + Math.log(Math.max(normalCdf((c.threshold - mean[q]!) / Math.sqrt(vr[q]!)), 1e-300));
    }
    if (!boxes) return;
    const mu = Array.from({ length: m }, () => new Float64Array(count));
    const sd = Array.from({ length: m }, () => new Float64Array(count));
    objModels.forEach((post, j) => {
      post.predict(xs, count, mean, vr);
      for (let q = 0; q < count; q++) {
        mu[j]![q] = -mean[q]!;
        sd[j]![q] = Math.sqrt(vr[q]!);
      }
    });
    const a = new Float64Array(m);
    const b = new Float64Array(m);
    const scratch = new Float64Array(boxes.grids.reduce((s, g) => s + g.length, 0));
    for (let q = 0; q < count; q++) {
      for (let j = 0; j < m; j++) {
        a[j] = mu[j]![q]!;
        b[j] = sd[j]![q]!;
      }
      out[q] = out[q]! + Math.log(Math.max(expectedHvi(boxes, a, b, scratch), 1e-300));
    }
  };
}

interface SearchOpts {
  readonly candidates: number;
  readonly restarts: number;
  readonly rng: () => number;
  readonly centres: readonly Float64Array[];
  readonly taken: ReadonlySet<string>;
}

function gaussian(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** Perturbs `c` in place around itself: each coordinate with probability min(1, 4/d) (one forced) by N(0, scale^2). */
function perturb(c: Float64Array, layout: CubeLayout, scale: number, rng: () => number): void {
  const d = layout.d;
  const prob = Math.min(1, 4 / d);
  const forced = Math.floor(rng() * d);
  for (let i = 0; i < d; i++) {
    if (i !== forced && rng() >= prob) continue;
    const g = layout.groups.find((gr) => i >= gr.start && i < gr.start + gr.size);
    if (g) {
      const j = Math.floor(rng() * g.size);
      for (let t = 0; t < g.size; t++) c[g.start + t] = t === j ? 1 : 0;
    } else c[i] = Math.min(1, Math.max(0, c[i]! + scale * gaussian(rng)));
  }
}

/** Candidate search: Sobol + front perturbations scored in a batch, then seeded local search from the best distinct ones. */
function search(space: SearchSpace, layout: CubeLayout, score: Scorer, o: SearchOpts): Float64Array {
  const d = layout.d;
  const centres = o.centres.slice(0, 20);
  const per = centres.length ? Math.ceil(o.candidates / 2 / centres.length) : 0;
  const total = o.candidates + per * centres.length;
  const xs = new Float64Array(total * d);
  if (d <= SOBOL_MAX_DIM) new SobolSequence(d, { seed: Math.floor(o.rng() * 2 ** 32), scramble: true }).fill(0, o.candidates, xs);
  else for (let i = 0; i < o.candidates * d; i++) xs[i] = o.rng();
  const scales = [0.1, 0.03, 0.01];
  let q = o.candidates;
  for (const c of centres) {
    for (let r = 0; r < per; r++, q++) {
      const v = xs.subarray(q * d, q * d + d);
      v.set(c);
      perturb(v, layout, scales[r % scales.length]!, o.rng);
    }
  }
  for (let i = 0; i < total; i++) canonicalize(space, layout, xs, i * d);
  const values = new Float64Array(total);
  score(xs, total, values);
  const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => values[b]! - values[a]! || a - b);
  const starts: { x: Float64Array; v: number }[] = [];
  const seen = new Set<string>();
  for (const i of order) {
    if (starts.length >= o.restarts) break;
    const x = xs.slice(i * d, i * d + d);
    const key = pointKey(x);
    if (seen.has(key) || o.taken.has(key)) continue;
    seen.add(key);
    starts.push({ x, v: values[i]! });
  }
  if (starts.length === 0) return xs.slice(order[0]! * d, order[0]! * d + d);
  // Local search: per start, rounds of 16 perturbations at a shrinking scale; a better untaken point replaces the start.
  const batch = 16;
  const ys = new Float64Array(batch * d);
  const yv = new Float64Array(batch);
  for (const s of starts) {
    for (const scale of [0.05, 0.02, 0.005, 0.002]) {
      for (let b = 0; b < batch; b++) {
        const v = ys.subarray(b * d, b * d + d);
        v.set(s.x);
        perturb(v, layout, scale, o.rng);
        canonicalize(space, layout, ys, b * d);
      }
      score(ys, batch, yv);
      for (let b = 0; b < batch; b++) {
        const y = ys.slice(b * d, b * d + d);
        if (yv[b]! > s.v && !o.taken.has(pointKey(y))) {
          s.x = y;
          s.v = yv[b]!;
        }
      }
    }
  }
  starts.sort((a, b) => b.v - a.v);
  return starts[0]!.x;
}
