/**
 * Seeded data augmentation for training batches, in plain JS on Float32Arrays (no TF.js: its ops cost milliseconds each on
 * the wasm backend, while a per-sample loop over a 128 x 784 batch costs well under that).
 *
 * The training loop builds one augmenter per trial with `makeAugmenter(config.augment, {...})` and calls it on every training
 * batch (never on validation/test). Each augmenter owns one seeded random stream advanced batch after batch, so the same seed
 * and the same batches give the same augmented batches.
 *
 * Images (inputShape [h, w, c], HWC row-major), each op decided per sample with its own probability p, in this order:
 *   flipH -> flipV -> rotate90 -> transpose -> affine -> blur -> oneOf groups -> cutout -> noise.
 *   - rotate90: k quarter turns clockwise, k uniform in {1, 2, 3}; non-square images rotate by 180 only (the only turn that
 *     keeps the shape). transpose needs a square image (error otherwise).
 *   - affine { p, shift = 0.1 (fraction of the side), scale = 0.1 (+/- fraction), rotate = 15 (+/- degrees) }: each drawn
 *     uniformly per sample, about the image centre, bilinear sampling, zero fill outside.
 *   - blur { p, radius = 1 }: separable box blur; windows clipped at borders (a constant image stays constant).
 *   - cutout { p, size, holes = 1 }: zero a size x size square (all channels) at a uniform random centre, clipped at borders.
 *   - noise { p, std }: add N(0, std^2) to every value of the sample.
 *   - oneOf [{ p, of: [configA, configB...] }]: with probability p choose exactly one member uniformly and apply it; a member is
 *     a full image config applied with its own probabilities (`{ flipH: 1 }` always flips once chosen).
 * Tabular (inputShape [features]), in this order: mixup -> featureDropout -> noise.
 *   - mixup { p, alpha }: with probability p per batch, lam ~ Beta(alpha, alpha) and a random permutation perm of the batch;
 *     x = lam x + (1 - lam) x[perm], y likewise (soft labels for classification; mixed targets for regression).
 *   - featureDropout { p, rate }: in a chosen sample, each feature is set to 0 (its standardised mean) with probability rate.
 *   - noise { p, std }: add N(0, std^2) to every feature of a chosen sample.
 * Labels are only ever changed by mixup.
 */
import { OptionsError } from '../src/core/errors.js';
import { compileImage, type ImageOp } from './augment/image.js';
import { RandomSource } from './augment/rng.js';
import { compileTabular } from './augment/tabular.js';
import { record } from './augment/validate.js';
import type { AugmentConfig, Augmenter, Batch, Task } from './types.js';

export { IMAGE_KEYS, TABULAR_KEYS } from './augment/validate.js';
export { RandomSource } from './augment/rng.js';
export {
  affineInto,
  boxBlurInPlace,
  cutoutAt,
  flipHInPlace,
  flipVInPlace,
  rotate90Into,
  transposeInto,
  type AffineParams,
  type ImageDims,
} from './augment/image.js';
export { mixupWith } from './augment/tabular.js';

/** What `makeAugmenter` needs to know about the data and the run. */
export interface AugmentContext {
  /** [h, w, c] for images, [features] for tabular data. */
  readonly inputShape: readonly number[];
  /** Informational: mixup blends y rows whatever the task (soft labels for classification, mixed targets for regression). */
  readonly task: Task;
  /** Width of a y row: numClasses (one-hot) for classification, 1 for regression. */
  readonly outputs: number;
  /** Seeds the augmenter's random stream (the trial seed). */
  readonly seed: number;
}

const identity: Augmenter = (batch) => batch;

/**
 * Validates `config` against the input kind and returns the augmenter the training loop applies to each training batch.
 * `undefined`, `{}` or a config whose every probability is 0 gives the identity. Image keys on tabular data (and vice versa),
 * unknown keys, probabilities outside [0, 1] and bad fields throw `OptionsError` naming the field and what fits.
 *
 * The returned function may overwrite the batch's arrays (the loop builds fresh ones per batch) or return new ones (mixup);
 * shapes never change. It throws if a batch's array lengths do not match `n`, `inputShape` and `outputs`.
 */
export function makeAugmenter(config: AugmentConfig | undefined, ctx: AugmentContext): Augmenter {
  const { inputShape, outputs, seed } = ctx;
  if (!Array.isArray(inputShape) || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new OptionsError(`augment: inputShape must be positive integers, got [${String(inputShape)}]`);
  }
  if (inputShape.length !== 1 && inputShape.length !== 3) {
    throw new OptionsError(
      `augment needs inputShape [h, w, c] (images) or [features] (tabular), got [${inputShape.join(', ')}] (rank ${inputShape.length})`,
    );
  }
  if (!Number.isInteger(outputs) || outputs < 1) throw new OptionsError(`augment: outputs must be an integer >= 1, got ${outputs}`);
  if (!Number.isFinite(seed)) throw new OptionsError(`augment: seed must be a finite number, got ${seed}`);
  if (config === undefined) return identity;
  const cfg = record(config, 'augment', 'an image or tabular augmentation config');
  // Array.isArray above widened the readonly tuple to any[]; read it back as numbers.
  const size = (inputShape as readonly number[]).reduce((a, b) => a * b, 1);
  const rng = new RandomSource(seed);

  const checkBatch = (b: Batch): void => {
    if (!Number.isInteger(b.n) || b.n < 0 || b.x.length !== b.n * size || b.y.length !== b.n * outputs) {
      throw new OptionsError(
        `augment: a batch of n=${b.n} must have x.length = n * ${size} (inputShape [${inputShape.join(', ')}]) and ` +
          `y.length = n * ${outputs} (outputs), got x.length=${b.x.length}, y.length=${b.y.length}`,
      );
    }
  };

  if (inputShape.length === 3) {
    const [h, w, c] = inputShape as [number, number, number];
    const op: ImageOp | undefined = compileImage(cfg, 'augment', { h, w, c }, inputShape);
    if (op === undefined) return identity;
    return (batch) => {
      checkBatch(batch);
      for (let i = 0; i < batch.n; i++) op(batch.x.subarray(i * size, (i + 1) * size), rng);
      return batch;
    };
  }
  const op = compileTabular(cfg, 'augment', size, outputs, inputShape);
  if (op === undefined) return identity;
  return (batch) => {
    checkBatch(batch);
    return op(batch, rng);
  };
}
