/**
 * Hardware metrics of runTrial (trials/measure.ts): present and positive for every model type on tiny data, consistent with
 * the model (bytes = 4 x params for float32 weights), options validated, and the ONNX / int8
 * figures through the exporter when asked for.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadMnist, runTrial, useBackend } from '../../trials/index.js';
import { validateMeasure } from '../../trials/measure.js';
import { onnxFigures } from '../../src/deploy/export/figures.js';
import type { Dataset, ModelConfig, TrialConfig } from '../../trials/types.js';

const base: TrialConfig = {
  model: { type: 'mlp', units: [16] },
  optimizer: { type: 'adam', lr: 1e-3 },
  loss: 'crossentropy',
  epochs: 1,
  batchSize: 64,
  seed: 3,
};
let tiny: Dataset;
test.before(async () => {
  await useBackend('wasm');
  tiny = await loadMnist({ limit: 150, seed: 2 });
});

test('every model type reports paramCount, modelBytes and batch-1 / batch-256 latency with their spread', async () => {
  const models: ModelConfig[] = [
    { type: 'mlp', units: [16] },
    { type: 'residual_mlp', blocks: 1, units: 16 },
    { type: 'cnn', filters: [4], dense: 16 },
    { type: 'attention', patch: 7, dim: 16, heads: 2 },
  ];
  for (const model of models) {
    const r = await runTrial({ ...base, model }, tiny, { measure: { repeats: 3, budgetMs: 200 } });
    const h = r.hardware;
    assert.ok(h, `${model.type}: hardware metrics`);
    assert.is(h.paramCount, r.paramCount);
    assert.is(h.modelBytes, 4 * r.paramCount, `${model.type}: float32 weights`);
    for (const k of ['latencyMs', 'latencyMs256']) assert.ok(h[k]! > 0 && Number.isFinite(h[k]!), `${model.type}: ${k} = ${h[k]}`);
    for (const k of ['latencyIqrMs', 'latencyIqrMs256']) assert.ok(h[k]! >= 0, `${model.type}: ${k} = ${h[k]}`);
    console.log(
      `  ${model.type}: ${h.paramCount} params, ${h.modelBytes} B, ${h.latencyMs!.toFixed(2)} ms @1, ${h.latencyMs256!.toFixed(2)} ms @256`,
    );
  }
});

test('measure: false skips the metrics; latency: false keeps the sizes only', async () => {
  assert.is((await runTrial(base, tiny, { measure: false })).hardware, undefined);
  const sizes = (await runTrial(base, tiny, { measure: { latency: false } })).hardware!;
  assert.equal(Object.keys(sizes).sort(), ['modelBytes', 'paramCount']);
});

test('measure options are validated with the field named', () => {
  assert.throws(() => validateMeasure({ onnx: 'yes' }), /measure\.onnx must be a boolean/);
  assert.throws(() => validateMeasure({ int8: true }), /measure\.int8 needs measure\.onnx: true/);
  assert.throws(() => validateMeasure({ repeat: 3 }), /unknown field "repeat"/);
  assert.throws(() => validateMeasure({ repeats: 1 }), /repeats must be an integer in \[3, 1000\]/);
});

test('onnx + int8: exporter sizes and onnxruntime latencies (int8 file smaller)', async () => {
  const r = await runTrial({ ...base, model: { type: 'mlp', units: [64] } }, tiny, {
    measure: { onnx: true, int8: true, repeats: 3, budgetMs: 100 },
    onnx: onnxFigures,
  });
  const h = r.hardware!;
  for (const k of ['onnxBytes', 'onnxLatencyMs', 'onnxLatencyMs256', 'onnxInt8Bytes', 'onnxInt8LatencyMs', 'onnxInt8LatencyMs256']) {
    assert.ok(h[k]! > 0, `${k} = ${h[k]}`);
  }
  assert.ok(h.onnxInt8Bytes! < h.onnxBytes!, `int8 ${h.onnxInt8Bytes} B vs fp32 ${h.onnxBytes} B`);
});

test.run();
