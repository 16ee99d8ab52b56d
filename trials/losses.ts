/**
 * Loss functions for the trial loop. `makeLoss(config, task)` validates the config once, up front, and returns a `LossFn` that
 * the loop calls inside `tf.variableGrads` for every batch (and once per evaluation batch).
 *
 * Conventions (the same for every loss):
 * - `yTrue` is [n, k] one-hot (classification; may be soft after mixup / label smoothing) or [n, 1] targets (regression).
 * - `yPred` is [n, k] logits (classification, no softmax in the model) or [n, 1] values (regression).
 * - The result is the mean over the batch, a scalar. Intermediates are freed by `tf.tidy` (TF.js keeps what backprop needs).
 * - Cross-entropy-family losses use `tf.logSoftmax`, never `log(softmax)`, so large logits cannot give log(0) = -Inf.
 * - `mse` / `huber` on a classification task compare `softmax(yPred)` with the (one-hot) target, i.e. the Brier score and its
 *   robust variant; on regression they compare the raw values.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../src/core/errors.js';
import type { LossConfig, LossFn, Task } from './types.js';

/** Every loss `type` `makeLoss` accepts (the string forms 'crossentropy' | 'mse' | 'huber' are shorthands). */
export const LOSS_TYPES = ['crossentropy', 'label_smoothing', 'focal', 'mse', 'huber', 'combined'] as const;

/** Losses defined on class probabilities only: they make no sense for a regression target. */
const CLASSIFICATION_ONLY = new Set(['crossentropy', 'label_smoothing', 'focal']);

/** Fields each loss type accepts (besides `type`), so a typo such as `{ type: 'huber', delat: 2 }` is caught, not ignored. */
const FIELDS: Record<string, readonly string[]> = {
  crossentropy: [],
  label_smoothing: ['smoothing'],
  focal: ['gamma', 'alpha'],
  mse: [],
  huber: ['delta'],
  combined: ['main', 'alpha'],
};

/**
 * Builds the loss named by `config` for `task`. Called once per trial by the training loop, before the first batch.
 * Throws `OptionsError` (naming the field, e.g. `loss.smoothing`) for an unknown loss, an unknown field, an out-of-range value,
 * or a cross-entropy-family loss on a regression task. The returned function throws if shapes disagree or, for `combined`, if
 * the aux output is missing.
 */
export function makeLoss(config: LossConfig, task: Task): LossFn {
  return build(config, task, 'loss');
}

function build(config: unknown, task: Task, path: string): LossFn {
  const cfg: Record<string, unknown> =
    typeof config === 'string'
      ? { type: config }
      : typeof config === 'object' && config !== null && !Array.isArray(config)
        ? (config as Record<string, unknown>)
        : {};
  const type = cfg.type;
  if (typeof type !== 'string' || !(type in FIELDS)) {
    const got = typeof config === 'string' ? JSON.stringify(config) : typeof type === 'string' ? JSON.stringify(type) : String(type);
    throw new OptionsError(`${path}${typeof config === 'string' ? '' : '.type'} must be one of ${LOSS_TYPES.join(', ')}; got ${got}`);
  }
  for (const key of Object.keys(cfg)) {
    if (key !== 'type' && !FIELDS[type]!.includes(key)) {
      throw new OptionsError(`${path}.${key} is not a field of the "${type}" loss; it takes: ${FIELDS[type]!.join(', ') || '(no fields)'}`);
    }
  }
  if (task === 'regression' && CLASSIFICATION_ONLY.has(type)) {
    throw new OptionsError(`${path} "${type}" needs class labels but the task is regression; use mse or huber for regression`);
  }
  const cls = task === 'classification';
  switch (type) {
    case 'crossentropy':
      return (yTrue, yPred) => tf.tidy(() => crossEntropy(checked(yTrue, yPred, path), yPred));
    case 'label_smoothing': {
      const s = num(cfg.smoothing, `${path}.smoothing`, (x) => x >= 0 && x < 1, 'in [0, 1)');
      return (yTrue, yPred) =>
        tf.tidy(() => {
          checked(yTrue, yPred, path);
          const k = yTrue.shape[1];
          // Mixes every target row with the uniform distribution; rows still sum to 1 (also for soft mixup rows).
          return crossEntropy(tf.add(tf.mul(yTrue, 1 - s), s / k), yPred);
        });
    }
    case 'focal': {
      const gamma = cfg.gamma === undefined ? 2 : num(cfg.gamma, `${path}.gamma`, (x) => x >= 0, '>= 0');
      const alpha = cfg.alpha === undefined ? 1 : num(cfg.alpha, `${path}.alpha`, (x) => x > 0, '> 0');
      return (yTrue, yPred) => tf.tidy(() => focal(checked(yTrue, yPred, path), yPred, gamma, alpha));
    }
    case 'mse':
      return (yTrue, yPred) =>
        tf.tidy(() => {
          checked(yTrue, yPred, path);
          return tf.mean(tf.square(tf.sub(compared(yPred, cls), yTrue))) as tf.Scalar;
        });
    case 'huber': {
      const delta = cfg.delta === undefined ? 1 : num(cfg.delta, `${path}.delta`, (x) => x > 0, '> 0');
      return (yTrue, yPred) =>
        tf.tidy(() => {
          checked(yTrue, yPred, path);
          return huber(yTrue, compared(yPred, cls), delta);
        });
    }
    case 'combined': {
      if (cfg.main === undefined)
        throw new OptionsError(`${path}.main is required for the "combined" loss (the loss of the main head), e.g. "crossentropy"`);
      const alpha = num(cfg.alpha, `${path}.alpha`, (x) => x >= 0, '>= 0 (the weight of the aux MSE)');
      const main = build(cfg.main, task, `${path}.main`);
      const auxLoss = build('mse', task, `${path}.aux`);
      return (yTrue, yPred, aux) => {
        if (aux === undefined) {
          throw new OptionsError(
            `${path} is "combined" but no aux output was passed to the loss; build the model with auxHead: true and pass its second output`,
          );
        }
        return tf.tidy(() => tf.add(main(yTrue, yPred), tf.mul(auxLoss(yTrue, aux), alpha)) as tf.Scalar);
      };
    }
  }
  /* c8 ignore next */
  throw new OptionsError(`${path}.type ${JSON.stringify(type)} is not handled`);
}

/** mean_i( -sum_j y_ij * logSoftmax(z)_ij ). Soft targets are fine: it is the cross-entropy H(y, softmax(z)). */
function crossEntropy(yTrue: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(yTrue, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

/**
 * Multi-class focal loss (Lin et al. 2017): mean_i( -sum_j alpha * (1 - p_ij)^gamma * y_ij * log p_ij ), p = softmax(z).
 * `1 - p` is floored at 1e-12 before the power: with a base of exactly 0 (p rounds to 1 in float32) the pow gradient
 * gamma * a^(gamma-1) is Inf for gamma < 1 and the backward pass gives NaN (checked on TF.js 4.22); the floor changes the loss
 * by < 1e-12 * |log p|. gamma = 0 skips the power entirely (it is plain cross-entropy).
 */
function focal(yTrue: tf.Tensor2D, logits: tf.Tensor2D, gamma: number, alpha: number): tf.Scalar {
  const logP = tf.logSoftmax(logits);
  const weighted =
    gamma === 0 ? tf.mul(yTrue, logP) : tf.mul(tf.pow(tf.maximum(tf.sub(1, tf.exp(logP)), 1e-12), gamma), tf.mul(yTrue, logP));
  return tf.mul(tf.mean(tf.sum(weighted, 1)), -alpha) as tf.Scalar;
}

/** Elementwise Huber, averaged over all elements. Written as 0.5 q^2 + delta * (|e| - q), q = min(|e|, delta), which equals
 * the two-branch definition and has a continuous gradient (the form tf.losses.huberLoss uses). */
function huber(yTrue: tf.Tensor2D, yPred: tf.Tensor2D, delta: number): tf.Scalar {
  const absErr = tf.abs(tf.sub(yPred, yTrue));
  const quad = tf.minimum(absErr, delta);
  return tf.mean(tf.add(tf.mul(tf.square(quad), 0.5), tf.mul(tf.sub(absErr, quad), delta))) as tf.Scalar;
}

/** What mse/huber compare with the target: class probabilities for classification, raw values for regression. */
function compared(yPred: tf.Tensor2D, classification: boolean): tf.Tensor2D {
  return classification ? tf.softmax(yPred) : yPred;
}

/** Shapes must agree exactly: broadcasting [n,1] against [n,k] would silently compute a different loss. Returns yTrue. */
function checked(yTrue: tf.Tensor2D, yPred: tf.Tensor2D, path: string): tf.Tensor2D {
  if (yTrue.rank !== 2 || yPred.rank !== 2 || yTrue.shape[0] !== yPred.shape[0] || yTrue.shape[1] !== yPred.shape[1]) {
    throw new OptionsError(
      `${path}: yTrue and yPred must both be [n, k] with equal shapes, got yTrue [${yTrue.shape.join(', ')}] and yPred ` +
        `[${yPred.shape.join(', ')}]; one-hot encode class labels (k = numClasses) or pass regression targets as [n, 1]`,
    );
  }
  return yTrue;
}

/** `v` must be a finite number passing `ok`; `desc` states the allowed range in the message. */
function num(v: unknown, path: string, ok: (x: number) => boolean, desc: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
    throw new OptionsError(`${path} must be a finite number ${desc}, got ${typeof v === 'number' ? v : (JSON.stringify(v) ?? String(v))}`);
  }
  return v;
}
