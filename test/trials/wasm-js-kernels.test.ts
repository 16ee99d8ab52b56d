/**
 * trials/wasm-js-kernels.ts's Transpose: which permutations it takes (a rotation of the axes of size > 1), the strip loop
 * against a plain one, and the patched wasm kernel against the cpu backend, with the cases it leaves to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { useBackend } from '../../trials/backend.js';
import { rotation, transposeRows } from '../../trials/wasm-js-kernels.js';

test('rotation: a leading block of axes of size > 1 moved behind the rest, as [rows, cols]; anything else undefined', () => {
  assert.equal(rotation([2048, 64], [1, 0]), { rows: 2048, cols: 64 });
  assert.equal(rotation([1, 2048, 64], [0, 2, 1]), { rows: 2048, cols: 64 });
  assert.equal(rotation([2, 3, 4], [1, 2, 0]), { rows: 2, cols: 12 });
  assert.equal(rotation([2, 3, 4], [2, 0, 1]), { rows: 6, cols: 4 });
  assert.equal(rotation([2, 3, 4], [0, 1, 2]), { rows: 1, cols: 24 });
  // Only axes of size 1 move: the memory order is kept.
  assert.equal(rotation([5, 1, 7], [1, 0, 2]), { rows: 1, cols: 35 });
  assert.equal(rotation([1, 1], [1, 0]), { rows: 1, cols: 1 });
  assert.is(rotation([2, 3, 4], [0, 2, 1]), undefined);
  assert.is(rotation([2, 3, 4, 5], [3, 1, 2, 0]), undefined);
  assert.is(rotation([2, 3], [0]), undefined);
});

test('transposeRows equals a plain element loop, widths below, at and past the 8-column strips', () => {
  const rng = seedrandom('rows');
  for (const [rows, cols] of [
    [1, 1],
    [3, 8],
    [5, 7],
    [9, 19],
    [64, 2048],
    [2048, 49],
  ] as const) {
    const src = Float32Array.from({ length: rows * cols }, () => rng());
    const got = new Float32Array(rows * cols);
    transposeRows(src, rows, cols, got);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) if (got[j * rows + i] !== src[i * cols + j]) assert.unreachable(`${rows}x${cols} at ${i},${j}`);
    }
  }
});

test('patched wasm Transpose equals cpu for rotations and leaves other permutations and dtypes to the stock kernel', async () => {
  const cases: [number[], number[]][] = [
    [
      [37, 19],
      [1, 0],
    ],
    [
      [1, 300, 64],
      [0, 2, 1],
    ],
    [
      [2, 3, 4],
      [1, 2, 0],
    ],
    [
      [2, 3, 4],
      [2, 0, 1],
    ],
    [
      [5, 1, 7],
      [1, 0, 2],
    ],
    [
      [2, 3, 4],
      [0, 2, 1],
    ], // not a rotation: stock
    [
      [2, 3, 4, 5],
      [3, 1, 2, 0],
    ], // not a rotation: stock
  ];
  const run = () =>
    tf
      .tidy(() => [
        ...cases.map(([shape, perm]) => {
          const n = shape.reduce((a, b) => a * b, 1);
          return tf.transpose(
            tf.tensor(
              Float32Array.from({ length: n }, (_, i) => i * 0.5 - 3),
              shape,
            ),
            perm,
          );
        }),
        tf.transpose(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32')),
      ])
      .map((t) => ({ shape: t.shape, dtype: t.dtype, data: Array.from(t.dataSync() as Float32Array) }));
  await useBackend('cpu');
  const cpu = run();
  await useBackend('wasm');
  const wasm = run();
  assert.equal(wasm, cpu);
});

test('a wasm transpose that keeps the memory order shares its input: no new buffer, and the result outlives the input', async () => {
  await useBackend('wasm');
  const x = tf.tensor3d([1, 2, 3, 4, 5, 6, 7], [7, 1, 1]);
  const ids = tf.engine().backend.numDataIds();
  const y = tf.transpose(x, [1, 0, 2]);
  assert.is(tf.engine().backend.numDataIds(), ids, 'a copy was made');
  x.dispose();
  assert.equal(y.shape, [1, 7, 1]);
  assert.equal(Array.from(y.dataSync()), [1, 2, 3, 4, 5, 6, 7]);
  y.dispose();
  assert.is(tf.engine().backend.numDataIds(), ids - 1);
});

test.run();
