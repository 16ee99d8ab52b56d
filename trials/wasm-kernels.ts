/**
 * Kernel patches for the TF.js 4.22 wasm backend, installed once by `useBackend('wasm')`.
 *
 * Why (measured on this 2-core machine, Node 20, SIMD build):
 * - `BatchMatMul` / `_FusedMatMul` only use XNNPACK when neither operand is transposed and the batch is 1; otherwise a naive
 *   blocked C++ loop runs: 128x784 by 784x256 takes ~2.3 ms on XNNPACK but ~30-40 ms with a transpose flag. Every dense
 *   layer's backward pass (dW = x^T dy, dx = dy W^T) hits the slow loop. Transposing explicitly costs ~1-2 ms, so for
 *   batch-1 products we transpose first and call the original kernel without flags. Same numbers up to float rounding order.
 * - `Conv2DBackpropFilter` has no wasm kernel, so any conv model fails on its first backward pass. We compute it with the wasm
 *   `Conv2D` (XNNPACK) using the identity dW[kh,kw,ci,co] = sum_{b,oh,ow} x[b, oh*sh+kh-top, ow*sw+kw-left, ci] * dy[b,oh,ow,co]:
 *   with x' = x transposed to [CI,H,W,B] and dy' = dy transposed to [OH,OW,B,CO] used as a filter, this is a stride-1 conv of
 *   x' by dy' dilated by the original strides, padded (top, left) and cropped to [CI,KH,KW,CO], then transposed back. That
 *   route repacks a filter the size of dy on every call (~10-17 ms on the sweep's layers); simd/conv-filter.wat sums the
 *   patch-by-dy products directly in one pass, 1.3-4.7x faster, and the route stays as its fallback (output channels not a
 *   multiple of 4).
 * - `Conv2DBackpropInput` is a naive loop (~10x slower than the forward conv); for stride 1 we compute it as a Conv2D of dy with
 *   the rotated, channel-swapped filter.
 * - `MaxPoolGrad` is a slow generic loop; a JS loop over the wasm heap with the same tie rule is several times faster, and
 *   simd/maxpool.wat faster again for pools whose windows tile the input (2x2, stride 2).
 * - `Identity` copies its input, and the engine runs it on every tensor it saves for the backward pass (2.3% of a CNN trial's
 *   time, all memcpy); it now shares the input's memory by reference count, as the wasm `Reshape` and the cpu backend's
 *   `Identity` already do. Safe because no kernel writes into an input: tensors are immutable, a variable's `assign` swaps
 *   its data for another tensor's. `Cast` to the input's own dtype (Relu's gradient casts float32 to float32) shares the same
 *   way.
 * - `Sum` and `Mean` over leading axes transpose the input first; a JS loop over the heap is ~3x faster, and simd/sum.wat
 *   faster again (same sums) for widths that are a multiple of 4.
 * - `Transpose` of a [rows, cols] layout (every 2-D transpose, and the explicit transposes above) writes one strided element at
 *   a time; a JS loop over eight columns at a time is ~7-10x faster on the tall operands of weight gradients.
 * - Batched `BatchMatMul` (batch > 1: attention's per-head products) is a scalar C++ loop; our own SIMD module
 *   (simd/batch-matmul.wat) runs it ~10x faster with the same sums.
 * - `Multiply`, `Add`, `Sub` against a per-channel vector and `FusedBatchNorm` broadcast element by element, ~2 ns an element
 *   with 8 channels; simd/channels.wat does a row in a few vector operations.
 * - `Erf` (GELU) costs ~12-14 ns an element; simd/erf.wat computes TF.js's own approximation four lanes at a time.
 * - `Exp` costs ~8 ns an element (a libm call each); simd/exp.wat is Cephes' expf four lanes at a time.
 * The JS loops over the heap are in wasm-js-kernels.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { isInfo, shared, single, sizeOf, swapLastTwo, type DisposingBackend, type Info, type KernelArgs } from './wasm-heap.js';
import { fastTranspose, leadingReduce, maxPoolGradJs } from './wasm-js-kernels.js';
import { simdBatchMatMul } from './simd/batch-matmul.js';
import { simdChannelKernels } from './simd/channels.js';
import { simdUnary } from './simd/unary.js';
import { simdConvFilter } from './simd/conv-filter.js';
import { simdMaxPoolGrad } from './simd/maxpool.js';
import { simdLeadingSum } from './simd/sum.js';

let patched = false;

function original(name: string): tf.KernelFunc {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`wasm kernel '${name}' is not registered; is @tensorflow/tfjs-backend-wasm 4.x installed?`);
  return config.kernelFunc;
}

/**
 * Wraps a matMul-like kernel (inputs `a`, `b`; attrs `transposeA`, `transposeB`): batch-1 products with a transpose flag are
 * transposed explicitly so the original kernel takes its XNNPACK path. Temporaries are freed before returning.
 */
function fastTransposes(matMul: tf.KernelFunc, transpose: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { inputs, backend } = args;
    const attrs = args.attrs ?? {};
    const a = inputs['a'];
    const b = inputs['b'];
    const ta = attrs['transposeA'] === true;
    const tb = attrs['transposeB'] === true;
    if ((!ta && !tb) || !isInfo(a) || !isInfo(b) || sizeOf(a.shape.slice(0, -2)) !== 1 || sizeOf(b.shape.slice(0, -2)) !== 1) {
      return matMul(args);
    }
    const temps: Info[] = [];
    const a2 = ta ? swapLastTwo(transpose, a, backend) : a;
    if (ta) temps.push(a2);
    const b2 = tb ? swapLastTwo(transpose, b, backend) : b;
    if (tb) temps.push(b2);
    try {
      return matMul({ inputs: { ...inputs, a: a2, b: b2 }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      for (const t of temps) (backend as DisposingBackend).disposeData(t.dataId);
    }
  };
}

/** Conv2DBackpropFilter (NHWC, dilation 1 as tfjs-core requires for gradients) via a dilated wasm Conv2D; see file comment. */
function conv2dBackpropFilter(conv2d: tf.KernelFunc, transpose: tf.KernelFunc, slice: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { inputs, backend } = args;
    const attrs = args.attrs ?? {};
    const x = inputs['x'];
    const dy = inputs['dy'];
    if (!isInfo(x) || !isInfo(dy)) throw new Error('Conv2DBackpropFilter needs inputs x and dy');
    const dataFormat = attrs['dataFormat'] ?? 'NHWC';
    if (dataFormat !== 'NHWC')
      throw new Error(`wasm Conv2DBackpropFilter supports dataFormat 'NHWC' only, got ${JSON.stringify(dataFormat)}`);
    const filterShape = attrs['filterShape'] as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      attrs['strides'] as [number, number] | number,
      1,
      attrs['pad'] as 'same' | 'valid' | number,
      attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
      false,
      'channelsLast',
    );
    const [kh, kw, ci, co] = filterShape;
    const { top, left } = info.padInfo;
    const [, h, w] = x.shape;
    const sh = info.strideHeight;
    const sw = info.strideWidth;
    // Bottom/right padding that makes the stride-1 output exactly kh x kw (negative means the output is larger: crop it).
    const bottom = Math.max(0, kh + (info.outHeight - 1) * sh - (h ?? 0) - top);
    const right = Math.max(0, kw + (info.outWidth - 1) * sw - (w ?? 0) - left);
    const temps: Info[] = [];
    const keep = (t: Info | Info[]): Info => {
      const s = single(t);
      temps.push(s);
      return s;
    };
    try {
      const xt = keep(transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } }));
      const dyt = keep(transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } }));
      let out = keep(
        conv2d({
          inputs: { x: xt, filter: dyt },
          backend,
          attrs: {
            strides: [1, 1],
            pad: [
              [0, 0],
              [top, bottom],
              [left, right],
              [0, 0],
            ],
            dataFormat: 'NHWC',
            dilations: [sh, sw],
          },
        }),
      );
      if (out.shape[1] !== kh || out.shape[2] !== kw) {
        out = keep(slice({ inputs: { x: out }, backend, attrs: { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] } }));
      }
      return single(transpose({ inputs: { x: out }, backend, attrs: { perm: [1, 2, 0, 3] } }));
    } finally {
      for (const t of temps) (backend as DisposingBackend).disposeData(t.dataId);
    }
  };
}

/**
 * Conv2DBackpropInput for stride 1 via the XNNPACK Conv2D: dx = conv2d(dy, W'), W'[kh,kw,co,ci] = W[KH-1-kh, KW-1-kw, ci, co]
 * (the filter rotated by 180 degrees with in/out channels swapped), padded by (KH-1-top, H-OH+KH-1-top') so the output is
 * exactly H x W. The stock wasm kernel is a naive loop (~108 ms for dy [128,14,14,32] and a 3x3x16x32 filter, versus ~10 ms
 * for the forward conv). Strided convs keep the stock kernel (they would need input dilation, which Conv2D lacks).
 */
function conv2dBackpropInput(stock: tf.KernelFunc, conv2d: tf.KernelFunc, transpose: tf.KernelFunc, reverse: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { inputs, backend } = args;
    const attrs = args.attrs ?? {};
    const dy = inputs['dy'];
    const filter = inputs['filter'];
    if (!isInfo(dy) || !isInfo(filter) || (attrs['dataFormat'] ?? 'NHWC') !== 'NHWC') return stock(args);
    const inputShape = attrs['inputShape'] as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      attrs['strides'] as [number, number] | number,
      1,
      attrs['pad'] as 'same' | 'valid' | number,
      attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
      false,
      'channelsLast',
    );
    if (info.strideHeight !== 1 || info.strideWidth !== 1) return stock(args);
    const { filterHeight: kh, filterWidth: kw, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow } = info;
    const top = kh - 1 - info.padInfo.top;
    const left = kw - 1 - info.padInfo.left;
    const bottom = h - oh + kh - 1 - top;
    const right = w - ow + kw - 1 - left;
    if (top < 0 || left < 0 || bottom < 0 || right < 0) return stock(args);
    const temps: Info[] = [];
    try {
      const flipped = single(reverse({ inputs: { x: filter }, backend, attrs: { dims: [0, 1] } }));
      temps.push(flipped);
      const swapped = single(transpose({ inputs: { x: flipped }, backend, attrs: { perm: [0, 1, 3, 2] } }));
      temps.push(swapped);
      return single(
        conv2d({
          inputs: { x: dy, filter: swapped },
          backend,
          attrs: {
            strides: [1, 1],
            pad: [
              [0, 0],
              [top, bottom],
              [left, right],
              [0, 0],
            ],
            dataFormat: 'NHWC',
            dilations: [1, 1],
          },
        }),
      );
    } finally {
      for (const t of temps) (backend as DisposingBackend).disposeData(t.dataId);
    }
  };
}

function replace(name: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc });
}

/** Identity without the copy: one more reference to the input's memory (see the file comment). Strings keep the stock copy. */
function sharedIdentity(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs['x'];
    if (!isInfo(x) || x.dtype === 'string') return stock(args);
    return shared(args, x);
  };
}

/**
 * Cast to the tensor's own dtype without the copy (the stock kernel copies whatever the dtypes). TF.js casts float32 to
 * float32 in several gradients, e.g. Relu's `dy * cast(step(x), 'float32')`: three full activation copies a step in the
 * sweep's CNNs. Other casts keep the stock kernel.
 */
function sharedCast(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs['x'];
    if (!isInfo(x) || x.dtype === 'string' || args.attrs?.['dtype'] !== x.dtype) return stock(args);
    return shared(args, x);
  };
}

/**
 * Installs the patches above into the kernel registry. Called by `useBackend('wasm')` after the backend initialised (the
 * original kernels' setup functions have run by then, so the wrappers need none). Idempotent.
 */
export function patchWasmKernels(): void {
  if (patched) return;
  const backend = tf.findBackend('wasm');
  const transpose = fastTranspose(original('Transpose'));
  replace('Transpose', transpose);
  const batchMatMul = original('BatchMatMul');
  replace('BatchMatMul', fastTransposes(simdBatchMatMul(batchMatMul, transpose, backend) ?? batchMatMul, transpose));
  replace('_FusedMatMul', fastTransposes(original('_FusedMatMul'), transpose));
  replace('Conv2DBackpropInput', conv2dBackpropInput(original('Conv2DBackpropInput'), original('Conv2D'), transpose, original('Reverse')));
  replace('MaxPoolGrad', simdMaxPoolGrad(maxPoolGradJs, backend) ?? maxPoolGradJs);
  replace('Identity', sharedIdentity(original('Identity')));
  replace('Cast', sharedCast(original('Cast')));
  const leadingSum = simdLeadingSum(backend);
  replace('Sum', leadingReduce(original('Sum'), false, leadingSum));
  replace('Mean', leadingReduce(original('Mean'), true, leadingSum));
  const channels = simdChannelKernels(
    { Multiply: original('Multiply'), Add: original('Add'), Sub: original('Sub'), FusedBatchNorm: original('FusedBatchNorm') },
    backend,
  );
  for (const [name, kernel] of Object.entries(channels ?? {})) replace(name, kernel);
  for (const [name, fn] of [
    ['Erf', 'erf'],
    ['Exp', 'exp'],
  ] as const) {
    const kernel = simdUnary(fn, original(name), backend);
    if (kernel) replace(name, kernel);
  }
  // A TF.js build with its own kernel keeps it as the fallback; 4.22 has none, so the dilated-conv route is the fallback.
  const filterFallback = tf.getKernel('Conv2DBackpropFilter', 'wasm')
    ? original('Conv2DBackpropFilter')
    : conv2dBackpropFilter(original('Conv2D'), transpose, original('Slice'));
  replace('Conv2DBackpropFilter', simdConvFilter(filterFallback, backend) ?? filterFallback);
  patched = true;
}
