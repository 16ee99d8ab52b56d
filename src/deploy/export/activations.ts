/**
 * TF.js activations as ONNX nodes. Used by the Dense/Conv converters (their fused `activation`) and by the Activation,
 * ReLU, LeakyReLU, ELU and Softmax layer converters. Each formula mirrors tfjs-layers 4.22 (activations.js), so parity holds
 * to float rounding:
 * - `gelu` is the exact erf form x·½(1+erf(x/√2)) (TF.js 'gelu'); `gelu_new` is the tanh approximation. Opset >= 20 has a
 *   Gelu op (approximate 'none' / 'tanh'); below that both are built from Erf / Tanh.
 * - `selu` uses TF's constants (scale 1.0507..., scale·alpha 1.7580...), `swish` is x·sigmoid(x), `hardSigmoid` is
 *   clip(0.2x+0.5, 0, 1), `mish` is x·tanh(softplus(x)).
 */
import type * as tf from '@tensorflow/tfjs';
import { type ConvertContext, ExportError, type Value, describe } from './context.js';
import { f } from './onnx.js';

/** Activation names the exporter converts (TF.js serialised class names). */
export const SUPPORTED_ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'elu',
  'selu',
  'tanh',
  'sigmoid',
  'hardSigmoid',
  'softplus',
  'softsign',
  'softmax',
  'logSoftmax',
  'swish',
  'mish',
  'gelu',
  'gelu_new',
] as const;

/**
 * TF's SELU constants (tfjs-core selu_util, written here as the doubles they round to): y = scale·x for x > 0,
 * scaleAlpha·(eˣ − 1) otherwise.
 */
const SELU_SCALE = 1.0507009873554805;
const SELU_SCALE_ALPHA = 1.7580993408473768;

/**
 * Applies activation `name` to `v` and returns the result (the same Value for 'linear'). Softmax-like activations work on
 * the last TF axis, so an NCHW tensor is moved back to TF order first; element-wise ones keep the layout.
 */
export function emitActivation(ctx: ConvertContext, v: Value, name: string, layer: tf.layers.Layer): Value {
  const g = ctx.graph;
  const base = `${ctx.alias(layer)}/${name}`;
  const unary = (op: string, attrs: Record<string, ReturnType<typeof f> | number | string> = {}): Value => ({
    ...v,
    name: g.add(op, [v.name], attrs, base),
  });
  const times = (a: string, b: string): string => g.add('Mul', [a, b], {}, base);
  switch (name) {
    case 'linear':
      return v;
    case 'relu':
      return unary('Relu');
    case 'relu6':
      return { ...v, name: g.add('Clip', [v.name, g.constF(`${base}/min`, [0], []), g.constF(`${base}/max`, [6], [])], {}, base) };
    case 'elu':
      return unary('Elu', { alpha: f(1) });
    case 'selu':
      return unary('Selu', { alpha: f(SELU_SCALE_ALPHA / SELU_SCALE), gamma: f(SELU_SCALE) });
    case 'tanh':
      return unary('Tanh');
    case 'sigmoid':
      return unary('Sigmoid');
    case 'hardSigmoid':
      return unary('HardSigmoid', { alpha: f(0.2), beta: f(0.5) });
    case 'softplus':
      return unary('Softplus');
    case 'softsign':
      return unary('Softsign');
    case 'softmax':
    case 'logSoftmax': {
      const t = ctx.toTf(v);
      return { ...t, name: g.add(name === 'softmax' ? 'Softmax' : 'LogSoftmax', [t.name], { axis: -1 }, base) };
    }
    case 'swish':
      return { ...v, name: times(g.add('Sigmoid', [v.name], {}, base), v.name) };
    case 'mish':
      return { ...v, name: times(v.name, g.add('Tanh', [g.add('Softplus', [v.name], {}, base)], {}, base)) };
    case 'gelu': {
      if (g.opset >= 20) return unary('Gelu', { approximate: 'none' });
      // Same op order as TF.js: x * (0.5 * (1 + erf(x / sqrt2))).
      const erf = g.add('Erf', [g.add('Div', [v.name, g.constF(`${base}/sqrt2`, [Math.SQRT2], [])], {}, base)], {}, base);
      const cdf = times(g.constF(`${base}/half`, [0.5], []), g.add('Add', [g.constF(`${base}/one`, [1], []), erf], {}, base));
      return { ...v, name: times(v.name, cdf) };
    }
    case 'gelu_new': {
      if (g.opset >= 20) return unary('Gelu', { approximate: 'tanh' });
      // 0.5 * (x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))), as tfjs-layers GeluNew.
      const cube = g.add('Pow', [v.name, g.constF(`${base}/three`, [3], [])], {}, base);
      const inner = g.add('Add', [v.name, times(g.constF(`${base}/c`, [0.044715], []), cube)], {}, base);
      const th = g.add('Tanh', [times(g.constF(`${base}/k`, [Math.sqrt(2 / Math.PI)], []), inner)], {}, base);
      const onePlus = g.add('Add', [g.constF(`${base}/one`, [1], []), th], {}, base);
      return { ...v, name: times(g.constF(`${base}/half`, [0.5], []), times(v.name, onePlus)) };
    }
    default:
      throw new ExportError(
        `${describe(layer)} uses activation "${name}", which the ONNX exporter does not convert; ` +
          `supported: ${SUPPORTED_ACTIVATIONS.join(', ')}`,
      );
  }
}

/** The activation name in a layer config (`activation` is serialised as its class name, e.g. 'relu'); 'linear' if absent. */
export function activationOf(config: tf.serialization.ConfigDict): string {
  const a = config['activation'];
  if (a === undefined || a === null) return 'linear';
  if (typeof a === 'string') return a;
  const cls = (a as { className?: unknown }).className;
  return typeof cls === 'string' ? cls : JSON.stringify(a);
}
