/**
 * Dense builders: plain MLP and residual MLP. Both flatten image inputs, so they work for any input rank. Called only by
 * `buildModel` after validation; each returns the penultimate features and lets `finish` add the head(s).
 */
import * as tf from '@tensorflow/tfjs';
import type { MlpConfig, ResidualMlpConfig, ModelSpec } from '../types.js';
import { type SeedStream, type Sym, activate, denseBlock, dropout, finish, flattenIfNeeded, kernelInit } from './common.js';
import { mlpWidths } from './shapes.js';

/** input -> flatten -> (dense -> [BN] -> act -> [dropout]) per width -> head. */
export function buildMlp(config: MlpConfig, spec: ModelSpec, seeds: SeedStream): tf.LayersModel {
  const input = tf.input({ shape: [...spec.inputShape] });
  const act = config.activation ?? 'relu';
  let x: Sym = flattenIfNeeded(input);
  for (const units of mlpWidths(config)) {
    x = denseBlock(x, units, act, config.batchNorm ?? false, seeds);
    x = dropout(x, config.dropout ?? 0, seeds);
  }
  return finish(input, x, spec, seeds, 'mlp');
}

/**
 * input -> flatten -> dense(units, act) projection, then `blocks` times:
 * `x = act(x + dense(dropout([BN](act(dense(x))))))`, i.e. dense-act-[BN]-dropout-dense plus the skip, activation after the add.
 * The projection makes the skip width-compatible whatever the input size.
 */
export function buildResidualMlp(config: ResidualMlpConfig, spec: ModelSpec, seeds: SeedStream): tf.LayersModel {
  const input = tf.input({ shape: [...spec.inputShape] });
  const act = config.activation ?? 'relu';
  const { units } = config;
  let x: Sym = tf.layers
    .dense({ units, activation: act, kernelInitializer: kernelInit(act, seeds.next()) })
    .apply(flattenIfNeeded(input)) as Sym;
  for (let b = 0; b < config.blocks; b++) {
    let h = tf.layers.dense({ units, activation: act, kernelInitializer: kernelInit(act, seeds.next()) }).apply(x) as Sym;
    if (config.batchNorm) h = tf.layers.batchNormalization().apply(h) as Sym;
    h = dropout(h, config.dropout ?? 0, seeds);
    // The second dense is linear: the non-linearity comes after the sum, so the block can learn the identity (h ~ 0).
    h = tf.layers.dense({ units, kernelInitializer: kernelInit(act, seeds.next()) }).apply(h) as Sym;
    x = activate(tf.layers.add().apply([x, h]) as Sym, act);
  }
  return finish(input, x, spec, seeds, 'residual_mlp');
}
