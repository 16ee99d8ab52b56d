/**
 * The fp32 parity check scales with the outputs: |TF.js − onnxruntime| <= atol + rtol·s, s the largest |TF.js output| of
 * the sample. A correct model with large logits (~1e3, where fp32 rounding alone exceeds 1e-4) exports; a genuinely wrong
 * conversion (weights perturbed by 0.1%) fails, also with large logits. The report gives max abs diff, max rel diff and the
 * tolerance used.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { CONVERTERS, ExportError, exportOnnx } from '../../../src/deploy/export/index.js';
import type { LayerConverter } from '../../../src/deploy/export/context.js';
import { convertModel } from '../../../src/deploy/export/convert.js';
import { encodeModel } from '../../../src/deploy/export/onnx.js';
import { compareOutputs, createSession, DEFAULT_TOLERANCE, predictOrt, predictTf } from '../../../src/deploy/export/verify.js';
import { randomInputs, randomizeWeights, setup } from './helpers.js';

const tol = suite('export: scaled parity tolerance');
let dir = '';
tol.before(async () => {
  await setup();
  dir = mkdtempSync(join(tmpdir(), 'tunekit-export-tol-'));
});
tol.after(() => rmSync(dir, { recursive: true, force: true }));

/** A small CNN (filters 16, 32) with random weights scaled so its logits are ~1e3. */
function bigLogitCnn(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 16, kernelSize: 3, activation: 'relu' }),
      tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, name: 'logits' }),
    ],
  });
  randomizeWeights(model, 3);
  const last = model.layers[model.layers.length - 1]!;
  const scaled = last.getWeights().map((w) => tf.mul(w, 8));
  last.setWeights(scaled);
  tf.dispose(scaled);
  return model;
}

/** TF.js outputs of `model` against onnxruntime running the conversion of `converted` (the same model, or a perturbed copy). */
async function compare(model: tf.LayersModel, converted: tf.LayersModel, x: Float32Array, n: number) {
  const result = convertModel(converted, 17);
  const session = await createSession(encodeModel(result.graph, { producerName: 'test', producerVersion: '0', metadata: {} }));
  try {
    const got = await predictOrt(session, x, n, model.inputs[0]!.shape.slice(1) as number[], result.outputNames);
    return compareOutputs(predictTf(model, x, n), got, 10);
  } finally {
    await session.release();
  }
}

tol("compareOutputs: the bound scales with each sample's largest output; both figures reported", () => {
  const ref = [Float32Array.from([1000, -1000, 0.5, 1, 2, 0.25])];
  const stats = compareOutputs(ref, [Float32Array.from([1000.05, -1000, 0.55, 1, 2, 0.25])], 3);
  assert.is(stats.samples, 2);
  assert.ok(Math.abs(stats.maxAbsDiff - 0.05) < 1e-4, String(stats.maxAbsDiff));
  assert.ok(Math.abs(stats.maxRelDiff - 0.1) < 1e-3, `elementwise relative diff at 0.5: ${stats.maxRelDiff}`);
  // sample 1: |diff| 0.05 <= 1e-5 + 1e-4 * 1000 = 0.10001
  assert.ok(
    Math.abs(stats.toleranceRatio - 0.05 / (DEFAULT_TOLERANCE.atol + DEFAULT_TOLERANCE.rtol * 1000)) < 1e-3,
    String(stats.toleranceRatio),
  );
  // the same 0.05 error on a sample whose outputs are ~2 is far out of tolerance
  const small = compareOutputs(ref, [Float32Array.from([1000, -1000, 0.5, 1.05, 2, 0.25])], 3);
  assert.ok(small.toleranceRatio > 100, String(small.toleranceRatio));
  assert.is(compareOutputs(ref, [Float32Array.from([NaN, -1000, 0.5, 1, 2, 0.25])], 3).toleranceRatio, Infinity);
  assert.equal(DEFAULT_TOLERANCE, { rtol: 1e-4, atol: 1e-5 });
});

tol('compareOutputs: a width that does not split the output (an unknown dimension gives 0) uses one scale and ends', () => {
  const ref = [Float32Array.from([1000, 1, 2, 3])];
  const got = [Float32Array.from([1000.05, 1, 2, 3.05])];
  for (const width of [0, 3, NaN, -4, 0.5]) {
    const s = compareOutputs(ref, got, width);
    assert.is(s.samples, 1, `width ${width}`);
    assert.ok(Math.abs(s.maxAbsDiff - 0.05) < 1e-3);
    assert.ok(s.toleranceRatio < 1, `one row: the scale is 1000 (width ${width})`);
    assert.is(s.argmaxAgreement, 1);
  }
  assert.is(compareOutputs([new Float32Array(0)], [new Float32Array(0)], 10).samples, 0);
});

tol('a correct CNN with logits ~1e3 exports, though fp32 rounding alone exceeds the old absolute 1e-4', async () => {
  const model = bigLogitCnn();
  const x = randomInputs([12, 12, 1], 64, 5);
  const stats = await compare(model, model, x, 64);
  const scale = Math.max(...Array.from(predictTf(model, x, 64)[0]!, Math.abs));
  assert.ok(scale > 300, `logits reach ${scale}`);
  assert.ok(stats.maxAbsDiff > 1e-4, `max abs diff ${stats.maxAbsDiff}: the old absolute rule would have refused this model`);
  const path = join(dir, 'big.onnx');
  const report = await exportOnnx(model, path, { verify: { data: x } });
  assert.ok(existsSync(path));
  const p = report.parity!;
  assert.is(p.tolerance, DEFAULT_TOLERANCE.rtol);
  assert.is(p.atol, DEFAULT_TOLERANCE.atol);
  assert.ok(p.fp32.toleranceRatio <= 1 && p.fp32.maxAbsDiff > 0 && p.fp32.maxRelDiff > 0);
  const json = JSON.parse(readFileSync(report.reportPath, 'utf8')) as {
    parity: { tolerance: number; atol: number; fp32: { maxAbsDiff: number; maxRelDiff: number; toleranceRatio: number } };
  };
  assert.ok(json.parity.fp32.maxRelDiff > 0 && json.parity.atol === 1e-5 && json.parity.tolerance === 1e-4);
  model.dispose();
});

tol('weights perturbed by 0.1% fail the check, even with logits ~1e3', async () => {
  const model = bigLogitCnn();
  const wrong = bigLogitCnn();
  const rng = seedrandom('perturb');
  for (const layer of wrong.layers) {
    const ws = layer.getWeights().map((w) =>
      tf.tidy(() =>
        tf.mul(
          w,
          tf.tensor(
            Float32Array.from({ length: w.size }, () => 1 + (rng() < 0.5 ? -1e-3 : 1e-3)),
            w.shape,
          ),
        ),
      ),
    );
    if (ws.length) layer.setWeights(ws);
    tf.dispose(ws);
  }
  const x = randomInputs([12, 12, 1], 64, 5);
  const stats = await compare(model, wrong, x, 64);
  assert.ok(stats.toleranceRatio > 1, `ratio ${stats.toleranceRatio} (max abs ${stats.maxAbsDiff}, rel ${stats.maxRelDiff})`);
  model.dispose();
  wrong.dispose();
});

tol('exportOnnx refuses a wrong conversion with both figures and the tolerance in the message, writing nothing', async () => {
  const model = bigLogitCnn();
  const table = CONVERTERS as Record<string, LayerConverter>;
  const original = table['Dense']!;
  // A converter bug: the logits come out 0.1% too large.
  table['Dense'] = (ctx, layer, inputs, shapes) => {
    const [v] = original(ctx, layer, inputs, shapes);
    return [{ ...v!, name: ctx.graph.add('Mul', [v!.name, ctx.graph.constF('oops', [1.001], [])]) }];
  };
  const path = join(dir, 'wrong.onnx');
  try {
    await exportOnnx(model, path, { verify: { data: randomInputs([12, 12, 1], 32, 6) } });
    assert.unreachable('should refuse');
  } catch (e) {
    assert.instance(e, ExportError);
    const m = (e as Error).message;
    assert.match(
      m,
      /ONNX parity check failed: \|TF\.js − onnxruntime\| <= atol \+ rtol·s \(atol 0\.00001, rtol 0\.0001, s = the sample's largest \|output\|\) is exceeded \d+(\.\d+)?x/,
    );
    assert.match(m, /max abs diff \d\.\d+e[-+]\d+, max rel diff \d\.\d+e[-+]\d+/);
  } finally {
    table['Dense'] = original;
  }
  assert.not.ok(existsSync(path));
  model.dispose();
});

tol.run();
