/**
 * Converters for token-sequence layers: TF.js LayerNormalization, and the custom TunekitLayerNorm, TunekitPositionalEmbedding
 * and TunekitMultiHeadSelfAttention layers of trials/models (layers.ts, attention.ts there), each reproducing the layer's
 * `call()` maths. Registered in `CONVERTERS` (layers.ts); the inputs are [batch, tokens, dim] in TF order.
 */
import type * as tf from '@tensorflow/tfjs';
import { type ConvertContext, ExportError, type LayerConverter, type Value, describe, one, out } from './context.js';
import { f } from './onnx.js';

/** ONNX LayerNormalization over the trailing axes from `axis` on (TF.js normalises exactly those). */
function layerNormNode(
  ctx: ConvertContext,
  layer: tf.layers.Layer,
  x: Value,
  shape: readonly (number | null)[],
  axis: number,
  eps: number,
  gamma: Float32Array | undefined,
  beta: Float32Array | undefined,
  dims: number[],
): Value {
  const g = ctx.graph;
  const size = dims.reduce((a, b) => a * b, 1);
  const ins = [x.name, g.init(`${ctx.alias(layer)}/gamma`, gamma ?? new Float32Array(size).fill(1), dims)];
  if (beta) ins.push(g.init(`${ctx.alias(layer)}/beta`, beta, dims));
  return out(g.add('LayerNormalization', ins, { axis, epsilon: f(eps) }, ctx.alias(layer)), shape);
}

/** tf.layers.layerNormalization: normalises the trailing `axis` dims; gamma/beta optional (`scale`/`center`). */
export const tfLayerNorm: LayerConverter = (ctx, layer, inputs, [shape]) => {
  const x = ctx.toTf(one(layer, inputs));
  const cfg = layer.getConfig();
  const rank = x.shape.length;
  const axes = (Array.isArray(cfg['axis']) ? cfg['axis'] : [cfg['axis'] ?? -1]).map((a) => (Number(a) + rank) % rank).sort((a, b) => a - b);
  if (axes.some((a, i) => a !== rank - axes.length + i) || axes[0] === 0) {
    throw new ExportError(`${describe(layer)} normalises axes ${JSON.stringify(cfg['axis'])}; only trailing (non-batch) axes export`);
  }
  const ws = ctx.weights(layer);
  const dims = x.shape.slice(axes[0]) as number[];
  return [
    layerNormNode(ctx, layer, x, shape!, axes[0]!, Number(cfg['epsilon'] ?? 1e-3), ws.get('gamma')?.data, ws.get('beta')?.data, dims),
  ];
};

/** trials/models LayerNorm: last axis, learned gamma and beta. */
export const tunekitLayerNorm: LayerConverter = (ctx, layer, inputs, [shape]) => {
  const x = ctx.toTf(one(layer, inputs));
  const ws = ctx.weights(layer);
  const gamma = ctx.weight(layer, ws, 'gamma');
  return [
    layerNormNode(ctx, layer, x, shape!, -1, Number(layer.getConfig()['epsilon'] ?? 1e-5), gamma.data, ctx.weight(layer, ws, 'beta').data, [
      ...gamma.shape,
    ]),
  ];
};

/** trials/models PositionalEmbedding: x + embedding[tokens, dim]. */
export const positionalEmbedding: LayerConverter = (ctx, layer, inputs, [shape]) => {
  const x = ctx.toTf(one(layer, inputs));
  const e = ctx.weight(layer, ctx.weights(layer), 'embedding');
  return [
    out(ctx.graph.add('Add', [x.name, ctx.graph.init(`${ctx.alias(layer)}/embedding`, e.data, e.shape)], {}, ctx.alias(layer)), shape!),
  ];
};

/**
 * trials/models/attention.ts `call()`, op for op: q = xWq + bq, k = xWk, v = xWv + bv, each reshaped to [b, t, h, dh] and
 * transposed to [b, h, t, dh]; softmax(q·kᵀ · 1/√dh) · v; back to [b, t, dim]; output projection xWo + bo.
 */
export const multiHeadSelfAttention: LayerConverter = (ctx, layer, inputs, [shape]) => {
  const g = ctx.graph;
  const x = ctx.toTf(one(layer, inputs));
  const cfg = layer.getConfig();
  const dim = Number(cfg['dim']);
  const heads = Number(cfg['heads']);
  const tokens = x.shape[1];
  if (x.shape.length !== 3 || typeof tokens !== 'number') {
    throw new ExportError(
      `${describe(layer)} needs a [batch, tokens, dim] input with static tokens, got [${x.shape.map(String).join(', ')}]`,
    );
  }
  const dh = dim / heads;
  const ws = ctx.weights(layer);
  const n = ctx.alias(layer);
  const project = (w: string, b: string | null): string => {
    let p = g.add('MatMul', [x.name, g.init(`${n}/${w}`, ctx.weight(layer, ws, w).data, [dim, dim])], {}, `${n}/${w}`);
    if (b) p = g.add('Add', [p, g.init(`${n}/${b}`, ctx.weight(layer, ws, b).data, [dim])], {}, `${n}/${b}`);
    return g.add('Transpose', [g.reshape(p, [-1, tokens, heads, dh], `${n}/${w}/split`)], { perm: [0, 2, 1, 3] }, `${n}/${w}/heads`);
  };
  const q = project('wq', 'bq');
  const k = project('wk', null);
  const v = project('wv', 'bv');
  const kT = g.add('Transpose', [k], { perm: [0, 1, 3, 2] }, `${n}/kT`);
  const scores = g.add(
    'Mul',
    [g.add('MatMul', [q, kT], {}, `${n}/scores`), g.constF(`${n}/scale`, [1 / Math.sqrt(dh)], [])],
    {},
    `${n}/scaled`,
  );
  const attn = g.add('Softmax', [scores], { axis: -1 }, `${n}/softmax`);
  const merged = g.reshape(
    g.add('Transpose', [g.add('MatMul', [attn, v], {}, `${n}/context`)], { perm: [0, 2, 1, 3] }, `${n}/merge`),
    [-1, tokens, dim],
    `${n}/merge`,
  );
  const o = g.add('MatMul', [merged, g.init(`${n}/wo`, ctx.weight(layer, ws, 'wo').data, [dim, dim])], {}, `${n}/wo`);
  return [out(g.add('Add', [o, g.init(`${n}/bo`, ctx.weight(layer, ws, 'bo').data, [dim])], {}, `${n}/bo`), shape!)];
};
