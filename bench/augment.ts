/**
 * Speed of `makeAugmenter` on a 128-sample MNIST-sized batch (28x28x1), per op and for a typical pipeline. Prints figures only
 * (no assertions): run with `node --import tsx bench/augment.ts`. The goal is "well under a training step", i.e. a few ms.
 */
import seedrandom from 'seedrandom';
import { makeAugmenter } from '../trials/augment.js';
import type { AugmentConfig, Batch } from '../trials/types.js';

const N = 128;
const rand = seedrandom('bench');
const imageX = Float32Array.from({ length: N * 784 }, () => rand());
const tabX = Float32Array.from({ length: N * 64 }, () => rand() * 2 - 1);
const labels = (k: number): Float32Array => {
  const y = new Float32Array(N * k);
  for (let i = 0; i < N; i++) y[i * k + (i % k)] = 1;
  return y;
};

/** Mean ms per batch; the loop builds fresh batch arrays each step, so the copy is timed too (as in training). */
function time(config: AugmentConfig, shape: number[], x: Float32Array, outputs: number, reps = 200): number {
  const aug = makeAugmenter(config, { inputShape: shape, task: 'classification', outputs, seed: 1 });
  const y = labels(outputs);
  const fresh = (): Batch => ({ x: x.slice(), y: y.slice(), n: N });
  for (let i = 0; i < 20; i++) aug(fresh()); // warm-up (JIT)
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) aug(fresh());
  return (performance.now() - t0) / reps;
}

const img = [28, 28, 1];
const rows: [string, AugmentConfig, number[], Float32Array, number][] = [
  ['none (batch copy only)', {}, img, imageX, 10],
  ['flipH p=1', { flipH: 1 }, img, imageX, 10],
  ['rotate90 p=1', { rotate90: 1 }, img, imageX, 10],
  ['affine p=1', { affine: { p: 1 } }, img, imageX, 10],
  ['blur r=1 p=1', { blur: { p: 1, radius: 1 } }, img, imageX, 10],
  ['cutout 8x8 p=1', { cutout: { p: 1, size: 8 } }, img, imageX, 10],
  ['noise p=1', { noise: { p: 1, std: 0.1 } }, img, imageX, 10],
  [
    'typical: flipH .5 + affine .5 + cutout .5 + noise .5',
    { flipH: 0.5, affine: { p: 0.5 }, cutout: { p: 0.5, size: 8 }, noise: { p: 0.5, std: 0.1 } },
    img,
    imageX,
    10,
  ],
  ['typical, every op p=1', { flipH: 1, affine: { p: 1 }, cutout: { p: 1, size: 8 }, noise: { p: 1, std: 0.1 } }, img, imageX, 10],
  [
    'tabular 64 feats: mixup + dropout + noise, p=1',
    { mixup: { p: 1, alpha: 0.4 }, featureDropout: { p: 1, rate: 0.1 }, noise: { p: 1, std: 0.05 } },
    [64],
    tabX,
    3,
  ],
];

console.log(`augment bench: ${N}-sample batches, node ${process.version}`);
for (const [name, cfg, shape, x, outputs] of rows) {
  const ms = time(cfg, shape, x, outputs);
  console.log(`${name.padEnd(52)} ${ms.toFixed(3).padStart(8)} ms/batch  ${((N / ms) * 1000).toFixed(0).padStart(9)} samples/s`);
}
