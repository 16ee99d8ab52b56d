/**
 * Per-layer converters, keyed by TF.js class name. `convertModel` (convert.ts) looks a layer up here and calls its converter
 * with the already-converted inputs; a class not in `CONVERTERS` is an ExportError naming the layer, never a guess.
 *
 * Conventions: weights are read by short name (`kernel`, `bias`, ...); image ops take NCHW via `ctx.toNchw` and return
 * NCHW; anything whose semantics depend on TF's element order (flatten, reshape, dense on rank > 2, layer norm, softmax)
 * takes `ctx.toTf` first. A batch norm folded into a Dense/Conv (see `planFolds` in convert.ts) is applied to the kernel and
 * bias here and its own converter returns the input unchanged.
 */
import type * as tf from '@tensorflow/tfjs';
import { activationOf, emitActivation } from './activations.js';
import {
  type ConvertContext,
  ExportError,
  type Fold,
  type LayerConverter,
  type Value,
  type Weight,
  describe,
  one,
  out,
} from './context.js';
import { multiHeadSelfAttention, positionalEmbedding, tfLayerNorm, tunekitLayerNorm } from './sequence.js';
import { f } from './onnx.js';

type Config = tf.serialization.ConfigDict;

const pair = (v: unknown, fallback: number): [number, number] =>
  Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : typeof v === 'number' ? [v, v] : [fallback, fallback];

/** Applies a folded batch norm to a kernel whose output channel is the fastest-varying index (Dense [in, out], TF conv
 * [kh, kw, in, out]) and to the bias (a missing bias becomes the BN shift). */
function applyFold(
  kernel: Float32Array,
  bias: Float32Array | undefined,
  units: number,
  fold: Fold | undefined,
): { k: Float32Array; b: Float32Array | undefined } {
  if (!fold) return { k: kernel, b: bias };
  const k = Float32Array.from(kernel, (w, i) => w * fold.scale[i % units]!);
  const b = Float32Array.from({ length: units }, (_, j) => (bias ? bias[j]! : 0) * fold.scale[j]! + fold.shift[j]!);
  return { k, b };
}

/** TF 'same' padding for one spatial axis: total = max((ceil(in/s) − 1)·s + (k−1)·d + 1 − in, 0), the extra pixel after. */
function samePads(size: number, k: number, s: number, d: number): [number, number] {
  const total = Math.max((Math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** ONNX pads [top, left, bottom, right] for a TF padding mode on an NHWC `shape`. */
function pads(
  layer: tf.layers.Layer,
  cfg: Config,
  shape: readonly (number | null)[],
  k: [number, number],
  s: [number, number],
  d: [number, number],
): number[] {
  const padding = cfg['padding'] ?? 'valid';
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding !== 'same')
    throw new ExportError(
      `${describe(layer)} uses padding "${typeof padding === 'string' ? padding : JSON.stringify(padding)}"; only 'valid' and 'same' export`,
    );
  const [h, w] = [shape[1], shape[2]];
  if (typeof h !== 'number' || typeof w !== 'number') {
    throw new ExportError(`${describe(layer)}: 'same' padding needs static height and width, got input [${shape.map(String).join(', ')}]`);
  }
  const [top, bottom] = samePads(h, k[0], s[0], d[0]);
  const [left, right] = samePads(w, k[1], s[1], d[1]);
  return [top, left, bottom, right];
}

function channelsLast(layer: tf.layers.Layer, cfg: Config): void {
  const df = cfg['dataFormat'];
  if (df !== undefined && df !== null && df !== 'channelsLast') {
    throw new ExportError(
      `${describe(layer)} uses dataFormat "${typeof df === 'string' ? df : JSON.stringify(df)}"; only channelsLast (TF.js's default) exports`,
    );
  }
}

/** [kh, kw, in, out] (TF) -> [out, in, kh, kw] (ONNX). */
function kernelToOihw(k: Float32Array, [kh, kw, ci, co]: readonly number[]): Float32Array {
  const o = new Float32Array(k.length);
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let i = 0; i < ci!; i++)
        for (let c = 0; c < co!; c++) o[((c * ci! + i) * kh! + y) * kw! + x] = k[((y * kw! + x) * ci! + i) * co! + c]!;
  return o;
}

const dense: LayerConverter = (ctx, layer, inputs, [shape]) => {
  const g = ctx.graph;
  const cfg = layer.getConfig();
  const ws = ctx.weights(layer);
  const kernel = ctx.weight(layer, ws, 'kernel');
  const [inDim, units] = kernel.shape as [number, number];
  const { k, b } = applyFold(kernel.data, ws.get('bias')?.data, units, ctx.folds.get(layer.name));
  const x = ctx.toTf(one(layer, inputs));
  const w = g.init(`${ctx.alias(layer)}/kernel`, k, [inDim, units]);
  const bias = b ? g.init(`${ctx.alias(layer)}/bias`, b, [units]) : undefined;
  let y: string;
  if (x.shape.length === 2) {
    y = g.add('Gemm', bias ? [x.name, w, bias] : [x.name, w], {}, ctx.alias(layer));
  } else {
    // Dense on rank > 2 acts on the last axis, exactly what MatMul's broadcasting does.
    y = g.add('MatMul', [x.name, w], {}, ctx.alias(layer));
    if (bias) y = g.add('Add', [y, bias], {}, ctx.alias(layer));
  }
  return [emitActivation(ctx, out(y, shape!), activationOf(cfg), layer)];
};

/** A Conv node for `layer`'s kernel size, strides, dilation and padding, on `x` moved to NCHW. */
function convLike(
  ctx: ConvertContext,
  layer: tf.layers.Layer,
  x: Value,
  w: Float32Array,
  dims: number[],
  bias: Float32Array | undefined,
  group: number,
): string {
  const g = ctx.graph;
  const cfg = layer.getConfig();
  const k = pair(cfg['kernelSize'], 1);
  const s = pair(cfg['strides'], 1);
  const d = pair(cfg['dilationRate'], 1);
  const inputs = [ctx.toNchw(x, layer).name, g.init(`${ctx.alias(layer)}/kernel`, w, dims)];
  if (bias) inputs.push(g.init(`${ctx.alias(layer)}/bias`, bias, [bias.length]));
  return g.add(
    'Conv',
    inputs,
    { kernel_shape: k, strides: s, dilations: d, pads: pads(layer, cfg, x.shape, k, s, d), group },
    ctx.alias(layer),
  );
}

const conv2d: LayerConverter = (ctx, layer, inputs, [shape]) => {
  const cfg = layer.getConfig();
  channelsLast(layer, cfg);
  const ws = ctx.weights(layer);
  const kernel = ctx.weight(layer, ws, 'kernel');
  const co = kernel.shape[3]!;
  const { k, b } = applyFold(kernel.data, ws.get('bias')?.data, co, ctx.folds.get(layer.name));
  const [kh, kw, ci] = kernel.shape as [number, number, number];
  const y = convLike(ctx, layer, one(layer, inputs), kernelToOihw(k, kernel.shape), [co, ci, kh, kw], b, 1);
  return [emitActivation(ctx, out(y, shape!, 'nchw'), activationOf(cfg), layer)];
};

/** Depthwise [kh, kw, in, mult] -> grouped conv weight [in·mult, 1, kh, kw]; TF's output channel c·mult + m matches ONNX
 * group c's m-th filter. */
function depthwiseWeight(kernel: Weight): { w: Float32Array; dims: number[]; ci: number } {
  const [kh, kw, ci, mult] = kernel.shape as [number, number, number, number];
  const w = kernelToOihw(kernel.data, [kh, kw, 1, ci * mult]);
  return { w, dims: [ci * mult, 1, kh, kw], ci };
}

const depthwiseConv2d: LayerConverter = (ctx, layer, inputs, [shape]) => {
  const cfg = layer.getConfig();
  channelsLast(layer, cfg);
  const ws = ctx.weights(layer);
  const kernel = ctx.weight(layer, ws, 'depthwise_kernel');
  const co = kernel.shape[2]! * kernel.shape[3]!;
  const { k, b } = applyFold(kernel.data, ws.get('bias')?.data, co, ctx.folds.get(layer.name));
  const { w, dims, ci } = depthwiseWeight({ data: k, shape: kernel.shape });
  const y = convLike(ctx, layer, one(layer, inputs), w, dims, b, ci);
  return [emitActivation(ctx, out(y, shape!, 'nchw'), activationOf(cfg), layer)];
};

const separableConv2d: LayerConverter = (ctx, layer, inputs, [shape]) => {
  const g = ctx.graph;
  const cfg = layer.getConfig();
  channelsLast(layer, cfg);
  const ws = ctx.weights(layer);
  const { w, dims, ci } = depthwiseWeight(ctx.weight(layer, ws, 'depthwise_kernel'));
  const depth = convLike(ctx, layer, one(layer, inputs), w, dims, undefined, ci);
  const pw = ctx.weight(layer, ws, 'pointwise_kernel');
  const [, , pin, pout] = pw.shape as [number, number, number, number];
  const { k, b } = applyFold(pw.data, ws.get('bias')?.data, pout, ctx.folds.get(layer.name));
  const pwInputs = [depth, g.init(`${ctx.alias(layer)}/pointwise_kernel`, kernelToOihw(k, pw.shape), [pout, pin, 1, 1])];
  if (b) pwInputs.push(g.init(`${ctx.alias(layer)}/bias`, b, [pout]));
  const y = g.add('Conv', pwInputs, { kernel_shape: [1, 1] }, `${ctx.alias(layer)}/pointwise`);
  return [emitActivation(ctx, out(y, shape!, 'nchw'), activationOf(cfg), layer)];
};

function pool2d(op: 'MaxPool' | 'AveragePool'): LayerConverter {
  return (ctx, layer, inputs, [shape]) => {
    const cfg = layer.getConfig();
    channelsLast(layer, cfg);
    const x = one(layer, inputs);
    const k = pair(cfg['poolSize'], 2);
    const s = cfg['strides'] === null || cfg['strides'] === undefined ? k : pair(cfg['strides'], 1);
    // count_include_pad = 0: TF's 'same' average pooling divides by the number of real (unpadded) pixels.
    const attrs = {
      kernel_shape: k,
      strides: s,
      pads: pads(layer, cfg, x.shape, k, s, [1, 1]),
      ...(op === 'AveragePool' ? { count_include_pad: 0 } : {}),
    };
    return [out(ctx.graph.add(op, [ctx.toNchw(x, layer).name], attrs, ctx.alias(layer)), shape!, 'nchw')];
  };
}

function globalPool2d(op: 'GlobalAveragePool' | 'GlobalMaxPool'): LayerConverter {
  return (ctx, layer, inputs, [shape]) => {
    const g = ctx.graph;
    channelsLast(layer, layer.getConfig());
    const x = one(layer, inputs);
    if (x.layout === 'nchw')
      return [out(g.add('Flatten', [g.add(op, [x.name], {}, ctx.alias(layer))], { axis: 1 }, ctx.alias(layer)), shape!)];
    return [out(g.reduce(op === 'GlobalAveragePool' ? 'ReduceMean' : 'ReduceMax', x.name, [1, 2], false, ctx.alias(layer)), shape!)];
  };
}

function globalPool1d(op: 'ReduceMean' | 'ReduceMax'): LayerConverter {
  return (ctx, layer, inputs, [shape]) => [
    out(ctx.graph.reduce(op, ctx.toTf(one(layer, inputs)).name, [1], false, ctx.alias(layer)), shape!),
  ];
}

/** Inference-time batch norm: y = (x − mean)·gamma/√(var + eps) + beta, as per-channel scale and shift. */
export function batchNormAffine(ctx: ConvertContext, layer: tf.layers.Layer): Fold & { ws: Map<string, Weight>; eps: number } {
  const cfg = layer.getConfig();
  const ws = ctx.weights(layer);
  const mean = ctx.weight(layer, ws, 'moving_mean').data;
  const variance = ctx.weight(layer, ws, 'moving_variance').data;
  const gamma = ws.get('gamma')?.data;
  const beta = ws.get('beta')?.data;
  const eps = Number(cfg['epsilon'] ?? 1e-3);
  const scale = Float32Array.from(mean, (_, c) => (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + eps));
  const shift = Float32Array.from(mean, (m, c) => (beta ? beta[c]! : 0) - m * scale[c]!);
  return { scale, shift, ws, eps };
}

/** True when a batch norm normalises the last (channels) axis, the only form TF.js models use and the only one we fold. */
export function bnOnLastAxis(layer: tf.layers.Layer, rank: number): boolean {
  const axis = layer.getConfig()['axis'];
  const a = Array.isArray(axis) ? axis : [axis ?? -1];
  return a.length === 1 && (Number(a[0]) === -1 || Number(a[0]) === rank - 1);
}

const batchNorm: LayerConverter = (ctx, layer, inputs, [shape]) => {
  const g = ctx.graph;
  const x = one(layer, inputs);
  if (ctx.folded.has(layer.name)) return [x];
  if (!bnOnLastAxis(layer, x.shape.length)) {
    throw new ExportError(
      `${describe(layer)} normalises axis ${JSON.stringify(layer.getConfig()['axis'])}; only the last (channels) axis exports`,
    );
  }
  const { scale, shift, ws, eps } = batchNormAffine(ctx, layer);
  const c = scale.length;
  if (x.shape.length === 2 || x.layout === 'nchw') {
    // Channels sit on ONNX axis 1 here, which is what BatchNormalization expects.
    const p = (key: string, fill: number): string =>
      g.init(`${ctx.alias(layer)}/${key}`, ws.get(key)?.data ?? new Float32Array(c).fill(fill), [c]);
    const y = g.add(
      'BatchNormalization',
      [x.name, p('gamma', 1), p('beta', 0), p('moving_mean', 0), p('moving_variance', 1)],
      { epsilon: f(eps) },
      ctx.alias(layer),
    );
    return [out(y, shape!, x.layout)];
  }
  const y = g.add(
    'Add',
    [
      g.add('Mul', [x.name, g.init(`${ctx.alias(layer)}/scale`, scale, [c])], {}, ctx.alias(layer)),
      g.init(`${ctx.alias(layer)}/shift`, shift, [c]),
    ],
    {},
    ctx.alias(layer),
  );
  return [out(y, shape!, x.layout)];
};

const identity: LayerConverter = (_ctx, layer, inputs) => [one(layer, inputs)];

const flatten: LayerConverter = (ctx, layer, inputs, [shape]) => {
  const x = ctx.toTf(one(layer, inputs));
  return [x.shape.length === 2 ? x : out(ctx.graph.add('Flatten', [x.name], { axis: 1 }, ctx.alias(layer)), shape!)];
};

const reshape: LayerConverter = (ctx, layer, inputs) => {
  const x = ctx.toTf(one(layer, inputs));
  // TF.js serialises the inferred dimension (-1) as null.
  const target = (layer.getConfig()['targetShape'] as (number | null)[]).map((d) => (d === null || d === -1 ? -1 : Number(d)));
  // Resolve a -1 now (every non-batch size is static), so later layers and the graph outputs see concrete sizes; TF.js
  // itself reports it as null. 0 in the ONNX shape copies the dynamic batch dimension.
  const size = (x.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
  const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const dims = target.map((d) => (d === -1 ? size / known : d));
  if (dims.some((d) => !Number.isInteger(d) || d <= 0) || dims.reduce((a, b) => a * b, 1) !== size) {
    throw new ExportError(`${describe(layer)}: target shape [${target.join(', ')}] does not fit an input of ${size} values per sample`);
  }
  return [out(ctx.graph.reshape(x.name, [0, ...dims], ctx.alias(layer)), [null, ...dims])];
};

const permute: LayerConverter = (ctx, layer, inputs, [shape]) => {
  const x = ctx.toTf(one(layer, inputs));
  const dims = (layer.getConfig()['dims'] as number[]).map(Number);
  return [out(ctx.graph.add('Transpose', [x.name], { perm: [0, ...dims] }, ctx.alias(layer)), shape!)];
};

/** Element-wise merges keep NCHW when every input is NCHW (no transposes around a residual add), else work in TF order. */
function merge(op: 'Add' | 'Mul' | 'Max' | 'Min' | 'Mean'): LayerConverter {
  return (ctx, layer, inputs, [shape]) => {
    const g = ctx.graph;
    const keep = inputs.every((v) => v.layout === 'nchw');
    const xs = keep ? inputs : inputs.map((v) => ctx.toTf(v));
    const layout = keep ? 'nchw' : 'tf';
    if (op === 'Add' || op === 'Mul') {
      let acc = xs[0]!.name;
      for (const v of xs.slice(1)) acc = g.add(op, [acc, v.name], {}, ctx.alias(layer));
      return [out(acc, shape!, layout)];
    }
    return [
      out(
        g.add(
          op,
          xs.map((v) => v.name),
          {},
          ctx.alias(layer),
        ),
        shape!,
        layout,
      ),
    ];
  };
}

const concatenate: LayerConverter = (ctx, layer, inputs, [shape]) => {
  const xs = inputs.map((v) => ctx.toTf(v));
  const axis = Number(layer.getConfig()['axis'] ?? -1);
  return [
    out(
      ctx.graph.add(
        'Concat',
        xs.map((v) => v.name),
        { axis },
        ctx.alias(layer),
      ),
      shape!,
    ),
  ];
};

const activation: LayerConverter = (ctx, layer, inputs) => [
  emitActivation(ctx, one(layer, inputs), activationOf(layer.getConfig()), layer),
];

const reluLayer: LayerConverter = (ctx, layer, inputs) => {
  const g = ctx.graph;
  const x = one(layer, inputs);
  const max = layer.getConfig()['maxValue'];
  if (max === null || max === undefined) return [{ ...x, name: g.add('Relu', [x.name], {}, ctx.alias(layer)) }];
  return [
    {
      ...x,
      name: g.add(
        'Clip',
        [x.name, g.constF(`${ctx.alias(layer)}/min`, [0], []), g.constF(`${ctx.alias(layer)}/max`, [Number(max)], [])],
        {},
        ctx.alias(layer),
      ),
    },
  ];
};

const leakyRelu: LayerConverter = (ctx, layer, inputs) => {
  const x = one(layer, inputs);
  return [{ ...x, name: ctx.graph.add('LeakyRelu', [x.name], { alpha: f(Number(layer.getConfig()['alpha'] ?? 0.3)) }, ctx.alias(layer)) }];
};

const eluLayer: LayerConverter = (ctx, layer, inputs) => {
  const x = one(layer, inputs);
  return [{ ...x, name: ctx.graph.add('Elu', [x.name], { alpha: f(Number(layer.getConfig()['alpha'] ?? 1)) }, ctx.alias(layer)) }];
};

const softmaxLayer: LayerConverter = (ctx, layer, inputs) => {
  const x = ctx.toTf(one(layer, inputs));
  const axis = layer.getConfig()['axis'];
  const a = Array.isArray(axis) ? axis : [axis ?? -1];
  if (a.length !== 1)
    throw new ExportError(`${describe(layer)} takes softmax over several axes ${JSON.stringify(axis)}; only one axis exports`);
  return [{ ...x, name: ctx.graph.add('Softmax', [x.name], { axis: Number(a[0]) }, ctx.alias(layer)) }];
};

/** Every TF.js class the exporter converts. Dropout-like layers are the identity at inference, so they vanish. */
export const CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  Dense: dense,
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  MaxPooling2D: pool2d('MaxPool'),
  AveragePooling2D: pool2d('AveragePool'),
  GlobalAveragePooling2D: globalPool2d('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPool2d('GlobalMaxPool'),
  GlobalAveragePooling1D: globalPool1d('ReduceMean'),
  GlobalMaxPooling1D: globalPool1d('ReduceMax'),
  BatchNormalization: batchNorm,
  LayerNormalization: tfLayerNorm,
  TunekitLayerNorm: tunekitLayerNorm,
  TunekitPositionalEmbedding: positionalEmbedding,
  TunekitMultiHeadSelfAttention: multiHeadSelfAttention,
  Dropout: identity,
  SpatialDropout1D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  TunekitSeededDropout: identity,
  Flatten: flatten,
  Reshape: reshape,
  Permute: permute,
  Add: merge('Add'),
  Multiply: merge('Mul'),
  Maximum: merge('Max'),
  Minimum: merge('Min'),
  Average: merge('Mean'),
  Concatenate: concatenate,
  Activation: activation,
  ReLU: reluLayer,
  LeakyReLU: leakyRelu,
  ELU: eluLayer,
  Softmax: softmaxLayer,
};

/** Classes a batch norm that directly follows them can be folded into (per-output-channel kernels, channel axis last). */
export const FOLDABLE = new Set(['Dense', 'Conv2D', 'DepthwiseConv2D', 'SeparableConv2D']);
