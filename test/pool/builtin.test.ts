/**
 * The one real TF.js run in the pool: the built-in trainer on a 300-image MNIST subset, 2 epochs, in a worker thread that
 * gets the dataset through shared memory. Also checks the params -> TrialConfig merge and the shared-memory helpers.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStudy } from '../../src/study/open.js';
import { builtinConfig, mergeConfig } from '../../src/pool/config.js';
import { toPlain, toShared } from '../../src/pool/shared-data.js';
import { space } from '../../spaces/index.js';
import { loadMnist } from '../../trials/data/mnist.js';
import { tempDirs } from '../helpers/tmp.js';

const tmp = tempDirs(test);

test('mergeConfig: nested objects merge, a different `type` replaces, arrays replace', () => {
  const base = {
    optimizer: { type: 'adamw', lr: 1e-3, weightDecay: 0.01 },
    model: { type: 'mlp', units: [64], dropout: 0.1 },
    batchSize: 64,
  };
  const merged = mergeConfig(base, { optimizer: { type: 'sgd', lr: 0.1 }, model: { type: 'mlp', units: [128, 64] }, batchSize: 32 });
  assert.equal(merged, { optimizer: { type: 'sgd', lr: 0.1 }, model: { type: 'mlp', units: [128, 64], dropout: 0.1 }, batchSize: 32 });
  const c = builtinConfig(
    { epochs: 9, loss: 'mse' },
    { batchSize: 8 },
    { maxEpochs: 4, seed: 5, objective: { metric: 'valLoss', direction: 'minimize' } },
  );
  assert.equal(c, { epochs: 4, loss: 'mse', batchSize: 8, seed: 5, objective: { metric: 'valLoss', direction: 'minimize' } });
  assert.is(
    builtinConfig({}, {}, { budget: 2.4, maxEpochs: 4, seed: 1, objective: { metric: 'valLoss', direction: 'minimize' } })['epochs'],
    2,
    'a searcher budget sets the epochs',
  );
});

test('toShared moves split arrays into SharedArrayBuffers once; toPlain copies them back out', async () => {
  const data = await loadMnist({ limit: 40, seed: 1, val: 0.25, test: 0.25 });
  const shared = toShared(data);
  assert.ok(shared.train.x.buffer instanceof SharedArrayBuffer);
  assert.ok(shared.val.y.buffer instanceof SharedArrayBuffer);
  assert.equal(Array.from(shared.train.x.subarray(0, 50)), Array.from(data.train.x.subarray(0, 50)));
  assert.is(toShared(shared).train.x, shared.train.x, 'already shared arrays are not copied again');
  const plain = toPlain(shared);
  assert.not.ok(plain.train.x.buffer instanceof SharedArrayBuffer);
  assert.equal(Array.from(plain.test.y), Array.from(data.test.y));
});

test('the built-in trainer runs in the pool on shared data, streams epochs and saves the checkpoint', async () => {
  const dir = tmp('tunekit-builtin-');
  const data = await loadMnist({ limit: 300, seed: 0, val: 0.2, test: 0.2 });
  const study = await createStudy({
    name: 'builtin',
    space: { optimizer: space.choice({ adam: { lr: space.float(3e-3, 1e-2, { log: true }) } }) },
    direction: 'maximize',
    metric: 'valAccuracy',
    seed: 4,
  });
  const reports: number[] = [];
  const result = await study.optimize(
    { builtin: { defaults: { model: { type: 'mlp', units: [16] }, loss: 'crossentropy', batchSize: 32, backend: 'wasm' } } },
    { trials: 1, workers: 1, data, maxEpochs: 2, checkpointDir: (n) => path.join(dir, String(n)), onReport: (e) => reports.push(e.step) },
  );
  assert.is(result.finished, 1);
  const [t] = await study.trials();
  assert.is(t?.state, 'complete', t?.error?.message);
  assert.equal(reports, [1, 2], 'both epochs were streamed to the controller');
  assert.is(t?.intermediate.length, 2);
  assert.type(t?.intermediate[0]?.metrics?.['gradNorm'], 'number', 'epoch signals are stored with each report');
  const value = t?.value as number;
  assert.ok(value >= 0 && value <= 1, `valAccuracy ${value}`);
  assert.is(value, t?.metrics?.['valAccuracy']);
  assert.type(t?.metrics?.['testAccuracy'], 'number');
  assert.is(t?.metrics?.['epochs'], 2);
  assert.ok(fs.existsSync(path.join(dir, '0', 'model.json')), 'the best checkpoint was saved in the checkpoint dir');
  await study.close();
});

test('user modules: .ts gets the dataset in shared memory (ctx.data); a plain .mjs module runs too', async () => {
  const data = await loadMnist({ limit: 40, seed: 1, val: 0.25, test: 0.25 });
  const study = await createStudy({ name: 'peek', space: { x: space.float(0, 1) }, metric: 'loss', seed: 1 });
  const module = fileURLToPath(new URL('../fixtures/pool/trainable.ts', import.meta.url));
  await study.optimize({ module, defaults: { steps: 1 } }, { trials: 1, workers: 1, data });
  const [t] = await study.trials();
  assert.is(t?.state, 'complete');
  assert.is(t?.metrics?.['shared'], 1);
  await study.close();

  const mjs = path.join(tmp('tunekit-mjs-'), 'train.mjs');
  fs.writeFileSync(mjs, 'export default async (config, ctx) => { await ctx.report(1, config.x * 2); return config.x * 3; };\n');
  const plain = await createStudy({ name: 'mjs', space: { x: space.float(0, 1) }, seed: 2 });
  await plain.optimize({ module: mjs }, { trials: 1, workers: 1 });
  const [m] = await plain.trials();
  assert.is(m?.state, 'complete', m?.error?.message);
  assert.is(m?.value, (m?.params['x'] as number) * 3);
  assert.is(m?.intermediate[0]?.value, (m?.params['x'] as number) * 2);
  await plain.close();
});

test.run();
