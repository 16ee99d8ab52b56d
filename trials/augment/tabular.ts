/**
 * Tabular augmentations on a whole batch (`x` is n rows of `features` floats, already standardised).
 *
 * Order, fixed: mixup (per batch) -> featureDropout (per sample) -> noise (per sample). Mixup first so the per-sample
 * corruptions act on the inputs the model actually sees, and a mixed row is never a blend of two already-corrupted rows.
 */
import type { Batch } from '../types.js';
import type { RandomSource } from './rng.js';
import { checkFields, checkKeys, num, prob, record, noiseConfig } from './validate.js';

/** Changes a batch (in place or into new arrays), drawing randomness from `rng`. */
export type BatchOp = (batch: Batch, rng: RandomSource) => Batch;

/**
 * Mixup with a fixed lambda and permutation: row i becomes lam * row i + (1 - lam) * row perm[i], for x and y alike. Returns
 * new arrays (every row reads another row's original values). One-hot rows stay distributions: each sums to 1, values in [0, 1].
 */
export function mixupWith(batch: Batch, features: number, outputs: number, lam: number, perm: Uint32Array): Batch {
  const mix = (src: Float32Array, width: number): Float32Array => {
    const out = new Float32Array(src.length);
    for (let i = 0; i < batch.n; i++) {
      const a = i * width;
      const b = perm[i] * width;
      for (let k = 0; k < width; k++) out[a + k] = lam * src[a + k] + (1 - lam) * src[b + k];
    }
    return out;
  };
  return { x: mix(batch.x, features), y: mix(batch.y, outputs), n: batch.n };
}

/**
 * Validates a `TabularAugmentConfig` (as `unknown`, at `path`) and compiles it to one batch op. Called by `makeAugmenter` once
 * per augmenter. Returns undefined when nothing can ever happen (empty config, every p = 0).
 */
export function compileTabular(
  config: unknown,
  path: string,
  features: number,
  outputs: number,
  inputShape: readonly number[],
): BatchOp | undefined {
  const cfg = record(config, path, 'a tabular augmentation config');
  checkKeys(cfg, path, 'tabular', inputShape);
  const ops: BatchOp[] = [];
  /** Per-sample op with probability p: `f(row)` gets each chosen sample's features as a view. */
  const perSample = (p: number, f: (row: Float32Array, rng: RandomSource) => void): void => {
    if (p <= 0) return;
    ops.push((batch, rng) => {
      for (let i = 0; i < batch.n; i++) {
        if (rng.uniform() < p) f(batch.x.subarray(i * features, (i + 1) * features), rng);
      }
      return batch;
    });
  };

  if (cfg.mixup !== undefined) {
    const at = `${path}.mixup`;
    const m = record(cfg.mixup, at, '{ p, alpha }');
    checkFields(m, at, ['p', 'alpha']);
    const p = prob(m.p, `${at}.p`);
    const alpha = num(m.alpha, `${at}.alpha`, { min: 0, minOpen: true });
    if (p > 0) {
      ops.push((batch, rng) => {
        if (!(rng.uniform() < p)) return batch;
        const lam = rng.beta(alpha, alpha);
        return mixupWith(batch, features, outputs, lam, rng.permutation(batch.n));
      });
    }
  }
  if (cfg.featureDropout !== undefined) {
    const at = `${path}.featureDropout`;
    const d = record(cfg.featureDropout, at, '{ p, rate }');
    checkFields(d, at, ['p', 'rate']);
    const p = prob(d.p, `${at}.p`);
    const rate = prob(d.rate, `${at}.rate`);
    // No 1/(1-rate) rescaling as in dropout layers: inputs are standardised, so 0 is the feature's mean ("value unknown").
    if (rate > 0) {
      perSample(p, (row, rng) => {
        for (let k = 0; k < row.length; k++) if (rng.uniform() < rate) row[k] = 0;
      });
    }
  }
  if (cfg.noise !== undefined) {
    const { p, std } = noiseConfig(cfg.noise, `${path}.noise`);
    if (std > 0) perSample(p, (row, rng) => rng.addGaussian(row, std));
  }
  if (ops.length === 0) return undefined;
  return (batch, rng) => ops.reduce((b, op) => op(b, rng), batch);
}
