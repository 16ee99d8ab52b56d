/**
 * Metrics against values worked by hand. The classification case has 4 classes, class 3 is never predicted (precision 0 by
 * convention, recall 0/2 = 0) and classes have unequal support, so macro and weighted averages differ.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  argmaxRows,
  classificationMetrics,
  confusionMatrix,
  epochMetricNames,
  metricsFromConfusion,
  prefixed,
  regressionMetrics,
} from '../../trials/metrics.js';

const close = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: expected ${expected}, got ${actual}`);

//          t: 0  0  0  1  1  2  2  2  3  3
const yTrue = [0, 0, 0, 1, 1, 2, 2, 2, 3, 3];
const yPred = [0, 0, 1, 1, 2, 2, 2, 0, 2, 0];

test('confusion matrix: rows are true classes, columns predictions', () => {
  assert.equal(confusionMatrix(yTrue, yPred, 4), [
    [2, 1, 0, 0],
    [0, 1, 1, 0],
    [1, 0, 2, 0],
    [1, 0, 1, 0],
  ]);
});

test('classification metrics match the hand computation (class 3 never predicted -> precision 0)', () => {
  const m = classificationMetrics(yTrue, yPred, 4);
  close(m.accuracy, 0.5, 'accuracy'); // 5 of 10 on the diagonal
  // precision per class: 2/4, 1/2, 2/4, 0 (column 3 is empty); recall: 2/3, 1/2, 2/3, 0/2
  close(m.precisionMacro, 1.5 / 4, 'precisionMacro');
  close(m.recallMacro, (2 / 3 + 1 / 2 + 2 / 3) / 4, 'recallMacro');
  // F1 per class: 4/7, 1/2, 4/7, 0
  close(m.f1Macro, 23 / 56, 'f1Macro');
  // supports 3, 2, 3, 2
  close(m.precisionWeighted, (3 * 0.5 + 2 * 0.5 + 3 * 0.5) / 10, 'precisionWeighted');
  close(m.recallWeighted, 0.5, 'recallWeighted'); // weighted recall always equals accuracy
  close(m.f1Weighted, 31 / 70, 'f1Weighted');
});

test('classes absent from labels and predictions are not averaged; explicit labels override', () => {
  // 5 classes declared, class 4 never appears anywhere: same numbers as with 4 classes.
  const m5 = classificationMetrics(yTrue, yPred, 5);
  close(m5.precisionMacro, 1.5 / 4, 'precisionMacro with an unused class');
  const cm = confusionMatrix(yTrue, yPred, 5);
  close(metricsFromConfusion(cm, [0, 1, 2, 3, 4]).precisionMacro, 1.5 / 5, 'precisionMacro over all 5 labels');
});

test('perfect and empty predictions', () => {
  const p = classificationMetrics([0, 1, 2], [0, 1, 2], 3);
  assert.equal([p.accuracy, p.f1Macro, p.f1Weighted], [1, 1, 1]);
  assert.ok(Number.isNaN(classificationMetrics([], [], 3).accuracy), 'no samples -> NaN');
});

test('argmaxRows picks the largest logit per row, first on ties, skips NaN', () => {
  const logits = new Float32Array([0.1, 2, -1, /* */ 5, 5, 1, /* */ NaN, 1, 3]);
  assert.equal([...argmaxRows(logits, 3)], [1, 0, 2]);
  assert.throws(() => argmaxRows(new Float32Array(5), 3), /multiple of k/);
});

test('confusion matrix rejects bad labels and length mismatch', () => {
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), /yTrue\[1\] = 3/);
  assert.throws(() => confusionMatrix([0, 1], [0], 3), /pair up/);
});

test('regression metrics match the hand computation', () => {
  // errors 0.5, 0, -1, 1: SSE 2.25, SAE 2.5; mean 2.5, SST 5
  const m = regressionMetrics([1, 2, 3, 4], [1.5, 2, 2, 5]);
  close(m.rmse, 0.75, 'rmse');
  close(m.mae, 0.625, 'mae');
  close(m.r2, 0.55, 'r2');
  assert.equal(regressionMetrics([2, 2], [2, 2]).r2, 1, 'constant target, perfect predictions');
  assert.equal(regressionMetrics([2, 2], [1, 3]).r2, 0, 'constant target, imperfect predictions');
  assert.throws(() => regressionMetrics([1], [1, 2]), /yTrue has 1/);
});

test('metric names: val prefix for epochs, plain for the test split', () => {
  assert.equal(prefixed({ accuracy: 0.5, f1Macro: 0.2 }, 'val'), { valAccuracy: 0.5, valF1Macro: 0.2 });
  assert.equal(prefixed({ rmse: 1 }, ''), { rmse: 1 });
  assert.equal(epochMetricNames('regression'), ['valRmse', 'valMae', 'valR2']);
  assert.ok(epochMetricNames('classification').includes('valPrecisionWeighted'));
});

test.run();
