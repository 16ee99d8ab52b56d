/**
 * Compression on MNIST (10,000 digits: 7,000 train / 1,500 val / 1,500 test), TF.js wasm backend:
 *   1. 50% structured pruning of a trained MLP [256, 128] and of a small CNN (conv 16 -> conv 32 -> dense 64), 2 fine-tuning
 *      epochs: parameters, file size, test accuracy before / right after pruning / after fine-tuning, latency at batch 1 and
 *      256 before and after (ratios before/after, both measured in this run);
 *   2. 50% unstructured magnitude pruning of the same MLP for contrast (masks: same shapes, so no latency gain expected);
 *   3. distillation of the MLP teacher into an MLP [32] student (T = 4 / alpha = 0.7, the default; T = 2 / alpha = 0.5; T = 1 /
 *      alpha = 1, soft targets only), against the same student trained on the labels only (same seed, same batches).
 * The machine is shared with other jobs (2 cores): latencies drift +-20% or more between runs, so compare the ratios: each
 * before/after pair is timed interleaved in the same loop. Not a test: run `node --import tsx bench/compress.ts` (a few minutes). No assertions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../trials/backend.js';
import { loadMnist } from '../trials/data/mnist.js';
import { runTrial } from '../trials/loop.js';
import type { Dataset, ModelConfig } from '../trials/types.js';
import { distill, prune, type Latency, type ModelMeasure, type PruneReport } from '../src/deploy/compress/index.js';

const LATENCY = { runs: 60 };
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const ms = (x: number): string => `${x.toFixed(3)} ms`;
const kb = (x: number): string => `${(x / 1024).toFixed(1)} KiB`;

async function teacher(name: string, model: ModelConfig, data: Dataset, epochs: number, dir: string): Promise<string> {
  const out = join(dir, name);
  const t0 = performance.now();
  const r = await runTrial({ model, optimizer: { type: 'adam', lr: 1e-3 }, loss: 'crossentropy', epochs, batchSize: 128, seed: 1 }, data, {
    outDir: out,
  });
  console.log(
    `trained ${name} ${JSON.stringify(model)}: ${epochs} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s, test accuracy ${pct(r.test.accuracy!)}`,
  );
  return out;
}

/** Before/after latency ratios (> 1: the compressed model is faster), wall clock and CPU time. */
function speedups(b: Latency, a: Latency): string {
  const x = (p: number, q: number): string => `x${(p / q).toFixed(2)}`;
  return `speed-up wall b1 ${x(b.batch1, a.batch1)} b256 ${x(b.batch256, a.batch256)}, cpu b1 ${x(b.cpuBatch1, a.cpuBatch1)} b256 ${x(b.cpuBatch256, a.cpuBatch256)}`;
}

function row(label: string, m: ModelMeasure): string {
  const l = m.latencyMs;
  const lat = l ? `  wall b1 ${ms(l.batch1)} b256 ${ms(l.batch256)}  cpu b1 ${ms(l.cpuBatch1)} b256 ${ms(l.cpuBatch256)}` : '';
  return (
    `  ${label.padEnd(22)} params ${String(m.params).padStart(7)}  file ${kb(m.fileBytes).padStart(10)}  gzip ${kb(m.gzipBytes).padStart(10)}  ` +
    `sparsity ${pct(m.sparsity).padStart(6)}  acc ${pct(m.accuracy)}${lat}`
  );
}

function printPrune(title: string, r: PruneReport): void {
  console.log(`\n${title}: target ${pct(r.targetSparsity)}, reached ${pct(r.sparsity)}`);
  console.log(row('before', r.before));
  if (r.afterPruning) console.log(`  ${'after pruning'.padEnd(22)} acc ${pct(r.afterPruning.accuracy!)} (no fine-tuning)`);
  console.log(row(`after ${r.fineTune.length} ep fine-tune`, r.after));
  for (const l of r.layers ?? []) {
    if (l.className !== 'BatchNormalization')
      console.log(`    ${l.layer}: ${JSON.stringify(l.shapes.before[0])} -> ${JSON.stringify(l.shapes.after[0])}`);
  }
  console.log(
    `  ratios before/after: params x${(r.before.params / r.after.params).toFixed(2)}, file x${(r.before.fileBytes / r.after.fileBytes).toFixed(2)}, ` +
      `gzip x${(r.before.gzipBytes / r.after.gzipBytes).toFixed(2)}, ${speedups(r.before.latencyMs!, r.after.latencyMs!)}; ` +
      `accuracy change ${((r.after.accuracy - r.before.accuracy) * 100).toFixed(2)} points`,
  );
}

async function main(): Promise<void> {
  await useBackend('wasm');
  const data = await loadMnist();
  const dir = await mkdtemp(join(tmpdir(), 'tunekit-bench-compress-'));
  try {
    const mlpDir = await teacher('mlp', { type: 'mlp', units: [256, 128] }, data, 8, dir);
    const cnnDir = await teacher('cnn', { type: 'cnn', filters: [16, 32], dense: 64 }, data, 4, dir);

    const fine = { fineTuneEpochs: 2, latency: LATENCY, seed: 1 };
    const rm1 = await prune(mlpDir, data, { sparsity: 0.5, structured: true, ...fine });
    printPrune('MLP [256, 128], 50% structured', rm1);
    rm1.model.dispose();
    const rc = await prune(cnnDir, data, { sparsity: 0.5, structured: true, ...fine });
    printPrune('CNN [16, 32] + dense 64, 50% structured', rc);
    rc.model.dispose();
    const ru = await prune(mlpDir, data, { sparsity: 0.5, ...fine });
    printPrune('MLP [256, 128], 50% unstructured (one-shot)', ru);
    ru.model.dispose();
    const rg = await prune(mlpDir, data, { sparsity: 0.9, schedule: { steps: 8 }, ...fine });
    printPrune('MLP [256, 128], 90% unstructured (cubic schedule, 8 steps)', rg);
    rg.model.dispose();

    for (const [temperature, alpha] of [
      [4, 0.7],
      [2, 0.5],
      [1, 1],
    ] as const) {
      const t0 = performance.now();
      const d = await distill(mlpDir, data, {
        student: { type: 'mlp', units: [32] },
        epochs: 8,
        temperature,
        alpha,
        seed: 1,
        latency: LATENCY,
      });
      console.log(
        `\nDistillation MLP [256, 128] -> MLP [32], T = ${temperature}, alpha = ${alpha}, 8 epochs (${((performance.now() - t0) / 1000).toFixed(1)} s, both students)`,
      );
      console.log(row('teacher', d.before));
      console.log(row('student with teacher', d.after));
      console.log(row('student without', d.withoutTeacher!));
      console.log(
        `  params x${(d.params.teacher / d.params.student).toFixed(1)} smaller; ${speedups(d.before.latencyMs!, d.after.latencyMs!)}; ` +
          `student accuracy with - without teacher: ` +
          `${((d.accuracy.student - d.accuracy.studentWithoutTeacher!) * 100).toFixed(2)} points ` +
          `(val acc per epoch with: ${d.history.withTeacher.map((e) => pct(e.val.accuracy!)).join(' ')}; without: ` +
          `${d.history.withoutTeacher!.map((e) => pct(e.val.accuracy!)).join(' ')})`,
      );
      d.student.dispose();
    }
    console.log(`\nlive tensors at the end: ${tf.memory().numTensors}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
