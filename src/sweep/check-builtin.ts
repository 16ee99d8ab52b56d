/**
 * Up-front checks of a built-in-trainer sweep: the objective metric must be one the trainer reports for the dataset's task,
 * and the TrialConfigs the space can produce must be valid. The config check builds the configs of a few seeded samples of the
 * space (one per branch choice is likely with 24 draws) merged over `defaults`, and runs the trainer's own validators on them
 * (loop fields, model, loss, optimiser type and lr, schedule, augmentation), so a typo such as `batchsize` or an unknown optimiser stops
 * the sweep before the first trial instead of failing every trial. Loaded lazily: it imports the trials/ runtime (TF.js).
 */
import { sweepTrainerObjective } from './objectives.js';
import seedrandom from 'seedrandom';
import type { SearchSpace } from '../../spaces/types.js';
import type { Task, TrialConfig } from '../../trials/types.js';
import { builtinConfig } from '../pool/config.js';
import type { JsonObject } from '../pool/protocol.js';
import type { ResolvedSweep } from './spec.js';

const SAMPLES = 24;

/** The dataset's task when the sweep says it (mnist: classification; tabular: its `task` field), else undefined. */
export function sweepTask(sweep: ResolvedSweep): Task | undefined {
  if (!sweep.dataset) return undefined;
  return sweep.dataset.type === 'mnist' ? 'classification' : sweep.dataset.task;
}

/**
 * Problems (`path: message`) of a built-in sweep's objective and sampled configs; empty when fine. Each distinct message is
 * listed once, with the params that produced it. Called by loadSweepFile after the structural validation passed.
 */
export async function builtinProblems(sweep: ResolvedSweep, space: SearchSpace): Promise<string[]> {
  const { objectiveMetrics, validateTrialConfig } = await import('../../trials/trial-config.js');
  const { validateModelConfig } = await import('../../trials/models/validate.js');
  const { makeLoss } = await import('../../trials/losses.js');
  const { OPTIMIZER_TYPES } = await import('../../trials/optimizers.js');
  const { makeSchedule } = await import('../../trials/schedules.js');
  const { makeAugmenter } = await import('../../trials/augment.js');
  const problems: string[] = [];
  const known = sweepTask(sweep);
  const tasks: Task[] = known ? [known] : ['classification', 'regression'];
  // An expression objective is computed from final metrics: the trainer reports and selects epochs by valLoss then.
  const trainer = sweepTrainerObjective(sweep);
  const metric = trainer.metric;
  if (!tasks.some((t) => objectiveMetrics(t).includes(metric))) {
    problems.push(
      `objective.metric: the built-in trainer reports ${[...new Set(tasks.flatMap(objectiveMetrics))].join(', ')}${known ? ` for a ${known} task` : ''}; got ${JSON.stringify(metric)}`,
    );
    return problems;
  }
  const task = tasks.find((t) => objectiveMetrics(t).includes(metric)) as Task;
  const inputShape = sweep.dataset?.type === 'mnist' ? [28, 28, 1] : [4];
  const outputs = task === 'classification' ? 10 : 1;
  const rng = seedrandom(`tunekit-sweep-check:${sweep.seed}`);
  const seen = new Set<string>();
  for (let i = 0; i < SAMPLES; i++) {
    const point = Array.from({ length: space.dims.length }, () => rng());
    const params = space.decode(point) as unknown as JsonObject;
    const config = builtinConfig(sweep.defaults, params, {
      ...(sweep.budget.epochs !== undefined ? { maxEpochs: sweep.budget.epochs } : {}),
      seed: sweep.seed,
      objective: trainer,
    }) as unknown as TrialConfig;
    try {
      validateTrialConfig(config, task);
      validateModelConfig(config.model);
      makeLoss(config.loss, task);
      // Type and lr only: building a TF.js optimiser here would start a TF.js backend in the controller just to validate.
      const opt = config.optimizer as { type?: unknown; lr?: unknown };
      if (!(OPTIMIZER_TYPES as readonly unknown[]).includes(opt.type))
        throw new Error(`optimizer.type must be one of ${OPTIMIZER_TYPES.join(', ')}, got ${JSON.stringify(opt.type)}`);
      if (typeof opt.lr !== 'number' || !(opt.lr > 0)) throw new Error(`optimizer.lr must be a number > 0, got ${JSON.stringify(opt.lr)}`);
      makeSchedule(config.schedule, { baseLr: config.optimizer.lr, stepsPerEpoch: 10, epochs: config.epochs });
      if (config.augment !== undefined) makeAugmenter(config.augment, { inputShape, task, outputs, seed: 0 });
    } catch (e) {
      const message = (e as Error).message;
      if (seen.has(message)) continue;
      seen.add(message);
      problems.push(`space/defaults: the trial config made from defaults + params ${JSON.stringify(params)} is invalid: ${message}`);
      if (seen.size >= 5) break;
    }
  }
  return problems;
}
