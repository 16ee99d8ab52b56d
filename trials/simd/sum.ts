/**
 * `Sum` and `Mean` over leading axes on the wasm backend in our SIMD module (sum.wat): the same double-precision sums as
 * wasm-js-kernels.ts's `sumLeading`, bit for bit, eight columns at a time, for widths that are a multiple of 4. The JS loop
 * was ~4-5% of a sweep's worker time (bias gradients, batch-norm moments); other widths keep it.
 */
import { heapOffset, sizeOf, withScratch, type HeapBackend, type Info } from '../wasm-heap.js';
import type { LeadingSum } from '../wasm-js-kernels.js';
import { simdExport } from './instantiate.js';

/** sum.wat's `leading(v, rows, c, acc, out, div)` (byte offsets, sizes, the divisor). */
type LeadingOp = (v: number, rows: number, c: number, acc: number, out: number, div: number) => void;

/** The leading-axes sum for `leadingReduce`; undefined when the backend's memory is not reachable (instantiate.ts). */
export function simdLeadingSum(backend: unknown): LeadingSum | undefined {
  const leading = simdExport<LeadingOp>('sum', 'leading', backend);
  if (!leading) return undefined;
  return (heap: HeapBackend, x: Info, c: number, out: Info, mean: boolean) => {
    if (c === 0 || c % 4 !== 0) return false;
    const rows = sizeOf(x.shape) / c;
    // c doubles of scratch: the running sums (sum.wat)
    withScratch(heap, [2 * c], ([acc]) =>
      leading(heapOffset(heap, x), rows, c, heapOffset(heap, acc!), heapOffset(heap, out), mean ? rows : 1),
    );
    return true;
  };
}
