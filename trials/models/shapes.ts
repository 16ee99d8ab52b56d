/**
 * Layer shapes that model configs describe, computed without TF.js: the builders (cnn.ts, mlp.ts, vit.ts) use them to build
 * layers, and the controller uses them (through trials/work.ts) to estimate a trial's work without loading TF.js.
 */
import { OptionsError } from '../../src/core/errors.js';
import type { AttentionConfig, CnnConfig, ConvBlockConfig, MlpConfig } from '../types.js';

/** Hidden widths of an MLP config: the list as given, or `units` repeated `depth` (default 1) times. */
export function mlpWidths(config: MlpConfig): number[] {
  return typeof config.units === 'number' ? Array.from({ length: config.depth ?? 1 }, () => config.units as number) : [...config.units];
}

/** A conv block with every default filled in. */
export interface ResolvedConvBlock {
  readonly filters: number;
  readonly kernel: number;
  readonly stride: number;
  readonly pool: 'max' | 'avg' | 'none';
  readonly batchNorm: boolean;
  readonly dropout: number;
}

/**
 * The blocks a cnn config describes: `blocks` as given, or one block per entry of `filters`. Fields a block leaves out fall back
 * to the config-level value, then to the defaults kernel 3, stride 1, pool 'max', no batch norm, no dropout.
 */
export function resolveConvBlocks(config: CnnConfig): ResolvedConvBlock[] {
  const blocks: readonly ConvBlockConfig[] = config.blocks ?? (config.filters ?? []).map((filters) => ({ filters }));
  return blocks.map((b) => ({
    filters: b.filters,
    kernel: b.kernel ?? config.kernel ?? 3,
    stride: b.stride ?? config.stride ?? 1,
    pool: b.pool ?? config.pool ?? 'max',
    batchNorm: b.batchNorm ?? config.batchNorm ?? false,
    dropout: b.dropout ?? config.dropout ?? 0,
  }));
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Patch side used for an image of `height` x `width`: `config.patch` when given (it must divide both sides), else the smallest
 * divisor of gcd(height, width) that leaves at most 4 patches per side (28x28 -> 7, 16 tokens), which keeps attention cheap.
 */
export function patchSize(config: AttentionConfig, height: number, width: number): number {
  if (config.patch !== undefined) {
    if (height % config.patch !== 0 || width % config.patch !== 0) {
      throw new OptionsError(
        `model.patch must divide the image sides, got patch=${config.patch} for a ${height}x${width} image; ` +
          `use a divisor of ${gcd(height, width)}`,
      );
    }
    return config.patch;
  }
  const g = gcd(height, width);
  for (let d = 1; d <= g; d++) if (g % d === 0 && d * 4 >= g) return d;
  return g;
}
