/**
 * Elementwise float32 functions on the wasm backend in our SIMD modules, four lanes at a time:
 * - `Erf` (GELU's error function, erf.wat): TF.js's own formula (the cpu kernel's Abramowitz & Stegun approximation). The stock
 *   wasm kernel took ~3.3 ms for a [128, 16, 128] GELU input (~12-14 ns an element), ~8% of the sweep's kernel time.
 * - `Exp` (softmax, and GELU's and the losses' gradients, exp.wat): Cephes' expf, ~1 ulp. The stock kernel calls libm once an
 *   element, ~8 ns.
 * Float32 tensors whose size is a multiple of 4 now take a few tenths of a millisecond; other tensors keep the stock kernel.
 */
import type * as tf from '@tensorflow/tfjs';
import { heapOffset, isInfo, sizeOf, type HeapBackend, type KernelArgs } from '../wasm-heap.js';
import { simdExport } from './instantiate.js';

/** A unary module's function `f(x, out, n)` (byte offsets, n floats). */
type UnaryOp = (x: number, out: number, n: number) => void;

/**
 * The kernel of `fn` (the module trials/simd/<fn>.wat and its export of that name), falling back to `stock`; undefined when
 * the backend's memory is not reachable (instantiate.ts).
 */
export function simdUnary(fn: 'erf' | 'exp', stock: tf.KernelFunc, backend: unknown): tf.KernelFunc | undefined {
  const op = simdExport<UnaryOp>(fn, fn, backend);
  if (!op) return undefined;
  return (args: KernelArgs) => {
    const x = args.inputs['x'];
    if (!isInfo(x) || x.dtype !== 'float32') return stock(args);
    const n = sizeOf(x.shape);
    if (n === 0 || n % 4 !== 0) return stock(args);
    const heap = args.backend as HeapBackend;
    const out = heap.makeOutput([...x.shape], 'float32');
    op(heapOffset(heap, x), heapOffset(heap, out), n);
    return out;
  };
}
