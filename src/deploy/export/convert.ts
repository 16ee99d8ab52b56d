/**
 * TF.js LayersModel -> ONNX graph (fp32). `exportOnnx` calls `convertModel` first and hands the graph to the quantiser and
 * the encoder. The walk starts at the model's outputs and follows each symbolic tensor to the layer application (inbound
 * node) that produced it, converting every application once (memoised by layer, node index and tensor index), so only what
 * the outputs depend on is emitted and functional graphs with branches and shared inputs come out in a valid order.
 *
 * Invariants: the graph has one input `input` laid out exactly like the TF.js input (NHWC for images, batch dimension
 * symbolic), and outputs `logits` (first output) and `aux` (a head named 'aux'), further outputs `output_<i>`; every output
 * is in TF.js element order. Any layer class without a converter fails the whole export before a node is emitted.
 */
import type * as tf from '@tensorflow/tfjs';
import { activationOf } from './activations.js';
import { ConvertContext, ExportError, type Value, describe } from './context.js';
import { CONVERTERS, FOLDABLE, batchNormAffine, bnOnLastAxis } from './layers.js';
import { OnnxGraph } from './onnx.js';

/** What `convertModel` produced besides the graph. */
export interface ConvertResult {
  readonly graph: OnnxGraph;
  /** TF.js input shape, batch first (null). */
  readonly inputShape: readonly (number | null)[];
  /** ONNX output names, in the order of `model.outputs`. */
  readonly outputNames: readonly string[];
  /** Batch-norm layers folded into the preceding Dense/Conv kernel. */
  readonly foldedBatchNorms: readonly string[];
}

type Sym = tf.SymbolicTensor;

const keyOf = (layer: tf.layers.Layer, node: number, tensor: number): string => `${layer.name}\u0000${node}\u0000${tensor}`;
const symKey = (s: Sym): string => keyOf(s.sourceLayer, s.nodeIndex, s.tensorIndex);

/** Throws one error listing every layer of the model that has no converter (so the user sees all of them at once). */
function checkSupported(model: tf.LayersModel): void {
  const bad = model.layers.filter((l) => l.getClassName() !== 'InputLayer' && !(l.getClassName() in CONVERTERS));
  if (bad.length === 0) return;
  const nested = bad.some((l) => 'layers' in l);
  throw new ExportError(
    `cannot export ${bad.map(describe).join(', ')} to ONNX: no converter for ${bad.length === 1 ? 'this class' : 'these classes'}` +
      (nested ? ' (nested models are not supported: build the model as one functional graph)' : '') +
      `. Supported classes: ${Object.keys(CONVERTERS).join(', ')}`,
  );
}

/**
 * Finds each BatchNormalization whose only input comes from a Dense/Conv (no activation, applied once, whose output feeds
 * nothing else) and records the BN as a per-channel affine map on that layer. Folding removes a whole op per block and lets
 * the quantiser see the final kernel, whose per-channel int8 scale then absorbs the BN scale exactly.
 */
function planFolds(ctx: ConvertContext, model: tf.LayersModel): void {
  const uses = new Map<string, number>();
  const use = (s: Sym): void => void uses.set(symKey(s), (uses.get(symKey(s)) ?? 0) + 1);
  for (const layer of model.layers) for (const node of layer.inboundNodes) node.inputTensors.forEach(use);
  model.outputs.forEach(use);
  for (const bn of model.layers) {
    if (bn.getClassName() !== 'BatchNormalization' || bn.inboundNodes.length !== 1) continue;
    const ins = bn.inboundNodes[0]!.inputTensors;
    const src = ins[0];
    if (ins.length !== 1 || !src) continue;
    const producer = src.sourceLayer;
    if (!FOLDABLE.has(producer.getClassName()) || producer.inboundNodes.length !== 1) continue;
    if (activationOf(producer.getConfig()) !== 'linear' || uses.get(symKey(src)) !== 1 || !bnOnLastAxis(bn, src.shape.length)) continue;
    const { scale, shift } = batchNormAffine(ctx, bn);
    ctx.folds.set(producer.name, { scale, shift });
    ctx.folded.add(bn.name);
  }
}

/** Output names: the first output is `logits`, a head named 'aux' is `aux`, others `output_<i>`. */
function outputNames(model: tf.LayersModel): string[] {
  const names = model.outputs.map((s, i) => (s.sourceLayer.name === 'aux' ? 'aux' : i === 0 ? 'logits' : `output_${i}`));
  return names.map((n, i) => (names.indexOf(n) === i ? n : `output_${i}`));
}

/**
 * Converts `model` into an fp32 ONNX graph for `opset`. Throws ExportError for unsupported layers (listing all of them), for
 * several model inputs, a non-float input, or an input size other than the batch left dynamic.
 */
export function convertModel(model: tf.LayersModel, opset: number): ConvertResult {
  checkSupported(model);
  if (model.inputs.length !== 1) {
    throw new ExportError(`the model has ${model.inputs.length} inputs; the ONNX exporter handles single-input models only`);
  }
  const input = model.inputs[0]!;
  if (input.dtype !== 'float32') throw new ExportError(`the model input is ${input.dtype}; only float32 inputs export`);
  const inputShape = [...input.shape];
  if (inputShape.slice(1).some((d) => typeof d !== 'number')) {
    throw new ExportError(
      `the model input shape [${inputShape.map(String).join(', ')}] has a dynamic size besides the batch; give the input a fixed shape`,
    );
  }
  const graph = new OnnxGraph(opset);
  const ctx = new ConvertContext(graph);
  const names = outputNames(model);
  // Reserve the public names first: layer names (e.g. a Dense called 'logits') must not take them.
  graph.reserve('input');
  names.forEach((n) => graph.reserve(n));
  graph.inputs.push({ name: 'input', shape: inputShape });
  const memo = new Map<string, Value>([[symKey(input), { name: 'input', shape: inputShape, layout: 'tf' }]]);
  planFolds(ctx, model);

  const resolve = (sym: Sym): Value => {
    const hit = memo.get(symKey(sym));
    if (hit) return hit;
    const layer = sym.sourceLayer;
    const node = layer.inboundNodes[sym.nodeIndex];
    const convert = CONVERTERS[layer.getClassName()];
    if (!node || !convert) throw new ExportError(`${describe(layer)} is not reachable from the model input or has no converter`);
    const inputs = node.inputTensors.map(resolve);
    const outs = convert(
      ctx,
      layer,
      inputs,
      node.outputTensors.map((t) => t.shape),
    );
    outs.forEach((v, i) => memo.set(keyOf(layer, sym.nodeIndex, i), v));
    const v = memo.get(symKey(sym));
    if (!v) throw new ExportError(`${describe(layer)}: converter produced ${outs.length} outputs, tensor ${sym.tensorIndex} requested`);
    return v;
  };

  model.outputs.forEach((sym, i) => {
    const v = ctx.toTf(resolve(sym));
    const name = names[i]!;
    graph.addAs('Identity', [v.name], name, {}, `output/${name}`);
    graph.outputs.push({ name, shape: [...sym.shape] });
  });
  return { graph, inputShape, outputNames: names, foldedBatchNorms: [...ctx.folded] };
}
