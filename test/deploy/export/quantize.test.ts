import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../../../trials/data/mnist.js';
import { buildModel } from '../../../trials/models/index.js';
import type { Dataset } from '../../../trials/types.js';
import { exportOnnx, readOpTypes } from '../../../src/deploy/export/index.js';
import { quantizePerChannel, uint8Params } from '../../../src/deploy/export/quantize.js';
import { setup } from './helpers.js';

const unit = suite('export: int8 arithmetic');

unit('per-channel symmetric int8 along the output axis of [in, out] and [out, in, kh, kw] weights', () => {
  // [in=2, out=3]: channel j is column j; column 2 is all zeros (scale falls back to 1).
  const w = Float32Array.of(1, -0.5, 0, -2, 0.25, 0);
  const a = quantizePerChannel(w, [2, 3], 1);
  assert.equal(Array.from(a.scale), [2 / 127, 0.5 / 127, 1].map(Math.fround));
  assert.equal(Array.from(a.q), [64, -127, 0, -127, 64, 0]);
  // [out=2, in=1, 1, 2]: channel c is the c-th block of 2.
  const b = quantizePerChannel(Float32Array.of(0.1, -0.2, 3, 1.5), [2, 1, 1, 2], 0);
  assert.equal(Array.from(b.q), [64, -127, 127, 64]);
  // Dequantising is within half a step of the original.
  Array.from(w).forEach((v, i) => assert.ok(Math.abs(a.q[i]! * a.scale[i % 3]! - v) <= a.scale[i % 3]! / 2 + 1e-7));
});

unit('uint8 activation parameters cover the range and zero exactly', () => {
  const p = uint8Params({ min: -1, max: 3 });
  assert.ok(Math.abs(p.scale - 4 / 255) < 1e-9);
  assert.is(p.zeroPoint, 64);
  const relu = uint8Params({ min: 0.5, max: 2 });
  assert.is(relu.zeroPoint, 0, 'a positive range still includes 0');
  assert.ok(Math.abs(relu.scale - 2 / 255) < 1e-9);
  assert.equal(uint8Params({ min: 0, max: 0 }), { scale: 1, zeroPoint: 0 });
});

const mnist = suite('export: int8 on MNIST');
let data: Dataset;
let model: tf.LayersModel;
let dir = '';

mnist.before(async () => {
  await setup();
  dir = mkdtempSync(join(tmpdir(), 'tunekit-int8-'));
  data = await loadMnist({ limit: 2000 });
  model = buildModel({ type: 'mlp', units: [128, 64], batchNorm: true }, { inputShape: [28, 28, 1], outputs: 10, seed: 5 }).model;
  const x = tf.tensor(data.train.x, [data.train.n, 28, 28, 1]);
  const labels = tf.tensor1d(data.train.y, 'int32');
  const y = tf.oneHot(labels, 10).toFloat();
  model.compile({ optimizer: tf.train.adam(0.003), loss: tf.losses.softmaxCrossEntropy });
  await model.fit(x, y, { epochs: 2, batchSize: 64, verbose: 0 });
  tf.dispose([x, labels, y]);
});
mnist.after(() => {
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

for (const [quantize, int8Form, mustHave] of [
  ['int8', 'integer', ['DynamicQuantizeLinear', 'MatMulInteger']],
  ['int8', 'qdq', ['DequantizeLinear']],
  ['int8-static', undefined, ['QuantizeLinear', 'DequantizeLinear']],
] as const) {
  mnist(`${quantize}${int8Form ? ` (${int8Form})` : ''}: <= 0.3x the fp32 size, accuracy drop <= 1 point`, async () => {
    const path = join(dir, `${quantize}${int8Form ? `-${int8Form}` : ''}.onnx`);
    const r = await exportOnnx(model, path, {
      quantize,
      ...(int8Form ? { int8Form } : {}),
      calibration: data.train,
      verify: { data: data.test },
    });
    assert.ok(r.accuracy, 'labels were given, so accuracy is reported');
    const { tfjs, onnx, int8, drop } = r.accuracy!;
    assert.ok(tfjs > 0.7, `the model learned something (TF.js accuracy ${tfjs})`);
    assert.is(onnx, tfjs, 'fp32 ONNX predicts exactly what TF.js predicts');
    assert.ok(int8 !== undefined && drop !== undefined && drop <= 0.01, `accuracy fp32 ${onnx}, int8 ${int8 ?? 'not measured'}`);
    assert.ok(r.sizeRatio <= 0.3, `size ratio ${r.sizeRatio}`);
    assert.is(readFileSync(path).length, r.bytes);
    const ops = readOpTypes(readFileSync(path));
    for (const op of mustHave) assert.ok(ops.includes(op), `${op} in ${ops.join(',')}`);
    assert.is(r.quantized?.weights, 3, 'the three dense kernels are int8');
    assert.ok(r.parity!.int8!.argmaxAgreement >= 0.97, `argmax agreement ${r.parity!.int8!.argmaxAgreement}`);
  });
}

mnist('int8-static without calibration data falls back to the verification data and says so', async () => {
  const r = await exportOnnx(model, join(dir, 'static-nocal.onnx'), { quantize: 'int8-static', verify: { data: data.val, samples: 200 } });
  assert.ok(
    r.warnings.some((w) => w.includes('calibrated on the verification data')),
    r.warnings.join('; '),
  );
  assert.ok(r.accuracy!.drop! <= 0.02);
});

unit.run();
mnist.run();
