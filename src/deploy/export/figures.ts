/**
 * ONNX figures of a trained model for hardware-aware objectives (`measure: { onnx: true, int8: true }` in a trial config):
 * the fp32 and int8 ONNX sizes and onnxruntime latencies at batch 1 and 256. The worker pool hands this to runTrial (trials/
 * may not import the exporter); it loads onnxruntime, so it is imported only when a trial asks for it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { exportOnnx } from './index.js';

export async function onnxFigures(model: tf.LayersModel, int8: boolean): Promise<Record<string, number>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tunekit-measure-'));
  try {
    const latency = { batches: [1, 256], threads: 1 };
    const fp32 = await exportOnnx(model, path.join(dir, 'model.onnx'), { latency, verify: false });
    const row = (rows: readonly { batch: number; onnxMs: number; int8Ms?: number }[] | undefined, batch: number) =>
      rows?.find((r) => r.batch === batch);
    const out: Record<string, number> = { onnxBytes: fp32.bytes };
    const f1 = row(fp32.latency?.rows, 1);
    const f256 = row(fp32.latency?.rows, 256);
    if (f1) out.onnxLatencyMs = f1.onnxMs;
    if (f256) out.onnxLatencyMs256 = f256.onnxMs;
    if (int8) {
      const q = await exportOnnx(model, path.join(dir, 'model-int8.onnx'), { quantize: 'int8', latency, verify: false });
      out.onnxInt8Bytes = q.bytes;
      const q1 = row(q.latency?.rows, 1);
      const q256 = row(q.latency?.rows, 256);
      if (q1?.int8Ms !== undefined) out.onnxInt8LatencyMs = q1.int8Ms;
      if (q256?.int8Ms !== undefined) out.onnxInt8LatencyMs256 = q256.int8Ms;
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
