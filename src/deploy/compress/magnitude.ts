/**
 * Unstructured magnitude pruning: per kernel, the fraction `sparsity` of weights with the smallest |w| is set to 0 and held
 * there by a mask. Layer-wise (every prunable kernel reaches the same sparsity; a global threshold could empty a small layer
 * such as the logits), exact (the count is round(sparsity * size), ties at the threshold broken by index), and gradual on
 * request with the polynomial schedule of Zhu & Gupta 2017 ("To prune, or not to prune"):
 *
 *   s_t = s_f + (s_i - s_f) * (1 - t / n)^3,  t = 1..n pruning steps, so s_n = s_f.
 *
 * The masks are re-applied after every optimiser step during fine-tuning (`MaskSet.apply`), because optimiser updates
 * (Adam's moments, momentum) would otherwise move pruned weights off zero.
 */
import * as tf from '@tensorflow/tfjs';
import { prunableKernels } from './common.js';

/** The masks of one model's prunable kernels (1 = kept, 0 = pruned); owns the mask tensors. */
export interface MaskSet {
  /** Sparsity the masks were last computed for. */
  readonly sparsity: number;
  /** Multiplies every masked kernel by its mask (one tf.tidy; no sync). */
  apply(): void;
  /** Recomputes the masks from the current weights for `sparsity`, then applies them. */
  update(sparsity: number): void;
  /** Pruned / total weights over the masked kernels, counted from the masks. */
  reached(): number;
  /** Per-layer sparsity of the masks, by layer name. */
  perLayer(): Record<string, number>;
  dispose(): void;
}

/**
 * The 0/1 mask of `values` that zeros exactly round(sparsity * n) entries of smallest magnitude (ties at the threshold go to
 * the lower indices). Pure JS on a typed array: a sort of |w| (fast numeric typed-array sort) finds the threshold.
 */
export function magnitudeMask(values: Float32Array, sparsity: number): Float32Array {
  const n = values.length;
  const k = Math.min(n, Math.max(0, Math.round(sparsity * n)));
  const mask = new Float32Array(n).fill(1);
  if (k === 0) return mask;
  const abs = Float32Array.from(values, Math.abs);
  const sorted = Float32Array.from(abs).sort();
  const threshold = sorted[k - 1]!;
  let pruned = 0;
  for (let i = 0; i < n; i++) {
    if (abs[i]! < threshold) {
      mask[i] = 0;
      pruned++;
    }
  }
  for (let i = 0; i < n && pruned < k; i++) {
    if (abs[i] === threshold) {
      mask[i] = 0;
      pruned++;
    }
  }
  return mask;
}

/** Sparsity at pruning step t of n (1-based) from `initial` to `final` on the cubic schedule; t >= n gives `final`. */
export function polynomialSparsity(t: number, n: number, final: number, initial = 0): number {
  if (t >= n) return final;
  if (t <= 0) return initial;
  return final + (initial - final) * Math.pow(1 - t / n, 3);
}

/**
 * Masks for every prunable kernel of `model` (see `prunableKernels`), computed at `sparsity` and applied at once. Called by
 * `prune` (one-shot, or at each scheduled step through `update`). The caller disposes the set; the model's variables are
 * written in place.
 */
export function magnitudeMasks(model: tf.LayersModel, sparsity: number): MaskSet {
  const kernels = prunableKernels(model);
  let masks: tf.Tensor[] = [];
  let current = sparsity;
  let counts: { layer: string; zeros: number; size: number }[] = [];

  const compute = (s: number): void => {
    const next: tf.Tensor[] = [];
    const nextCounts: typeof counts = [];
    for (const { layer, variable } of kernels) {
      const m = magnitudeMask(variable.read().dataSync() as Float32Array, s);
      let zeros = 0;
      for (let i = 0; i < m.length; i++) if (m[i] === 0) zeros++;
      next.push(tf.tensor(m, variable.shape as number[]));
      nextCounts.push({ layer, zeros, size: m.length });
    }
    tf.dispose(masks);
    masks = next;
    counts = nextCounts;
    current = s;
  };

  const set: MaskSet = {
    get sparsity() {
      return current;
    },
    apply() {
      tf.tidy(() => {
        kernels.forEach(({ variable }, i) => variable.write(tf.mul(variable.read(), masks[i]!)));
      });
    },
    update(s: number) {
      compute(s);
      set.apply();
    },
    reached() {
      const zeros = counts.reduce((a, c) => a + c.zeros, 0);
      const size = counts.reduce((a, c) => a + c.size, 0);
      return size > 0 ? zeros / size : 0;
    },
    perLayer() {
      const acc = new Map<string, { zeros: number; size: number }>();
      for (const c of counts) {
        const a = acc.get(c.layer) ?? { zeros: 0, size: 0 };
        acc.set(c.layer, { zeros: a.zeros + c.zeros, size: a.size + c.size });
      }
      return Object.fromEntries([...acc].map(([layer, a]) => [layer, a.size > 0 ? a.zeros / a.size : 0]));
    },
    dispose() {
      tf.dispose(masks);
      masks = [];
    },
  };
  set.update(sparsity);
  return set;
}
