/**
 * `Erf` on the wasm backend (GELU's error function) in our SIMD module (erf.wat): TF.js's own formula (the cpu kernel's
 * Abramowitz & Stegun approximation) four lanes at a time. The stock wasm kernel took ~3.3 ms for a [128, 16, 128] GELU input
 * (~12-14 ns an element), ~8% of the sweep's kernel time; float32 tensors whose size is a multiple of 4 now take a few tenths
 * of a millisecond. Other tensors keep the stock kernel.
 */
import type * as tf from '@tensorflow/tfjs';
import { heapOffset, isInfo, sizeOf, type HeapBackend, type KernelArgs } from '../wasm-heap.js';
import { simdExport } from './instantiate.js';

/** erf.wat's `erf(x, out, n)` (byte offsets, n floats). */
type ErfOp = (x: number, out: number, n: number) => void;

/** The Erf kernel, falling back to `stock`; undefined when the backend's memory is not reachable (instantiate.ts). */
export function simdErf(stock: tf.KernelFunc, backend: unknown): tf.KernelFunc | undefined {
  const erf = simdExport<ErfOp>('erf', 'erf', backend);
  if (!erf) return undefined;
  return (args: KernelArgs) => {
    const x = args.inputs['x'];
    if (!isInfo(x) || x.dtype !== 'float32') return stock(args);
    const n = sizeOf(x.shape);
    if (n === 0 || n % 4 !== 0) return stock(args);
    const heap = args.backend as HeapBackend;
    const out = heap.makeOutput([...x.shape], 'float32');
    erf(heapOffset(heap, x), heapOffset(heap, out), n);
    return out;
  };
}
