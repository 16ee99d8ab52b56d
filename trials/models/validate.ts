/**
 * Up-front validation of a model config and spec. `buildModel` calls `validateModelConfig` before creating any layer, so a bad
 * config sampled by a searcher fails fast with a message naming the field and the fix, and never leaves half-built variables
 * behind. Configs may come from JSON, so every field is checked at run time even though the types already constrain them.
 */
import { OptionsError } from '../../src/core/errors.js';
import type { Activation, ModelConfig, ModelSpec } from '../types.js';

/** Every model `type` buildModel knows. */
export const MODEL_TYPES = ['mlp', 'residual_mlp', 'cnn', 'attention'] as const;

/** Activations accepted in configs (all exist in TF.js 4.22 layers, including gelu and swish). */
export const ACTIVATIONS: readonly Activation[] = ['relu', 'gelu', 'elu', 'selu', 'tanh', 'sigmoid', 'swish', 'linear'];

const POOLS = ['max', 'avg', 'none'] as const;

function posInt(path: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new OptionsError(`${path} must be a positive integer, got ${JSON.stringify(v)}`);
  }
}

function optPosInt(path: string, v: unknown): void {
  if (v !== undefined) posInt(path, v);
}

function optRate(path: string, v: unknown): void {
  if (v !== undefined && !(typeof v === 'number' && v >= 0 && v < 1)) {
    throw new OptionsError(`${path} is a dropout rate and must be in [0, 1), got ${JSON.stringify(v)}`);
  }
}

function optActivation(path: string, v: unknown): void {
  if (v !== undefined && !ACTIVATIONS.includes(v as Activation)) {
    throw new OptionsError(`${path} must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(v)}`);
  }
}

function optPool(path: string, v: unknown): void {
  if (v !== undefined && !(POOLS as readonly unknown[]).includes(v)) {
    throw new OptionsError(`${path} must be one of ${POOLS.join(', ')}, got ${JSON.stringify(v)}`);
  }
}

function optBool(path: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'boolean') throw new OptionsError(`${path} must be a boolean, got ${JSON.stringify(v)}`);
}

/** Checks `spec`: positive integer input dims and outputs, finite seed. */
export function validateModelSpec(spec: ModelSpec): void {
  if (!Array.isArray(spec.inputShape) || spec.inputShape.length === 0) {
    throw new OptionsError(`spec.inputShape must be a non-empty array such as [28, 28, 1] or [8], got ${JSON.stringify(spec.inputShape)}`);
  }
  spec.inputShape.forEach((d, i) => posInt(`spec.inputShape[${i}]`, d));
  posInt('spec.outputs', spec.outputs);
  if (typeof spec.seed !== 'number' || !Number.isFinite(spec.seed)) {
    throw new OptionsError(`spec.seed must be a finite number, got ${JSON.stringify(spec.seed)}`);
  }
}

/**
 * Throws an OptionsError for the first invalid field of `config` (paths like `model.units[1]`); the input-shape dependent checks
 * (cnn needs an image, attention patch must divide the side) happen in the builders, which know the shape.
 */
export function validateModelConfig(config: ModelConfig): void {
  const c = config as unknown as Record<string, unknown>;
  if (typeof c !== 'object' || c === null) throw new OptionsError(`model config must be an object, got ${JSON.stringify(config)}`);
  const type = c['type'];
  switch (type) {
    case 'mlp': {
      const units = c['units'];
      if (Array.isArray(units)) {
        if (units.length === 0) throw new OptionsError('model.units must be a positive integer or a non-empty list of them, got []');
        units.forEach((u, i) => posInt(`model.units[${i}]`, u));
        if (c['depth'] !== undefined) {
          throw new OptionsError('model.depth only applies when model.units is a single number; drop depth or give units as one width');
        }
      } else {
        posInt('model.units', units);
        optPosInt('model.depth', c['depth']);
      }
      optActivation('model.activation', c['activation']);
      optRate('model.dropout', c['dropout']);
      optBool('model.batchNorm', c['batchNorm']);
      return;
    }
    case 'residual_mlp':
      posInt('model.blocks', c['blocks']);
      posInt('model.units', c['units']);
      optActivation('model.activation', c['activation']);
      optRate('model.dropout', c['dropout']);
      optBool('model.batchNorm', c['batchNorm']);
      return;
    case 'cnn': {
      const blocks = c['blocks'];
      const filters = c['filters'];
      if (blocks !== undefined && filters !== undefined) {
        throw new OptionsError('give either model.blocks or model.filters for a cnn, not both');
      }
      if (Array.isArray(blocks)) {
        if (blocks.length === 0) throw new OptionsError('model.blocks must hold at least one conv block');
        blocks.forEach((b: Record<string, unknown>, i) => {
          posInt(`model.blocks[${i}].filters`, b['filters']);
          optPosInt(`model.blocks[${i}].kernel`, b['kernel']);
          optPosInt(`model.blocks[${i}].stride`, b['stride']);
          optPool(`model.blocks[${i}].pool`, b['pool']);
          optBool(`model.blocks[${i}].batchNorm`, b['batchNorm']);
          optRate(`model.blocks[${i}].dropout`, b['dropout']);
        });
      } else if (Array.isArray(filters)) {
        if (filters.length === 0) throw new OptionsError('model.filters must hold at least one width, e.g. [16, 32]');
        filters.forEach((f, i) => posInt(`model.filters[${i}]`, f));
      } else {
        throw new OptionsError('a cnn needs model.blocks (list of conv blocks) or model.filters (list of widths, e.g. [16, 32])');
      }
      optPosInt('model.kernel', c['kernel']);
      optPosInt('model.stride', c['stride']);
      optPool('model.pool', c['pool']);
      optBool('model.batchNorm', c['batchNorm']);
      optRate('model.dropout', c['dropout']);
      if (c['dense'] !== undefined && c['dense'] !== 0) posInt('model.dense', c['dense']);
      optActivation('model.activation', c['activation']);
      return;
    }
    case 'attention': {
      posInt('model.dim', c['dim']);
      posInt('model.heads', c['heads']);
      const dim = c['dim'] as number;
      const heads = c['heads'] as number;
      if (dim % heads !== 0) {
        throw new OptionsError(
          `model.dim must be divisible by model.heads (dim % heads === 0), got dim=${dim}, heads=${heads}; ` +
            `use a dim that is a multiple of ${heads}`,
        );
      }
      optPosInt('model.patch', c['patch']);
      optPosInt('model.layers', c['layers']);
      const ratio = c['mlpRatio'];
      if (ratio !== undefined && !(typeof ratio === 'number' && ratio > 0 && Number.isFinite(ratio))) {
        throw new OptionsError(`model.mlpRatio must be a positive number, got ${JSON.stringify(ratio)}`);
      }
      optRate('model.dropout', c['dropout']);
      return;
    }
    default:
      throw new OptionsError(`unknown model.type ${JSON.stringify(type)}; known types: ${MODEL_TYPES.join(', ')}`);
  }
}
