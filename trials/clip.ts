/**
 * Gradient norms and global-norm clipping for the trial loop. `globalNorm` / `clipByGlobalNorm` run every batch, so they stay
 * on the device: no `dataSync`, the norm comes back as a scalar tensor the loop may accumulate and read once per epoch (a
 * CPU sync per batch is expensive on wasm). `perTensorNorms` syncs once and is meant for per-epoch diagnostics.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../src/core/errors.js';

/**
 * sqrt(sum over every tensor of sum(g^2)), as a new scalar the caller disposes. An empty map gives 0.
 * Does not dispose the inputs and does not sync.
 */
export function globalNorm(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.tidy(() => tf.sqrt(sumOfSquares(grads)));
}

/**
 * Scales every gradient by `maxNorm / max(norm, maxNorm)` (tf.clip_by_global_norm): unchanged when the global norm is at most
 * `maxNorm`, otherwise rescaled so the global norm is exactly `maxNorm` with directions kept. Called once per batch by the loop
 * when `TrialConfig.clipNorm` is set, between `tf.variableGrads` and `applyGradients`.
 *
 * Returns new tensors (`grads`, same keys, and `norm`, the global norm *before* clipping) that the caller disposes; the inputs
 * are not disposed. No CPU sync. A NaN/Inf norm makes every clipped gradient NaN, as in TensorFlow: the loop sees it in `norm`.
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): { grads: tf.NamedTensorMap; norm: tf.Scalar } {
  checkClipNorm(maxNorm);
  return tf.tidy(() => {
    const norm = tf.sqrt(sumOfSquares(grads)) as tf.Scalar;
    const scale = tf.div(maxNorm, tf.maximum(norm, maxNorm));
    const clipped: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, scale);
    return { grads: clipped, norm };
  });
}

/** Throws OptionsError unless `maxNorm` is a finite number > 0 (a `clipNorm`). */
export function checkClipNorm(maxNorm: number): void {
  if (typeof maxNorm !== 'number' || !Number.isFinite(maxNorm) || maxNorm <= 0) {
    throw new OptionsError(`clipNorm must be a finite number > 0, got ${String(maxNorm)}; omit it to disable clipping`);
  }
}

/**
 * The L2 norm of each gradient, keyed like `grads`, read back with a single sync. Used once per epoch for the per-layer gradient
 * diagnostics of `EpochReport.layerGradNorms` (the loop maps variable names to layers). Leaves no tensors behind.
 */
export function perTensorNorms(grads: tf.NamedTensorMap): Record<string, number> {
  const names = Object.keys(grads);
  if (names.length === 0) return {};
  const stacked = tf.tidy(() => tf.stack(names.map((n) => tf.norm(grads[n]!))));
  const values = stacked.dataSync();
  stacked.dispose();
  const out: Record<string, number> = {};
  names.forEach((n, i) => (out[n] = values[i]!));
  return out;
}

/** sum of g^2 over all tensors (a scalar; 0 for an empty map). Must run inside a tidy. */
function sumOfSquares(grads: tf.NamedTensorMap): tf.Scalar {
  const parts = Object.values(grads).map((g) => tf.sum(tf.square(g)));
  if (parts.length === 0) return tf.scalar(0);
  return (parts.length === 1 ? parts[0]! : tf.addN(parts)) as tf.Scalar;
}
