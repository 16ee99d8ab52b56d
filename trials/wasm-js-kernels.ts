/**
 * Kernels written as JS loops over the wasm heap, for the wasm backend's patches (installed by wasm-kernels.ts). Each beats the
 * stock kernel on the shapes our models produce, and is checked against the cpu backend in test/trials/backend.test.ts.
 * Views on the heap are always taken after the output's allocation (a malloc may grow the heap and detach earlier views), and
 * nothing is allocated in the heap while they are held.
 */
import * as tf from '@tensorflow/tfjs';
import { isInfo, shared, sizeOf, type HeapBackend, type Info, type KernelArgs } from './wasm-heap.js';

/** The pool's geometry from a MaxPoolGrad kernel's NHWC `input` and attributes (filterSize, strides, pad; dilation 1). */
export function maxPoolInfo(input: Info, attrs: NonNullable<KernelArgs['attrs']>): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs['filterSize'] as [number, number] | number,
    attrs['strides'] as [number, number] | number,
    1,
    attrs['pad'] as 'same' | 'valid' | number,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
  );
}

/**
 * MaxPoolGrad in JS over the wasm heap: dx[argmax of each window] += dy, where the argmax is the first maximum in row-major
 * window order (strictly greater wins), exactly as tfjs-core's cpu kernel; windows without a finite maximum pass nothing.
 * The stock wasm kernel takes ~18 ms for a [128,28,28,16] input; this loop (channels innermost, contiguous in NHWC) a few ms.
 */
export function maxPoolGradJs(args: KernelArgs): Info {
  const { inputs } = args;
  const backend = args.backend as HeapBackend;
  const attrs = args.attrs ?? {};
  const dy = inputs['dy'];
  const input = inputs['input'];
  if (!isInfo(dy) || !isInfo(input)) throw new Error('MaxPoolGrad needs inputs dy and input');
  const info = maxPoolInfo(input, attrs);
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

/**
 * Sum / Mean over leading axes (e.g. [0, 1, 2] of an NHWC activation: batch-norm moments, a bias gradient) as a JS loop over
 * the heap. The stock kernels first transpose the reduced axes innermost (a full copy), then reduce: a fresh [128, 28, 28, 16]
 * sum took ~3.0 ms that way against ~1.0 ms here; the sweep's batch-norm CNNs spend ~28 ms of a ~180 ms step in such sums
 * and means. `simd` (simd/sum.ts) takes the widths it handles, with the same sums. Float32 only; other axes keep the stock
 * kernels.
 */
export function leadingReduce(stock: tf.KernelFunc, mean: boolean, simd?: LeadingSum): tf.KernelFunc {
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
    const c = sizeOf(rest);
    if (simd?.(backend, x, c, out, mean)) return out;
    // Views only after the allocation, and no allocation until the sums are written.
    sumLeading(backend.typedArrayFromHeap(x), c, backend.typedArrayFromHeap(out), mean);
    return out;
  };
}

/**
 * The same sums as `sumLeading`, of x seen as [rows, c], written into `out` by another implementation (simd/sum.ts); false
 * when it does not take this case (then `sumLeading` runs).
 */
export type LeadingSum = (heap: HeapBackend, x: Info, c: number, out: Info, mean: boolean) => boolean;

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
 * Transpose of float32 tensors whose permutation, once axes of size 1 are left out, moves a leading block of axes behind the
 * others: in memory a row-major [rows, cols] becomes [cols, rows]. That covers every 2-D transpose and the explicit transposes
 * of matMul operands (wasm-kernels.ts). The stock kernel writes such a transpose one strided element at a time: ~1-1.7 ms
 * for [2048, 64] (an attention projection's input, transposed for its weight gradient) against ~0.15 ms for `transposeRows`.
 * A permutation that keeps the memory order (only size-1 axes move) shares the input like Reshape. Other permutations and
 * dtypes keep the stock kernel.
 */
export function fastTranspose(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs['x'];
    const perm = args.attrs?.['perm'];
    if (!isInfo(x) || x.dtype !== 'float32' || !Array.isArray(perm) || !perm.every((a): a is number => Number.isInteger(a))) {
      return stock(args);
    }
    const split = rotation(x.shape, perm);
    if (split === undefined) return stock(args);
    const shape = perm.map((a) => x.shape[a]!);
    if (split.rows === 1 || split.cols === 1) return shared(args, x, shape);
    const backend = args.backend as HeapBackend;
    const out = backend.makeOutput(shape, 'float32');
    transposeRows(backend.typedArrayFromHeap(x), split.rows, split.cols, backend.typedArrayFromHeap(out));
    return out;
  };
}

/**
 * When `perm`, restricted to the axes of size > 1, is a rotation of them (the first k axes go behind the others): the input
 * seen as [rows, cols] (rows = the product of those first k sizes); undefined for any other permutation.
 */
export function rotation(shape: readonly number[], perm: readonly number[]): { rows: number; cols: number } | undefined {
  if (perm.length !== shape.length) return undefined;
  const axes = [...shape.keys()].filter((a) => shape[a] !== 1);
  const moved = perm.filter((a) => shape[a] !== 1);
  const n = axes.length;
  if (moved.length !== n) return undefined;
  const k = n === 0 ? 0 : axes.indexOf(moved[0]!);
  if (k < 0) return undefined;
  for (let i = 0; i < n; i++) if (moved[i] !== axes[(i + k) % n]) return undefined;
  const rows = sizeOf(axes.slice(0, k).map((a) => shape[a]!));
  return { rows, cols: sizeOf(shape) / rows };
}

/**
 * dst (cols x rows) = the transpose of src (rows x cols), both row-major. Eight source columns at a time: each source row
 * gives eight adjacent values, which go to eight output rows, each written sequentially. Reads and writes both stream
 * through the cache (a plain element loop writes with a stride of `rows` floats and misses on nearly every store).
 */
export function transposeRows(src: Float32Array, rows: number, cols: number, dst: Float32Array): void {
  let j = 0;
  for (; j + 8 <= cols; j += 8) {
    const d = j * rows;
    for (let i = 0, s = j; i < rows; i++, s += cols) {
      dst[d + i] = src[s]!;
      dst[d + rows + i] = src[s + 1]!;
      dst[d + 2 * rows + i] = src[s + 2]!;
      dst[d + 3 * rows + i] = src[s + 3]!;
      dst[d + 4 * rows + i] = src[s + 4]!;
      dst[d + 5 * rows + i] = src[s + 5]!;
      dst[d + 6 * rows + i] = src[s + 6]!;
      dst[d + 7 * rows + i] = src[s + 7]!;
    }
  }
  for (; j < cols; j++) for (let i = 0, s = j, d = j * rows; i < rows; i++, s += cols) dst[d + i] = src[s]!;
}
