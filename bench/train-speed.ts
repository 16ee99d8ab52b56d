/**
 * Training speed: seconds per epoch of 10,000 MNIST digits, batch 128, Adam, for
 *   - MLP 784-256-128-10: tunekit's loop (runTrial) on wasm, TF.js `model.fit` on stock wasm, on patched wasm and on cpu,
 *     and PyTorch CPU with one thread (/work/shared/anchors/torch_mlp.py) when `import torch` works;
 *   - a small CNN (conv 16 -> pool -> conv 32 -> pool -> dense 10): runTrial vs `model.fit`, both on patched wasm (stock wasm
 *     cannot train conv models: it has no Conv2DBackpropFilter kernel);
 *   - the sweep's CNN shape (batch norm, dropout 0.3): runTrial with tunekit's Sum/Mean/FusedBatchNorm gradients and shared Identity
 *     (trials/gradients.ts, trials/wasm-kernels.ts) against TF.js's stock ones, alternating stock, patched, stock, patched;
 *     and one dropout mask of a [128, 14, 14, 16] activation, `tf.dropout` against SeededDropout's `dropoutMask`.
 * Everything is measured in this one run; ratios are printed against PyTorch (if measured) and against model.fit on wasm.
 * Wall time is what a user waits; CPU time (process.cpuUsage) is printed too because the machine is shared and wall time
 * drifts with other load (expect +-20% between runs). Not a test: run `node --import tsx bench/train-speed.ts` (about 4 minutes). No assertions.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { useBackend, wasmDistDir } from '../trials/backend.js';
import { loadMnist } from '../trials/data/mnist.js';
import { GRADIENT_PATCHES } from '../trials/gradients.js';
import { runTrial } from '../trials/loop.js';
import { buildModel } from '../trials/models/index.js';
import { dropoutMask } from '../trials/models/layers.js';
import type { Dataset, ModelConfig, TrialConfig } from '../trials/types.js';

const N = 10_000;
const BATCH = 128;
const MLP: ModelConfig = { type: 'mlp', units: [256, 128] };
const CNN: ModelConfig = { type: 'cnn', filters: [16, 32] };
/** The shape of the sweep's CNNs: batch norm (a Mean and its gradient per conv) and dropout after each block. */
const CNN_BN_DROPOUT: ModelConfig = { type: 'cnn', filters: [16, 32], batchNorm: true, dropout: 0.3 };
const TORCH_SCRIPT = '/work/shared/anchors/torch_mlp.py';
/** The anchor README's PyTorch figure (1 thread, same MLP, measured on this kind of machine in another run). */
const TORCH_ANCHOR_S = 0.67;
const SYSTEM_BLAS = '/usr/lib/x86_64-linux-gnu/libblas.so.3';

interface Timing {
  /** Seconds per 10,000-sample epoch, wall clock. */
  readonly wall: number;
  /** Seconds per 10,000-sample epoch, CPU time of this process (user + system). */
  readonly cpu: number;
}

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** The median of the epochs after the first (the first pays JIT, kernel setup and XNNPACK operator creation). */
function steady(samples: Timing[]): Timing {
  const rest = samples.length > 1 ? samples.slice(1) : samples;
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  return { wall: med(rest.map((s) => s.wall)), cpu: med(rest.map((s) => s.cpu)) };
}

/** TF.js `model.fit` on all 10,000 digits (x as one tensor; fit slices batches itself), per-epoch times via callbacks. */
async function timeFit(model: ModelConfig, data: Dataset, epochs: number): Promise<Timing> {
  const { model: m } = buildModel(model, { inputShape: data.inputShape, outputs: 10, seed: 1 });
  m.compile({ optimizer: tf.train.adam(1e-3), loss: (y: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, p) });
  const x = tf.tensor(data.train.x, [data.train.n, ...data.inputShape]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(data.train.y, 'int32'), 10).toFloat());
  const times: Timing[] = [];
  let w0 = 0;
  let c0 = 0;
  await m.fit(x, y, {
    batchSize: BATCH,
    epochs,
    shuffle: true,
    verbose: 0,
    callbacks: {
      onEpochBegin: async () => {
        w0 = performance.now();
        c0 = cpuNow();
      },
      onEpochEnd: async () => {
        const scale = N / data.train.n;
        times.push({ wall: ((performance.now() - w0) / 1000) * scale, cpu: (cpuNow() - c0) * scale });
      },
    },
  });
  tf.dispose([x, y]);
  m.dispose();
  return steady(times);
}

/** tunekit's runTrial; training time only (validation runs after the timed part of each epoch). */
async function timeLoop(model: ModelConfig, data: Dataset, epochs: number): Promise<Timing> {
  const config: TrialConfig = { model, optimizer: { type: 'adam', lr: 1e-3 }, loss: 'crossentropy', epochs, batchSize: BATCH, seed: 1 };
  const times: Timing[] = [];
  let c0 = cpuNow();
  await runTrial(config, data, {
    report: (e) => {
      // samplesPerSec covers the training batches only; CPU time here includes the (small) validation pass.
      const c = cpuNow();
      times.push({ wall: N / e.samplesPerSec, cpu: ((c - c0) * N) / data.train.n });
      c0 = c;
      return 'continue';
    },
  });
  return steady(times);
}

/** PyTorch epoch time from the anchor script (one thread), or undefined with the reason when torch is missing. */
function timeTorch(): { wall?: number; note: string } {
  const python = '/usr/bin/python3';
  if (!existsSync(python) || !existsSync(TORCH_SCRIPT)) return { note: `${python} or ${TORCH_SCRIPT} not found` };
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return {
      note: 'PyTorch is not installed: `apt-get update && apt-get install -y python3-torch` (Debian build, run with /usr/bin/python3) to add this row',
    };
  }
  const out = execFileSync(python, [TORCH_SCRIPT, '1'], { encoding: 'utf8', timeout: 300_000 });
  const ms: number[] = [];
  for (const line of out.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    try {
      const j = JSON.parse(trimmed) as { ms?: number; epoch_ms?: number; s_per_epoch?: number };
      const v = j.epoch_ms ?? j.ms ?? (j.s_per_epoch !== undefined ? j.s_per_epoch * 1000 : undefined);
      if (typeof v === 'number') ms.push(v);
    } catch {
      const m = /epoch \d+ (\d+(?:\.\d+)?) ms/.exec(trimmed); // the script's text form: "threads=1 epoch 0 670 ms loss ..."
      if (m) ms.push(Number(m[1]));
    }
  }
  if (ms.length === 0) return { note: `could not read epoch times from ${TORCH_SCRIPT}: ${out.slice(0, 200)}` };
  const rest = ms.length > 1 ? ms.slice(1) : ms;
  // Debian's python3-torch does its dense maths through the system BLAS (libblas.so.3 alternative). With only the reference
  // netlib BLAS installed it is ~5x slower than with OpenBLAS, which the anchor figure was measured with.
  let blas = 'unknown BLAS';
  try {
    blas = realpathSync(SYSTEM_BLAS);
  } catch {
    /* not Debian-style */
  }
  const reference = /\/blas\/libblas\.so/.test(blas); // Debian's reference BLAS lives in .../blas/; OpenBLAS in .../openblas-*/
  const note =
    `${ms.length} epochs, median after the first; system BLAS ${blas}` +
    (reference
      ? ' is the reference netlib BLAS: `apt-get install -y libopenblas0-pthread` makes PyTorch use OpenBLAS (the anchor setup)'
      : '');
  return { wall: [...rest].sort((a, b) => a - b)[rest.length >> 1]! / 1000, note };
}

/** ms per call of `f` (median of 30 after 5 warm-ups). */
function msPer(f: () => tf.Tensor): number {
  for (let i = 0; i < 5; i++) f().dispose();
  const ts: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    const r = f();
    r.dataSync();
    r.dispose();
    ts.push(performance.now() - t);
  }
  return ts.sort((a, b) => a - b)[15]!;
}

function matMulProfile(): string {
  return tf.tidy(() => {
    const a = tf.randomNormal([128, 784]);
    const b = tf.randomNormal([784, 256]);
    const g = tf.randomNormal([128, 256]);
    return [
      `x W (128x784 by 784x256) ${msPer(() => tf.matMul(a, b)).toFixed(2)} ms`,
      `x^T g (dW) ${msPer(() => tf.matMul(a, g, true, false)).toFixed(2)} ms`,
      `g W^T (dx) ${msPer(() => tf.matMul(g, b, false, true)).toFixed(2)} ms`,
    ].join(', ');
  });
}

const fmt = (t: Timing | undefined): string => (t ? `${t.wall.toFixed(2).padStart(6)} s  (cpu ${t.cpu.toFixed(2)} s)` : '   n/a');
const ratio = (a: number, b: number | undefined): string => (b ? `${(a / b).toFixed(2)}x` : '-');

async function main(): Promise<void> {
  const all = await loadMnist({ val: 0.02, test: 0, seed: 0 }); // 9,800 train (times scaled to 10,000) + 200 val for runTrial
  const fitData = all;
  console.log(`train-speed: MNIST ${all.train.n} train samples (times scaled to ${N}), batch ${BATCH}, Adam 1e-3; Node ${process.version}`);
  console.log(
    `load average at start: ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (2 cores, shared)`,
  );

  // TF.js's own gradients for the kernels tunekit patches and its wasm Identity kernel, kept before useBackend replaces them (for section 4).
  const stock = {
    gradients: GRADIENT_PATCHES.map((g) => tf.getGradient(g.kernelName)!),
    identity: tf.getKernel('Identity', 'wasm')!,
  };

  // 1. Stock wasm (no tunekit kernel patches): the baseline a TF.js user gets.
  setWasmPaths(wasmDistDir());
  await tf.setBackend('wasm');
  await tf.ready();
  console.log(`stock wasm matMul: ${matMulProfile()}`);
  const fitStock = await timeFit(MLP, fitData, 2);

  // 2. Patched wasm (useBackend installs the patches), our loop and model.fit.
  await useBackend('wasm');
  console.log(`patched wasm matMul: ${matMulProfile()}`);
  const loopMlp = await timeLoop(MLP, all, 3);
  const fitPatched = await timeFit(MLP, fitData, 2);
  const loopCnn = await timeLoop(CNN, all, 3);
  const fitCnn = await timeFit(CNN, fitData, 3);

  // 3. cpu backend, model.fit (one epoch: it is slow).
  await useBackend('cpu');
  const fitCpu = await timeFit(MLP, fitData, 1);
  await useBackend('wasm');

  // 4. Sum/Mean/FusedBatchNorm gradients and Identity: stock vs tunekit's, same model and seed, alternating to cancel the machine's drift.
  const patchedIdentity = tf.getKernel('Identity', 'wasm')!;
  const install = (which: 'stock' | 'patched'): void => {
    for (const g of which === 'stock' ? stock.gradients : GRADIENT_PATCHES) tf.registerGradient(g);
    tf.unregisterKernel('Identity', 'wasm');
    tf.registerKernel(which === 'stock' ? stock.identity : patchedIdentity);
  };
  const ab: Record<'stock' | 'patched', Timing[]> = { stock: [], patched: [] };
  for (const which of ['stock', 'patched', 'stock', 'patched'] as const) {
    install(which);
    ab[which].push(await timeLoop(CNN_BN_DROPOUT, all, 3));
  }
  install('patched');
  const mean = (ts: Timing[]): Timing => ({
    wall: ts.reduce((a, t) => a + t.wall, 0) / ts.length,
    cpu: ts.reduce((a, t) => a + t.cpu, 0) / ts.length,
  });
  const activation = tf.randomNormal([128, 14, 14, 16]);
  const tfDropoutMs = msPer(() => tf.dropout(activation, 0.3, undefined, 1));
  let call = 0;
  const maskMs = msPer(() =>
    tf.tidy(() => tf.mul(activation, tf.tensor(dropoutMask(activation.size, 0.3, [++call, 2, 3, 4]), activation.shape))),
  );
  activation.dispose();

  const torch = timeTorch();
  const rows: [string, Timing | undefined][] = [
    ['MLP  tunekit runTrial, wasm (patched)', loopMlp],
    ['MLP  tf model.fit, stock wasm', fitStock],
    ['MLP  tf model.fit, patched wasm', fitPatched],
    ['MLP  tf model.fit, cpu', fitCpu],
    ['CNN  tunekit runTrial, wasm (patched)', loopCnn],
    ['CNN  tf model.fit, patched wasm', fitCnn],
  ];
  console.log('\nseconds per 10,000-sample epoch (median of epochs after the first)');
  console.log(`${'system'.padEnd(40)} ${'s/epoch'.padStart(6)}              vs PyTorch  vs fit(stock wasm)`);
  for (const [name, t] of rows) {
    if (!t) continue;
    console.log(
      `${name.padEnd(40)} ${fmt(t)}   ${ratio(t.wall, torch.wall).padStart(8)}  ${ratio(t.wall, name.startsWith('CNN') ? fitCnn.wall : fitStock.wall).padStart(8)}`,
    );
  }
  if (torch.wall !== undefined)
    console.log(`${'MLP  PyTorch CPU, 1 thread'.padEnd(40)} ${torch.wall.toFixed(2).padStart(6)} s  (${torch.note})`);
  else console.log(`MLP  PyTorch CPU, 1 thread: skipped. ${torch.note}`);
  console.log(
    `MLP  tunekit vs the anchor README's PyTorch figure (${TORCH_ANCHOR_S} s, OpenBLAS, another run): ${ratio(loopMlp.wall, TORCH_ANCHOR_S)}` +
      ` (goal: within 2x)`,
  );
  console.log('(CNN ratios are against model.fit on patched wasm: stock wasm cannot train conv layers.)');
  const [st, pa] = [mean(ab.stock), mean(ab.patched)];
  console.log(
    `\nCNN [16, 32] + batch norm + dropout 0.3, runTrial on wasm, 2 runs each, alternating:\n` +
      `  stock Sum/Mean/BatchNorm grads, Identity ${fmt(st)}   (runs ${ab.stock.map((t) => t.wall.toFixed(2)).join(', ')} s)\n` +
      `  tunekit's                                 ${fmt(pa)}   (runs ${ab.patched.map((t) => t.wall.toFixed(2)).join(', ')} s)` +
      `   stock / tunekit: ${ratio(st.wall, pa.wall)} wall, ${ratio(st.cpu, pa.cpu)} cpu`,
  );
  console.log(
    `dropout mask of a [128, 14, 14, 16] activation (rate 0.3, applied): tf.dropout ${tfDropoutMs.toFixed(2)} ms, ` +
      `dropoutMask + mul ${maskMs.toFixed(2)} ms (${ratio(tfDropoutMs, maskMs)})`,
  );
}

await main();
