/**
 * Multi-head self-attention as a serialisable TF.js layer (TF.js 4.22 has no attention layer). Used by the ViT-style builder in
 * vit.ts; registered on import so saved attention models reload with `tf.loadLayersModel` / `loadModel`.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../src/core/errors.js';
import type { BaseLayerArgs } from './layers.js';

/** Constructor / config of MultiHeadSelfAttention (round-trips through `getConfig` for serialisation). */
export interface MultiHeadSelfAttentionArgs extends BaseLayerArgs {
  /** Model width: input and output feature size; must be divisible by `heads`. */
  readonly dim: number;
  readonly heads: number;
  /** Base seed of the four projection initializers (q, k, v, output use seed, seed+1, seed+2, seed+3). */
  readonly seed: number;
}

/**
 * Scaled dot-product self-attention over a [batch, tokens, dim] input with `heads` heads of width dim/heads, followed by an
 * output projection; output shape equals input shape. Weights (created in `build`): wq, wk, wv, wo of shape [dim, dim] and
 * biases bq, bv, bo of shape [dim]. There is no key bias on purpose: it adds q_i·b_k to every score of row i, which the softmax
 * cancels, so it would be a weight with an exactly-zero gradient. Fully differentiable (plain tf ops), and `call` runs in `tf.tidy` so intermediates do
 * not leak when the layer is applied eagerly inside `tf.variableGrads`.
 */
export class MultiHeadSelfAttention extends tf.layers.Layer {
  static className = 'TunekitMultiHeadSelfAttention';
  readonly dim: number;
  readonly heads: number;
  readonly seed: number;
  private w: Record<'wq' | 'wk' | 'wv' | 'wo' | 'bq' | 'bv' | 'bo', tf.LayerVariable> | null = null;

  constructor(args: MultiHeadSelfAttentionArgs) {
    super(args);
    if (!Number.isInteger(args.dim) || args.dim <= 0 || !Number.isInteger(args.heads) || args.heads <= 0) {
      throw new OptionsError(`attention "dim" and "heads" must be positive integers, got dim=${args.dim}, heads=${args.heads}`);
    }
    if (args.dim % args.heads !== 0) {
      throw new OptionsError(
        `attention "dim" must be divisible by "heads" (dim % heads === 0), got dim=${args.dim}, heads=${args.heads}; ` +
          `pick a dim that is a multiple of ${args.heads}`,
      );
    }
    this.dim = args.dim;
    this.heads = args.heads;
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const inDim = shape[shape.length - 1];
    if (shape.length !== 3 || inDim !== this.dim) {
      throw new OptionsError(`MultiHeadSelfAttention needs a [batch, tokens, ${this.dim}] input, got [${shape.map(String).join(', ')}]`);
    }
    const kernel = (name: string, k: number): tf.LayerVariable =>
      this.addWeight(name, [this.dim, this.dim], 'float32', tf.initializers.glorotUniform({ seed: this.seed + k }));
    const bias = (name: string): tf.LayerVariable => this.addWeight(name, [this.dim], 'float32', tf.initializers.zeros());
    this.w = {
      wq: kernel('wq', 0),
      bq: bias('bq'),
      wk: kernel('wk', 1),
      wv: kernel('wv', 2),
      bv: bias('bv'),
      wo: kernel('wo', 3),
      bo: bias('bo'),
    };
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const w = this.w;
    if (w === null) throw new Error('MultiHeadSelfAttention.call before build: apply the layer to a symbolic input first');
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const [, tokens] = x.shape;
      const dh = this.dim / this.heads;
      // Project all tokens at once as a 2-D matmul, then split the feature axis into heads: [b, t, h, dh] -> [b, h, t, dh].
      const flat = tf.reshape(x, [-1, this.dim]);
      const project = (weight: tf.LayerVariable, bias: tf.LayerVariable | null): tf.Tensor => {
        const p = tf.matMul(flat, weight.read());
        return tf.transpose(tf.reshape(bias ? tf.add(p, bias.read()) : p, [-1, tokens, this.heads, dh]), [0, 2, 1, 3]);
      };
      const q = project(w.wq, w.bq);
      const k = project(w.wk, null);
      const v = project(w.wv, w.bv);
      // Scaling by 1/sqrt(dh) keeps the logits' variance ~1 so the softmax does not saturate at init.
      const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh));
      const attn = tf.softmax(scores, -1);
      const ctx = tf.reshape(tf.transpose(tf.matMul(attn, v), [0, 2, 1, 3]), [-1, this.dim]);
      const out = tf.add(tf.matMul(ctx, w.wo.read()), w.bo.read());
      return tf.reshape(out, [-1, tokens, this.dim]);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dim: this.dim, heads: this.heads, seed: this.seed };
  }
}

tf.serialization.registerClass(MultiHeadSelfAttention);
