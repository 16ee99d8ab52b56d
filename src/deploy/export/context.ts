/**
 * State shared by the per-layer converters (layers.ts) while one TF.js model is walked (convert.ts): the ONNX graph being
 * built, the layout of every converted tensor, the batch-norm folding plan, and weight access.
 *
 * Layout: TF.js image tensors are NHWC; ONNX Conv/Pool want NCHW. Each converted tensor carries its ONNX layout, and a
 * converter asks for the layout it needs (`toNchw` / `toTf`); the Transpose is emitted once per tensor and cached. So an image
 * model transposes its input once before the first conv and back once before the flatten (whose element order must match
 * TF.js's NHWC flatten), and a model without convs never transposes.
 */
import type * as tf from '@tensorflow/tfjs';
import type { OnnxGraph } from './onnx.js';

/** A converted tensor. `shape` is the TF.js shape (batch first, null = dynamic batch) whatever the ONNX layout is. */
export interface Value {
  readonly name: string;
  readonly shape: readonly (number | null)[];
  /** 'tf': same element order as TF.js; 'nchw': a rank-4 NHWC tensor stored channels-first. */
  readonly layout: 'tf' | 'nchw';
}

/** A layer weight as a float32 copy with its TF.js shape. */
export interface Weight {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Per-output-channel affine map y = x * scale + shift of a batch norm folded into the layer that feeds it. */
export interface Fold {
  readonly scale: Float32Array;
  readonly shift: Float32Array;
}

/** Thrown for a model the exporter cannot represent faithfully (unsupported layer, data format, shape...). */
export { ExportError } from '../../core/errors.js';
import { ExportError } from '../../core/errors.js';

/** Names the layer in an error: `layer "conv2d_1" (class Conv2D)`. */
export function describe(layer: tf.layers.Layer): string {
  return `layer "${layer.name}" (class ${layer.getClassName()})`;
}

/**
 * What a converter gets. Created once per export by `convertModel`; converters only append to `graph` and read the rest.
 */
export class ConvertContext {
  /** Producer layer name -> the batch norm folded into it (its converter multiplies the kernel and shifts the bias). */
  readonly folds = new Map<string, Fold>();
  /** Batch-norm layers already folded into their producer: they convert to the identity. */
  readonly folded = new Set<string>();
  private readonly nchwCache = new Map<string, Value>();
  private readonly tfCache = new Map<string, Value>();
  private readonly aliases = new Map<string, string>();

  constructor(readonly graph: OnnxGraph) {}

  /**
   * The prefix of a layer's ONNX node and tensor names: TF.js's generated names (`<snake>_<Class><n>`, e.g.
   * `tunekit_multi_head_self_attention_TunekitMultiHeadSelfAttention1`) shortened to `<short class><n>` (`mhsa1`), names a
   * user gave (`logits`, `aux`, `my_block`) kept. Names appear about three times per tensor in the file, so the long
   * generated ones took up to 40% of a small int8 model.
   */
  alias(layer: tf.layers.Layer): string {
    let a = this.aliases.get(layer.name);
    if (a === undefined) {
      const cls = layer.getClassName();
      const m = new RegExp(`^[a-z0-9_]+_${cls}(\\d+)$`).exec(layer.name);
      a = m ? `${SHORT[cls] ?? cls.replace(/^Tunekit/, '').toLowerCase()}${m[1]}` : layer.name;
      this.aliases.set(layer.name, a);
    }
    return a;
  }

  /** The same tensor in TF.js element order (transposes an NCHW tensor back to NHWC once). */
  toTf(v: Value): Value {
    if (v.layout === 'tf') return v;
    let out = this.tfCache.get(v.name);
    if (!out) {
      out = { name: this.graph.add('Transpose', [v.name], { perm: [0, 2, 3, 1] }, `${v.name}/to_nhwc`), shape: v.shape, layout: 'tf' };
      this.tfCache.set(v.name, out);
    }
    return out;
  }

  /** The same rank-4 tensor channels-first, for Conv/Pool (transposes once). */
  toNchw(v: Value, layer: tf.layers.Layer): Value {
    if (v.layout === 'nchw') return v;
    if (v.shape.length !== 4) {
      throw new ExportError(
        `${describe(layer)} needs a rank-4 [batch, height, width, channels] input, got [${v.shape.map(String).join(', ')}]`,
      );
    }
    let out = this.nchwCache.get(v.name);
    if (!out) {
      out = { name: this.graph.add('Transpose', [v.name], { perm: [0, 3, 1, 2] }, `${v.name}/to_nchw`), shape: v.shape, layout: 'nchw' };
      this.nchwCache.set(v.name, out);
    }
    return out;
  }

  /** The layer's weights keyed by their short name (`kernel`, `bias`, `gamma`, `moving_mean`, ...), copied to float32. */
  weights(layer: tf.layers.Layer): Map<string, Weight> {
    const out = new Map<string, Weight>();
    for (const w of layer.weights) {
      const short = (w.originalName ?? w.name).split('/').pop() ?? w.name;
      out.set(short, { data: Float32Array.from(w.read().dataSync() as Float32Array), shape: [...w.shape] as number[] });
    }
    return out;
  }

  /** One named weight; a missing one means the layer is not what its class name says, so fail loudly. */
  weight(layer: tf.layers.Layer, ws: Map<string, Weight>, key: string): Weight {
    const w = ws.get(key);
    if (!w)
      throw new ExportError(`${describe(layer)} has no weight "${key}" (it has: ${[...ws.keys()].join(', ') || 'none'}); cannot export it`);
    return w;
  }
}

/** The single input of a one-input layer; anything else is an ExportError naming the layer. */
export function one(layer: tf.layers.Layer, inputs: readonly Value[]): Value {
  if (inputs.length !== 1) throw new ExportError(`${describe(layer)} expects one input, got ${inputs.length}`);
  return inputs[0]!;
}

/** A converted tensor named `name` (TF order unless told otherwise). */
export function out(name: string, shape: readonly (number | null)[], layout: Value['layout'] = 'tf'): Value {
  return { name, shape, layout };
}

/** Short name stems for TF.js's generated layer names (see `ConvertContext.alias`). */
const SHORT: Readonly<Record<string, string>> = {
  BatchNormalization: 'bn',
  LayerNormalization: 'ln',
  TunekitLayerNorm: 'ln',
  TunekitMultiHeadSelfAttention: 'mhsa',
  TunekitPositionalEmbedding: 'pos',
  TunekitSeededDropout: 'drop',
  Activation: 'act',
  Conv2D: 'conv',
  DepthwiseConv2D: 'dwconv',
  SeparableConv2D: 'sepconv',
  MaxPooling2D: 'maxpool',
  AveragePooling2D: 'avgpool',
  GlobalAveragePooling2D: 'gap',
  GlobalAveragePooling1D: 'gap',
  GlobalMaxPooling2D: 'gmp',
  GlobalMaxPooling1D: 'gmp',
};

/** A converter: emits the ONNX nodes for one application of `layer` to `inputs`; returns one Value per output tensor. */
export type LayerConverter = (
  ctx: ConvertContext,
  layer: tf.layers.Layer,
  inputs: readonly Value[],
  outShapes: readonly (readonly (number | null)[])[],
) => Value[];
