/**
 * Hardware-aware objectives end to end: a pooled built-in TF.js trial (small MNIST subset, 1 epoch, one worker) reports
 * paramCount, modelBytes and latencies among its metrics, and a multi-objective, constrained study reads them as objectives
 * and constraints.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createStudy } from '../../src/study/open.js';
import { space } from '../../spaces/index.js';
import { loadMnist } from '../../trials/data/mnist.js';

test('a pooled builtin trial reports positive hardware metrics; accuracy vs latency objectives and a latency constraint read them', async () => {
  const data = await loadMnist({ limit: 200, seed: 0, val: 0.2, test: 0.2 });
  const study = await createStudy({
    name: 'hw',
    // Wide enough that a batch of 256 costs far more than its fixed per-call overhead: with 8 units both took ~0.3 ms, and a
    // noisy host once measured batch 1 slower than batch 256.
    space: { model: space.choice({ mlp: { units: space.choice([[256], [512]]) } }) },
    directions: ['maximize', 'minimize'],
    metrics: ['valAccuracy', 'latencyMs'],
    searcher: 'random',
    seed: 1,
    constraints: (m) => [m['paramCount']! - 1e6],
  });
  const result = await study.optimize(
    {
      builtin: {
        defaults: {
          model: { type: 'mlp', units: [256] },
          loss: 'crossentropy',
          batchSize: 32,
          optimizer: { type: 'adam', lr: 3e-3 },
          backend: 'wasm',
        },
      },
    },
    { trials: 1, workers: 1, data, maxEpochs: 1 },
  );
  assert.is(result.finished, 1);
  const [t] = await study.trials();
  assert.is(t?.state, 'complete', t?.error?.message);
  const m = t!.metrics!;
  for (const k of ['paramCount', 'modelBytes', 'latencyMs', 'latencyMs256'])
    assert.ok(typeof m[k] === 'number' && m[k]! > 0, `${k} = ${m[k]}`);
  assert.is(m['modelBytes'], 4 * m['paramCount']!, 'float32 weights');
  assert.ok(m['latencyMs256']! > m['latencyMs']!, 'batch 256 takes longer than batch 1');
  assert.equal(t!.values, [m['valAccuracy'], m['latencyMs']]);
  assert.equal(t!.constraints, [m['paramCount']! - 1e6]);
  assert.equal(
    study.bestTrials.map((x) => x.number),
    [0],
  );
  await study.close();
});

test.run();
