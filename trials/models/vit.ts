/**
 * ViT-style attention builder for images and tabular data. Called by `buildModel` after validation. Images are cut into
 * non-overlapping patches, each linearly embedded to `dim` (equivalent to a conv2d with kernel = stride = patch); tabular rows
 * become one token per feature. Then a learned positional embedding, `layers` pre-norm encoder blocks, a final LayerNorm, the mean over
 * tokens, and the head.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../src/core/errors.js';
import type { AttentionConfig, ModelSpec } from '../types.js';
import { MultiHeadSelfAttention } from './attention.js';
import { type SeedStream, type Sym, dropout, finish, kernelInit } from './common.js';
import { LayerNorm, PositionalEmbedding } from './layers.js';
import { patchSize } from './shapes.js';

/** Embeds the input as [tokens, dim]: patches for images (rank 2 or 3), one token per feature for rank-1 inputs. */
function embed(input: Sym, config: AttentionConfig, spec: ModelSpec, seeds: SeedStream): Sym {
  const shape = spec.inputShape;
  const { dim } = config;
  if (shape.length === 1) {
    // [features] -> [features, 1] -> dense to dim: the same linear map for every feature; the positional embedding added next
    // is what tells the features apart.
    const tokens = tf.layers.reshape({ targetShape: [shape[0], 1] }).apply(input) as Sym;
    return tf.layers.dense({ units: dim, kernelInitializer: kernelInit('linear', seeds.next()) }).apply(tokens) as Sym;
  }
  if (shape.length > 3) {
    throw new OptionsError(
      `model.type "attention" takes an image [height, width, channels] or a tabular row [features], got inputShape [${shape.join(', ')}]`,
    );
  }
  const [height, width] = shape as [number, number];
  const channels = shape.length === 3 ? (shape[2] as number) : 1;
  const patch = patchSize(config, height, width);
  const rows = height / patch;
  const cols = width / patch;
  // Patchify with reshape/permute + dense rather than conv2d(kernel = stride = patch): the same linear map (row-major patch
  // pixels, channels last, like the conv kernel layout), but its backward pass is one matmul instead of the Conv2DBackpropFilter
  // kernel that TF.js 4.22 wasm lacks (trials/wasm-kernels.ts emulates it), and feature-map probes that look for Conv2D layers
  // do not mistake the patch embedding for a conv feature extractor. [h, w, c] -> [rows, p, cols, p*c] -> [rows, cols, p, p*c].
  const grid = tf.layers.reshape({ targetShape: [rows, patch, cols, patch * channels] }).apply(input) as Sym;
  const patches = tf.layers.permute({ dims: [1, 3, 2, 4] }).apply(grid) as Sym;
  const flat = tf.layers.reshape({ targetShape: [rows * cols, patch * patch * channels] }).apply(patches) as Sym;
  return tf.layers.dense({ units: dim, kernelInitializer: kernelInit('linear', seeds.next()) }).apply(flat) as Sym;
}

function layerNorm(x: Sym): Sym {
  return new LayerNorm({ epsilon: 1e-5 }).apply(x) as Sym;
}

/**
 * Tokens -> + positional embedding -> per block: x + drop(MHSA(LN(x))), x + drop(W2 drop(gelu(W1 LN(x)))) -> LN -> mean over
 * tokens -> head. Pre-norm (LN inside the residual branch) trains stably without warmup at these small depths.
 */
export function buildAttention(config: AttentionConfig, spec: ModelSpec, seeds: SeedStream): tf.LayersModel {
  const { dim, heads } = config;
  const rate = config.dropout ?? 0;
  const hidden = Math.max(1, Math.round(dim * (config.mlpRatio ?? 2)));
  const input = tf.input({ shape: [...spec.inputShape] });
  let x = embed(input, config, spec, seeds);
  x = new PositionalEmbedding({ seed: seeds.next() }).apply(x) as Sym;
  for (let l = 0; l < (config.layers ?? 1); l++) {
    let h = new MultiHeadSelfAttention({ dim, heads, seed: seeds.next() }).apply(layerNorm(x)) as Sym;
    x = tf.layers.add().apply([x, dropout(h, rate, seeds)]) as Sym;
    h = tf.layers
      .dense({ units: hidden, activation: 'gelu', kernelInitializer: kernelInit('gelu', seeds.next()) })
      .apply(layerNorm(x)) as Sym;
    h = dropout(h, rate, seeds);
    h = tf.layers.dense({ units: dim, kernelInitializer: kernelInit('linear', seeds.next()) }).apply(h) as Sym;
    x = tf.layers.add().apply([x, dropout(h, rate, seeds)]) as Sym;
  }
  x = tf.layers.globalAveragePooling1d().apply(layerNorm(x)) as Sym;
  return finish(input, x, spec, seeds, 'attention');
}
