/**
 * trials/simd/conv-filter.wat, the wasm backend's Conv2DBackpropFilter: the module's sums bit for bit against a JS reference
 * of its contract (float32 sums per image in pixel order, then over images), the cpu backend's values through a training
 * gradient, and the fallback (the dilated-conv route of wasm-kernels.ts) for output channels not a multiple of 4.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { useBackend } from '../../trials/backend.js';
import { seededUniform } from '../helpers/seeded.js';

type Shape4 = [number, number, number, number];
/** [x shape, filter size, output channels, stride, padding] */
type Case = [Shape4, number, number, number, 'same' | 'valid'];

const rand = seededUniform;

/** The module's contract in plain JS: per image, float32 sums in pixel order over the taps inside the image; then over images. */
function reference(
  x: Float32Array,
  xs: Shape4,
  dy: Float32Array,
  dys: Shape4,
  k: number,
  s: number,
  top: number,
  left: number,
): Float32Array {
  const [b, h, w, ci] = xs;
  const [, oh, ow, co] = dys;
  const dw = new Float32Array(k * k * ci * co);
  for (let img = 0; img < b; img++) {
    const acc = new Float32Array(dw.length);
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        for (let i = 0; i < k; i++) {
          const ih = y * s + i - top;
          if (ih < 0 || ih >= h) continue;
          for (let j = 0; j < k; j++) {
            const iw = xo * s + j - left;
            if (iw < 0 || iw >= w) continue;
            for (let c = 0; c < ci; c++) {
              const xv = x[((img * h + ih) * w + iw) * ci + c]!;
              for (let o = 0; o < co; o++) {
                const a = ((i * k + j) * ci + c) * co + o;
                acc[a] = Math.fround(acc[a]! + Math.fround(xv * dy[((img * oh + y) * ow + xo) * co + o]!));
              }
            }
          }
        }
      }
    }
    for (let a = 0; a < dw.length; a++) dw[a] = Math.fround(dw[a]! + acc[a]!);
  }
  return dw;
}

// Partial groups of four pixels (widths 7, 9, 5), strides 1 and 2, same and valid padding, 1x1 to 5x5 filters, 1-5 input
// channels, 4-12 output channels.
const cases: Case[] = [
  [[3, 9, 7, 3], 3, 8, 1, 'same'],
  [[2, 10, 9, 2], 3, 4, 2, 'same'],
  [[2, 11, 11, 5], 5, 12, 2, 'valid'],
  [[2, 8, 8, 1], 2, 8, 2, 'valid'],
  [[2, 6, 5, 4], 1, 4, 1, 'same'],
  [[1, 12, 12, 1], 5, 8, 1, 'same'],
];

test('Conv2DBackpropFilter on wasm: the SIMD module gives its reference sums bit for bit (strides, paddings, partial pixel groups)', async () => {
  await useBackend('wasm');
  for (const [xs, k, co, s, pad] of cases) {
    const name = `${xs.join('x')} k${k} co${co} s${s} ${pad}`;
    const info = tf.backend_util.computeConv2DInfo(xs, [k, k, xs[3], co], s, 1, pad, undefined, false, 'channelsLast');
    const dys: Shape4 = [xs[0], info.outHeight, info.outWidth, co];
    const x = rand(
      xs.reduce((a, v) => a * v, 1),
      `x${name}`,
    );
    const dy = rand(
      dys.reduce((a, v) => a * v, 1),
      `dy${name}`,
    );
    const ids = tf.engine().backend.numDataIds();
    const out = tf.tidy(() =>
      (
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x: tf.tensor4d(x, xs), dy: tf.tensor4d(dy, dys) },
            { strides: [s, s], pad, dataFormat: 'NHWC', filterShape: [k, k, xs[3], co] },
          ) as tf.Tensor
      ).dataSync(),
    );
    assert.is(tf.engine().backend.numDataIds(), ids, `${name}: leaked buffers`);
    const want = reference(x, xs, dy, dys, k, s, info.padInfo.top, info.padInfo.left);
    assert.is(out.length, want.length, name);
    out.forEach((v, i) => {
      if (v !== want[i]) assert.unreachable(`${name}: dw[${i}] = ${v}, reference ${want[i]}`);
    });
  }
});

test("a conv layer's filter gradient on wasm matches cpu to float32 rounding, with 4k output channels (SIMD) and 6 (fallback)", async () => {
  const grads = (): number[][] =>
    [...cases, [[2, 7, 7, 3], 3, 6, 1, 'same'] as Case].map(([xs, k, co, s, pad]) => {
      const name = `${xs.join('x')} k${k} co${co}`;
      return tf.tidy(() => {
        const x = tf.tensor4d(
          rand(
            xs.reduce((a, v) => a * v, 1),
            `gx${name}`,
          ),
          xs,
        );
        const filter = tf.tensor4d(rand(k * k * xs[3] * co, `gw${name}`), [k, k, xs[3], co]);
        const g = tf.grad((f: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, f as tf.Tensor4D, s, pad))))(filter);
        return Array.from(g.dataSync());
      });
    });
  await useBackend('cpu');
  const cpu = grads();
  await useBackend('wasm');
  const wasm = grads();
  wasm.forEach((w, i) => {
    assert.is(w.length, cpu[i]!.length);
    w.forEach((v, j) => {
      const c = cpu[i]![j]!;
      if (!(Math.abs(v - c) <= 2e-5 * (1 + Math.abs(c)))) assert.unreachable(`case ${i}: dw[${j}] = ${v} on wasm, ${c} on cpu`);
    });
  });
});

test.run();
