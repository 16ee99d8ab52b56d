/**
 * Custom layers the builders use: SeededDropout, PositionalEmbedding and LayerNorm (MultiHeadSelfAttention lives in
 * attention.ts). Each is
 * registered with `tf.serialization.registerClass` when this module is imported, so `tf.loadLayersModel` can rebuild a saved
 * model; checkpoint.ts imports this module (and attention.ts) for exactly that reason.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { heapTensor, wasmHeap } from '../wasm-heap.js';

/** Constructor arguments every TF.js layer accepts (name, trainable...); TF.js does not export the type itself. */
export type BaseLayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Keyword arguments TF.js passes to `call` (`training`, `mask`...). */
export type CallKwargs = Parameters<tf.layers.Layer['call']>[1];

/** Constructor / config of SeededDropout (also what `getConfig` returns, so a saved layer rebuilds identically). */
export interface SeededDropoutArgs extends BaseLayerArgs {
  /** Fraction of units zeroed while training, in [0, 1). */
  readonly rate: number;
  /** Seed of this layer's mask stream. */
  readonly seed: number;
}

/**
 * Dropout whose masks are reproducible yet differ from step to step. `tf.layers.dropout({ seed })` re-seeds the RNG with the
 * same seed on every call, so it drops the *same* units at every training step (checked in TF.js 4.22), which turns dropout
 * into a fixed sparse mask. This layer instead draws a fresh seed from its own seedrandom stream for each training call: the
 * n-th training call of a layer built with seed s always uses the same mask. Inference (`training` absent/false) is identity.
 *
 * The mask comes from {@link dropoutMask}, not `tf.dropout`: TF.js draws dropout's uniforms in JS through seedrandom's Alea,
 * one boxed double per unit, and that was most of what a training worker allocated (268 of 321 MB sampled over one epoch of
 * a CNN with dropout 0.3), which kept the garbage collector's helper threads busy on the other core.
 */
export class SeededDropout extends tf.layers.Layer {
  static className = 'TunekitSeededDropout';
  readonly rate: number;
  readonly seed: number;
  private readonly rng: seedrandom.PRNG;

  constructor(args: SeededDropoutArgs) {
    super(args);
    if (!(args.rate >= 0 && args.rate < 1)) {
      throw new RangeError(`dropout rate must be in [0, 1), got ${args.rate}`);
    }
    this.rate = args.rate;
    this.seed = args.seed;
    this.rng = seedrandom(`tunekit-dropout:${args.seed}`);
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const training = kwargs?.['training'] === true;
    if (!training || this.rate === 0) return x;
    const seed = [this.rng.int32(), this.rng.int32(), this.rng.int32(), this.rng.int32()] as const;
    return tf.tidy(() => tf.mul(x, maskTensor(x, this.rate, seed)));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

/**
 * An inverted-dropout multiplier of `n` units: each is 1 / (1 - rate) with probability 1 - rate, else 0 (what `tf.dropout`
 * multiplies by). The units are drawn by xoshiro128** from the four 32-bit words of `seed` (an all-zero seed, the one state
 * xoshiro cannot leave, is replaced by a fixed non-zero one), compared as 32-bit integers against (1 - rate) * 2^32, in one
 * loop over local integers: ~5 ns a unit and no garbage, against ~20 ns and a boxed double a unit for `tf.dropout`. Written
 * into `out` (its first `n` units) when given, else into a new array.
 */
export function dropoutMask(
  n: number,
  rate: number,
  seed: readonly [number, number, number, number],
  out: Float32Array = new Float32Array(n),
): Float32Array {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout rate must be in [0, 1), got ${rate}`);
  if (out.length < n) throw new RangeError(`dropoutMask needs room for ${n} units, got ${out.length}`);
  const scale = 1 / (1 - rate);
  const threshold = Math.floor((1 - rate) * 4294967296);
  let [a, b, c, d] = seed.map((w) => w | 0) as [number, number, number, number];
  if ((a | b | c | d) === 0) a = 0x9e3779b9 | 0;
  for (let i = 0; i < n; i++) {
    const m = Math.imul(b, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    out[i] = r < threshold ? scale : 0;
  }
  return out;
}

/**
 * The dropout mask for `x`, as a tensor of its shape. On the wasm backend it is drawn straight into a tensor allocated in the wasm heap,
 * as the backend's own JS kernels write their outputs: a mask in a fresh Float32Array was a new 100 KB-2 MB ArrayBuffer per
 * dropout layer per step (278 MB over four example trials, more than every other allocation of the worker together), and V8
 * answers that much external memory with full collections, marked by helper threads that, with two workers, take the other
 * trial's core (those four trials in one thread, `--trace-gc-nvp`: 23 full collections before, 11-16 after). Other backends
 * keep the array (the cpu backend keeps a reference to it).
 */
function maskTensor(x: tf.Tensor, rate: number, seed: readonly [number, number, number, number]): tf.Tensor {
  const heap = wasmHeap();
  if (!heap) return tf.tensor(dropoutMask(x.size, rate, seed), x.shape, 'float32');
  return heapTensor(heap, x.shape, (out) => dropoutMask(x.size, rate, seed, out));
}

/** Constructor / config of PositionalEmbedding; the [tokens, dim] shape comes from the input in `build`. */
export interface PositionalEmbeddingArgs extends BaseLayerArgs {
  /** Seed of the initializer (the weight is replaced when a checkpoint loads). */
  readonly seed: number;
}

/**
 * Learned positional embedding for a token sequence: adds a trainable [tokens, dim] weight to every sample of a [batch, tokens,
 * dim] input. The shape is taken from the input in `build`, so the layer needs no size arguments. Initialised from N(0, 0.02²)
 * truncated, as in ViT, so that at the start it barely perturbs the patch embeddings.
 */
export class PositionalEmbedding extends tf.layers.Layer {
  static className = 'TunekitPositionalEmbedding';
  readonly seed: number;
  private embedding: tf.LayerVariable | null = null;

  constructor(args: PositionalEmbeddingArgs) {
    super(args);
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const tokens = shape[1];
    const dim = shape[2];
    if (shape.length !== 3 || tokens == null || dim == null) {
      throw new TypeError(`PositionalEmbedding needs a [batch, tokens, dim] input with known tokens and dim, got [${shape.join(', ')}]`);
    }
    this.embedding = this.addWeight(
      'embedding',
      [tokens, dim],
      'float32',
      tf.initializers.truncatedNormal({ mean: 0, stddev: 0.02, seed: this.seed }),
    );
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const embedding = this.embedding;
    if (embedding === null) throw new Error('PositionalEmbedding.call before build: apply the layer to a symbolic input first');
    return tf.tidy(() => tf.add(x, embedding.read()));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed };
  }
}

/** Constructor / config of LayerNorm. */
export interface LayerNormArgs extends BaseLayerArgs {
  /** Added to the variance before the square root; default 1e-5. */
  readonly epsilon?: number;
}

/**
 * Layer normalisation over the last axis with a learned scale and offset. Replaces `tf.layers.layerNormalization`, which tiles
 * its mean/variance/scale/offset to the full input shape (a workaround in tfjs-layers 4.22); the gradient of `tile` is a loop
 * of one slice + add per repetition, i.e. batch x tokens kernel launches per LayerNorm, which made a small ViT step take ~1 s.
 * Here everything broadcasts, so the backward pass is a handful of reductions.
 */
export class LayerNorm extends tf.layers.Layer {
  static className = 'TunekitLayerNorm';
  readonly epsilon: number;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;

  constructor(args: LayerNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-5;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const dim = shape[shape.length - 1];
    if (dim == null) throw new TypeError(`LayerNorm needs a known last dimension, got [${shape.map(String).join(', ')}]`);
    this.gamma = this.addWeight('gamma', [dim], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [dim], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const { gamma, beta } = this;
    if (gamma === null || beta === null) throw new Error('LayerNorm.call before build: apply the layer to a symbolic input first');
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(normed, gamma.read()), beta.read());
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(SeededDropout);
tf.serialization.registerClass(PositionalEmbedding);
tf.serialization.registerClass(LayerNorm);
