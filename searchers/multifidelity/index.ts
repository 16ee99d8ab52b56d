/**
 * Multi-fidelity searchers: `hyperband`, `asha`, `bohb`. Each hands out trials with an explicit `budget` (steps) and marks
 * promotions with `system.continueFrom`, which the study surfaces as `ctx.continueFrom` so objectives can resume checkpoints
 * (`runTrial(config, data, { initFrom, startEpoch })`). The registry (`searchers/index.ts`) registers the three factories.
 */
export {
  createHyperbandSearcher,
  hyperbandBrackets,
  planHyperband,
  type HyperbandBracket,
  type HyperbandPlan,
  type HyperbandRung,
} from './hyperband.js';
export { createAshaSearcher, planAsha, type AshaPlan } from './asha.js';
export { createBohbSearcher, bohbOptions, parameterCount, type BohbOptions } from './bohb.js';
export { fidelityOptions, rungBudget, type FidelityOptions } from './common.js';
