/**
 * Structured pruning that really shrinks a model: whole Dense neurons and Conv2D filters are removed by the L1 (or L2) norm of
 * their incoming weights (Li et al. 2017, "Pruning Filters for Efficient ConvNets"), and a smaller model is rebuilt from the
 * edited topology JSON (fewer `units` / `filters`) with sliced weights: the pruned layer's kernel columns and bias entries,
 * the matching BatchNormalization parameters and moving statistics, and the matching input rows of every layer that reads
 * the pruned outputs (Dense kernel rows, Conv2D kernel input channels; through a Flatten, every spatial position's copy of
 * the channel). Parameter count, file size and latency drop because the tensors are smaller, not because of masks.
 *
 * Which layers can lose outputs is decided from the graph, not from the model type: a Dense / Conv2D layer qualifies when
 * every path from its output passes only through per-channel layers (activation, dropout, pooling, batch norm, flatten) and
 * ends at Dense / Conv2D inputs. A path that reaches a model output (the logits), an `Add` (a residual sum fixes both inputs'
 * widths), a LayerNorm / attention / positional embedding (they mix or size channels) or any other layer disqualifies it; the
 * reason is reported in `skipped`. Consequences per builder (trials/models):
 * - mlp: every hidden layer; cnn: every conv block and the optional dense layer; the logits never.
 * - residual_mlp: only the first Dense inside each block (its output goes dense -> [BN] -> [dropout] -> Dense); the input
 *   projection and each block's second Dense feed the residual Adds and keep their width.
 * - attention: only the feed-forward hidden Dense of each encoder block; the model width, heads and patch embedding keep
 *   their size (use unstructured pruning for those).
 *
 * Removing a neuron is exact (the rebuilt model computes the same function) when its output is constantly 0: e.g. zero
 * incoming weights and bias before a ReLU; tests construct that case.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionsError } from '../../core/errors.js';
import { modelFromTopology, topologyOf, type LayerJson, type TopologyJson } from './common.js';

/** Layers a channel subset passes through unchanged (per-channel or elementwise on the last axis). BatchNormalization is
 * handled here too, but its parameters are sliced. */
const PASSTHROUGH = new Set([
  'Activation',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'Dropout',
  'TunekitSeededDropout',
  'SpatialDropout1D',
  'MaxPooling1D',
  'MaxPooling2D',
  'AveragePooling1D',
  'AveragePooling2D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling2D',
  'BatchNormalization',
]);

/** Norm that ranks neurons / filters: sum of |w| (l1) or sqrt of sum of w^2 (l2) over the incoming kernel slice and bias. */
export type PruneCriterion = 'l1' | 'l2';

/** One layer whose weight shapes changed. */
export interface LayerShapeChange {
  readonly layer: string;
  readonly className: string;
  /** Output units (Dense), filters (Conv2D) or channels (BatchNormalization) before and after. */
  readonly width: { readonly before: number; readonly after: number };
  /** True when the layer's own outputs were pruned; false when only its inputs were cut to match a pruned producer. */
  readonly pruned: boolean;
  /** Shapes of the layer's weights (kernel, bias / gamma, beta, mean, variance) before and after. */
  readonly shapes: { readonly before: readonly (readonly number[])[]; readonly after: readonly (readonly number[])[] };
}

/** Result of `shrinkModel`. */
export interface ShrinkResult {
  /** The smaller model (new variables; the caller owns it). */
  readonly model: tf.LayersModel;
  readonly layers: readonly LayerShapeChange[];
  /** Dense / Conv2D layers that could not lose outputs, and why. */
  readonly skipped: readonly { readonly layer: string; readonly reason: string }[];
  /** Removed units+filters / all units+filters of the pruned layers (0 when none could be pruned). */
  readonly sparsity: number;
}

/** A downstream layer to slice when its producer loses channels: its input axis ('in') or its own channels ('bn'). */
interface Effect {
  readonly layer: string;
  readonly kind: 'in' | 'bn';
  /** Positions per channel after a Flatten (h * w for a conv map), 1 before any Flatten. */
  readonly spatial: number;
}

interface Graph {
  readonly byName: Map<string, LayerJson>;
  readonly consumers: Map<string, string[]>;
  readonly outputs: Set<string>;
}

function graphOf(topology: TopologyJson): Graph {
  const byName = new Map<string, LayerJson>();
  const consumers = new Map<string, string[]>();
  for (const layer of topology.config.layers) {
    byName.set(layer.name, layer);
    for (const node of layer.inbound_nodes) {
      for (const [producer] of node) consumers.set(producer, [...(consumers.get(producer) ?? []), layer.name]);
    }
  }
  return { byName, consumers, outputs: new Set(topology.config.output_layers.map(([name]) => name)) };
}

/** Input shape (with the batch dim) of `name` in the built model, used for Flatten's spatial size and BN's axis. */
function inputShapeOf(model: tf.LayersModel, name: string): readonly (number | null)[] {
  const shapes = model.getLayer(name).inboundNodes[0]?.inputShapes;
  return (Array.isArray(shapes?.[0]) ? shapes[0] : shapes) as (number | null)[];
}

/**
 * The layers to slice if `start` loses outputs, or the reason it cannot. Walks every path from `start` through
 * PASSTHROUGH layers and at most one Flatten to the Dense / Conv2D layers that read the channels.
 */
function trace(start: string, graph: Graph, model: tf.LayersModel): Effect[] | string {
  const effects: Effect[] = [];
  const visit = (name: string, spatial: number): string | undefined => {
    if (graph.outputs.has(name)) return `its output reaches the model output ${name}, whose width is fixed`;
    const next = graph.consumers.get(name) ?? [];
    if (next.length === 0) return `${name} has no consumers in the model`;
    for (const c of next) {
      const layer = graph.byName.get(c)!;
      const cls = layer.class_name;
      if (layer.inbound_nodes.length !== 1) return `${c} is a shared layer (applied ${layer.inbound_nodes.length} times)`;
      if (cls === 'Dense' || (cls === 'Conv2D' && (layer.config.data_format ?? 'channels_last') === 'channels_last')) {
        effects.push({ layer: c, kind: 'in', spatial });
      } else if (cls === 'Flatten') {
        if (spatial !== 1) return `${c} flattens an already flattened tensor`;
        const shape = inputShapeOf(model, c);
        const positions = shape.slice(1, -1).reduce<number>((a, b) => a * (b ?? NaN), 1);
        if (!Number.isInteger(positions)) return `${c} has an unknown input shape [${shape.join(', ')}]`;
        const why = visit(c, positions);
        if (why) return why;
      } else if (PASSTHROUGH.has(cls)) {
        if (cls === 'BatchNormalization') {
          const axis = layer.config.axis;
          const rank = inputShapeOf(model, c).length;
          if (!(
            axis === -1 ||
            axis === rank - 1 ||
            (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === rank - 1))
          )) {
            return `${c} normalises axis ${JSON.stringify(axis)}, not the channel axis`;
          }
          effects.push({ layer: c, kind: 'bn', spatial });
        }
        const why = visit(c, spatial);
        if (why) return why;
      } else {
        const what =
          cls === 'Add' || cls === 'Concatenate' || cls === 'Multiply'
            ? `the ${cls} ${c}, whose inputs must keep equal widths`
            : `${cls} ${c}`;
        return `its output feeds ${what}`;
      }
    }
    return undefined;
  };
  const why = visit(start, 1);
  return why ?? effects;
}

/** Output indices to keep for a layer of `units` outputs: the `keep` highest scores, ties to the lower index, ascending. */
export function keepIndices(scores: Float64Array, keep: number): Int32Array {
  const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
  return Int32Array.from(order.slice(0, keep)).sort();
}

/** Per-output-channel norm of a kernel whose last axis is the output (Dense [in, out], Conv2D [kh, kw, in, out]) plus bias. */
export function channelScores(
  kernel: Float32Array,
  units: number,
  bias: Float32Array | undefined,
  criterion: PruneCriterion,
): Float64Array {
  const s = new Float64Array(units);
  const add = (j: number, w: number): void => {
    s[j]! += criterion === 'l1' ? Math.abs(w) : w * w;
  };
  for (let i = 0; i < kernel.length; i++) add(i % units, kernel[i]!);
  if (bias) for (let j = 0; j < units; j++) add(j, bias[j]!);
  if (criterion === 'l2') for (let j = 0; j < units; j++) s[j] = Math.sqrt(s[j]!);
  return s;
}

/** Row-major gather of `idx` along `axis`. */
function takeAxis(data: Float32Array, shape: readonly number[], axis: number, idx: Int32Array): { data: Float32Array; shape: number[] } {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const dim = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(outer * idx.length * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < idx.length; i++) {
      const src = (o * dim + idx[i]!) * inner;
      const dst = (o * idx.length + i) * inner;
      if (inner === 1) out[dst] = data[src]!;
      else out.set(data.subarray(src, src + inner), dst);
    }
  }
  const newShape = [...shape];
  newShape[axis] = idx.length;
  return { data: out, shape: newShape };
}

/** The flattened positions of the kept channels: p * channels + c for every position p and kept channel c. */
function expand(keep: Int32Array, spatial: number, channels: number): Int32Array {
  if (spatial === 1) return keep;
  const out = new Int32Array(spatial * keep.length);
  for (let p = 0; p < spatial; p++) for (let i = 0; i < keep.length; i++) out[p * keep.length + i] = p * channels + keep[i]!;
  return out;
}

/**
 * Rebuilds `model` with a fraction `sparsity` of the outputs of every prunable Dense / Conv2D layer removed (see the file
 * comment for which layers qualify), keeping max(1, round((1 - sparsity) * width)) outputs per layer, ranked by `criterion`.
 * Called by `prune({ structured: true })`; usable on its own. `model` is not modified; the caller owns the result's model.
 *
 * @throws OptionsError for a sparsity outside [0, 1) or an unknown criterion.
 */
export async function shrinkModel(model: tf.LayersModel, sparsity: number, criterion: PruneCriterion = 'l1'): Promise<ShrinkResult> {
  if (typeof sparsity !== 'number' || !(sparsity >= 0 && sparsity < 1)) {
    throw new OptionsError(`structured sparsity must be a number in [0, 1), got ${String(sparsity)}`);
  }
  if (criterion !== 'l1' && criterion !== 'l2') throw new OptionsError(`criterion must be 'l1' or 'l2', got ${JSON.stringify(criterion)}`);
  const topology = topologyOf(model);
  const graph = graphOf(topology);
  const keepOf = new Map<string, Int32Array>();
  const inputIdx = new Map<string, Int32Array>();
  const channelIdx = new Map<string, Int32Array>();
  const skipped: { layer: string; reason: string }[] = [];
  let removed = 0;
  let total = 0;

  for (const layer of topology.config.layers) {
    const cls = layer.class_name;
    if (cls !== 'Dense' && cls !== 'Conv2D') continue;
    const key = cls === 'Dense' ? 'units' : 'filters';
    const width = layer.config[key] as number;
    const effects = trace(layer.name, graph, model);
    if (typeof effects === 'string') {
      skipped.push({ layer: layer.name, reason: effects });
      continue;
    }
    const [kernel, bias] = model.getLayer(layer.name).getWeights();
    const scores = channelScores(kernel!.dataSync() as Float32Array, width, bias?.dataSync() as Float32Array | undefined, criterion);
    const keep = keepIndices(scores, Math.max(1, Math.round((1 - sparsity) * width)));
    keepOf.set(layer.name, keep);
    for (const e of effects) (e.kind === 'in' ? inputIdx : channelIdx).set(e.layer, expand(keep, e.spatial, width));
    layer.config[key] = keep.length;
    removed += width - keep.length;
    total += width;
  }

  const small = await modelFromTopology(topology);
  const layers: LayerShapeChange[] = [];
  try {
    for (const layer of small.layers) {
      const old = model.getLayer(layer.name).getWeights();
      if (old.length === 0) continue;
      const outKeep = keepOf.get(layer.name);
      const inKeep = inputIdx.get(layer.name);
      const chKeep = channelIdx.get(layer.name);
      const values = old.map((t) => {
        let cur = { data: t.dataSync() as Float32Array, shape: [...t.shape] };
        const r = cur.shape.length;
        if (chKeep) cur = takeAxis(cur.data, cur.shape, r - 1, chKeep);
        if (r >= 2 && inKeep) cur = takeAxis(cur.data, cur.shape, r - 2, inKeep);
        if (outKeep) cur = takeAxis(cur.data, cur.shape, r - 1, outKeep);
        return tf.tensor(cur.data, cur.shape);
      });
      layer.setWeights(values);
      tf.dispose(values);
      if (outKeep || inKeep || chKeep) {
        const before = old.map((t) => [...t.shape]);
        const after = layer.getWeights().map((t) => [...t.shape]);
        layers.push({
          layer: layer.name,
          className: layer.getClassName(),
          width: { before: before[0]!.at(-1)!, after: after[0]!.at(-1)! },
          pruned: outKeep !== undefined,
          shapes: { before, after },
        });
      }
    }
  } catch (err) {
    small.dispose();
    throw err;
  }
  return { model: small, layers, skipped, sparsity: total > 0 ? removed / total : 0 };
}
