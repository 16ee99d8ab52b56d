/**
 * `Conv2DBackpropFilter` on the wasm backend in our SIMD module (conv-filter.wat): one pass over x and dy, four output
 * channels at a time, float32 NHWC with a multiple of 4 output channels (every conv of the sweep's space). The stock wasm
 * backend has no such kernel; the route in wasm-kernels.ts (the fallback) runs it as a dilated XNNPACK conv after two
 * transposes and repacks a filter the size of dy on every call: ~13 ms for x [256, 28, 28, 1] and dy [256, 28, 28, 8], more
 * than four forward convs of the same layer. Sums go per image, then over images (see the .wat file).
 */
import * as tf from '@tensorflow/tfjs';
import { heapOffset, isInfo, withScratch, type HeapBackend, type KernelArgs } from '../wasm-heap.js';
import { simdExport } from './instantiate.js';

/** conv-filter.wat's `filter(...)` (byte offsets, then sizes). */
type FilterOp = (
  x: number,
  dy: number,
  dw: number,
  acc: number,
  b: number,
  h: number,
  w: number,
  ci: number,
  oh: number,
  ow: number,
  co: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  top: number,
  left: number,
) => void;

/** The Conv2DBackpropFilter kernel, falling back to `fallback`; undefined when the backend's memory is not reachable. */
export function simdConvFilter(fallback: tf.KernelFunc, backend: unknown): tf.KernelFunc | undefined {
  const filter = simdExport<FilterOp>('conv-filter', 'filter', backend);
  if (!filter) return undefined;
  return (args: KernelArgs) => {
    const x = args.inputs['x'];
    const dy = args.inputs['dy'];
    const attrs = args.attrs ?? {};
    const filterShape = attrs['filterShape'];
    if (
      !isInfo(x) ||
      !isInfo(dy) ||
      x.dtype !== 'float32' ||
      dy.dtype !== 'float32' ||
      x.shape.length !== 4 ||
      (attrs['dataFormat'] ?? 'NHWC') !== 'NHWC' ||
      !Array.isArray(filterShape) ||
      filterShape.length !== 4
    ) {
      return fallback(args);
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape as [number, number, number, number],
      attrs['strides'] as [number, number] | number,
      1,
      attrs['pad'] as 'same' | 'valid' | number,
      attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
      false,
      'channelsLast',
    );
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
    const n = filterHeight * filterWidth * inChannels * outChannels;
    const shapeOk = dy.shape.join() === [batchSize, outHeight, outWidth, outChannels].join();
    if (!shapeOk || outChannels % 4 !== 0 || n === 0) return fallback(args);
    const heap = args.backend as HeapBackend;
    const dw = heap.makeOutput([filterHeight, filterWidth, inChannels, outChannels], 'float32');
    // The accumulator (n floats) and four patch rows (conv-filter.wat).
    withScratch(heap, [n + 4 * filterHeight * filterWidth * inChannels], ([acc]) =>
      filter(
        heapOffset(heap, x),
        heapOffset(heap, dy),
        heapOffset(heap, dw),
        heapOffset(heap, acc!),
        batchSize,
        inHeight,
        inWidth,
        inChannels,
        outHeight,
        outWidth,
        outChannels,
        filterHeight,
        filterWidth,
        info.strideHeight,
        info.strideWidth,
        info.padInfo.top,
        info.padInfo.left,
      ),
    );
    return dw;
  };
}
