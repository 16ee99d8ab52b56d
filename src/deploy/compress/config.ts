/**
 * Model configs for distillation students: `inferModelConfig` reads the `ModelConfig` back from a model built by
 * `buildModel` (also one loaded from a checkpoint, which stores the topology but not the config), and `halfConfig` scales a
 * config down to about half the width, the `student: 'half'` of `distill`.
 */
import type * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import type {
  Activation,
  AttentionConfig,
  CnnConfig,
  ConvBlockConfig,
  MlpConfig,
  ModelConfig,
  ResidualMlpConfig,
} from '../../../trials/types.js';
import { topologyOf, type LayerJson } from './common.js';

const HEADS = new Set(['logits', 'aux']);

function cfg(layer: LayerJson, key: string): unknown {
  return layer.config[key];
}

/** Activation applied after `layers[i]`: its own `activation` field, else the next Activation layer before a weighted layer. */
function activationAfter(layers: readonly LayerJson[], i: number): Activation {
  const own = cfg(layers[i]!, 'activation');
  if (typeof own === 'string' && own !== 'linear') return own as Activation;
  for (let j = i + 1; j < layers.length; j++) {
    const cls = layers[j]!.class_name;
    if (cls === 'Activation') return cfg(layers[j]!, 'activation') as Activation;
    if (cls === 'Dense' || cls === 'Conv2D' || cls === 'Add') break;
  }
  return 'linear';
}

function dropoutRate(layers: readonly LayerJson[]): number | undefined {
  const d = layers.find((l) => l.class_name === 'TunekitSeededDropout' || l.class_name === 'Dropout');
  return d ? (cfg(d, 'rate') as number) : undefined;
}

/**
 * The config `buildModel` would need to build `model`'s architecture again, from its layers (the model name set by the
 * builder says which type). Called by `distill` for `student: 'half'` when no `teacherConfig` is given. Dropout is read as
 * one rate (the first dropout layer's); per-block cnn settings are read per block.
 *
 * @throws OptionsError when the model was not built by tunekit's `buildModel` (unknown name or layout); pass the config then.
 */
export function inferModelConfig(model: tf.LayersModel): ModelConfig {
  const layers = topologyOf(model).config.layers;
  const dense = layers.filter((l) => l.class_name === 'Dense' && !HEADS.has(l.name));
  const batchNorm = layers.some((l) => l.class_name === 'BatchNormalization');
  const rate = dropoutRate(layers);
  const common = { ...(rate !== undefined ? { dropout: rate } : {}), ...(batchNorm ? { batchNorm } : {}) };
  const act = (layer: LayerJson): Activation => activationAfter(layers, layers.indexOf(layer));
  switch (model.name) {
    case 'mlp': {
      if (dense.length === 0) break;
      const config: MlpConfig = { type: 'mlp', units: dense.map((l) => cfg(l, 'units') as number), activation: act(dense[0]!), ...common };
      return config;
    }
    case 'residual_mlp': {
      const blocks = layers.filter((l) => l.class_name === 'Add').length;
      if (dense.length !== 1 + 2 * blocks) break;
      const config: ResidualMlpConfig = {
        type: 'residual_mlp',
        blocks,
        units: cfg(dense[0]!, 'units') as number,
        activation: act(dense[0]!),
        ...common,
      };
      return config;
    }
    case 'cnn': {
      const convs = layers.map((l, i) => [l, i] as const).filter(([l]) => l.class_name === 'Conv2D');
      if (convs.length === 0 || dense.length > 1) break;
      const blocks: ConvBlockConfig[] = convs.map(([l, i], b) => {
        const end = b + 1 < convs.length ? convs[b + 1]![1] : layers.length;
        const own = layers.slice(i + 1, end);
        const pool = own.find((x) => x.class_name === 'MaxPooling2D')
          ? 'max'
          : own.find((x) => x.class_name === 'AveragePooling2D')
            ? 'avg'
            : 'none';
        const drop = own.find((x) => x.class_name === 'TunekitSeededDropout' || x.class_name === 'Dropout');
        return {
          filters: cfg(l, 'filters') as number,
          kernel: (cfg(l, 'kernel_size') as number[])[0]!,
          stride: (cfg(l, 'strides') as number[])[0]!,
          pool,
          batchNorm: own.some((x) => x.class_name === 'BatchNormalization'),
          dropout: drop ? (cfg(drop, 'rate') as number) : 0,
        };
      });
      const config: CnnConfig = {
        type: 'cnn',
        blocks,
        activation: act(convs[0]![0]),
        ...(dense.length === 1 ? { dense: cfg(dense[0]!, 'units') as number } : {}),
      };
      return config;
    }
    case 'attention': {
      const mhsa = layers.filter((l) => l.class_name === 'TunekitMultiHeadSelfAttention');
      if (mhsa.length === 0) break;
      const dim = cfg(mhsa[0]!, 'dim') as number;
      const hidden = dense.find((l) => cfg(l, 'activation') === 'gelu');
      const reshapes = layers.filter((l) => l.class_name === 'Reshape');
      const inputShape = model.inputs[0]!.shape;
      const config: AttentionConfig = {
        type: 'attention',
        dim,
        heads: cfg(mhsa[0]!, 'heads') as number,
        layers: mhsa.length,
        ...(hidden ? { mlpRatio: (cfg(hidden, 'units') as number) / dim } : {}),
        ...(rate !== undefined ? { dropout: rate } : {}),
        // Image inputs are cut by reshape [rows, patch, cols, patch * channels]; its second entry is the patch side.
        ...(inputShape.length > 2 && reshapes.length >= 2 ? { patch: (cfg(reshapes[0]!, 'target_shape') as number[])[1]! } : {}),
      };
      return config;
    }
  }
  throw new OptionsError(
    `cannot infer the model config of "${model.name}": it was not built by tunekit's buildModel (mlp, residual_mlp, cnn, ` +
      `attention); pass distill's teacherConfig, or give student as a ModelConfig instead of 'half'`,
  );
}

const half = (n: number): number => Math.max(1, Math.round(n / 2));

/**
 * The config scaled to about half the width (depth kept): mlp/residual_mlp units, cnn filters and dense width halved
 * (rounded, at least 1); attention dim halved and rounded down to a multiple of the heads (heads reduced if dim/2 < heads).
 * Roughly a quarter of the parameters of the width-dominated layers.
 */
export function halfConfig(config: ModelConfig): ModelConfig {
  switch (config.type) {
    case 'mlp':
      return { ...config, units: typeof config.units === 'number' ? half(config.units) : config.units.map(half) };
    case 'residual_mlp':
      return { ...config, units: half(config.units) };
    case 'cnn':
      return {
        ...config,
        ...(config.blocks ? { blocks: config.blocks.map((b) => ({ ...b, filters: half(b.filters) })) } : {}),
        ...(config.filters ? { filters: config.filters.map(half) } : {}),
        ...(config.dense ? { dense: half(config.dense) } : {}),
      };
    case 'attention': {
      let heads = config.heads;
      const target = Math.max(1, Math.floor(config.dim / 2));
      while (heads > 1 && target < heads) heads = Math.max(1, Math.floor(heads / 2));
      const dim = Math.max(heads, Math.floor(target / heads) * heads);
      return { ...config, dim, heads };
    }
  }
}
