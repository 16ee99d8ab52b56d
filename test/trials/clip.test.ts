import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { clipByGlobalNorm, globalNorm, perTensorNorms } from '../../trials/clip.js';
import { OptionsError } from '../../src/core/errors.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());
function closeAll(actual: number[], expected: number[], tol = 1e-6, what = ''): void {
  assert.is(actual.length, expected.length, what);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tol, `${what}[${i}]: expected ${expected[i]}, got ${a}`));
}

/** Counts reads from the backend (dataSync/data) while `f` runs: the per-batch helpers must do none. */
function countReads<T>(f: () => T): { result: T; reads: number } {
  const backend = tf.backend() as unknown as { readSync: (...a: unknown[]) => unknown; read: (...a: unknown[]) => unknown };
  const { readSync, read } = backend;
  let reads = 0;
  backend.readSync = (...a) => (reads++, readSync.apply(backend, a));
  backend.read = (...a) => (reads++, read.apply(backend, a));
  try {
    return { result: f(), reads };
  } finally {
    backend.readSync = readSync;
    backend.read = read;
  }
}

// grads a = [3, 0], b = [[4]]: global norm sqrt(9 + 0 + 16) = 5
const make = (): tf.NamedTensorMap => ({ a: tf.tensor([3, 0]), b: tf.tensor([[4]]) });

test('globalNorm is sqrt of the sum of squares over all tensors, without a sync', () => {
  const g = make();
  const { result: n, reads } = countReads(() => globalNorm(g));
  assert.is(reads, 0, 'no CPU read');
  assert.is(n.rank, 0);
  closeAll(values(n), [5]);
  const empty = globalNorm({});
  closeAll(values(empty), [0], 0, 'empty map');
  tf.dispose([n, empty, ...Object.values(g)]);
});

test('clipByGlobalNorm caps the global norm at maxNorm and keeps directions', () => {
  const g = make();
  const before = tf.memory().numTensors;
  const { result, reads } = countReads(() => clipByGlobalNorm(g, 1));
  assert.is(reads, 0, 'no CPU read');
  // scale = 1 / max(5, 1) = 0.2 -> a = [0.6, 0], b = [[0.8]]
  closeAll(values(result.grads.a!), [0.6, 0]);
  closeAll(values(result.grads.b!), [0.8]);
  assert.equal(result.grads.b!.shape, [1, 1], 'shapes kept');
  closeAll(values(result.norm), [5], 1e-6, 'norm before clipping');
  const after = globalNorm(result.grads);
  assert.ok(Math.abs(values(after)[0]! - 1) <= 1e-5, `norm after clipping is maxNorm, got ${values(after)[0]}`);
  // inputs untouched and alive
  closeAll(values(g.a!), [3, 0], 0, 'input a');
  assert.not.ok(g.a!.isDisposed);
  // exactly the returned tensors are new: 2 gradients + norm (+ `after` made here)
  assert.is(tf.memory().numTensors, before + 3 + 1);
  tf.dispose([after, result.norm, ...Object.values(result.grads)]);
  assert.is(tf.memory().numTensors, before, 'no intermediates leaked');
  tf.dispose(Object.values(g));
});

test('clipByGlobalNorm leaves gradients below maxNorm unchanged (as new tensors)', () => {
  const g = make();
  for (const maxNorm of [10, 5]) {
    const { grads, norm } = clipByGlobalNorm(g, maxNorm);
    closeAll(values(grads.a!), [3, 0], 1e-6, `maxNorm ${maxNorm}`);
    closeAll(values(grads.b!), [4], 1e-6, `maxNorm ${maxNorm}`);
    closeAll(values(norm), [5]);
    assert.ok(grads.a !== g.a, 'a new tensor the caller may dispose');
    tf.dispose([norm, ...Object.values(grads)]);
  }
  tf.dispose(Object.values(g));
});

test('a non-finite gradient shows up in the returned norm', () => {
  const g = { a: tf.tensor([Number.POSITIVE_INFINITY, 1]) };
  const { grads, norm } = clipByGlobalNorm(g, 1);
  assert.not.ok(Number.isFinite(values(norm)[0]!));
  tf.dispose([norm, g.a, ...Object.values(grads)]);
});

test('perTensorNorms reads every norm with a single sync', () => {
  const g = make();
  const before = tf.memory().numTensors;
  const { result, reads } = countReads(() => perTensorNorms(g));
  assert.is(reads, 1, 'one read for all tensors');
  assert.equal(Object.keys(result), ['a', 'b']);
  closeAll([result.a!, result.b!], [3, 4]);
  assert.equal(perTensorNorms({}), {});
  assert.is(tf.memory().numTensors, before, 'no tensors left behind');
  tf.dispose(Object.values(g));
});

test('an invalid maxNorm is rejected', () => {
  const g = make();
  for (const m of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(
      () => clipByGlobalNorm(g, m),
      (e: Error) => e instanceof OptionsError && /clipNorm must be a finite number > 0/.test(e.message),
    );
  }
  tf.dispose(Object.values(g));
});

test.run();
