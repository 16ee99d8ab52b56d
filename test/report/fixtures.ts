/**
 * Synthetic studies for the report tests and benches: every trial state, branch (conditional) parameters, log floats, ints,
 * bools, list-valued choices, intermediate values (with a NaN), pruning reasons, budgets and promotions. Seeded.
 */
import seedrandom from 'seedrandom';
import type { Params, StudyRecord, TrialRecord, TrialState } from '../../src/core/types.js';
import type { SpaceJson } from '../../spaces/types.js';

export const SPACE: SpaceJson = {
  model: {
    _type: 'branch',
    branches: {
      mlp: {
        units: { _type: 'choice', values: [[128], [256, 128]] },
        dropout: { _type: 'float', low: 0, high: 0.4, step: 0.1 },
        batchNorm: { _type: 'bool' },
      },
      cnn: { filters: { _type: 'int', low: 8, high: 64, log: true } },
    },
  },
  lr: { _type: 'float', low: 1e-4, high: 1e-1, log: true },
  layers: { _type: 'int', low: 1, high: 4 },
  act: { _type: 'choice', values: ['relu', 'gelu'] },
};

/** Options of {@link syntheticStudy}. */
export interface SyntheticOptions {
  readonly trials: number;
  readonly seed?: number;
  /** Put this text into the study name, a parameter choice and a pruning reason (escaping tests). */
  readonly hostile?: string;
  readonly budgets?: boolean;
  readonly multiObjective?: boolean;
}

/** A study whose value is dominated by lr (log10(lr) + 2.5)^2, with a small effect of layers and noise. */
export function syntheticStudy(o: SyntheticOptions): { study: StudyRecord; trials: TrialRecord[] } {
  const rng = seedrandom(String(o.seed ?? 1));
  const hostile = o.hostile;
  const space: SpaceJson = hostile ? { ...SPACE, act: { _type: 'choice', values: ['relu', hostile] } } : SPACE;
  const study: StudyRecord = {
    name: hostile ? `study ${hostile}` : 'synthetic',
    direction: 'minimize',
    ...(o.multiObjective ? { directions: ['minimize', 'maximize'] as const, metrics: ['loss', 'accuracy'] } : {}),
    searcher: o.budgets ? { type: 'hyperband' } : 'tpe',
    seed: o.seed ?? 1,
    space,
    pruner: { type: 'median', startupTrials: 5 },
    ...(o.budgets ? { budget: { min: 1, max: 9 } } : {}),
    created: '2026-01-01T00:00:00.000Z',
    userAttrs: { owner: 'tests' },
  };
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  const lanes = [0, 0, 0];
  const trials: TrialRecord[] = [];
  for (let n = 0; n < o.trials; n++) {
    const cnn = rng() < 0.4;
    const params: Params = {
      model: cnn
        ? { type: 'cnn', filters: Math.round(Math.exp(Math.log(8) + rng() * Math.log(8))) }
        : { type: 'mlp', units: rng() < 0.5 ? [128] : [256, 128], dropout: Math.round(rng() * 4) / 10, batchNorm: rng() < 0.5 },
      lr: Math.exp(Math.log(1e-4) + rng() * Math.log(1000)),
      layers: 1 + Math.floor(rng() * 4),
      act: rng() < 0.5 ? 'relu' : (hostile ?? 'gelu'),
    };
    const value = (Math.log10(params['lr'] as number) + 2.5) ** 2 + 0.05 * (params['layers'] as number) + 0.05 * rng();
    const r = rng();
    const state: TrialState =
      n >= o.trials - 2 ? (n === o.trials - 1 ? 'waiting' : 'running') : r < 0.2 ? 'pruned' : r < 0.25 ? 'failed' : 'complete';
    const steps = state === 'pruned' ? 2 : state === 'failed' ? 1 : 4;
    const intermediate = Array.from({ length: state === 'waiting' ? 0 : steps }, (_, i) => ({
      step: i + 1,
      value: i === 0 && n === 3 ? NaN : value * (1 + 1 / (i + 1)),
    }));
    const lane = n % 3;
    const start = Math.max(lanes[lane]!, t0 + n * 1000);
    const dur = 2000 + Math.floor(rng() * 4000);
    lanes[lane] = start + dur;
    const budget = o.budgets ? [1, 3, 9][n % 3] : undefined;
    trials.push({
      number: n,
      state,
      params,
      ...(budget !== undefined ? { budget } : {}),
      ...(state === 'complete' || state === 'pruned'
        ? { value: state === 'pruned' ? intermediate[intermediate.length - 1]!.value : value }
        : {}),
      ...(o.multiObjective && state === 'complete' ? { values: [value, 1 - value / 10] } : {}),
      ...(state === 'complete' ? { metrics: { accuracy: 1 - value / 10, paramCount: 1000 + n } } : {}),
      intermediate: state === 'waiting' ? [] : intermediate,
      ...(state === 'pruned'
        ? {
            reason: hostile
              ? `median: worse than the median ${hostile}`
              : 'median: best value is worse than the median of 5 completed trials at step 2',
          }
        : {}),
      ...(state === 'failed' ? { reason: 'error', error: { message: 'loss became NaN' } } : {}),
      userAttrs: n % 5 === 0 ? { note: `trial ${n}` } : {},
      system: o.budgets && n >= 1 && budget !== 1 ? { continueFrom: n - 1, bracket: 0 } : {},
      created: new Date(start).toISOString(),
      ...(state !== 'waiting' ? { started: new Date(start).toISOString() } : {}),
      ...(state !== 'waiting' && state !== 'running' ? { finished: new Date(start + dur).toISOString() } : {}),
    });
  }
  return { study, trials };
}

/**
 * bench/importance.ts's study: n complete trials of f = 10 x^2 + 2 y + 0.5 [c = b] (z has no effect) at seeded random points.
 * Main-effect variance shares: x 0.862, y 0.129, c 0.005, z 0.
 */
export function knownStudy(trials: number, s: number): { study: StudyRecord; trials: TrialRecord[] } {
  const rng = seedrandom(`importance-bench:${s}`);
  const study: StudyRecord = {
    name: 'importance-bench',
    direction: 'minimize',
    searcher: 'random',
    seed: s,
    space: {
      x: { _type: 'float', low: -1, high: 1 },
      y: { _type: 'float', low: -1, high: 1 },
      z: { _type: 'float', low: 1e-3, high: 1, log: true },
      c: { _type: 'choice', values: ['a', 'b', 'c'] },
    },
    created: '2026-01-01T00:00:00.000Z',
    userAttrs: {},
  };
  const out: TrialRecord[] = [];
  for (let i = 0; i < trials; i++) {
    const p = {
      x: rng() * 2 - 1,
      y: rng() * 2 - 1,
      z: Math.exp(Math.log(1e-3) + rng() * Math.log(1e3)),
      c: ['a', 'b', 'c'][Math.floor(rng() * 3)] as string,
    };
    const value = 10 * p.x ** 2 + 2 * p.y + (p.c === 'b' ? 0.5 : 0);
    const at = new Date(Date.parse(study.created) + i * 1000).toISOString();
    out.push({
      number: i,
      state: 'complete',
      params: p,
      value,
      intermediate: [],
      userAttrs: {},
      system: {},
      created: at,
      started: at,
      finished: at,
    });
  }
  return { study, trials: out };
}
