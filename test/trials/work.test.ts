/**
 * trials/work.ts: a built-in trial's work counted from its config (multiply-adds by kind, element-wise reads), and the pool's
 * cost hint made from it (src/pool/config.ts builtinCostHint): exact counts on small models, the order of the sweep example's
 * models, and that params which barely change a step's cost (optimiser, learning rate, dropout rate) leave the hint alone.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { modelWork } from '../../trials/work.js';
import { builtinConfig, builtinCostHint } from '../../src/pool/config.js';
import type { ModelConfig } from '../../trials/types.js';

const MNIST = [28, 28, 1];
const data = { inputShape: MNIST, task: 'classification' as const, numClasses: 10 };
const objective = { metric: 'valAccuracy', direction: 'maximize' as const };
const total = (m: ModelConfig) => {
  const w = modelWork(m, MNIST, 10);
  return w.matmul + w.conv + w.elementwise;
};

test('exact counts: an MLP, a CNN block with pooling, attention on tabular rows', () => {
  assert.equal(modelWork({ type: 'mlp', units: [128] }, MNIST, 10), {
    kind: 'mlp',
    matmul: 784 * 128 + 128 * 10,
    conv: 0,
    elementwise: 128,
  });
  // conv 3x3 'same' to 8 maps on 28x28, activation and 2x2 max pool over the maps, head on 14 * 14 * 8 features.
  assert.equal(modelWork({ type: 'cnn', filters: [8] }, MNIST, 10), {
    kind: 'cnn',
    matmul: 14 * 14 * 8 * 10,
    conv: 28 * 28 * 9 * 8,
    elementwise: 2 * 28 * 28 * 8,
  });
  // Batch norm reads each element NORM = 3 more times; dropout once more (after pooling).
  const bn = modelWork({ type: 'cnn', filters: [8], batchNorm: true, dropout: 0.2 }, MNIST, 10);
  assert.is(bn.elementwise, (1 + 3) * 28 * 28 * 8 + 28 * 28 * 8 + 14 * 14 * 8);
  // Tabular attention: one token per feature (4), each embedded to dim 8; one layer, mlpRatio 2.
  const t = modelWork({ type: 'attention', dim: 8, heads: 2 }, [4], 1);
  assert.is(t.matmul, 4 * 8 + 4 * 4 * 8 * 8 + 2 * 4 * 4 * 8 + 2 * 4 * 8 * 16 + 8 * 1);
});

test("the sweep example's models: bigger models count more work, and each kind stays its own kind", () => {
  assert.ok(total({ type: 'mlp', units: [512, 256] }) > total({ type: 'mlp', units: [256, 128] }));
  assert.ok(total({ type: 'residual_mlp', blocks: 3, units: 128 }) > total({ type: 'residual_mlp', blocks: 1, units: 128 }));
  assert.ok(total({ type: 'cnn', filters: [16, 32] }) > total({ type: 'cnn', filters: [8, 16] }));
  assert.ok(total({ type: 'cnn', filters: [8, 16], batchNorm: true }) > total({ type: 'cnn', filters: [8, 16] }));
  const small = modelWork({ type: 'attention', patch: 7, dim: 32, heads: 2, layers: 1 }, MNIST, 10);
  const large = modelWork({ type: 'attention', patch: 7, dim: 64, heads: 4, layers: 2 }, MNIST, 10);
  assert.ok(large.matmul > 3 * small.matmul, `${large.matmul} vs ${small.matmul}`);
  assert.is(large.kind, 'attention');
  assert.is(large.conv, 0, 'patches are embedded by a dense layer, not a conv');
});

test('builtinCostHint: the optimiser, learning rate and dropout rate leave the hint alone; the model and batch size do not', () => {
  const hint = (params: object, defaults: object = { batchSize: 128 }) =>
    builtinCostHint(builtinConfig(defaults as never, params as never, { seed: 1, objective }), data);
  const model = { type: 'attention', patch: 7, dim: 64, heads: 4, layers: 2, dropout: 0.2 };
  const adam = hint({ model, optimizer: { type: 'adam', lr: 0.0056 } });
  const adamw = hint({ model: { ...model, dropout: 0.1 }, optimizer: { type: 'adamw', lr: 0.0057, weightDecay: 7e-5 } });
  assert.ok(adam);
  assert.equal(adamw, adam);
  assert.is(adam.kind, 'attention');
  assert.is(adam.work.length, 4);
  assert.is(adam.work[3], 128, 'the batch size');
  assert.is(adam.size, adam.work[0]! + adam.work[1]! + adam.work[2]!, 'size: the per-sample counts summed');
  assert.not.equal(hint({ model: { ...model, dim: 32, heads: 2 } }), adam);
  assert.not.equal(hint({ model }, { batchSize: 32 }), adam);
  // No model object, or a config the trial would reject: no hint (the cost model falls back to the search space).
  assert.is(hint({ optimizer: { type: 'adam', lr: 0.001 } }), undefined);
  assert.is(hint({ model: { type: 'attention', patch: 5, dim: 8, heads: 2 } }), undefined, 'patch 5 does not divide 28');
});

test('counting work loads no TF.js: the controller counts every queued trial (a fresh process, as TF.js sets a global)', () => {
  const config = fileURLToPath(new URL('../../src/pool/config.ts', import.meta.url));
  const code = `await import(${JSON.stringify(config)}); process.stdout.write(String('_tfengine' in globalThis));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
  assert.is(out, 'false');
});

test.run();
