/**
 * A user trainable for `tunekit run examples/penguins-sweep.json`: softmax regression trained with mini-batch SGD in plain
 * TypeScript (no TF.js), on the sweep's dataset (`ctx.data`, shared by every worker thread without a copy).
 *
 * The contract: `export default async (config, ctx) => metrics`. `config` is the sampled params merged over the sweep's
 * `defaults`; `ctx.report(step, metrics)` records one epoch and answers 'continue' or 'prune'; `ctx.signal` aborts when the
 * trial is pruned or the sweep stops; `ctx.budget` is the epochs the trial may run (the sweep's budget.epochs, or a
 * multi-fidelity searcher's budget). The returned metrics must hold the sweep's objective metric.
 */
interface Split {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly n: number;
}

interface Ctx {
  readonly data?: { readonly inputShape: readonly number[]; readonly numClasses: number; readonly train: Split; readonly val: Split };
  readonly budget?: number;
  readonly signal: AbortSignal;
  report(step: number, metrics: Record<string, number>): Promise<'continue' | 'prune'>;
}

interface Config {
  readonly lr: number;
  readonly l2: number;
  readonly batchSize: number;
  readonly epochs?: number;
  readonly seed?: number;
}

/** A small seeded generator (mulberry32), so a trial's shuffles depend only on its config. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Class probabilities of row i (softmax of W x + b). */
function predict(w: Float64Array, b: Float64Array, x: Float32Array, i: number, d: number, k: number, out: Float64Array): void {
  let max = -Infinity;
  for (let c = 0; c < k; c++) {
    let z = b[c]!;
    for (let j = 0; j < d; j++) z += w[c * d + j]! * x[i * d + j]!;
    out[c] = z;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let c = 0; c < k; c++) sum += out[c] = Math.exp(out[c]! - max);
  for (let c = 0; c < k; c++) out[c]! /= sum;
}

function evaluate(w: Float64Array, b: Float64Array, s: Split, d: number, k: number): { loss: number; accuracy: number } {
  const p = new Float64Array(k);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < s.n; i++) {
    predict(w, b, s.x, i, d, k, p);
    const y = s.y[i]!;
    loss -= Math.log(Math.max(p[y]!, 1e-12));
    let arg = 0;
    for (let c = 1; c < k; c++) if (p[c]! > p[arg]!) arg = c;
    if (arg === y) correct++;
  }
  return { loss: loss / s.n, accuracy: correct / s.n };
}

export default async function train(config: Config, ctx: Ctx): Promise<Record<string, number>> {
  if (!ctx.data) throw new Error('this trainable needs the sweep to name a dataset');
  const { train: tr, val } = ctx.data;
  const d = ctx.data.inputShape.reduce((a, b) => a * b, 1);
  const k = ctx.data.numClasses;
  const w = new Float64Array(k * d);
  const b = new Float64Array(k);
  const p = new Float64Array(k);
  const random = rng(config.seed ?? 1);
  const order = Array.from({ length: tr.n }, (_, i) => i);
  const epochs = ctx.budget ?? config.epochs ?? 10;
  let last = { loss: NaN, accuracy: NaN };
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let start = 0; start < tr.n; start += config.batchSize) {
      if (ctx.signal.aborted) return { valAccuracy: last.accuracy, valLoss: last.loss };
      const batch = order.slice(start, start + config.batchSize);
      const gw = new Float64Array(k * d);
      const gb = new Float64Array(k);
      for (const i of batch) {
        predict(w, b, tr.x, i, d, k, p);
        for (let c = 0; c < k; c++) {
          const g = p[c]! - (c === tr.y[i] ? 1 : 0);
          gb[c]! += g;
          for (let j = 0; j < d; j++) gw[c * d + j]! += g * tr.x[i * d + j]!;
        }
      }
      for (let q = 0; q < w.length; q++) w[q]! -= config.lr * (gw[q]! / batch.length + config.l2 * w[q]!);
      for (let c = 0; c < k; c++) b[c]! -= (config.lr * gb[c]!) / batch.length;
    }
    last = evaluate(w, b, val, d, k);
    if ((await ctx.report(epoch, { valAccuracy: last.accuracy, valLoss: last.loss })) === 'prune') break;
  }
  return { valAccuracy: last.accuracy, valLoss: last.loss };
}
