/**
 * A built-in trial's work, counted from its config before it runs and without TF.js, for the controller's cost model
 * (src/study/cost.ts): which finished trials' running times predict a queued trial's.
 *
 * The counts are not a time. What a multiply-add costs differs between kinds of op and between backends (on wasm a conv
 * multiply-add costs several times a dense one, and a batch-norm pass over conv maps can cost more than the conv itself), and
 * the cost model learns times from finished trials only. What the counts give it is which trials are alike: two trials of the
 * same model type with the same counts run alike, whatever their optimiser, learning rate, dropout rate or loss, which barely
 * change a step's cost and are left out on purpose. A search space's unit cube cannot tell that: there, an `adam` trial and an
 * `adamw` trial of the same model sit far apart, and a small `adam` model of the same type looks nearer.
 */
import type { ModelConfig } from './types.js';
import { mlpWidths, patchSize, resolveConvBlocks } from './models/shapes.js';

/** Per-sample counts of one forward pass (see the file comment). */
export interface ModelWork {
  /** The model type: trials of different types are not compared by their counts (their ops differ). */
  readonly kind: string;
  /** Multiply-adds of dense layers and attention matmuls. */
  readonly matmul: number;
  /** Multiply-adds of convolutions. */
  readonly conv: number;
  /** Elements read by element-wise layers: activations, batch and layer norm, dropout, pooling, residual adds, softmax. */
  readonly elementwise: number;
}

/** Elements a batch norm pass reads per element (normalise, then scale and shift), counted against a plain activation's 1. */
const NORM = 3;

/**
 * The per-sample work of `model` on inputs of `inputShape` with `outputs` head units. Expects a validated config (the trial
 * validates it again before building anything); unknown model types count as zero work of their own kind.
 */
export function modelWork(model: ModelConfig, inputShape: readonly number[], outputs: number): ModelWork {
  const inputs = inputShape.reduce((a, b) => a * b, 1);
  const counts = { matmul: 0, conv: 0, elementwise: 0 };
  const dense = (from: number, to: number): number => {
    counts.matmul += from * to;
    return to;
  };
  const act = (elements: number, passes = 1): void => {
    counts.elementwise += elements * passes;
  };
  const dropout = (elements: number, rate: number | undefined): void => {
    if ((rate ?? 0) > 0) act(elements);
  };
  let features = inputs;
  switch (model.type) {
    case 'mlp':
      for (const units of mlpWidths(model)) {
        features = dense(features, units);
        act(units, model.batchNorm ? 1 + NORM : 1);
        dropout(units, model.dropout);
      }
      break;
    case 'residual_mlp':
      features = dense(features, model.units);
      act(model.units);
      for (let b = 0; b < model.blocks; b++) {
        dense(model.units, model.units);
        act(model.units, model.batchNorm ? 1 + NORM : 1);
        dropout(model.units, model.dropout);
        dense(model.units, model.units);
        act(model.units, 2); // the add and the activation after it
      }
      break;
    case 'cnn': {
      let [h, w, c] = [inputShape[0] ?? 1, inputShape[1] ?? 1, inputShape[2] ?? 1];
      for (const b of resolveConvBlocks(model)) {
        h = Math.ceil(h / b.stride);
        w = Math.ceil(w / b.stride);
        counts.conv += h * w * b.kernel * b.kernel * c * b.filters;
        c = b.filters;
        act(h * w * c, b.batchNorm ? 1 + NORM : 1);
        if (b.pool !== 'none') {
          act(h * w * c);
          h = Math.ceil(h / 2);
          w = Math.ceil(w / 2);
        }
        dropout(h * w * c, b.dropout);
      }
      features = h * w * c;
      if (model.dense) {
        features = dense(features, model.dense);
        act(model.dense);
      }
      break;
    }
    case 'attention': {
      const { dim } = model;
      let tokens: number;
      if (inputShape.length === 1) {
        tokens = inputs;
        counts.matmul += tokens * dim; // each feature -> dim
      } else {
        const p = patchSize(model, inputShape[0] ?? 1, inputShape[1] ?? 1);
        const patchPixels = p * p * (inputShape[2] ?? 1);
        tokens = inputs / patchPixels;
        counts.matmul += tokens * patchPixels * dim; // each patch -> dim
      }
      const hidden = Math.max(1, Math.round(dim * (model.mlpRatio ?? 2)));
      for (let l = 0; l < (model.layers ?? 1); l++) {
        act(tokens * dim, 1 + NORM); // layer norm, then the residual add
        counts.matmul += 4 * tokens * dim * dim + 2 * tokens * tokens * dim; // q, k, v, output projections; scores and context
        act(tokens * tokens * model.heads, 2); // scale and softmax
        dropout(tokens * dim, model.dropout);
        act(tokens * dim, 1 + NORM);
        counts.matmul += 2 * tokens * dim * hidden;
        act(tokens * hidden);
        dropout(tokens * dim, model.dropout);
      }
      act(tokens * dim, 1 + NORM); // final layer norm, then the mean over tokens
      features = dim;
      break;
    }
  }
  dense(features, outputs);
  return { kind: (model as { readonly type: string }).type, ...counts };
}
