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
 *   x' by dy' dilated by the original strides, padded (top, left) and cropped to [CI,KH,KW,CO], then transposed back.
 * - `Conv2DBackpropInput` is a naive loop (~10x slower than the forward conv); for stride 1 we compute it as a Conv2D of dy with
 *   the rotated, channel-swapped filter.
 * - `MaxPoolGrad` is a slow generic loop; a JS loop over the wasm heap with the same tie rule is several times faster.
 * - `Identity` copies its input, and the engine runs it on every tensor it saves for the backward pass (2.3% of a CNN trial's
 *   time, all memcpy); it now shares the input's memory by reference count, as the wasm `Reshape` and the cpu backend's
 *   `Identity` already do. Safe because no kernel writes into an input: tensors are immutable, a variable's `assign` swaps
 *   its data for another tensor's. `Cast` to the input's own dtype (Relu's gradient casts float32 to float32) shares the same
 *   way.
 * - `Sum` and `Mean` over leading axes transpose the input first; a JS loop over the heap is ~3x faster.
 * Batched (batch > 1) matMuls are left alone: the original kernel handles them and they are rare in our models.
 */
import * as tf from '@tensorflow/tfjs';

/** The slice of the wasm backend object the patches need (it is typed `{}` in KernelFunc's params). */
interface DisposingBackend {
  disposeData(dataId: object, force?: boolean): boolean;
}

/** The wasm backend's helpers for kernels written in JS over the wasm heap. */
export interface HeapBackend extends DisposingBackend {
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap(info: Info): Float32Array;
}

/**
 * The active backend as a HeapBackend when it is wasm, else undefined. The name is checked, not only the methods: the cpu and
 * webgl backends have a `makeOutput` too, with other parameters.
 */
export function wasmHeap(): HeapBackend | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const b = tf.engine().backend as unknown as Partial<HeapBackend>;
  return typeof b.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function' ? (b as HeapBackend) : undefined;
}

type Info = tf.TensorInfo;

/**
 * A new float32 tensor of `shape` in the wasm heap, written by `fill`. `fill` must take every heap view it needs itself and
 * allocate nothing while it holds them: the output is allocated first, and a later malloc could grow the heap and detach
 * views taken earlier.
 */
export function heapTensor(heap: HeapBackend, shape: readonly number[], fill: (out: Float32Array) => void): tf.Tensor {
  const info = heap.makeOutput([...shape], 'float32');
  fill(heap.typedArrayFromHeap(info));
  return tf.engine().makeTensorFromTensorInfo(info, tf.engine().backend);
}
type KernelArgs = Parameters<tf.KernelFunc>[0];

let patched = false;

function original(name: string): tf.KernelFunc {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`wasm kernel '${name}' is not registered; is @tensorflow/tfjs-backend-wasm 4.x installed?`);
  return config.kernelFunc;
}

function single(out: Info | Info[]): Info {
  if (Array.isArray(out)) throw new Error('expected a single-output kernel');
  return out;
}

function isInfo(v: unknown): v is Info {
  return typeof v === 'object' && v !== null && 'dataId' in v && 'shape' in v;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
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
    const swapLast = (x: Info): Info => {
      const r = x.shape.length;
      const perm = [...Array(r - 2).keys(), r - 1, r - 2];
      return single(transpose({ inputs: { x }, backend, attrs: { perm } }));
    };
    const temps: Info[] = [];
    const a2 = ta ? swapLast(a) : a;
    if (ta) temps.push(a2);
    const b2 = tb ? swapLast(b) : b;
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

/**
 * MaxPoolGrad in JS over the wasm heap: dx[argmax of each window] += dy, where the argmax is the first maximum in row-major
 * window order (strictly greater wins), exactly as tfjs-core's cpu kernel; windows without a finite maximum pass nothing.
 * The stock wasm kernel takes ~18 ms for a [128,28,28,16] input; this loop (channels innermost, contiguous in NHWC) a few ms.
 */
function maxPoolGradJs(args: KernelArgs): Info {
  const { inputs } = args;
  const backend = args.backend as HeapBackend;
  const attrs = args.attrs ?? {};
  const dy = inputs['dy'];
  const input = inputs['input'];
  if (!isInfo(dy) || !isInfo(input)) throw new Error('MaxPoolGrad needs inputs dy and input');
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs['filterSize'] as [number, number] | number,
    attrs['strides'] as [number, number] | number,
    1,
    attrs['pad'] as 'same' | 'valid' | number,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
  );
  const dx = backend.makeOutput([...input.shape], 'float32');
  // Views are taken after makeOutput: a malloc may grow the heap and detach earlier views.
  const x = backend.typedArrayFromHeap(input);
  const g = backend.typedArrayFromHeap(dy);
  const out = backend.typedArrayFromHeap(dx);
  out.fill(0);
  const { batchSize: nb, inHeight: ih, inWidth: iw, inChannels: nc, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const { top, left } = info.padInfo;
  const best = new Float64Array(nc);
  const arg = new Int32Array(nc);
  for (let b = 0; b < nb; b++) {
    const xb = b * ih * iw * nc;
    for (let r = 0; r < oh; r++) {
      const r0 = r * sh - top;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(ih, r0 + fh);
      for (let c = 0; c < ow; c++) {
        const c0 = c * sw - left;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(iw, c0 + fw);
        best.fill(-Infinity);
        arg.fill(-1);
        for (let xr = rMin; xr < rMax; xr += dh) {
          for (let xc = cMin; xc < cMax; xc += dw) {
            const base = xb + (xr * iw + xc) * nc;
            for (let d = 0; d < nc; d++) {
              const v = x[base + d]!;
              if (v > best[d]!) {
                best[d] = v;
                arg[d] = base + d;
              }
            }
          }
        }
        const gBase = ((b * oh + r) * ow + c) * nc;
        for (let d = 0; d < nc; d++) if (arg[d]! >= 0) out[arg[d]!]! += g[gBase + d]!;
      }
    }
  }
  return dx;
}

function replace(name: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc });
}

/** The wasm backend's reference counting (what its `Reshape` uses to share memory). */
interface CountingBackend {
  incRef(dataId: object): void;
}

/** Identity without the copy: one more reference to the input's memory (see the file comment). Strings keep the stock copy. */
function sharedIdentity(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs['x'];
    if (!isInfo(x) || x.dtype === 'string') return stock(args);
    return shared(args, x);
  };
}

/** One more reference to `x`'s memory, as the output of a kernel that would otherwise copy it unchanged. */
function shared(args: KernelArgs, x: Info): Info {
  (args.backend as CountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
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
 * Sum / Mean over leading axes (e.g. [0, 1, 2] of an NHWC activation: batch-norm moments, a bias gradient) as a JS loop over
 * the heap. The stock kernels first transpose the reduced axes innermost (a full copy), then reduce: a fresh [128, 28, 28, 16]
 * sum took ~3.0 ms that way against ~1.0 ms here; the sweep's batch-norm CNNs spend ~28 ms of a ~180 ms step in such sums
 * and means. Float32 only; other axes keep the stock kernels.
 */
function leadingReduce(stock: tf.KernelFunc, mean: boolean): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs['x'];
    if (!isInfo(x) || x.dtype !== 'float32') return stock(args);
    const rank = x.shape.length;
    const attrs = args.attrs ?? {};
    const raw = attrs['axis'];
    // axis null (every axis), a number or a list; negative values count from the end.
    const list: unknown[] = Array.isArray(raw) ? raw : [raw];
    if (!list.every((a): a is number => Number.isInteger(a))) return stock(args);
    const axes = list.map((a) => (a < 0 ? a + rank : a));
    const k = axes.length;
    if (k === 0 || k >= rank || new Set(axes).size !== k || axes.some((a) => !(a >= 0 && a < k))) return stock(args);
    const rest = x.shape.slice(k);
    const shape = attrs['keepDims'] === true ? [...axes.map(() => 1), ...rest] : rest;
    const backend = args.backend as HeapBackend;
    const out = backend.makeOutput(shape, 'float32');
    // Views only after the allocation, and no allocation until the sums are written.
    sumLeading(backend.typedArrayFromHeap(x), sizeOf(rest), backend.typedArrayFromHeap(out), mean);
    return out;
  };
}

/**
 * out[j] = sum over rows k of v[k * c + j] (divided by the row count when `mean`); `v` holds whole rows of `c`. Rows go in
 * blocks of ~8 KB, each summed four columns at a time into double-precision partial sums: one pass over memory (the data is
 * re-read from L1, not from RAM, which matters when two workers share the memory bus) and no chain of dependent adds.
 */
export function sumLeading(v: Float32Array, c: number, out: Float32Array, mean: boolean): void {
  const n = c === 0 ? 0 : v.length / c;
  const acc = new Float64Array(c);
  const rows = Math.max(1, Math.floor(2048 / c));
  for (let k0 = 0; k0 < n; k0 += rows) {
    const k1 = Math.min(n, k0 + rows);
    let j = 0;
    for (; j + 4 <= c; j += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let o = k0 * c + j, end = k1 * c; o < end; o += c) {
        s0 += v[o]!;
        s1 += v[o + 1]!;
        s2 += v[o + 2]!;
        s3 += v[o + 3]!;
      }
      acc[j] += s0;
      acc[j + 1] += s1;
      acc[j + 2] += s2;
      acc[j + 3] += s3;
    }
    for (; j < c; j++) {
      let s = 0;
      for (let o = k0 * c + j, end = k1 * c; o < end; o += c) s += v[o]!;
      acc[j] += s;
    }
  }
  const div = mean ? n : 1;
  for (let j = 0; j < c; j++) out[j] = acc[j]! / div;
}

/**
 * Installs the patches above into the kernel registry. Called by `useBackend('wasm')` after the backend initialised (the
 * original kernels' setup functions have run by then, so the wrappers need none). Idempotent.
 */
export function patchWasmKernels(): void {
  if (patched) return;
  const transpose = original('Transpose');
  replace('BatchMatMul', fastTransposes(original('BatchMatMul'), transpose));
  replace('_FusedMatMul', fastTransposes(original('_FusedMatMul'), transpose));
  replace('Conv2DBackpropInput', conv2dBackpropInput(original('Conv2DBackpropInput'), original('Conv2D'), transpose, original('Reverse')));
  replace('MaxPoolGrad', maxPoolGradJs);
  replace('Identity', sharedIdentity(original('Identity')));
  replace('Cast', sharedCast(original('Cast')));
  replace('Sum', leadingReduce(original('Sum'), false));
  replace('Mean', leadingReduce(original('Mean'), true));
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    replace('Conv2DBackpropFilter', conv2dBackpropFilter(original('Conv2D'), transpose, original('Slice')));
  }
  patched = true;
}
