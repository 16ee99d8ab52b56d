/**
 * int8 quantisation of a converted fp32 graph, in place, before it is encoded. `exportOnnx` calls one of:
 *
 * - `quantizeDynamic(graph, form)` — weights only, per output channel, symmetric int8 (zero point 0, scale max|w|/127):
 *   - form 'qdq': each Gemm/MatMul/Conv weight becomes an int8 initializer + DequantizeLinear(axis = output channel). The file
 *     shrinks ~4x and onnxruntime computes in float after dequantising; nothing about activations is assumed.
 *   - form 'integer': Gemm/MatMul become DynamicQuantizeLinear(x) -> MatMulInteger(x_u8, w_s8) -> Cast -> ·(x_scale·w_scale)
 *     [+ bias], i.e. integer matmuls with the activation range measured per call; Conv stays in the 'qdq' form (onnxruntime's
 *     ConvInteger wants uint8 weights, which would need asymmetric weight quantisation).
 * - `quantizeStatic(graph, ranges)` — the weights as in 'qdq' plus QuantizeLinear -> DequantizeLinear (uint8, asymmetric) on
 *   every activation that feeds a quantised op, with ranges measured on calibration batches (`calibrationTargets` says which
 *   tensors to measure). onnxruntime fuses these QDQ groups into its int8 kernels where it has them.
 *
 * Invariants: only float initializers of rank 2 (Gemm/MatMul B, [in, out]) or rank 4 (Conv W, [out, in, kh, kw]) are
 * quantised; biases, norms and embeddings stay float (they are a small share of the bytes and sensitive); a float weight no
 * longer referenced is dropped from the file.
 */
import { DT, type OnnxGraph, type OnnxNode } from './onnx.js';

/** How dynamic (weight-only) int8 is expressed. */
export type Int8Form = 'qdq' | 'integer';

/** Observed activation range of one tensor. */
export interface Range {
  min: number;
  max: number;
}

/** What a quantisation pass changed. */
export interface QuantizeSummary {
  /** Weights stored as int8. */
  readonly weights: number;
  /** Activations given QuantizeLinear/DequantizeLinear (static) or DynamicQuantizeLinear (integer form). */
  readonly activations: number;
}

interface Target {
  readonly node: OnnxNode;
  readonly weight: string;
  /** Output-channel axis of the weight: 1 for [in, out] matrices, 0 for [out, in, kh, kw] kernels. */
  readonly axis: number;
}

/** Gemm/MatMul/Conv nodes whose weight (input 1) is a float initializer of the expected rank. */
function targets(graph: OnnxGraph): Target[] {
  const out: Target[] = [];
  for (const node of graph.nodes) {
    const w = graph.initializers.get(node.inputs[1] ?? '');
    if (!w || w.type !== DT.FLOAT) continue;
    const plainGemm = node.op === 'Gemm' && Object.keys(node.attrs).length === 0;
    if ((plainGemm || node.op === 'MatMul') && w.dims.length === 2) out.push({ node, weight: w.name, axis: 1 });
    else if (node.op === 'Conv' && w.dims.length === 4) out.push({ node, weight: w.name, axis: 0 });
  }
  return out;
}

/**
 * Symmetric per-channel int8: q = round(w / s_c), s_c = max|w_c| / 127 (an all-zero channel gets s = 1). Exported for tests.
 */
export function quantizePerChannel(w: Float32Array, dims: readonly number[], axis: number): { q: Int8Array; scale: Float32Array } {
  const channels = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channel = (i: number): number => Math.floor(i / inner) % channels;
  const maxAbs = new Float32Array(channels);
  w.forEach((v, i) => {
    const c = channel(i);
    maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(v));
  });
  const scale = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const q = Int8Array.from(w, (v, i) => Math.max(-127, Math.min(127, Math.round(v / scale[channel(i)]!))));
  return { q, scale };
}

/** Replaces a float weight by int8 + DequantizeLinear; returns the dequantised tensor's name (memoised per weight). */
function dequantizedWeight(graph: OnnxGraph, t: Target, memo: Map<string, string>): string {
  const hit = memo.get(t.weight);
  if (hit) return hit;
  const w = graph.initializers.get(t.weight)!;
  const { q, scale } = quantizePerChannel(w.data as Float32Array, w.dims, t.axis);
  const c = w.dims[t.axis]!;
  const qi = graph.init(`${w.name}/q`, q, w.dims, DT.INT8);
  const si = graph.init(`${w.name}/scale`, scale, [c]);
  // No zero-point input: it defaults to 0, which is what symmetric quantisation means, and saves a tensor per weight.
  const dq = graph.add('DequantizeLinear', [qi, si], { axis: t.axis }, `${w.name}/dq`);
  // The DequantizeLinear must precede its consumers: nodes are emitted in order, so put it first.
  graph.nodes.unshift(graph.nodes.pop()!);
  memo.set(t.weight, dq);
  return dq;
}

function dropUnused(graph: OnnxGraph): void {
  const used = new Set(graph.nodes.flatMap((n) => n.inputs));
  for (const name of [...graph.initializers.keys()]) if (!used.has(name)) graph.initializers.delete(name);
}

/** Inserts nodes built by `build` right before `before` (keeps the node list topologically ordered). */
function insertBefore(graph: OnnxGraph, before: OnnxNode, build: () => void): void {
  const start = graph.nodes.length;
  build();
  const added = graph.nodes.splice(start);
  graph.nodes.splice(graph.nodes.indexOf(before), 0, ...added);
}

/**
 * Integer form of one Gemm/MatMul: y = (x_u8 − zp_x)·w_s8 · (s_x·s_w) [+ bias]. Replaces the node; the DynamicQuantizeLinear of
 * an input read by several nodes (attention's q/k/v projections) is shared.
 */
function integerMatMul(graph: OnnxGraph, t: Target, dql: Map<string, string[]>): void {
  const { node } = t;
  const w = graph.initializers.get(t.weight)!;
  const { q, scale } = quantizePerChannel(w.data as Float32Array, w.dims, 1);
  const x = node.inputs[0]!;
  const base = node.name;
  insertBefore(graph, node, () => {
    let qx = dql.get(x);
    if (!qx) {
      qx = graph.addMulti('DynamicQuantizeLinear', [x], 3, {}, `${base}/dql`);
      dql.set(x, qx);
    }
    const [xq, xs, xz] = qx as [string, string, string];
    const wq = graph.init(`${w.name}/q`, q, w.dims, DT.INT8);
    const acc = graph.add('MatMulInteger', [xq, wq, xz], {}, `${base}/mmi`);
    const rescale = graph.add('Mul', [xs, graph.init(`${w.name}/scale`, scale, [scale.length])], {}, `${base}/scale`);
    const cast = graph.add('Cast', [acc], { to: DT.FLOAT }, `${base}/cast`);
    // The last node writes the original output name, so consumers need no change.
    const bias = node.op === 'Gemm' ? node.inputs[2] : undefined;
    const out = node.outputs[0]!;
    if (bias) graph.addAs('Add', [graph.add('Mul', [cast, rescale], {}, `${base}/dq`), bias], out, {}, `${base}/bias`);
    else graph.addAs('Mul', [cast, rescale], out, {}, `${base}/dq`);
  });
  graph.nodes.splice(graph.nodes.indexOf(node), 1);
}

/** Dynamic (weight-only) int8, see the module comment. Returns counts of quantised weights and dynamically quantised inputs. */
export function quantizeDynamic(graph: OnnxGraph, form: Int8Form): QuantizeSummary {
  const memo = new Map<string, string>();
  const dql = new Map<string, string[]>();
  let weights = 0;
  for (const t of targets(graph)) {
    weights++;
    if (form === 'integer' && t.node.op !== 'Conv') integerMatMul(graph, t, dql);
    else t.node.inputs[1] = dequantizedWeight(graph, t, memo);
  }
  dropUnused(graph);
  return { weights, activations: dql.size };
}

/**
 * Tensors whose ranges static quantisation needs: the activation input of every quantisable node, and the output of every
 * Conv (onnxruntime only turns a QDQ Conv into its int8 QLinearConv when the output is quantised too). Deduplicated.
 */
export function calibrationTargets(graph: OnnxGraph): string[] {
  return [
    ...new Set(targets(graph).flatMap((t) => (t.node.op === 'Conv' ? [t.node.inputs[0]!, t.node.outputs[0]!] : [t.node.inputs[0]!]))),
  ];
}

/** uint8 asymmetric parameters covering [min, max] and 0 (so zero padding and ReLU zeros are exact). */
export function uint8Params(r: Range): { scale: number; zeroPoint: number } {
  const lo = Math.min(r.min, 0);
  const hi = Math.max(r.max, 0);
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  return { scale, zeroPoint: Math.max(0, Math.min(255, Math.round(-lo / scale))) };
}

/** QuantizeLinear -> DequantizeLinear of `x` with uint8 parameters for range `r`; writes `output` when given. */
function qdqPair(graph: OnnxGraph, x: string, r: Range, output?: string): string {
  const { scale, zeroPoint } = uint8Params(r);
  const s = graph.constF(`${x}/scale`, [scale], []);
  const z = graph.init(`${x}/zp`, Uint8Array.of(zeroPoint), [], DT.UINT8);
  const q = graph.add('QuantizeLinear', [x, s, z], {}, `${x}/q`);
  return output
    ? graph.addAs('DequantizeLinear', [q, s, z], output, {}, `${x}/dq`)
    : graph.add('DequantizeLinear', [q, s, z], {}, `${x}/dq`);
}

/**
 * Static QDQ int8: weights per channel as in `quantizeDynamic(graph, 'qdq')`, and Q->DQ on each calibrated activation.
 * `ranges` must hold every name `calibrationTargets` returned (a missing one is a caller bug and throws).
 */
export function quantizeStatic(graph: OnnxGraph, ranges: ReadonlyMap<string, Range>): QuantizeSummary {
  const memo = new Map<string, string>();
  const qdq = new Map<string, string>();
  let weights = 0;
  for (const t of targets(graph)) {
    const x = t.node.inputs[0]!;
    const r = ranges.get(x);
    if (!r) throw new Error(`static quantisation: no calibration range for tensor "${x}" (input of ${t.node.name})`);
    let xdq = qdq.get(x);
    if (!xdq) {
      insertBefore(graph, t.node, () => (xdq = qdqPair(graph, x, r)));
      qdq.set(x, xdq!);
    }
    t.node.inputs[0] = xdq!;
    t.node.inputs[1] = dequantizedWeight(graph, t, memo);
    weights++;
    if (t.node.op === 'Conv') {
      const y = t.node.outputs[0]!;
      const ry = ranges.get(y);
      if (!ry) throw new Error(`static quantisation: no calibration range for tensor "${y}" (output of ${t.node.name})`);
      // Conv now writes a fresh name; Q -> DQ writes the old one, so the consumers read the fake-quantised output.
      const pre = graph.unique(`${y}/float`);
      t.node.outputs[0] = pre;
      const at = graph.nodes.indexOf(t.node) + 1;
      const start = graph.nodes.length;
      qdqPair(graph, pre, ry, y);
      graph.nodes.splice(at, 0, ...graph.nodes.splice(start));
      qdq.set(y, y);
    }
  }
  dropUnused(graph);
  return { weights, activations: qdq.size };
}
