/**
 * From sampled params to what a trainable receives. For the built-in trainer the params ARE TrialConfig fields (model,
 * optimizer, loss, schedule, augment, batchSize...), merged over the sweep's `defaults`; the controller fills in epochs (the
 * trial's budget / the sweep's max epochs), the seed and the objective. User modules get the merged object as it is.
 */
import type { CostHint } from '../core/executor.js';
import type { JsonValue } from '../core/types.js';
import type { Dataset, ModelConfig } from '../../trials/types.js';
import { modelWork } from '../../trials/work.js';
import type { JsonObject } from './protocol.js';

function isPlainObject(v: unknown): v is { readonly [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Deep-merges `over` onto `base`: nested objects merge key by key, anything else (numbers, strings, arrays) replaces. Two
 * objects with different `type`s do not merge (a sampled `{ type: 'sgd', lr }` must not inherit an adamw default's
 * `weightDecay`): the sampled one replaces the default whole.
 */
export function mergeConfig(base: JsonObject, over: JsonObject): JsonObject {
  const out: { [key: string]: JsonValue } = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    if (
      isPlainObject(prev) &&
      isPlainObject(value) &&
      (prev['type'] === undefined || value['type'] === undefined || prev['type'] === value['type'])
    ) {
      out[key] = mergeConfig(prev, value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** What the controller knows when it turns a trial's params into a built-in TrialConfig. */
export interface BuiltinContext {
  /** The searcher's budget for this trial (epochs), if any. */
  readonly budget?: number;
  /** The sweep's max epochs per trial, if set. */
  readonly maxEpochs?: number;
  /** Used when neither params nor defaults set `seed` (the study's seed: same config -> same numbers). */
  readonly seed: number;
  readonly objective: { readonly metric: string; readonly direction: 'minimize' | 'maximize' };
}

/**
 * The TrialConfig (as JSON) of one built-in trial: params merged over defaults; `epochs` = the trial's budget, else the
 * merged value, capped by maxEpochs (and maxEpochs when neither is set); `seed` and `objective` filled in unless given. The
 * result is validated by runTrial in the worker (an invalid one fails its trial with the field named).
 */
export function builtinConfig(defaults: JsonObject, params: JsonObject, ctx: BuiltinContext): JsonObject {
  const merged = mergeConfig(defaults, params);
  const given = typeof merged['epochs'] === 'number' ? merged['epochs'] : undefined;
  let epochs = ctx.budget !== undefined ? Math.max(1, Math.round(ctx.budget)) : (given ?? ctx.maxEpochs);
  if (epochs !== undefined && ctx.maxEpochs !== undefined) epochs = Math.min(epochs, ctx.maxEpochs);
  return {
    ...merged,
    ...(epochs !== undefined ? { epochs } : {}),
    seed: typeof merged['seed'] === 'number' ? merged['seed'] : ctx.seed,
    objective: isPlainObject(merged['objective'])
      ? merged['objective']
      : { metric: ctx.objective.metric, direction: ctx.objective.direction },
  };
}

/**
 * The cost hint of a built-in trial (see CostHint): its model's per-sample multiply-adds and element-wise reads on the
 * dataset's inputs (trials/work.ts), and its batch size (each step has a fixed cost too). Undefined when the config has no
 * model object or counting fails: the cost model then compares the trial's params in the search space instead.
 */
export function builtinCostHint(config: JsonObject, data: Pick<Dataset, 'inputShape' | 'task' | 'numClasses'>): CostHint | undefined {
  const model = config['model'];
  if (!isPlainObject(model) || typeof model['type'] !== 'string') return undefined;
  try {
    const w = modelWork(model as unknown as ModelConfig, data.inputShape, data.task === 'classification' ? data.numClasses : 1);
    const batch = typeof config['batchSize'] === 'number' ? config['batchSize'] : 0;
    const work = [w.matmul, w.conv, w.elementwise, batch];
    const size = w.matmul + w.conv + w.elementwise;
    return work.every((n) => Number.isFinite(n) && n >= 0) ? { kind: w.kind, work, ...(size > 0 ? { size } : {}) } : undefined;
  } catch {
    return undefined; // an invalid config (the trial will fail with the field named): no hint
  }
}
