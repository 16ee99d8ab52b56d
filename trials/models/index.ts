/**
 * Model builders for trials: `buildModel(config, spec)` turns a sampled `ModelConfig` into a TF.js functional LayersModel whose
 * outputs are logits (classification) or raw values (regression), plus an optional aux head for the combined loss. Called by
 * the trial runner once per trial, before training.
 *
 * Invariants: the config is validated before any layer exists (a bad config leaves no variables behind); every initializer and
 * dropout layer is seeded from `spec.seed`, so equal specs build equal initial weights; the custom layers are registered with
 * TF.js serialization on import, so `loadModel` (checkpoint.ts) can reload any model built here.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BuiltModel, ModelConfig, ModelSpec } from '../types.js';
import { buildAttention } from './vit.js';
import { buildCnn } from './cnn.js';
import { SeedStream } from './common.js';
import { buildMlp, buildResidualMlp } from './mlp.js';
import { validateModelConfig, validateModelSpec } from './validate.js';

export { MODEL_TYPES, ACTIVATIONS, validateModelConfig, validateModelSpec } from './validate.js';
export { MultiHeadSelfAttention, type MultiHeadSelfAttentionArgs } from './attention.js';
export {
  LayerNorm,
  PositionalEmbedding,
  SeededDropout,
  type LayerNormArgs,
  type PositionalEmbeddingArgs,
  type SeededDropoutArgs,
} from './layers.js';
export { mlpWidths, patchSize, resolveConvBlocks, type ResolvedConvBlock } from './shapes.js';

/**
 * Builds the model a trial trains. Throws an OptionsError (before creating anything) for an invalid config or spec, for a cnn
 * on tabular data, or for an attention patch that does not divide the image. The main output layer is named `logits`, the aux
 * output (only with `spec.auxHead`, as the second output) `aux`. The caller owns the model and must `dispose()` it.
 */
export function buildModel(config: ModelConfig, spec: ModelSpec): BuiltModel {
  validateModelSpec(spec);
  validateModelConfig(config);
  const seeds = new SeedStream(spec.seed);
  let model: tf.LayersModel;
  switch (config.type) {
    case 'mlp':
      model = buildMlp(config, spec, seeds);
      break;
    case 'residual_mlp':
      model = buildResidualMlp(config, spec, seeds);
      break;
    case 'cnn':
      model = buildCnn(config, spec, seeds);
      break;
    case 'attention':
      model = buildAttention(config, spec, seeds);
      break;
  }
  return { model, paramCount: countParams(model) };
}

/** Total number of weights (trainable and not, e.g. batch-norm moving statistics), as Keras reports it. */
export function countParams(model: tf.LayersModel): number {
  return model.countParams();
}
