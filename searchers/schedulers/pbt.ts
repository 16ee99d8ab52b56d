/**
 * Population-based training (Jaderberg et al. 2017, "Population Based Training of Neural Networks") as a scheduler:
 * `{ type: 'pbt', interval, population = 8, quantile = 0.25, perturb = [0.8, 1.2], resample = 0.25, max }`.
 *
 * In tunekit's model every PBT step is a trial. Generation 0 starts `population` configurations (params from the composed
 * searcher) with budget `interval`. Generation g + 1 of member m is a new trial with budget (g + 2) * interval that continues
 * from a generation-g checkpoint (`system.continueFrom`), so the objective trains `interval` more steps, exactly as a
 * promotion does:
 * - members in the top 1 - quantile keep going: same params, their own checkpoint;
 * - members in the bottom `quantile` (failed ones always) exploit and explore: they take the checkpoint of a member drawn
 *   uniformly from the top `quantile` and its params perturbed: floats and ints are multiplied by perturb[0] or perturb[1]
 *   (a fair coin per parameter) and clipped to their range (an int moves by at least one step), bools, choices and branch
 *   choices are redrawn uniformly with probability `resample` (a new branch body is drawn uniformly too).
 * The quantile holds ceil(quantile * n) members, at most floor(n / 2), as in Ray Tune.
 *
 * Generations are synchronous: members are ranked on their generation-g results, all at the same step count, so the
 * scheduler waits until a generation has finished before handing out the next (use concurrency <= population). The schedule
 * ends ('exhausted') once generation floor(max / interval) - 1 is handed out, max = the `max` option or the study's
 * `budget.max`. Stored per trial: `system: { member, generation, continueFrom?, exploited? }` (exploited: the member copied).
 *
 * An exploiting trial continues from a checkpoint trained with *other* params (`ctx.continueFrom` names that trial), so the
 * objective must load the weights and then train with its own params: keep parameters that change the model's shape
 * (layers, units) out of a PBT space, or fixed, since every parameter of the space is explored.
 *
 * Seeded: trial n's exploit target and perturbations come from `alea(`${seed}/pbt/${n}`)`; everything else is read back from
 * the stored trials, so a resumed study continues the same schedule.
 */
import seedrandom from 'seedrandom';
import { OptionsError } from '../../src/core/errors.js';
import type { Direction, JsonValue, Params, TrialRecord } from '../../src/core/types.js';
import type { ParamNode, SpaceTree } from '../../spaces/types.js';
import type { SearcherOptions } from '../options.js';
import type { SearcherInit } from '../types.js';
import type { Scheduler, SchedulerPlan } from './types.js';

/** Resolved PBT options. */
export interface PbtOptions {
  /** Steps each PBT step (trial) trains, beyond the checkpoint it continues from. */
  readonly interval: number;
  /** Members trained side by side. */
  readonly population: number;
  /** Share of the population replaced (bottom) and copied from (top) at each step, in (0, 0.5]. */
  readonly quantile: number;
  /** The two factors numeric params are multiplied by when explored. */
  readonly perturb: readonly [number, number];
  /** Probability that a bool or choice (or branch choice) is redrawn when explored. */
  readonly resample: number;
  /** Total steps a member trains: the last generation's budget. */
  readonly max: number;
}

const KEYS = ['interval', 'population', 'quantile', 'perturb', 'resample', 'max'];

function num(options: SearcherOptions, key: string, fallback: number | undefined, ok: (v: number) => boolean, what: string): number {
  const v = options[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
    throw new OptionsError(`option "${key}" of scheduler "pbt" must be ${what}, got ${JSON.stringify(options[key] ?? null)}`);
  }
  return v;
}

/** Validates PBT's options; unknown keys and bad values are OptionsErrors naming the key and the fix. */
export function pbtOptions(options: SearcherOptions, init: SearcherInit): PbtOptions {
  for (const key of Object.keys(options)) {
    if (!KEYS.includes(key)) throw new OptionsError(`unknown option "${key}" for scheduler "pbt"; known options: ${KEYS.join(', ')}`);
  }
  if (options['max'] === undefined && init.budget === undefined) {
    throw new OptionsError(
      `scheduler "pbt" needs the total steps a member trains: pass { type: 'pbt', interval: 3, max: 27 } or createStudy({ budget: { min: 3, max: 27 } })`,
    );
  }
  if (options['interval'] === undefined && init.budget === undefined) {
    throw new OptionsError(`scheduler "pbt" needs \`interval\` (steps per PBT step): pass { type: 'pbt', interval: 3 }`);
  }
  const interval = num(options, 'interval', init.budget?.min, (v) => v > 0, 'a number > 0 (steps per PBT step)');
  const max = num(options, 'max', init.budget?.max, (v) => v >= interval, `a number >= interval (${interval})`);
  const perturb = options['perturb'] ?? [0.8, 1.2];
  if (!Array.isArray(perturb) || perturb.length !== 2 || !perturb.every((x) => typeof x === 'number' && x > 0 && Number.isFinite(x))) {
    throw new OptionsError(`option "perturb" of scheduler "pbt" must be two factors > 0, e.g. [0.8, 1.2], got ${JSON.stringify(perturb)}`);
  }
  return {
    interval,
    max,
    population: num(options, 'population', 8, (v) => Number.isInteger(v) && v >= 2, 'an integer >= 2'),
    quantile: num(options, 'quantile', 0.25, (v) => v > 0 && v <= 0.5, 'a number in (0, 0.5]'),
    perturb: [perturb[0] as number, perturb[1] as number],
    resample: num(options, 'resample', 0.25, (v) => v >= 0 && v <= 1, 'a number in [0, 1]'),
  };
}

/** Members in the top (and bottom) quantile of n: ceil(quantile * n), at most floor(n / 2) (Ray Tune's rule). */
export function quantileSize(n: number, quantile: number): number {
  return Math.min(Math.ceil(n * quantile - 1e-9), Math.floor(n / 2));
}

function isParam(node: SpaceTree): node is ParamNode {
  return (node as ParamNode).__tunekit === 'param';
}

function snap(v: number, low: number, high: number, step: number | undefined): number {
  const s = step === undefined ? v : low + Math.round((v - low) / step) * step;
  return Math.min(high, Math.max(low, s));
}

/** A uniform draw of a subtree (for a branch whose choice was redrawn). */
export function sampleTree(node: SpaceTree, rng: () => number): JsonValue {
  if (!isParam(node)) {
    const out: Params = {};
    for (const [k, child] of Object.entries(node)) out[k] = sampleTree(child, rng);
    return out;
  }
  switch (node.kind) {
    case 'float':
    case 'int': {
      const u = rng();
      const raw = node.log
        ? Math.exp(Math.log(node.low) + u * (Math.log(node.high) - Math.log(node.low)))
        : node.low + u * (node.high - node.low);
      return snap(raw, node.low, node.high, node.step);
    }
    case 'bool':
      return rng() < 0.5;
    case 'choice':
      return node.values[Math.floor(rng() * node.values.length)]!;
    case 'branch': {
      const names = Object.keys(node.branches);
      const name = names[Math.floor(rng() * names.length)]!;
      return { type: name, ...(sampleTree(node.branches[name]!, rng) as Params) };
    }
  }
}

/** PBT's explore step on one value (see the module comment). */
export function perturbTree(node: SpaceTree, value: JsonValue, o: Pick<PbtOptions, 'perturb' | 'resample'>, rng: () => number): JsonValue {
  if (!isParam(node)) {
    const v = value as Params;
    const out: Params = {};
    for (const [k, child] of Object.entries(node)) out[k] = perturbTree(child, v[k] as JsonValue, o, rng);
    return out;
  }
  switch (node.kind) {
    case 'float':
    case 'int': {
      const up = rng() < 0.5;
      const v = value as number;
      let next = snap(v * o.perturb[up ? 1 : 0], node.low, node.high, node.step);
      if (node.kind === 'int' && next === v)
        next = snap(v + (o.perturb[up ? 1 : 0] >= 1 ? node.step : -node.step), node.low, node.high, node.step);
      return next;
    }
    case 'bool':
    case 'choice':
      return rng() < o.resample ? sampleTree(node, rng) : value;
    case 'branch': {
      const v = value as Params;
      if (rng() < o.resample) return sampleTree(node, rng);
      const name = v['type'] as string;
      return { type: name, ...(perturbTree(node.branches[name]!, v, o, rng) as Params) };
    }
  }
}

function loss(t: TrialRecord, direction: Direction): number {
  if (t.state !== 'complete' || t.value === undefined || !Number.isFinite(t.value)) return Infinity;
  return direction === 'minimize' ? t.value : -t.value;
}

/** Builds the `pbt` scheduler (see the module comment). */
export function createPbtScheduler(init: SearcherInit, options: SearcherOptions): Scheduler {
  const o = pbtOptions(options, init);
  const generations = Math.max(1, Math.floor(o.max / o.interval + 1e-9));
  const budgetOf = (g: number) => (g + 1) * o.interval;
  const { space } = init;
  return {
    type: 'pbt',
    maxBudget: budgetOf(generations - 1),
    plan({ number, trials }): SchedulerPlan {
      // gens[g][m]: the trial of member m at generation g (interrupted trials give way to their retries).
      const gens: (TrialRecord | undefined)[][] = [];
      for (const t of trials) {
        const m = t.system['member'];
        const g = t.system['generation'];
        if (typeof m !== 'number' || typeof g !== 'number' || m >= o.population || g >= generations) continue;
        if (t.state === 'failed' && t.reason === 'interrupted') continue;
        (gens[g] ??= [])[m] = t;
      }
      for (let m = 0; m < o.population; m++) {
        if (!gens[0]?.[m]) return { kind: 'new', budget: budgetOf(0), system: { member: m, generation: 0 } };
      }
      for (let g = 0; g + 1 < generations; g++) {
        const cur = gens[g]!;
        const next = gens[g + 1] ?? [];
        const todo = [...Array(o.population).keys()].find((m) => !next[m]);
        if (todo === undefined) continue;
        if (cur.some((t) => t!.state === 'running' || t!.state === 'waiting')) return { kind: 'wait' };
        // Rank generation g best first (failed / pruned last; ties: lower member first, deterministic).
        const ranked = [...cur.keys()].sort((a, b) => loss(cur[a]!, init.direction) - loss(cur[b]!, init.direction) || a - b);
        const q = quantileSize(o.population, o.quantile);
        const top = ranked.slice(0, q).filter((m) => Number.isFinite(loss(cur[m]!, init.direction)));
        const bottom = new Set(ranked.slice(ranked.length - q));
        const own = cur[todo]!;
        const system = { member: todo, generation: g + 1 };
        const ownUsable = Number.isFinite(loss(own, init.direction));
        if (!bottom.has(todo) && ownUsable) {
          return {
            kind: 'continue',
            params: own.params,
            budget: budgetOf(g + 1),
            from: own.number,
            system: { ...system, continueFrom: own.number },
          };
        }
        if (top.length === 0) {
          // Nothing to copy (every member failed): the member starts over with a fresh configuration from the searcher.
          return { kind: 'new', budget: budgetOf(g + 1), system };
        }
        const rng = seedrandom.alea(`${init.seed}/pbt/${number}`);
        const src = cur[top[Math.floor(rng() * top.length)]!]!;
        // Canonicalise through the space (step rounding, key order) so the params are exactly what decode would give.
        const params = space.decode(space.encode(perturbTree(space.tree, src.params, o, rng) as Params));
        return {
          kind: 'continue',
          params,
          budget: budgetOf(g + 1),
          from: src.number,
          system: { ...system, continueFrom: src.number, exploited: src.system['member'] as number },
        };
      }
      return { kind: 'exhausted' };
    },
  };
}
