/**
 * Backend selection: wasm and cpu load and switch; the optional native backends fail with an error that names the package and
 * how to install it (@tensorflow/tfjs-node is not installed on this machine); unknown names list the valid ones. Also checks
 * the wasm kernel patches against the cpu backend: transposed matMuls, MaxPoolGrad, Conv2DBackpropInput (stride 1 takes the
 * new path, strides 2-3 the stock kernel) and Conv2DBackpropFilter (absent from stock wasm); and SeededDropout's mask drawn in
 * the wasm heap against the cpu path.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BACKEND_NAMES, useBackend } from '../../trials/backend.js';
import { FUSED_BATCH_NORM_GRADIENT, MEAN_GRADIENT, SUM_GRADIENT } from '../../trials/gradients.js';
import { SeededDropout } from '../../trials/models/layers.js';
import type { BackendName } from '../../trials/types.js';
import { seededUniform } from '../helpers/seeded.js';

test('wasm loads (SIMD build) and is the default', async () => {
  assert.is(await useBackend(), 'wasm');
  assert.is(tf.getBackend(), 'wasm');
  assert.is(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), true);
  const y = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])).arraySync());
  assert.equal(y, [
    [19, 22],
    [43, 50],
  ]);
});

test('cpu loads, and switching back to wasm is cheap and works', async () => {
  assert.is(await useBackend('cpu'), 'cpu');
  assert.is(tf.getBackend(), 'cpu');
  assert.is(
    tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3])).dataSync()[0]),
    6,
  );
  assert.is(await useBackend('wasm'), 'wasm');
  assert.is(tf.getBackend(), 'wasm');
});

test("'tensorflow' and 'tensorflow-gpu' fail with an error naming the package and the install command", async () => {
  for (const [name, pkg] of [
    ['tensorflow', '@tensorflow/tfjs-node'],
    ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu'],
  ] as const) {
    try {
      await useBackend(name);
      assert.unreachable(`${name} should not load here`);
    } catch (err) {
      assert.instance(err, Error);
      const msg = (err as Error).message;
      assert.ok(msg.includes(pkg), msg);
      assert.ok(msg.includes(`npm install ${pkg}`), msg);
      assert.ok(msg.includes("'wasm'"), `mentions the default: ${msg}`);
    }
  }
  assert.is(tf.getBackend(), 'wasm', 'a failed load leaves the active backend alone');
});

test('unknown backend names are rejected with the list of valid ones', async () => {
  try {
    await useBackend('webgl' as BackendName);
    assert.unreachable('webgl is not supported');
  } catch (err) {
    const msg = (err as Error).message;
    for (const b of BACKEND_NAMES) assert.ok(msg.includes(`'${b}'`), msg);
    assert.ok(msg.includes('"webgl"'), msg);
  }
});

/** Runs `f` on both backends with the same inputs and returns the largest relative difference. */
async function maxDiffCpuVsWasm(f: () => tf.Tensor[]): Promise<number> {
  const results: Float32Array[][] = [];
  for (const b of ['cpu', 'wasm'] as const) {
    await useBackend(b);
    const outs = tf.tidy(f);
    results.push(outs.map((t) => t.dataSync() as Float32Array));
    tf.dispose(outs);
  }
  let max = 0;
  results[0]!.forEach((a, i) => {
    const b = results[1]![i]!;
    assert.is(a.length, b.length);
    a.forEach((v, j) => (max = Math.max(max, Math.abs(v - b[j]!) / (1 + Math.abs(v)))));
  });
  return max;
}

const rand = (shape: number[], seed: string): tf.Tensor =>
  tf.tensor(
    seededUniform(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );

test('patched wasm matMul with transposes matches cpu (2D, fused with bias+relu, batched)', async () => {
  const d = await maxDiffCpuVsWasm(() => {
    const a = rand([37, 19], 'a');
    const b = rand([23, 19], 'b');
    const c = rand([37, 5], 'c');
    const a3 = rand([2, 6, 4], 'a3');
    return [
      tf.matMul(a, b, false, true),
      tf.matMul(a, c, true, false),
      tf.matMul(a, rand([6, 37], 'e'), true, true),
      tf.fused.matMul({ a: rand([3, 8], 'f'), b: rand([3, 5], 'g'), transposeA: true, bias: rand([5], 'h'), activation: 'relu' }),
      tf.matMul(a3, a3, true, false),
    ];
  });
  assert.ok(d < 1e-5, `max relative difference ${d}`);
});

test('patched wasm MaxPoolGrad matches cpu, ties included (same first-max rule)', async () => {
  const cases = [
    { x: [2, 8, 8, 3], f: 2, s: 2, pad: 'same' },
    { x: [2, 7, 9, 2], f: 3, s: 2, pad: 'valid' },
    { x: [1, 6, 6, 4], f: 3, s: 1, pad: 'same' }, // overlapping windows: one input can receive several gradients
  ] as const;
  for (const c of cases) {
    const d = await maxDiffCpuVsWasm(() => {
      const rng = seedrandom(`pool${c.x.join(',')}`);
      const n = c.x.reduce((a: number, b: number) => a * b, 1);
      // Values from {0, 0.5, 1}: most windows hold ties, so the tie rule decides where the gradient goes.
      const x = tf.tensor4d(
        Float32Array.from({ length: n }, () => Math.floor(rng() * 3) / 2),
        [...c.x],
      );
      const w = rand([c.x[0], Math.ceil(c.x[1] / c.s), Math.ceil(c.x[2] / c.s), c.x[3]], `w${c.x.join(',')}`);
      const g = tf.grad((xx: tf.Tensor) => {
        const p = tf.maxPool(xx as tf.Tensor4D, c.f, c.s, c.pad);
        return tf.sum(tf.mul(p, tf.slice(w, [0, 0, 0, 0], p.shape)));
      });
      return [g(x)];
    });
    assert.ok(d < 1e-6, `${JSON.stringify(c)}: max difference ${d} (a misrouted tie would differ by ~0.1-1)`);
  }
});

test('wasm Conv2DBackpropFilter (added) matches cpu for same/valid padding and strides 1-3', async () => {
  const cases = [
    { x: [3, 12, 12, 1], f: [3, 3, 1, 4], s: 1, pad: 'same' },
    { x: [2, 9, 9, 3], f: [3, 3, 3, 5], s: 1, pad: 'valid' },
    { x: [2, 14, 14, 2], f: [3, 3, 2, 4], s: 2, pad: 'same' },
    { x: [2, 14, 14, 2], f: [3, 3, 2, 4], s: 2, pad: 'valid' },
    { x: [2, 13, 11, 3], f: [5, 4, 3, 2], s: 3, pad: 'valid' },
    { x: [2, 13, 11, 3], f: [5, 4, 3, 2], s: 2, pad: 'same' },
  ] as const;
  for (const c of cases) {
    const d = await maxDiffCpuVsWasm(() => {
      const x = rand([...c.x], `x${c.x.join(',')}`) as tf.Tensor4D;
      const f = rand([...c.f], `f${c.f.join(',')}`) as tf.Tensor4D;
      const g = tf.grads((xx: tf.Tensor, ff: tf.Tensor) => tf.sum(tf.square(tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, c.s, c.pad))));
      return g([x, f]);
    });
    assert.ok(d < 1e-4, `${JSON.stringify(c)}: max relative difference ${d}`);
  }
  assert.is(tf.getBackend(), 'wasm');
});

test('Sum and Mean gradients: the replacements are installed and equal the stock formula bit for bit, on wasm and cpu', async () => {
  const cases: { shape: number[]; axis?: number | number[]; keepDims?: boolean }[] = [
    { shape: [4, 5, 6, 3], axis: [0, 1, 2] }, // batch norm's moments
    { shape: [4, 5, 6, 3], axis: [0, 1, 2], keepDims: true },
    { shape: [7, 9], axis: -1 },
    { shape: [7, 9], axis: 0 },
    { shape: [3, 4, 5] }, // every axis
  ];
  for (const backend of ['wasm', 'cpu'] as const) {
    await useBackend(backend);
    assert.is(tf.getGradient('Sum'), SUM_GRADIENT);
    assert.is(tf.getGradient('Mean'), MEAN_GRADIENT);
    for (const [i, c] of cases.entries()) {
      const x = rand(c.shape, `g${i}`);
      for (const op of ['sum', 'mean'] as const) {
        const reduce = (t: tf.Tensor) => (op === 'sum' ? tf.sum(t, c.axis, c.keepDims) : tf.mean(t, c.axis, c.keepDims));
        const outShape = reduce(x).shape;
        const dy = rand(outShape, `dy${i}`);
        const got = tf.grad((t: tf.Tensor) => reduce(t))(x, dy);
        // The stock gradient: dy reshaped to x's rank, times ones(x.shape), and for the mean divided by the reduced size.
        const axes = tf.util.parseAxisParam(c.axis ?? c.shape.map((_, k) => k), c.shape);
        const expanded = tf.reshape(
          dy,
          c.shape.map((d, k) => (axes.includes(k) ? 1 : d)),
        );
        const stock = tf.mul(expanded, tf.ones(c.shape));
        const want =
          op === 'sum'
            ? stock
            : tf.div(
                stock,
                axes.reduce((n, a) => n * c.shape[a]!, 1),
              );
        assert.equal(got.shape, c.shape, `${backend} ${op} ${JSON.stringify(c)}`);
        assert.equal(Array.from(got.dataSync()), Array.from(want.dataSync()), `${backend} ${op} ${JSON.stringify(c)}`);
        tf.dispose([dy, got, expanded, stock, want]);
      }
      x.dispose();
    }
  }
  await useBackend('wasm');
});

test('FusedBatchNorm gradient: installed, and equal bit for bit to the stock formulas (with its tile) for all five inputs', async () => {
  const eps = 1e-3;
  for (const backend of ['wasm', 'cpu'] as const) {
    await useBackend(backend);
    assert.is(tf.getGradient('FusedBatchNorm'), FUSED_BATCH_NORM_GRADIENT);
    const [n, h, w, c] = [3, 5, 4, 6];
    const x = rand([n, h, w, c], 'bnx');
    const mean = rand([c], 'bnm');
    const variance = tf.abs(rand([c], 'bnv'));
    const offset = rand([c], 'bno');
    const scale = rand([c], 'bns');
    const dy = rand([n, h, w, c], 'bndy');
    const got = tf.grads((a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
      tf.batchNorm(a as tf.Tensor4D, m, v, o, s, eps),
    )([x, mean, variance, offset, scale], dy);
    // TF.js 4.22's fusedBatchNormGradConfig, written out (per-channel statistics: mean of rank 1).
    const axes = [0, 1, 2];
    const xMinusMean = tf.sub(x, mean);
    const dyTimesScale = tf.mul(dy, scale);
    const r = tf.rsqrt(tf.add(variance, tf.scalar(eps)));
    const minusHalfRCube = tf.mul(tf.mul(tf.mul(r, r), r), tf.scalar(-0.5));
    const want = [
      tf.reshape(tf.mul(tf.mul(dy, tf.tile(tf.reshape(r, [1, 1, 1, c]), [n, h, w, 1])), scale), x.shape),
      tf.reshape(tf.sum(tf.mul(tf.mul(r, tf.scalar(-1)), dyTimesScale), axes), [c]),
      tf.reshape(tf.sum(tf.mul(tf.mul(minusHalfRCube, xMinusMean), dyTimesScale), axes), [c]),
      tf.reshape(tf.sum(dy, axes), [c]),
      tf.reshape(tf.sum(tf.mul(dy, tf.mul(xMinusMean, r)), axes), [c]),
    ];
    ['x', 'mean', 'variance', 'offset', 'scale'].forEach((name, i) => {
      assert.equal(got[i]!.shape, want[i]!.shape, `${backend} d${name}`);
      assert.equal(Array.from(got[i]!.dataSync()), Array.from(want[i]!.dataSync()), `${backend} d${name}`);
    });
    tf.dispose([x, mean, variance, offset, scale, dy, ...got, xMinusMean, dyTimesScale, r, minusHalfRCube, ...want]);
  }
  await useBackend('wasm');
});

test('patched wasm Identity shares memory: a clone adds no data buffer, outlives its source, and gradients through saved tensors hold', async () => {
  await useBackend('wasm');
  const x = rand([64, 64], 'id');
  const buffers = tf.memory().numDataBuffers;
  const y = tf.clone(x);
  // The stock kernel copied into a new buffer (numDataBuffers + 1); a shared one is the same buffer.
  assert.is(tf.memory().numDataBuffers, buffers);
  const values = Array.from(x.dataSync());
  x.dispose();
  assert.equal(Array.from(y.dataSync()), values);
  y.dispose();
  // The engine clones every tensor a kernel saves for the backward pass; disposing the forward results early must not
  // free what the tape still needs (same result as on cpu).
  const d = await maxDiffCpuVsWasm(() => {
    const a = rand([8, 5], 'ia');
    const w = rand([5, 3], 'iw');
    const g = tf.grads((aa: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.square(tf.relu(tf.matMul(aa, ww)))));
    return g([a, w]);
  });
  assert.ok(d < 1e-5, `max relative difference ${d}`);
});

test('patched wasm Sum and Mean over leading axes match cpu (keepDims, negative axes, odd widths); other axes fall back', async () => {
  const cases: [number[], number | number[] | undefined, boolean][] = [
    [[4, 5, 6, 8], [0, 1, 2], false],
    [[64, 9, 9, 5], [0, 1, 2], false], // many row blocks, one column past the groups of four
    [[4, 5, 6, 7], [0, 1, 2], true],
    [[4, 5, 6, 7], [0, 1], false],
    [[9, 3], 0, false],
    [[4, 5, 6, 7], [-4, -3], true],
    [[4, 5, 6, 7], [1, 0], false],
    [[4, 5, 6, 7], [1, 2], false], // not leading: stock kernel
    [[4, 5, 6, 7], [0, 1, 2, 3], false], // every axis: stock kernel
    [[4, 5, 6, 7], undefined, true], // no axis (every axis): stock kernel
  ];
  for (const [shape, axis, keepDims] of cases) {
    let shapes: number[][] = [];
    const d = await maxDiffCpuVsWasm(() => {
      const x = rand(shape, `sum${shape.join('x')}`);
      const outs = [tf.sum(x, axis, keepDims), tf.mean(x, axis, keepDims)];
      shapes = outs.map((t) => t.shape);
      return outs;
    });
    assert.ok(d < 1e-5, `${shape.join('x')} axis ${JSON.stringify(axis)}: max relative difference ${d}`);
    const want = tf.tidy(() => tf.sum(tf.zeros(shape), axis, keepDims).shape);
    assert.equal(shapes, [want, want]);
  }
  // The batch-norm gradient of a conv activation goes through these reductions.
  const d = await maxDiffCpuVsWasm(() => {
    const x = rand([8, 6, 6, 4], 'bn');
    const g = tf.grads((xx: tf.Tensor, s: tf.Tensor) => {
      const { mean, variance } = tf.moments(xx, [0, 1, 2]);
      return tf.sum(tf.square(tf.mul(tf.div(tf.sub(xx, mean), tf.sqrt(tf.add(variance, 1e-3))), s)));
    });
    return g([x, rand([4], 'bns')]);
  });
  assert.ok(d < 1e-4, `batch-norm gradient: max relative difference ${d}`);
});

test('patched wasm Cast to the same dtype shares memory; casts to another dtype still convert', async () => {
  await useBackend('wasm');
  const x = rand([32, 16], 'cast');
  const buffers = tf.memory().numDataBuffers;
  const y = tf.cast(x, 'float32');
  assert.is(tf.memory().numDataBuffers, buffers, 'same dtype: no new buffer');
  const values = Array.from(x.dataSync());
  x.dispose();
  assert.equal(Array.from(y.dataSync()), values, 'outlives its source');
  const i = tf.cast(y, 'int32');
  assert.is(tf.memory().numDataBuffers, buffers + 1, 'another dtype: its own buffer');
  assert.is(i.dtype, 'int32');
  assert.equal(
    Array.from(i.dataSync()),
    values.map((v) => Math.trunc(v)),
  );
  const b = tf.tensor([0, 1, 1], [3], 'bool');
  assert.equal(Array.from(tf.cast(b, 'float32').dataSync()), [0, 1, 1]);
  tf.dispose([y, i, b]);
  // Relu's gradient is where TF.js casts float32 to float32: it must still match cpu.
  const d = await maxDiffCpuVsWasm(() => [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), tf.relu(a))))(rand([6, 7], 'cr'))]);
  assert.ok(d < 1e-5, `max relative difference ${d}`);
});

test.run();

test('SeededDropout on wasm draws its mask in the wasm heap: same masks as on cpu, each kept intact for the backward pass, no leak', async () => {
  const x = (): tf.Tensor => tf.tidy(() => tf.add(tf.ones([64, 300]), tf.range(0, 300).reshape([1, 300])));
  // Two forward passes and the gradient of their sum, in one tape: d/dx sum(x*m1 + x*m2) = m1 + m2. A mask tensor that a
  // later mask overwrote (a shared buffer) or that was freed early would change the second pass or the gradient.
  const run = async (backend: BackendName): Promise<{ first: number[]; second: number[]; grad: number[]; leaked: number }> => {
    await useBackend(backend);
    const layer = new SeededDropout({ rate: 0.3, seed: 7 });
    const input = x();
    const before = tf.memory().numTensors;
    // The passes are read inside the function: tf.grad disposes every tensor it made but the gradient.
    const passes: number[][] = [];
    const grad = tf.tidy(() => {
      const g = tf.grad((v: tf.Tensor) => {
        const a = layer.apply(v, { training: true }) as tf.Tensor;
        const b = layer.apply(v, { training: true }) as tf.Tensor;
        passes.push(Array.from(a.dataSync()), Array.from(b.dataSync()));
        return tf.add(a.sum(), b.sum());
      })(input);
      return Array.from(g.dataSync());
    });
    const [first, second] = passes;
    const leaked = tf.memory().numTensors - before;
    input.dispose();
    return { first: first!, second: second!, grad, leaked };
  };
  const wasm = await run('wasm');
  const cpu = await run('cpu');
  await useBackend('wasm');
  assert.is(wasm.leaked, 0);
  assert.equal(wasm.first, cpu.first);
  assert.equal(wasm.second, cpu.second);
  assert.not.equal(wasm.first, wasm.second);
  assert.equal(wasm.grad, cpu.grad);
  const inputs = Array.from(x().dataSync());
  const expectedGrad = wasm.first.map((v, i) => (v + wasm.second[i]!) / inputs[i]!);
  wasm.grad.forEach((g, i) => assert.ok(Math.abs(g - expectedGrad[i]!) < 1e-5, `unit ${i}: gradient ${g}, masks give ${expectedGrad[i]}`));
});
