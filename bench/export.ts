/**
 * ONNX export figures for each `buildModel` architecture trained briefly on MNIST (2 epochs of a 4,000-digit subset, Adam):
 *   - inference latency (median ms per forward pass, outputs read back) of TF.js on wasm (`model.predict`) vs onnxruntime-node
 *     fp32 and int8, at batch 1 and 256, onnxruntime held to one intra-op thread so it is comparable with single-threaded
 *     TF.js wasm; the speed-up column is TF.js / onnxruntime fp32 measured in this same run;
 *   - int8 file size as a fraction of fp32 and the MNIST test accuracy drop (fp32 ONNX − int8) for the three int8 forms:
 *     'integer' (DynamicQuantizeLinear + MatMulInteger; the default), 'qdq' (weight-only DequantizeLinear) and 'int8-static'
 *     (QDQ with calibrated activations).
 * The machine is shared with other jobs, so absolute times drift between runs (medians over repeated runs help, ratios within
 * one run are the figures to read). Not a test: `node --import tsx bench/export.ts` (about 2 minutes). No assertions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../trials/backend.js';
import { loadMnist } from '../trials/data/mnist.js';
import { buildModel } from '../trials/models/index.js';
import type { Dataset, ModelConfig } from '../trials/types.js';
import { type ExportOptions, type ExportReport, exportOnnx } from '../src/deploy/export/index.js';
import { createSession, cycleRows, ortLatency } from '../src/deploy/export/verify.js';
import { readFileSync } from 'node:fs';

const ARCHS: Record<string, ModelConfig> = {
  mlp: { type: 'mlp', units: [256, 128], batchNorm: true, dropout: 0.1 },
  residual_mlp: { type: 'residual_mlp', blocks: 2, units: 128, dropout: 0.1 },
  cnn: { type: 'cnn', filters: [16, 32], batchNorm: true, dense: 64 },
  attention: { type: 'attention', dim: 32, heads: 4, layers: 2 },
};
const FORMS: readonly { label: string; opts: ExportOptions }[] = [
  { label: 'int8 integer', opts: { quantize: 'int8', int8Form: 'integer' } },
  { label: 'int8 qdq', opts: { quantize: 'int8', int8Form: 'qdq' } },
  { label: 'int8-static', opts: { quantize: 'int8-static' } },
];
const BATCHES = [1, 256];

async function train(config: ModelConfig, data: Dataset): Promise<{ model: tf.LayersModel; seconds: number }> {
  const { model } = buildModel(config, { inputShape: data.inputShape, outputs: 10, seed: 1 });
  const x = tf.tensor(data.train.x, [data.train.n, ...data.inputShape]);
  const labels = tf.tensor1d(data.train.y, 'int32');
  const y = tf.oneHot(labels, 10).toFloat();
  model.compile({ optimizer: tf.train.adam(2e-3), loss: tf.losses.softmaxCrossEntropy });
  const t0 = performance.now();
  await model.fit(x, y, { epochs: 2, batchSize: 64, verbose: 0 });
  tf.dispose([x, labels, y]);
  return { model, seconds: (performance.now() - t0) / 1000 };
}

const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(x * 100).toFixed(2)}`);
const ms = (x: number | undefined): string => (x === undefined ? '-' : x < 1 ? x.toFixed(3) : x.toFixed(2));

async function main(): Promise<void> {
  await useBackend('wasm');
  const data = await loadMnist({ limit: 4000 });
  const dir = mkdtempSync(join(tmpdir(), 'tunekit-bench-export-'));
  const sizeRows: string[] = [];
  const latencyRows: string[] = [];
  try {
    for (const [name, config] of Object.entries(ARCHS)) {
      const { model, seconds } = await train(config, data);
      const verify = { data: data.test };
      const fp32 = await exportOnnx(model, join(dir, `${name}.onnx`), { verify, latency: { batches: BATCHES, threads: 1 } });
      const int8: { label: string; report: ExportReport; latency: number[] }[] = [];
      for (const form of FORMS) {
        const path = join(dir, `${name}-${form.label.replace(/\W+/g, '-')}.onnx`);
        const report = await exportOnnx(model, path, { ...form.opts, verify, calibration: data.train, calibrationSamples: 512 });
        const session = await createSession(readFileSync(path), 1);
        const shape = data.inputShape;
        const size = shape.reduce((a, b) => a * b, 1);
        const latency: number[] = [];
        for (const b of BATCHES) latency.push(await ortLatency(session, cycleRows(data.test.x, data.test.n, size, b), shape, b));
        await session.release();
        int8.push({ label: form.label, report, latency });
      }
      const acc = fp32.accuracy!;
      sizeRows.push(
        `${name.padEnd(13)} ${String(model.countParams()).padStart(7)} ${(fp32.bytes / 1024).toFixed(1).padStart(8)} ${pct(acc.tfjs).padStart(7)} ${pct(acc.onnx).padStart(7)}  ` +
          int8.map((f) => `${f.report.sizeRatio.toFixed(3)} / ${pct(f.report.accuracy?.drop).padStart(5)}`.padStart(16)).join(' ') +
          `   (trained ${seconds.toFixed(1)} s)`,
      );
      fp32.latency!.rows.forEach((row, i) => {
        latencyRows.push(
          `${name.padEnd(13)} ${String(row.batch).padStart(5)} ${ms(row.tfjsMs).padStart(9)} ${ms(row.onnxMs).padStart(9)} ${`${row.speedup.toFixed(1)}x`.padStart(8)}  ` +
            int8.map((f) => `${ms(f.latency[i])} (${(row.onnxMs / f.latency[i]!).toFixed(2)}x)`.padStart(16)).join(' '),
        );
      });
      model.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `\nMNIST (${data.train.n} train / ${data.test.n} test digits, 2 epochs). int8 columns: size ratio vs fp32 / accuracy drop in points (fp32 ONNX − int8)`,
  );
  console.log(
    `${'arch'.padEnd(13)} ${'params'.padStart(7)} ${'fp32 kB'.padStart(8)} ${'acc tf'.padStart(7)} ${'acc onx'.padStart(7)}  ${FORMS.map((f) => f.label.padStart(16)).join(' ')}`,
  );
  for (const r of sizeRows) console.log(r);
  console.log(
    `\nLatency, median ms per forward pass (TF.js ${tf.getBackend()} vs onnxruntime-node, 1 thread); int8 columns: ms (speed-up vs onnx fp32)`,
  );
  console.log(
    `${'arch'.padEnd(13)} ${'batch'.padStart(5)} ${'tfjs'.padStart(9)} ${'onnx'.padStart(9)} ${'speedup'.padStart(8)}  ${FORMS.map((f) => f.label.padStart(16)).join(' ')}`,
  );
  for (const r of latencyRows) console.log(r);
}

await main();
