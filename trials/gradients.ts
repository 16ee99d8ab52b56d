/**
 * Gradient replacements for TF.js 4.22, installed once by `useBackend` (every backend: the maths does not depend on one):
 * Sum and Mean here, FusedBatchNorm below.
 *
 * Why: the stock gradients of `Sum` and `Mean` broadcast dy back to x's shape by multiplying with `tf.ones(x.shape)`, which
 * TF.js fills element by element in a JS loop and then copies into the backend. Batch normalisation takes a mean over batch,
 * height and width of every conv activation, so on a CNN with batch norm this was 8.5% of a whole trial's time (4.7 of 55 s
 * for a [16, 32]-filter CNN at batch 128, profiled with --cpu-prof). Here the ones come from `tf.fill`, which the backend
 * fills in its own memory. Every other step is the stock one, so the values are bit-identical to the stock gradients.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * dy reshaped to x's rank (size 1 on the reduced axes) times ones of x's shape, as the stock gradient computes it, but with the
 * ones from `tf.fill` (the backend fills its own memory: a native `TypedArray.fill` on wasm) instead of a JS loop and a copy.
 * Not `tf.broadcastTo`: it runs the wasm `Tile` kernel, a generic per-element loop that measured 5-8x slower than the stock
 * gradient on a [128, 28, 28, 16] mean.
 */
function broadcastBack(dy: tf.Tensor, x: tf.Tensor, axes: readonly number[]): tf.Tensor {
  const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return tf.mul(tf.reshape(dy, expanded), tf.fill(x.shape, 1, 'float32'));
}

/** The reduced axes of a Sum/Mean, from its `axis` attribute (absent: every axis), as the stock gradients read them. */
const reducedAxes = (x: tf.Tensor, axis: unknown): number[] => tf.util.parseAxisParam(axis as number | number[], x.shape);

/** The replacement `Sum` gradient (same kernel name, inputs saved and attributes as the stock one). */
export const SUM_GRADIENT: tf.GradConfig = {
  kernelName: tf.Sum,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as tf.Tensor[];
    const derX = broadcastBack(dy as tf.Tensor, x!, reducedAxes(x!, attrs['axis']));
    return { x: () => derX };
  },
};

/** The replacement `Mean` gradient. */
export const MEAN_GRADIENT: tf.GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as tf.Tensor[];
    return {
      x: () => {
        const axes = reducedAxes(x!, attrs['axis']);
        const reduceSize = axes.reduce((n, a) => n * x!.shape[a]!, 1);
        return tf.div(broadcastBack(dy as tf.Tensor, x!, axes), reduceSize);
      },
    };
  },
};

/**
 * The replacement `FusedBatchNorm` gradient (batch normalisation while training). TF.js's own computes dx as
 * dy * tile(1 / sqrt(variance + eps), [n, h, w, 1]) * scale: the `tile` runs wasm's generic per-element `Tile` kernel and was
 * 41% of a batch-norm CNN epoch (9.7 of 23 s, --cpu-prof). The multiplication broadcasts the per-channel factor by itself, so
 * the tile is dropped; every product is the same, so the values are bit-identical. The other four gradients are TF.js's, as
 * they are.
 */
export const FUSED_BATCH_NORM_GRADIENT: tf.GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, saved, attrs) => {
    const g = dy as tf.Tensor;
    const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
    const scaleValue = scale ?? tf.scalar(1);
    const perChannel = mean.rank === 1;
    const reductionAxes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const xMinusMean = tf.sub(x, mean);
    const dyTimesScaleValue = tf.mul(g, scaleValue);
    const oneOverSqrtVariance = tf.rsqrt(tf.add(variance, tf.scalar(attrs['varianceEpsilon'] as number)));
    const minusHalfRCube = tf.mul(tf.mul(tf.mul(oneOverSqrtVariance, oneOverSqrtVariance), oneOverSqrtVariance), tf.scalar(-0.5));
    /** Per-channel statistics: summed over the batch (and space) axes; in the mean's shape either way. */
    const reduced = (t: tf.Tensor): tf.Tensor => tf.reshape(perChannel ? tf.sum(t, reductionAxes) : t, mean.shape);
    return {
      x: () => {
        const factor = perChannel ? tf.reshape(oneOverSqrtVariance, [1, 1, 1, mean.shape[0]!]) : oneOverSqrtVariance;
        return tf.reshape(tf.mul(tf.mul(g, factor), scaleValue), x.shape);
      },
      mean: () => reduced(tf.mul(tf.mul(oneOverSqrtVariance, tf.scalar(-1)), dyTimesScaleValue)),
      variance: () => reduced(tf.mul(tf.mul(minusHalfRCube, xMinusMean), dyTimesScaleValue)),
      scale: () => reduced(tf.mul(g, tf.mul(xMinusMean, oneOverSqrtVariance))),
      offset: () => reduced(g),
    };
  },
};

/** Every replacement `patchGradients` installs (bench/train-speed swaps them with TF.js's own for its A/B). */
export const GRADIENT_PATCHES: readonly tf.GradConfig[] = [SUM_GRADIENT, MEAN_GRADIENT, FUSED_BATCH_NORM_GRADIENT];

let patched = false;

/** Registers the replacements (once per process; TF.js keeps one gradient per kernel name, the last registered). */
export function patchGradients(): void {
  if (patched) return;
  for (const g of GRADIENT_PATCHES) tf.registerGradient(g);
  patched = true;
}
