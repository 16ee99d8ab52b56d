/**
 * Evaluation metrics in plain JS (no TF.js): the loop reads a split's logits/predictions once into a Float32Array and computes
 * everything here, so metrics cost microseconds and never touch the backend.
 *
 * Conventions (the same as scikit-learn's with `zero_division=0`):
 * - Classes averaged over ("macro") are those that occur in the true labels or the predictions, so a tiny validation subset
 *   missing a class is not charged a 0 for it. With `labels` given explicitly, those classes are used instead.
 * - A class never predicted has precision 0 (0/0 taken as 0); a class never present has recall 0; F1 is 0 when P + R = 0.
 * - Weighted averages weight each class by its support (number of true samples); classes with support 0 get weight 0.
 * - R2 = 1 - SS_res / SS_tot; when the targets are constant (SS_tot = 0) it is 1 for perfect predictions and 0 otherwise.
 */

/** What `classificationMetrics` returns; the loop prefixes the names with `val` for EpochReport.metrics. */
export interface ClassificationMetrics {
  readonly accuracy: number;
  readonly precisionMacro: number;
  readonly recallMacro: number;
  readonly f1Macro: number;
  readonly precisionWeighted: number;
  readonly recallWeighted: number;
  readonly f1Weighted: number;
}

/** What `regressionMetrics` returns. */
export interface RegressionMetrics {
  readonly rmse: number;
  readonly mae: number;
  readonly r2: number;
}

/** Classification metric names (without prefix), in report order. */
export const CLASSIFICATION_METRICS: readonly (keyof ClassificationMetrics)[] = [
  'accuracy',
  'precisionMacro',
  'recallMacro',
  'f1Macro',
  'precisionWeighted',
  'recallWeighted',
  'f1Weighted',
];
/** Regression metric names (without prefix), in report order. */
export const REGRESSION_METRICS: readonly (keyof RegressionMetrics)[] = ['rmse', 'mae', 'r2'];

/**
 * Row-wise argmax of an [n, k] row-major matrix (logits or probabilities). Ties go to the lowest index; a row containing NaN
 * predicts the first NaN-free maximum it finds (NaN never compares greater), so NaN logits still give a valid class.
 */
export function argmaxRows(values: ArrayLike<number>, k: number): Int32Array {
  if (!Number.isInteger(k) || k < 1 || values.length % k !== 0) {
    throw new RangeError(`argmaxRows: values.length (${values.length}) must be a multiple of k (${k}) with k >= 1`);
  }
  const n = values.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestV = values[i * k]!;
    for (let j = 1; j < k; j++) {
      const v = values[i * k + j]!;
      if (v > bestV || (Number.isNaN(bestV) && !Number.isNaN(v))) {
        best = j;
        bestV = v;
      }
    }
    out[i] = best;
  }
  return out;
}

function checkLabels(labels: ArrayLike<number>, k: number, what: string): void {
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= k) {
      throw new RangeError(`${what}[${i}] = ${c} is not a class index in [0, ${k - 1}]`);
    }
  }
}

/**
 * k x k confusion matrix: rows are true classes, columns predicted classes (`cm[t][p]` counts samples of class t predicted as
 * p). Called for the test split at the end of a classification trial. Throws on length mismatch or labels outside [0, k).
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, k: number): number[][] {
  if (yTrue.length !== yPred.length) {
    throw new RangeError(`confusionMatrix: yTrue has ${yTrue.length} labels but yPred has ${yPred.length}; they must pair up`);
  }
  checkLabels(yTrue, k, 'yTrue');
  checkLabels(yPred, k, 'yPred');
  const cm = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) cm[yTrue[i]!]![yPred[i]!]! += 1;
  return cm;
}

/**
 * Accuracy and macro/weighted precision, recall and F1 from a confusion matrix (rows true, columns predicted). `labels`
 * restricts the averaged classes (default: classes with a non-zero row or column, see the file comment). An empty matrix
 * (no samples) gives NaN for every metric: there is nothing to score.
 */
export function metricsFromConfusion(cm: readonly (readonly number[])[], labels?: readonly number[]): ClassificationMetrics {
  const k = cm.length;
  let total = 0;
  let correct = 0;
  const rowSum = new Array<number>(k).fill(0);
  const colSum = new Array<number>(k).fill(0);
  for (let t = 0; t < k; t++) {
    const row = cm[t]!;
    if (row.length !== k) throw new RangeError(`confusion matrix must be square, row ${t} has ${row.length} entries for ${k} rows`);
    for (let p = 0; p < k; p++) {
      const v = row[p]!;
      total += v;
      rowSum[t]! += v;
      colSum[p]! += v;
      if (t === p) correct += v;
    }
  }
  if (total === 0) {
    return {
      accuracy: NaN,
      precisionMacro: NaN,
      recallMacro: NaN,
      f1Macro: NaN,
      precisionWeighted: NaN,
      recallWeighted: NaN,
      f1Weighted: NaN,
    };
  }
  const classes = labels ?? [...Array(k).keys()].filter((c) => rowSum[c]! > 0 || colSum[c]! > 0);
  let pM = 0;
  let rM = 0;
  let fM = 0;
  let pW = 0;
  let rW = 0;
  let fW = 0;
  let support = 0;
  for (const c of classes) {
    const tp = cm[c]![c]!;
    const precision = colSum[c]! > 0 ? tp / colSum[c]! : 0; // never predicted: 0 by convention
    const recall = rowSum[c]! > 0 ? tp / rowSum[c]! : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    pM += precision;
    rM += recall;
    fM += f1;
    const w = rowSum[c]!;
    pW += w * precision;
    rW += w * recall;
    fW += w * f1;
    support += w;
  }
  const m = classes.length;
  return {
    accuracy: correct / total,
    precisionMacro: m ? pM / m : 0,
    recallMacro: m ? rM / m : 0,
    f1Macro: m ? fM / m : 0,
    precisionWeighted: support ? pW / support : 0,
    recallWeighted: support ? rW / support : 0,
    f1Weighted: support ? fW / support : 0,
  };
}

/** Classification metrics from true labels and predicted labels (see `metricsFromConfusion`). */
export function classificationMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, k: number): ClassificationMetrics {
  return metricsFromConfusion(confusionMatrix(yTrue, yPred, k));
}

/**
 * RMSE, MAE and R2 of predictions against targets (equal lengths). Called on the validation and test splits of regression
 * trials. No samples gives NaN for all three.
 */
export function regressionMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): RegressionMetrics {
  const n = yTrue.length;
  if (yPred.length !== n) throw new RangeError(`regressionMetrics: yTrue has ${n} values but yPred has ${yPred.length}`);
  if (n === 0) return { rmse: NaN, mae: NaN, r2: NaN };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i]!;
  mean /= n;
  let sse = 0;
  let sae = 0;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    const e = yPred[i]! - yTrue[i]!;
    sse += e * e;
    sae += Math.abs(e);
    const d = yTrue[i]! - mean;
    sst += d * d;
  }
  const r2 = sst > 0 ? 1 - sse / sst : sse === 0 ? 1 : 0;
  return { rmse: Math.sqrt(sse / n), mae: sae / n, r2 };
}

/** `{ accuracy: 1 }` -> `{ valAccuracy: 1 }` for prefix 'val'; an empty prefix returns a plain copy. */
export function prefixed(metrics: object, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(metrics)) {
    if (typeof value !== 'number') continue;
    out[prefix ? prefix + name[0]!.toUpperCase() + name.slice(1) : name] = value;
  }
  return out;
}

/** Every metric name `runTrial` puts in EpochReport.metrics for a task (used to validate `objective.metric` up front). */
export function epochMetricNames(task: 'classification' | 'regression'): string[] {
  const names: readonly string[] = task === 'classification' ? CLASSIFICATION_METRICS : REGRESSION_METRICS;
  return names.map((n) => 'val' + n[0]!.toUpperCase() + n.slice(1));
}
