/**
 * Small pieces every model builder shares: the per-build seed stream, initializer choice, dense/activation/dropout helpers and
 * the output head(s). Builders in this folder call these in a fixed order, which is what makes a build reproducible: the n-th
 * seeded thing in a build always gets the n-th seed of the stream.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import type { Activation, ModelSpec } from '../types.js';
import { SeededDropout } from './layers.js';

/** A symbolic tensor in the functional graph (what `layer.apply(symbolic)` returns). */
export type Sym = tf.SymbolicTensor;

/**
 * Hands out one integer seed per initializer / dropout layer, derived from `spec.seed`. Created once per `buildModel` call;
 * because the builders request seeds in a fixed order, the same spec seed gives the same weights, and every layer gets its
 * own seed (two layers with equal seeds and shapes would start identical, which breaks symmetry less than it should).
 */
export class SeedStream {
  private readonly rng: seedrandom.PRNG;

  constructor(seed: number) {
    this.rng = seedrandom(`tunekit-model:${seed}`);
  }

  /** Next seed, an integer in [0, 2^31). */
  next(): number {
    return Math.floor(this.rng() * 2147483648);
  }
}

/**
 * Kernel initializer suited to the activation that follows it: He-normal for the ReLU family (keeps activation variance
 * ~constant through ReLU-like units), LeCun-normal for SELU (its self-normalising property assumes it), Glorot-uniform otherwise
 * (tanh, sigmoid, linear heads, attention projections).
 */
export function kernelInit(activation: Activation, seed: number): ReturnType<typeof tf.initializers.glorotUniform> {
  switch (activation) {
    case 'relu':
    case 'elu':
    case 'gelu':
    case 'swish':
      return tf.initializers.heNormal({ seed });
    case 'selu':
      return tf.initializers.leCunNormal({ seed });
    default:
      return tf.initializers.glorotUniform({ seed });
  }
}

/** Flattens an image (or any rank > 1) input so dense layers can take it; a rank-1 input passes through unchanged. */
export function flattenIfNeeded(x: Sym): Sym {
  return x.shape.length > 2 ? (tf.layers.flatten().apply(x) as Sym) : x;
}

/**
 * dense -> [batchNorm] -> activation, the unit both MLP builders repeat. With batch norm the dense layer has no bias (the BN
 * offset plays that role) and the activation comes after the normalisation, as in the original BN paper.
 */
export function denseBlock(x: Sym, units: number, activation: Activation, batchNorm: boolean, seeds: SeedStream): Sym {
  const init = kernelInit(activation, seeds.next());
  if (!batchNorm) {
    return tf.layers.dense({ units, activation, kernelInitializer: init }).apply(x) as Sym;
  }
  const h = tf.layers.dense({ units, useBias: false, kernelInitializer: init }).apply(x) as Sym;
  const n = tf.layers.batchNormalization().apply(h) as Sym;
  return activate(n, activation);
}

/** Applies an activation as its own layer (skipped for `linear`, which would only add a no-op node). */
export function activate(x: Sym, activation: Activation): Sym {
  return activation === 'linear' ? x : (tf.layers.activation({ activation }).apply(x) as Sym);
}

/** Seeded dropout (see SeededDropout for why not `tf.layers.dropout`); a rate of 0 adds no layer at all. */
export function dropout(x: Sym, rate: number, seeds: SeedStream): Sym {
  return rate > 0 ? (new SeededDropout({ rate, seed: seeds.next() }).apply(x) as Sym) : x;
}

/**
 * Adds the output head(s) on the penultimate `features` and wraps everything in a LayersModel. Outputs are logits / raw values
 * (no softmax: the losses work on logits for numerical stability). With `spec.auxHead` the model has outputs `[logits, aux]`
 * where `aux` is a second dense head of the same width for the combined loss.
 */
export function finish(input: Sym, features: Sym, spec: ModelSpec, seeds: SeedStream, name: string): tf.LayersModel {
  const main = tf.layers
    .dense({ units: spec.outputs, kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.next() }), name: 'logits' })
    .apply(features) as Sym;
  const outputs: Sym[] = [main];
  if (spec.auxHead) {
    outputs.push(
      tf.layers
        .dense({ units: spec.outputs, kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.next() }), name: 'aux' })
        .apply(features) as Sym,
    );
  }
  return tf.model({ inputs: input, outputs: outputs.length === 1 ? main : outputs, name });
}
