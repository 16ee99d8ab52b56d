/**
 * runTrial continuation (multi-fidelity promotions): `initFrom` loads an earlier trial's checkpoint and `startEpoch` runs only
 * the extra epochs, numbering reports and resuming the lr schedule and shuffle stream where an uninterrupted run would be.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadMnist, loadModel, makeLoss, runTrial, useBackend } from '../../trials/index.js';
import { evaluateSplit, targetsFor } from '../../trials/epoch.js';
import type { Dataset, TrialConfig } from '../../trials/types.js';
import { rejects } from '../helpers/rejects.js';

const base: TrialConfig = {
  model: { type: 'mlp', units: [64] },
  optimizer: { type: 'adam', lr: 2e-3 },
  loss: 'crossentropy',
  epochs: 1,
  batchSize: 32,
  seed: 5,
};

let data: Dataset;
let root = '';
test.before(async () => {
  await useBackend('wasm');
  data = await loadMnist({ limit: 1000, seed: 2 });
  root = await mkdtemp(join(tmpdir(), 'tunekit-continue-'));
});
test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Mean cross-entropy of the checkpoint in `dir` on the training split (what the continuation starts from). */
async function trainLossOf(dir: string): Promise<number> {
  const model = await loadModel(dir);
  try {
    return evaluateSplit(
      model,
      makeLoss('crossentropy', 'classification'),
      data.train,
      targetsFor(data.train, 'classification', 10),
      data.inputShape,
      10,
      256,
    ).loss;
  } finally {
    model.dispose();
  }
}

test('continuing 2 more epochs from a 1-epoch checkpoint starts from the saved weights', async () => {
  const dir = join(root, 'first');
  await runTrial({ ...base, epochs: 1 }, data, { outDir: dir });
  const savedLoss = await trainLossOf(dir);
  const fresh = await runTrial({ ...base, epochs: 3 }, data);
  const epochs: number[] = [];
  const cont = await runTrial({ ...base, epochs: 3 }, data, {
    initFrom: dir,
    startEpoch: 1,
    report: (e) => (epochs.push(e.epoch), 'continue'),
  });
  const first = cont.history[0]!.trainLoss;
  const freshFirst = fresh.history[0]!.trainLoss;
  console.log(
    `  saved model train loss ${savedLoss.toFixed(3)}; continuation's first epoch ${first.toFixed(3)}; fresh start's first epoch ${freshFirst.toFixed(3)}`,
  );
  assert.equal(epochs, [2, 3], 'only the extra epochs run, numbered from startEpoch + 1');
  assert.equal(
    cont.history.map((e) => e.epoch),
    [2, 3],
  );
  assert.ok(cont.bestEpoch === 2 || cont.bestEpoch === 3, `bestEpoch ${cont.bestEpoch}`);
  // Training from the saved weights, the epoch's mean loss sits at or a little below the saved model's loss...
  assert.ok(first < savedLoss * 1.15 && first > savedLoss * 0.4, `continuation first epoch ${first} vs saved ${savedLoss}`);
  // ...and far below a fresh start's first epoch (which begins at ln 10 ~ 2.3).
  assert.ok(first < freshFirst * 0.75, `continuation ${first} should be far below a fresh start's ${freshFirst}`);
});

test('with a stateless optimiser the continuation reproduces the uninterrupted run: same shuffles, schedule and weights', async () => {
  // Plain SGD keeps no state, so epoch 1's checkpoint plus epochs 2-3 must retrace a 3-epoch run (up to float32 rounding of
  // the saved weights): this checks the shuffle stream and the step-based lr schedule resume at the right position.
  const sgd: TrialConfig = { ...base, optimizer: { type: 'sgd', lr: 0.05 }, schedule: { type: 'step', stepSize: 20, gamma: 0.7 } };
  const dir = join(root, 'sgd');
  await runTrial({ ...sgd, epochs: 1 }, data, { outDir: dir });
  const whole = await runTrial({ ...sgd, epochs: 3 }, data);
  const cont = await runTrial({ ...sgd, epochs: 3 }, data, { initFrom: dir, startEpoch: 1 });
  for (let i = 0; i < 2; i++) {
    const w = whole.history[i + 1]!;
    const c = cont.history[i]!;
    assert.is(c.epoch, w.epoch);
    assert.is(c.lr, w.lr, `epoch ${c.epoch}: lr`);
    assert.ok(Math.abs(c.trainLoss - w.trainLoss) < 1e-4 * w.trainLoss, `epoch ${c.epoch}: train loss ${c.trainLoss} vs ${w.trainLoss}`);
    assert.ok(Math.abs(c.valLoss - w.valLoss) < 1e-4 * w.valLoss, `epoch ${c.epoch}: val loss ${c.valLoss} vs ${w.valLoss}`);
  }
  // startEpoch without initFrom only skips epochs (fresh weights), and startEpoch 0 is the ordinary run.
  const skipped = await runTrial({ ...sgd, epochs: 2 }, data, { startEpoch: 1 });
  assert.equal(
    skipped.history.map((e) => e.epoch),
    [2],
  );
  const zero = await runTrial({ ...sgd, epochs: 1 }, data, { startEpoch: 0 });
  assert.is(zero.history[0]!.trainLoss, whole.history[0]!.trainLoss);
});

test('continuation options are validated, and a checkpoint of another architecture is refused', async () => {
  await rejects(() => runTrial({ ...base, epochs: 2 }, data, { startEpoch: 2 }), /0 <= startEpoch < epochs.*startEpoch=2, epochs=2/);
  await rejects(() => runTrial({ ...base, epochs: 2 }, data, { startEpoch: 0.5 }), /startEpoch=0.5/);
  await rejects(() => runTrial({ ...base, epochs: 2 }, data, { initFrom: '' }), /initFrom/);
  await rejects(() => runTrial({ ...base, epochs: 2 }, data, { initFrom: join(root, 'missing'), startEpoch: 1 }), /no checkpoint/);
  const dir = join(root, 'narrow');
  await runTrial({ ...base, model: { type: 'mlp', units: [16] } }, data, { outDir: dir });
  await rejects(
    () => runTrial({ ...base, epochs: 2 }, data, { initFrom: dir, startEpoch: 1 }),
    /does not fit this trial's model.*\[784, 64\].*\[784, 16\]/,
  );
});

test.run();
