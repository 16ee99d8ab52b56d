/**
 * BatchMatMul with a batch of more than one product (attention's per-head QK^T and AV, and their gradients), run by our own
 * WebAssembly SIMD module (batch-matmul.wat) on the wasm backend's heap.
 *
 * Why: TF.js 4.22's wasm kernel sends batched products to a scalar C++ loop. For the sweep's attention models ([128, 4, 16, 16]
 * by [128, 4, 16, 16], three such products per head layer and step, forward and backward) that loop took ~1.8-2.9 ms a call
 * and ~20% of a trial; the SIMD module takes ~0.15-0.2 ms. The sums are float32 in the same order (same bits on these
 * short inner sizes; see the .wat file).
 *
 * The module works on the backend's own memory (instantiate.ts), so it reads the operands and writes the output in place.
 */
import type * as tf from '@tensorflow/tfjs';
import { heapOffset, isInfo, sizeOf, swapLastTwo, type HeapBackend, type Info, type KernelArgs } from '../wasm-heap.js';
import { simdExport } from './instantiate.js';

/** bmm(a, b, c, batch, m, k, n, ai, ap): see batch-matmul.wat (byte offsets and byte strides). */
type Bmm = (a: number, b: number, c: number, batch: number, m: number, k: number, n: number, ai: number, ap: number) => void;

/**
 * A BatchMatMul kernel: float32 products with equal batch shapes of more than one product and an output width divisible by
 * 4 run in the SIMD module (a transposed `b` is transposed first with `transpose`, ~0.05 ms for attention's shapes; a
 * transposed `a` is read in place); everything else goes to `stock`. Undefined when the backend's memory is not reachable.
 */
export function simdBatchMatMul(stock: tf.KernelFunc, transpose: tf.KernelFunc, backend: unknown): tf.KernelFunc | undefined {
  const bmm = simdExport<Bmm>('batch-matmul', 'bmm', backend);
  if (!bmm) return undefined;
  return (args: KernelArgs) => {
    const a = args.inputs['a'];
    const b = args.inputs['b'];
    if (!isInfo(a) || !isInfo(b) || a.dtype !== 'float32' || b.dtype !== 'float32') return stock(args);
    const rank = a.shape.length;
    if (rank < 3 || b.shape.length !== rank || a.shape.slice(0, -2).some((d, i) => d !== b.shape[i])) return stock(args);
    const batch = sizeOf(a.shape.slice(0, -2));
    const ta = args.attrs?.['transposeA'] === true;
    const tb = args.attrs?.['transposeB'] === true;
    const [a0, a1] = [a.shape[rank - 2]!, a.shape[rank - 1]!];
    const [b0, b1] = [b.shape[rank - 2]!, b.shape[rank - 1]!];
    const [m, k] = ta ? [a1, a0] : [a0, a1];
    const [kb, n] = tb ? [b1, b0] : [b0, b1];
    // Mismatched inner sizes go to the stock kernel too, for its error message.
    if (batch < 2 || kb !== k || n % 4 !== 0 || m * n === 0) return stock(args);
    const backend = args.backend as HeapBackend;
    const bb: Info = tb ? swapLastTwo(transpose, b, backend) : b;
    try {
      const out = backend.makeOutput([...a.shape.slice(0, -2), m, n], 'float32');
      bmm(heapOffset(backend, a), heapOffset(backend, bb), heapOffset(backend, out), batch, m, k, n, ta ? 4 : k * 4, ta ? m * 4 : 4);
      return out;
    } finally {
      if (bb !== b) backend.disposeData(bb.dataId);
    }
  };
}
