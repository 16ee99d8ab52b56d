/**
 * The knowledge-distillation loss of Hinton, Vinyals & Dean 2015 ("Distilling the Knowledge in a Neural Network"):
 *
 *   L = alpha * T^2 * KL( softmax(t / T) || softmax(s / T) ) + (1 - alpha) * CE( labels, softmax(s) )
 *
 * t = teacher logits, s = student logits, T = temperature, both terms averaged over the batch. The T^2 factor keeps the
 * soft-target gradients at the same scale as the hard-target ones when T changes (the soft gradients scale as 1/T^2).
 * Called by `distill` inside `tf.variableGrads` for every batch, and by tests with hand-worked values.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import { checkNumber } from './common.js';

/** Options of `distillationLoss` (and the same fields of `distill`). */
export interface DistillationLossOptions {
  /** Softmax temperature T > 0 (default 4). T = 1 compares the plain output distributions. */
  readonly temperature?: number;
  /** Weight of the soft-target (KL) term, in [0, 1] (default 0.7); 1 - alpha weights the cross-entropy with the labels. */
  readonly alpha?: number;
}

/** Checks and fills in temperature / alpha; `path` prefixes the field names in errors (e.g. `distill.temperature`). */
export function distillationParams(opts: DistillationLossOptions, path = 'distillationLoss'): { temperature: number; alpha: number } {
  const temperature = opts.temperature === undefined ? 4 : checkNumber(`${path}.temperature`, opts.temperature, (x) => x > 0, '> 0');
  const alpha = opts.alpha === undefined ? 0.7 : checkNumber(`${path}.alpha`, opts.alpha, (x) => x >= 0 && x <= 1, 'in [0, 1]');
  return { temperature, alpha };
}

/**
 * The distillation loss (a scalar, mean over the batch) of `studentLogits` [n, k] against `teacherLogits` [n, k] and `labels`
 * (one-hot [n, k], possibly soft, or class indices [n]). Differentiable in the student logits; `distill` passes the teacher
 * logits as a plain tensor computed once before training, so no gradient can reach the teacher. Uses logSoftmax throughout,
 * so large logits cannot produce log(0).
 *
 * KL(p || q) = sum_j p_j (log p_j - log q_j); a teacher probability of exactly 0 contributes 0 (0 * finite).
 *
 * @throws OptionsError when shapes disagree or temperature / alpha are out of range.
 */
export function distillationLoss(
  teacherLogits: tf.Tensor,
  studentLogits: tf.Tensor,
  labels: tf.Tensor,
  opts: DistillationLossOptions = {},
): tf.Scalar {
  const { temperature: T, alpha } = distillationParams(opts);
  if (teacherLogits.rank !== 2 || studentLogits.rank !== 2 || !sameShape(teacherLogits.shape, studentLogits.shape)) {
    throw new OptionsError(
      `distillationLoss: teacherLogits and studentLogits must both be [n, k] with equal shapes, got ` +
        `[${teacherLogits.shape.join(', ')}] and [${studentLogits.shape.join(', ')}]`,
    );
  }
  const [n, k] = studentLogits.shape as [number, number];
  const labelsOk = labels.rank === 1 ? labels.shape[0] === n : labels.rank === 2 && sameShape(labels.shape, [n, k]);
  if (!labelsOk) {
    throw new OptionsError(
      `distillationLoss: labels must be one-hot [${n}, ${k}] or class indices [${n}], got [${labels.shape.join(', ')}]`,
    );
  }
  return tf.tidy(() => {
    const oneHot = labels.rank === 1 ? tf.oneHot(tf.cast(labels, 'int32'), k).toFloat() : labels;
    let total: tf.Scalar = tf.scalar(0);
    if (alpha > 0) {
      const logP = tf.logSoftmax(tf.div(teacherLogits, T));
      const logQ = tf.logSoftmax(tf.div(studentLogits, T));
      const kl = tf.mean(tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), 1));
      total = tf.add(total, tf.mul(kl, alpha * T * T));
    }
    if (alpha < 1) {
      const ce = tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(studentLogits)), 1)));
      total = tf.add(total, tf.mul(ce, 1 - alpha));
    }
    return total;
  });
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
