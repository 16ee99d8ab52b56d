/**
 * `MaxPoolGrad` on the wasm backend in our SIMD module (maxpool.wat) when the pool's windows tile the input exactly (stride =
 * window size, no padding, float32, channels a multiple of 4): the sweep's 2x2 / stride-2 pools. Four channels at a time,
 * each dx element written once. The JS loop of wasm-js-kernels.ts (the fallback for every other pool) took ~9-11 ms for a
 * [256, 28, 28, 8] input, ~12% of a batch-norm CNN epoch once the channel kernels were in SIMD. Same tie rule, same values.
 */
import type * as tf from '@tensorflow/tfjs';
import { heapOffset, isInfo, type HeapBackend, type KernelArgs } from '../wasm-heap.js';
import { maxPoolInfo } from '../wasm-js-kernels.js';
import { simdExport } from './instantiate.js';

/** maxpool.wat's `grad(x, dy, dx, rows, ow, fh, fw, c)` (byte offsets). */
type GradOp = (x: number, dy: number, dx: number, rows: number, ow: number, fh: number, fw: number, c: number) => void;

/** The MaxPoolGrad kernel, falling back to `fallback`; undefined when the backend's memory is not reachable (instantiate.ts). */
export function simdMaxPoolGrad(fallback: tf.KernelFunc, backend: unknown): tf.KernelFunc | undefined {
  const grad = simdExport<GradOp>('maxpool', 'grad', backend);
  if (!grad) return undefined;
  return (args: KernelArgs) => {
    const dy = args.inputs['dy'];
    const input = args.inputs['input'];
    if (!isInfo(dy) || !isInfo(input) || input.dtype !== 'float32' || dy.dtype !== 'float32' || input.shape.length !== 4) {
      return fallback(args);
    }
    const info = maxPoolInfo(input, args.attrs ?? {});
    const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, strideHeight, strideWidth, padInfo } = info;
    const fh = info.effectiveFilterHeight;
    const fw = info.effectiveFilterWidth;
    const tiles =
      strideHeight === fh &&
      strideWidth === fw &&
      padInfo.top === 0 &&
      padInfo.left === 0 &&
      inHeight === outHeight * fh &&
      inWidth === outWidth * fw &&
      c > 0 &&
      c % 4 === 0 &&
      batchSize * outHeight * outWidth > 0;
    if (!tiles) return fallback(args);
    const heap = args.backend as HeapBackend;
    const dx = heap.makeOutput([...input.shape], 'float32');
    grad(heapOffset(heap, input), heapOffset(heap, dy), heapOffset(heap, dx), batchSize * outHeight, outWidth, fh, fw, c);
    return dx;
  };
}
