/**
 * Shared helpers of the export tests: seeded inputs, random weights (so zero-initialised biases and unit BN statistics do not
 * hide conversion bugs), and an in-memory TF.js-vs-onnxruntime parity check.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { useBackend } from '../../../trials/backend.js';
import { convertModel } from '../../../src/deploy/export/convert.js';
import { encodeModel } from '../../../src/deploy/export/onnx.js';
import { compareOutputs, createSession, predictOrt, predictTf, type ParityStats } from '../../../src/deploy/export/verify.js';

/** The reference backend of every export test (what `tunekit export` uses). */
export async function setup(): Promise<void> {
  await useBackend('wasm');
}

/** n seeded N(0, 1) samples of `shape`. */
export function randomInputs(shape: readonly number[], n: number, seed = 1): Float32Array {
  const rng = seedrandom(`export-test:${seed}`);
  const size = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n * size }, () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));
}

/**
 * Replaces every weight with seeded random values: N(0, 0.5) in general, variances (and BN gammas, kept positive) in
 * [0.5, 1.5]. Biases, BN means/offsets and positional embeddings then all matter to the outputs.
 */
export function randomizeWeights(model: tf.LayersModel, seed = 7): void {
  const rng = seedrandom(`export-weights:${seed}`);
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const values = layer.weights.map((w) => {
      const shape = w.shape as number[];
      const size = shape.reduce((a, b) => a * b, 1);
      const positive = /moving_variance|gamma/.test(w.name);
      const data = Float32Array.from({ length: size }, () =>
        positive ? 0.5 + rng() : 0.5 * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()),
      );
      return tf.tensor(data, shape);
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/** Converts `model` in memory and compares onnxruntime with TF.js on `x` (n samples). */
export async function parity(model: tf.LayersModel, x: Float32Array, n: number, opset = 17): Promise<ParityStats & { ops: string[] }> {
  const result = convertModel(model, opset);
  const bytes = encodeModel(result.graph, { producerName: 'test', producerVersion: '0', metadata: {} });
  const session = await createSession(bytes);
  try {
    const ref = predictTf(model, x, n);
    const got = await predictOrt(session, x, n, model.inputs[0]!.shape.slice(1) as number[], result.outputNames);
    const width = (model.outputs[0]!.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
    return { ...compareOutputs(ref, got, width), ops: result.graph.nodes.map((node) => node.op) };
  } finally {
    await session.release();
  }
}

/** A one-layer functional model: input of `shape` -> `layer` (or a chain built by `body`). */
export function oneLayer(shape: readonly number[], body: (x: tf.SymbolicTensor) => tf.SymbolicTensor): tf.LayersModel {
  const input = tf.input({ shape: [...shape] });
  return tf.model({ inputs: input, outputs: body(input) });
}
