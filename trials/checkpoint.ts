/**
 * On-disk checkpoints for pure TF.js in Node (no tfjs-node, hence no `file://` scheme): a `tf.io.IOHandler` writing the usual
 * TF.js layout, `model.json` (topology + weights manifest) and `weights.bin` (all weights concatenated), which tfjs-node,
 * the browser loader and tfjs-converter all read. The trial runner saves the best epoch with `saveModel`; reports and the CLI
 * reload it with `loadModel`.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../src/core/errors.js';
// Registers the custom layers (attention, positional embedding, seeded dropout), so any model built by trials/models loads.
import './models/index.js';

/** File names inside a checkpoint directory. */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** An IOHandler that can both save and load (TF.js types both methods as optional). */
export type FileIOHandler = tf.io.IOHandler & { save: tf.io.SaveHandler; load: tf.io.LoadHandler };

function checkpointError(message: string): CheckpointError {
  return new CheckpointError(message);
}

let tmpCounter = 0;

/**
 * Writes `data` to `file` via a temp file and rename, so a crash never leaves a half-written file under the real name. Creates
 * the directory. Also used by the ONNX exporter (src/deploy/export).
 */
export async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  // pid + counter: unique even for two saves to the same directory in the same millisecond.
  const tmp = `${file}.tmp-${process.pid}-${tmpCounter++}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Bytes the manifest's weights need, or null when it cannot be known up front (string or quantized weights). */
function expectedBytes(specs: readonly tf.io.WeightsManifestEntry[]): number | null {
  const size: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
  let total = 0;
  for (const s of specs) {
    const per = size[s.dtype];
    if (per === undefined || s.quantization) return null;
    total += s.shape.reduce((a, b) => a * b, 1) * per;
  }
  return total;
}

/**
 * IOHandler for the checkpoint directory `dir`. Use with `model.save(fileHandler(dir))` and
 * `tf.loadLayersModel(fileHandler(dir))`, or through `saveModel` / `loadModel`.
 *
 * `save` creates `dir` if needed, writes `weights.bin` then `model.json` (each atomically), so `model.json` existing means the
 * weights it describes were fully written. Overwriting a checkpoint of a *different* architecture is not atomic as a pair; a
 * crash between the two renames is caught on load by the weights-size check.
 *
 * `load` reads `model.json` and the weight files its manifest lists (normally just `weights.bin`), checks their total size
 * against the manifest, and throws a TunekitError (`ERR_TUNEKIT_CHECKPOINT`) naming the file when one is missing or broken.
 */
export function fileHandler(dir: string): FileIOHandler {
  const modelPath = join(dir, MODEL_JSON);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw checkpointError('fileHandler saves layers models (JSON topology) only; got a binary graph-model topology');
      }
      await mkdir(dir, { recursive: true });
      const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? []);
      await writeAtomic(join(dir, WEIGHTS_BIN), new Uint8Array(weights));
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? null,
      };
      if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      if (artifacts.signature) modelJson.signature = artifacts.signature;
      await writeAtomic(modelPath, JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON({ ...artifacts, weightData: weights }) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      if (!(await exists(modelPath))) {
        throw checkpointError(`no checkpoint at ${dir}: ${modelPath} is missing; save one first with saveModel(model, dir)`);
      }
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(await readFile(modelPath, 'utf8')) as tf.io.ModelJSON;
      } catch (err) {
        throw checkpointError(`${modelPath} is not valid JSON (${(err as Error).message}); the checkpoint is corrupt, save it again`);
      }
      if (json === null || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
        throw checkpointError(`${modelPath} lacks modelTopology or weightsManifest; it is not a TF.js layers-model checkpoint`);
      }
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const file = join(dir, p);
          if (!(await exists(file))) {
            throw checkpointError(`checkpoint ${dir} is incomplete: ${file} (listed in ${MODEL_JSON}) is missing; save the model again`);
          }
          const buf = await readFile(file);
          // Copy out of Node's pooled Buffer memory: TF.js wants a standalone ArrayBuffer.
          buffers.push(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
        }
      }
      const weightData = tf.io.CompositeArrayBuffer.join(buffers);
      const want = expectedBytes(specs);
      if (want !== null && want !== weightData.byteLength) {
        throw checkpointError(
          `checkpoint ${dir}: the weight files hold ${weightData.byteLength} bytes but ${MODEL_JSON} describes ${want}; ` +
            `the checkpoint is truncated or mixed from two saves, save it again`,
        );
      }
      const artifacts: tf.io.ModelArtifacts = {
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
      };
      if (json.trainingConfig) artifacts.trainingConfig = json.trainingConfig;
      if (json.userDefinedMetadata) artifacts.userDefinedMetadata = json.userDefinedMetadata;
      if (json.signature) artifacts.signature = json.signature;
      return artifacts;
    },
  };
}

/** Saves `model` (topology + weights, no optimizer state) into `dir` as model.json + weights.bin. Called by the trial runner. */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<tf.io.SaveResult> {
  return model.save(fileHandler(dir));
}

/**
 * Loads a model saved by `saveModel` (or any TF.js layers-model directory). Throws a TunekitError naming the missing file when
 * `dir/model.json` or a weight file is absent. The caller owns the returned model and must `dispose()` it.
 */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileHandler(dir));
}
