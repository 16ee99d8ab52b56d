/**
 * Convolutional builder for image inputs ([height, width, channels], channels last). Called by `buildModel` after validation.
 * Conv layers keep TF.js's `conv2d` class name so the trial loop can find them for feature maps.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../src/core/errors.js';
import type { CnnConfig, ModelSpec } from '../types.js';
import { type SeedStream, type Sym, activate, dropout, finish, kernelInit } from './common.js';
import { resolveConvBlocks } from './shapes.js';

/**
 * input -> per block: conv2d('same') -> [BN] -> act -> [2x2 pool] -> [dropout]; then flatten -> [dense -> act] -> head.
 * Pooling uses 'same' padding so a deep stack on a small image bottoms out at 1x1 instead of failing on a 0-sized map.
 * A rank-2 input [h, w] is treated as a one-channel image; a rank-1 (tabular) input is rejected.
 */
export function buildCnn(config: CnnConfig, spec: ModelSpec, seeds: SeedStream): tf.LayersModel {
  const shape = spec.inputShape;
  if (shape.length === 1) {
    throw new OptionsError(
      `model.type "cnn" needs an image input [height, width, channels], but this dataset is tabular (inputShape [${shape.join(', ')}]); ` +
        `use "mlp", "residual_mlp" or "attention" for tabular data`,
    );
  }
  if (shape.length > 3) {
    throw new OptionsError(`model.type "cnn" needs an image input [height, width, channels], got inputShape [${shape.join(', ')}]`);
  }
  const act = config.activation ?? 'relu';
  const input = tf.input({ shape: [...shape] });
  let x: Sym = shape.length === 2 ? (tf.layers.reshape({ targetShape: [shape[0], shape[1], 1] }).apply(input) as Sym) : input;
  for (const b of resolveConvBlocks(config)) {
    x = tf.layers
      .conv2d({
        filters: b.filters,
        kernelSize: b.kernel,
        strides: b.stride,
        padding: 'same',
        useBias: !b.batchNorm,
        kernelInitializer: kernelInit(act, seeds.next()),
      })
      .apply(x) as Sym;
    if (b.batchNorm) x = tf.layers.batchNormalization().apply(x) as Sym;
    x = activate(x, act);
    if (b.pool === 'max') x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same' }).apply(x) as Sym;
    if (b.pool === 'avg') x = tf.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same' }).apply(x) as Sym;
    x = dropout(x, b.dropout, seeds);
  }
  x = tf.layers.flatten().apply(x) as Sym;
  if (config.dense) {
    x = tf.layers.dense({ units: config.dense, activation: act, kernelInitializer: kernelInit(act, seeds.next()) }).apply(x) as Sym;
  }
  return finish(input, x, spec, seeds, 'cnn');
}
