/**
 * The wasm backend as seen by code that works on its heap directly: the backend's helper methods, the active backend as such,
 * and the small checks every heap kernel needs. Shared by the kernel patches (wasm-kernels.ts, wasm-js-kernels.ts, simd/), the
 * heap optimiser (heap-optimizers.ts) and SeededDropout (models/layers.ts).
 */
import * as tf from '@tensorflow/tfjs';

/** A tensor's handle as kernels see it. */
export type Info = tf.TensorInfo;

/** What a kernel function receives. */
export type KernelArgs = Parameters<tf.KernelFunc>[0];

/** The slice of the wasm backend object the patches need (it is typed `{}` in KernelFunc's params). */
export interface DisposingBackend {
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

/**
 * Where tensor `t`'s data starts in the backend's memory, in bytes: what our SIMD modules (trials/simd) take. An offset, not a
 * view, so it stays valid when a later malloc grows the memory.
 */
export function heapOffset(heap: HeapBackend, t: Info): number {
  return heap.typedArrayFromHeap(t).byteOffset;
}

/**
 * Runs `fn` with temporary float32 buffers of the given sizes on the heap (scratch for a kernel: a SIMD module's accumulators,
 * widened vectors), disposed afterwards whatever happens. Pass their offsets (`heapOffset`), not views, to code that allocates.
 */
export function withScratch<T>(heap: HeapBackend, floats: readonly number[], fn: (scratch: Info[]) => T): T {
  const scratch: Info[] = [];
  try {
    for (const n of floats) scratch.push(heap.makeOutput([n], 'float32'));
    return fn(scratch);
  } finally {
    for (const s of scratch) heap.disposeData(s.dataId);
  }
}

/** The one output of a kernel that returns one. */
export function single(out: Info | Info[]): Info {
  if (Array.isArray(out)) throw new Error('expected a single-output kernel');
  return out;
}

/**
 * `x` with its last two axes swapped, by the Transpose kernel `transpose` (a new tensor: the caller disposes it). How the
 * matMul patches turn a transpose flag into an explicit transpose.
 */
export function swapLastTwo(transpose: tf.KernelFunc, x: Info, backend: KernelArgs['backend']): Info {
  const r = x.shape.length;
  return single(transpose({ inputs: { x }, backend, attrs: { perm: [...Array(r - 2).keys(), r - 1, r - 2] } }));
}

/** Whether a kernel input is a tensor handle. */
export function isInfo(v: unknown): v is Info {
  return typeof v === 'object' && v !== null && 'dataId' in v && 'shape' in v;
}

/** Element count of `shape`. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The wasm backend's reference counting (what its `Reshape` uses to share memory). */
interface CountingBackend {
  incRef(dataId: object): void;
}

/**
 * One more reference to `x`'s memory as a kernel's output (of `shape`, by default x's own): for kernels that would copy the
 * data unchanged (Identity, a same-dtype Cast, a transpose that keeps the memory order), as the wasm `Reshape` does.
 */
export function shared(args: KernelArgs, x: Info, shape: readonly number[] = x.shape): Info {
  (args.backend as CountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...shape], dtype: x.dtype };
}
