/**
 * Small pieces every compression step shares: option checks (OptionsError naming the field), resolving "a model or a
 * checkpoint directory", cloning a model without touching the caller's copy, and the kernels that magnitude pruning may zero.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import { loadModel } from '../../../trials/checkpoint.js';
import type { OptimizerConfig } from '../../../trials/types.js';

/** Fine-tuning / distillation optimiser when none is given: Adam at 1e-3, what the demo sweeps centre on. */
export const DEFAULT_OPTIMIZER: OptimizerConfig = { type: 'adam', lr: 1e-3 };

/** `v` must be a finite number with `ok(v)`; `desc` states the allowed range in the message. */
export function checkNumber(path: string, v: unknown, ok: (x: number) => boolean, desc: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
    throw new OptionsError(`${path} must be a finite number ${desc}, got ${typeof v === 'number' ? v : (JSON.stringify(v) ?? String(v))}`);
  }
  return v;
}

/** An optional integer >= `min`, or `fallback` when absent. */
export function intOr(path: string, v: unknown, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  return checkNumber(path, v, (x) => Number.isInteger(x) && x >= min, `and an integer >= ${min}`);
}

/** Throws if `opts` has a key not in `known`, so a typo (`{ sparsty: 0.5 }`) is an error instead of a silent default. */
export function checkKnown(what: string, opts: object, known: readonly string[]): void {
  for (const key of Object.keys(opts)) {
    if (!known.includes(key)) throw new OptionsError(`${what}.${key} is not an option; known options: ${known.join(', ')}`);
  }
}

/**
 * A model to work on: the given one (the caller keeps ownership, `owned: false`) or one loaded from a checkpoint directory
 * written by `saveModel` / `runTrial({ outDir })` (`owned: true`: the compression step disposes it).
 */
export async function resolveModel(model: tf.LayersModel | string, what: string): Promise<{ model: tf.LayersModel; owned: boolean }> {
  if (typeof model === 'string') return { model: await loadModel(model), owned: true };
  if (model === null || typeof model !== 'object' || typeof (model as { predict?: unknown }).predict !== 'function') {
    throw new OptionsError(`${what} must be a tf.LayersModel or a checkpoint directory (string), got ${typeof model}`);
  }
  return { model, owned: false };
}

/** The model's topology as plain JSON (snake_case Keras format), the form `tf.models.modelFromJSON` takes back. */
export interface TopologyJson {
  class_name: string;
  config: { name: string; layers: LayerJson[]; input_layers: unknown[]; output_layers: [string, number, number][] };
  [key: string]: unknown;
}

/** One layer entry of `TopologyJson`. `inbound_nodes[node][input] = [producerName, nodeIndex, tensorIndex, kwargs]`. */
export interface LayerJson {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, unknown][][];
}

/** A deep copy of `model`'s topology JSON, safe to edit. */
export function topologyOf(model: tf.LayersModel): TopologyJson {
  return JSON.parse(JSON.stringify(model.toJSON(null, false))) as TopologyJson;
}

/** Builds a fresh (randomly initialised) model from topology JSON; custom tunekit layers are registered by trials/models. */
export async function modelFromTopology(topology: TopologyJson): Promise<tf.LayersModel> {
  return tf.models.modelFromJSON({ modelTopology: topology as unknown as tf.io.ModelJSON['modelTopology'] } as tf.io.ModelJSON);
}

/**
 * An independent copy of `model` (same topology, layer names and weight values, its own variables): compression steps change
 * weights, and the caller's model must stay as it was. The caller owns the copy.
 */
export async function cloneModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  const copy = await modelFromTopology(topologyOf(model));
  const values = model.getWeights().map((w) => w.clone());
  copy.setWeights(values);
  tf.dispose(values); // the variables hold their own references
  return copy;
}

/** Layers whose rank >= 2 weights are not multiplicative kernels (a learned additive table): never magnitude-pruned. */
const NOT_KERNEL_LAYERS = new Set(['TunekitPositionalEmbedding', 'Embedding']);

/**
 * The weights magnitude pruning works on: trainable weights of rank >= 2 (Dense and Conv2D kernels, the attention layer's
 * wq/wk/wv/wo), but not biases, normalisation parameters or positional embeddings. `layer` is the owning layer's name.
 */
export function prunableKernels(model: tf.LayersModel): { layer: string; variable: tf.LayerVariable }[] {
  const out: { layer: string; variable: tf.LayerVariable }[] = [];
  for (const layer of model.layers) {
    if (NOT_KERNEL_LAYERS.has(layer.getClassName())) continue;
    for (const w of layer.trainableWeights) if (w.shape.length >= 2) out.push({ layer: layer.name, variable: w });
  }
  return out;
}

/** Values per sample: the product of the input shape (784 for [28, 28, 1]). */
export function rowSizeOf(inputShape: readonly number[]): number {
  return inputShape.reduce((a, b) => a * b, 1);
}
