/**
 * Per-channel arithmetic on the wasm backend, in our SIMD module (channels.wat): `Multiply`, `Add` and `Sub` of an activation
 * by a per-channel vector (either operand), and `FusedBatchNorm`.
 *
 * Why: TF.js 4.22's wasm kernels broadcast a [C] vector against an NHWC activation element by element. With the sweep's few
 * channels (8, 16) a [256, 28, 28, 8] product took ~2.3-3.4 ms against ~0.3 ms for a same-shape product, and batch norm (its
 * forward kernel and the multiplies and subtractions of its gradient) spent ~1 s of a 5 s batch-norm CNN epoch there.
 *
 * Float32 vectors whose width is a multiple of 4 only; every other case keeps the stock kernel. Multiply, Add and Sub give
 * the stock kernels' bits (one float32 operation per element). FusedBatchNorm computes (x - mean) * (scale / sqrt(variance +
 * epsilon)) + offset with the factor rounded once per channel, where the stock kernel divides per element: equal to float
 * rounding.
 */
import type * as tf from '@tensorflow/tfjs';
import { heapOffset, isInfo, sizeOf, withScratch, type HeapBackend, type Info, type KernelArgs } from '../wasm-heap.js';
import { instantiateSimd } from './instantiate.js';

/** One of channels.wat's binary functions: out = x op s over `rows` rows of `c` (byte offsets). */
type RowOp = (x: number, s: number, out: number, rows: number, c: number) => void;
/** channels.wat's `norm`: out = (x - m) * a + b. */
type NormOp = (x: number, m: number, a: number, b: number, out: number, rows: number, c: number) => void;

/** Widen rows to at least this many floats (by repeating the channel vector) so a row is more than loop overhead. */
const MIN_ROW = 64;

/**
 * The patched kernels by kernel name, each falling back to the given stock kernel; undefined when the backend's memory is
 * not reachable (see instantiate.ts).
 */
export function simdChannelKernels(
  stock: Readonly<Record<'Multiply' | 'Add' | 'Sub' | 'FusedBatchNorm', tf.KernelFunc>>,
  backend: unknown,
): Record<string, tf.KernelFunc> | undefined {
  const exports = instantiateSimd('channels', backend);
  if (!exports) return undefined;
  const op = (name: string): RowOp => exports[name] as RowOp;
  return {
    Multiply: channelBinary(stock.Multiply, op('mul'), op('mul')),
    Add: channelBinary(stock.Add, op('add'), op('add')),
    Sub: channelBinary(stock.Sub, op('sub'), op('rsub')),
    FusedBatchNorm: batchNorm(stock.FusedBatchNorm, exports['norm'] as NormOp),
  };
}

/**
 * Whether `v` is a per-channel vector for `x`: shape [1, ..., 1, C] (rank at most x's) with C = x's last size, a positive
 * multiple of 4, and x holds more than one row. Then broadcasting `v` against `x` gives x's shape.
 */
export function channelVector(v: Info, x: Info): boolean {
  const c = x.shape[x.shape.length - 1];
  const r = v.shape.length;
  return (
    c !== undefined &&
    c > 0 &&
    c % 4 === 0 &&
    r >= 1 &&
    r <= x.shape.length &&
    v.shape[r - 1] === c &&
    v.shape.slice(0, -1).every((d) => d === 1) &&
    sizeOf(x.shape) > c
  );
}

/** `forward` computes x op s, `reverse` s op x (the same function for commutative ops). */
function channelBinary(stock: tf.KernelFunc, forward: RowOp, reverse: RowOp): tf.KernelFunc {
  return (args: KernelArgs) => {
    const a = args.inputs['a'];
    const b = args.inputs['b'];
    if (!isInfo(a) || !isInfo(b) || a.dtype !== 'float32' || b.dtype !== 'float32') return stock(args);
    const [x, s, fn] = channelVector(b, a) ? [a, b, forward] : channelVector(a, b) ? [b, a, reverse] : [];
    if (!x || !s || !fn) return stock(args);
    const backend = args.backend as HeapBackend;
    const out = backend.makeOutput([...x.shape], 'float32');
    rowwise(backend, x, [s], out, (xo, [so], oo, rows, c) => fn(xo, so!, oo, rows, c));
    return out;
  };
}

/** FusedBatchNorm (inputs x, mean, variance, offset?, scale?; attr varianceEpsilon) over per-channel vectors. */
function batchNorm(stock: tf.KernelFunc, norm: NormOp): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { x, mean, variance, offset, scale } = args.inputs;
    const eps = args.attrs?.['varianceEpsilon'];
    if (!isInfo(x) || !isInfo(mean) || !isInfo(variance) || x.dtype !== 'float32' || typeof eps !== 'number') return stock(args);
    // offset and scale are optional; whatever is given must be a float32 per-channel vector.
    const given = [mean, variance, offset, scale].filter((v) => v !== undefined);
    if (!given.every((v) => isInfo(v) && v.dtype === 'float32' && channelVector(v, x))) return stock(args);
    const backend = args.backend as HeapBackend;
    const c = x.shape[x.shape.length - 1]!;
    return withScratch(backend, [c, c], ([factor, shift]) => {
      const out = backend.makeOutput([...x.shape], 'float32');
      {
        // Views after the last allocation of this block: a malloc may grow the heap and detach earlier views.
        const v = backend.typedArrayFromHeap(variance);
        const sc = isInfo(scale) ? backend.typedArrayFromHeap(scale) : undefined;
        const of = isInfo(offset) ? backend.typedArrayFromHeap(offset) : undefined;
        const f = backend.typedArrayFromHeap(factor);
        const b = backend.typedArrayFromHeap(shift);
        for (let j = 0; j < c; j++) {
          f[j] = (sc ? sc[j]! : 1) / Math.sqrt(v[j]! + eps);
          b[j] = of ? of[j]! : 0;
        }
      }
      rowwise(backend, x, [mean, factor!, shift!], out, (xo, [mo, fo, so], oo, rows, cc) => norm(xo, mo!, fo!, so!, oo, rows, cc));
      return out;
    });
  };
}

/**
 * Runs `fn` over x's rows of C (x's last size) with the per-channel vectors `vs`. When C is small and the row count allows,
 * k rows are taken as one (k = MIN_ROW / C, halved until it divides the row count) against the vectors repeated k times (a
 * temporary of k*C floats each), so the module's inner loop runs over at least MIN_ROW floats.
 */
function rowwise(
  backend: HeapBackend,
  x: Info,
  vs: readonly Info[],
  out: Info,
  fn: (x: number, vs: readonly number[], out: number, rows: number, c: number) => void,
): void {
  const c = x.shape[x.shape.length - 1]!;
  const rows = sizeOf(x.shape) / c;
  let k = Math.max(1, Math.floor(MIN_ROW / c));
  while (k > 1 && rows % k !== 0) k = Math.floor(k / 2);
  withScratch(backend, k > 1 ? vs.map(() => k * c) : [], (wide) => {
    wide.forEach((w, i) => {
      const src = backend.typedArrayFromHeap(vs[i]!);
      const dst = backend.typedArrayFromHeap(w);
      for (let r = 0; r < k; r++) dst.set(src, r * c);
    });
    const at = (t: Info): number => heapOffset(backend, t);
    fn(at(x), (k > 1 ? wide : vs).map(at), at(out), rows / k, k * c);
  });
}
