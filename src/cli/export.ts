/**
 * `tunekit export <run-dir | model-dir> [--trial best|N] [--onnx FILE] [flags]`: a sweep's output directory (study.json +
 * trials/<n>/, the winner by default) or a checkpoint directory (model.json + weights.bin, as runTrial's outDir writes) ->
 * optional compression (distillation, pruning; src/deploy/compress) -> ONNX file, verified against TF.js with onnxruntime-node.
 * Beside the ONNX file it writes `export-report.json` and the exported TF.js model (`<name>.tfjs/`).
 *
 * Data (`--data mnist` or a .csv/.tsv/.json file with `--target`) is loaded with the trial runtime's loaders and split seed,
 * so the verification samples come from the same test split the trial reported; without `--data` the parity check runs on
 * seeded random inputs (no accuracy), and int8-static needs data for calibration.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isPostgresUrl } from '../storage/url.js';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { loadModel } from '../../trials/checkpoint.js';
import { FileStorage } from '../storage/index.js';
import { buildLeaderboard } from '../report/leaderboard.js';
import { loadMnist, loadTabular, useBackend } from '../../trials/index.js';
import type { BackendName, Dataset, ModelConfig } from '../../trials/types.js';
import { OptionsError } from '../core/errors.js';
import { runDir } from '../core/run-dir.js';
import { type ExportOptions, type ExportReport, exportOnnx } from '../deploy/export/index.js';

export { parseExportArgs, type ExportArgs } from './export-args.js';
import type { ExportArgs } from './export-args.js';

/**
 * Resolves the positional directory to a checkpoint: itself when it holds model.json, else a run directory's
 * `trials/<n>/` for the best complete trial (or `--trial N`). Returns the trial's params too, stored as metadata.
 */
export async function resolveCheckpoint(
  dir: string,
  trial: 'best' | number = 'best',
  study?: string,
): Promise<{ modelDir: string; trial?: number; params?: string; seed?: number }> {
  if (isPostgresUrl(dir)) return sharedCheckpoint(dir, trial, study);
  if (existsSync(join(dir, 'model.json'))) {
    if (trial !== 'best') throw new OptionsError(`--trial is for run directories; ${dir} is a model directory (it holds model.json)`);
    return { modelDir: dir };
  }
  const layout = runDir(dir);
  const file = layout.study;
  if (!existsSync(file) && !existsSync(`${file}.wal`)) {
    throw new OptionsError(`${dir} holds neither model.json (a checkpoint) nor study.json (a run directory); pass one of those`);
  }
  const storage = await FileStorage.openReadOnly(file);
  try {
    const names = await storage.listStudies();
    if (names.length !== 1)
      throw new OptionsError(`${file} holds ${names.length} studies (${names.join(', ')}); export from a checkpoint directory instead`);
    const record = (await storage.getStudy(names[0]!))!;
    const trials = await storage.getTrials(record.name);
    let number: number;
    if (trial === 'best') {
      const lb = buildLeaderboard(record, trials);
      const best = lb.summary.best;
      if (!best && (record.directions?.length ?? 1) > 1) {
        const front = lb.summary.front ?? [];
        throw new OptionsError(
          `study "${record.name}" has several objectives, so there is no single best model: pass --trial N with a member of the Pareto front (${front.map((n) => `#${String(n)}`).join(', ') || 'empty so far'})`,
        );
      }
      if (!best) throw new OptionsError(`study "${record.name}" in ${dir} has no complete trial yet, so there is no best model to export`);
      number = best.number;
    } else {
      if (!trials[trial]) throw new OptionsError(`study "${record.name}" has no trial ${trial} (it has ${trials.length})`);
      number = trial;
    }
    // Sweeps (`tunekit run`) keep the checkpoint in trials/<n>/model/, the in-process demo in trials/<n>/.
    const trialDir = layout.trial(number);
    const modelDir = existsSync(join(layout.model(number), 'model.json')) ? layout.model(number) : trialDir;
    if (!existsSync(join(modelDir, 'model.json'))) {
      throw new OptionsError(
        `trial ${number} has no checkpoint at ${modelDir} (its model.json is missing: it may have been pruned, failed, or not kept among the top checkpoints)`,
      );
    }
    return { modelDir, trial: number, params: JSON.stringify(trials[number]!.params), seed: (await sweepDataSeed(dir)) ?? record.seed };
  } finally {
    await storage.close();
  }
}

/** The data-split seed a sweep directory's `sweep.json` recorded (`dataset.seed`), if any. */
async function sweepDataSeed(dir: string): Promise<number | undefined> {
  try {
    const sweep = JSON.parse(await readFile(runDir(dir).sweep, 'utf8')) as { dataset?: { seed?: unknown } };
    return typeof sweep.dataset?.seed === 'number' ? sweep.dataset.seed : undefined;
  } catch {
    return undefined;
  }
}

async function loadData(args: ExportArgs): Promise<Dataset | undefined> {
  if (args.data === undefined) return undefined;
  const seed = args.seed ?? 0;
  if (args.data === 'mnist') return loadMnist({ seed, ...(args.limit ? { limit: args.limit } : {}) });
  if (!args.target) throw new OptionsError(`--data ${args.data} is a table: name the label column with --target COL`);
  return loadTabular({ source: args.data, target: args.target, seed });
}

async function readJson(file: string, flag: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new OptionsError(`--${flag} ${file}: cannot read it as JSON (${(err as Error).message})`);
  }
}

/** Distillation then pruning, when asked; returns the model to export (the input one when neither was asked). */
async function compress(
  model: tf.LayersModel,
  data: Dataset,
  args: ExportArgs,
  out: (line: string) => void,
  backend: BackendName,
): Promise<tf.LayersModel> {
  if (args.distill === undefined && args.prune === undefined) return model;
  let compress: typeof import('../deploy/compress/index.js');
  try {
    compress = await import('../deploy/compress/index.js');
  } catch (err) {
    throw new OptionsError(
      `--distill / --prune are not available in this build (src/deploy/compress failed to load: ${(err as Error).message})`,
    );
  }
  let current = model;
  if (args.distill !== undefined) {
    const student = args.distill === 'half' ? 'half' : ((await readJson(args.distill, 'distill')) as ModelConfig);
    const r = await compress.distill(current, data, {
      student,
      backend,
      latency: false,
      compareWithoutTeacher: false,
      ...(args.distillEpochs ? { epochs: args.distillEpochs } : {}),
    });
    out(`distilled: params ${r.params.teacher} -> ${r.params.student}, accuracy ${pct(r.accuracy.teacher)} -> ${pct(r.accuracy.student)}`);
    current = r.student;
  }
  if (args.prune !== undefined) {
    const r = await compress.prune(current, data, {
      sparsity: args.prune,
      structured: args.structured ?? false,
      backend,
      latency: false,
      ...(args.pruneEpochs !== undefined ? { fineTuneEpochs: args.pruneEpochs } : {}),
    });
    out(`pruned (${r.mode}): sparsity ${r.sparsity.toFixed(3)}`);
    if (current !== model) current.dispose();
    current = r.model;
  }
  return current;
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
const kb = (b: number): string => `${(b / 1024).toFixed(1)} kB`;

/** One line per figure of the report, for the terminal. */
export function formatExportReport(r: ExportReport): string[] {
  const lines = [
    `wrote ${r.path}: ${kb(r.bytes)} (${r.quantize}${r.int8Form ? `/${r.int8Form}` : ''}, opset ${r.opset}, ${r.nodes} nodes)`,
  ];
  if (r.quantize !== 'none') lines.push(`  size vs fp32: ${kb(r.bytes)} / ${kb(r.fp32Bytes)} = ${r.sizeRatio.toFixed(3)}x`);
  if (r.foldedBatchNorms.length) lines.push(`  batch norms folded into the preceding layer: ${r.foldedBatchNorms.length}`);
  if (r.parity) {
    const p = r.parity;
    lines.push(
      `  parity (${p.fp32.samples} ${p.data} samples): fp32 max |diff| ${p.fp32.maxAbsDiff.toExponential(2)} (tolerance ${p.tolerance}), argmax agreement ${pct(p.fp32.argmaxAgreement)}`,
    );
    if (p.int8) lines.push(`  int8: max |diff| ${p.int8.maxAbsDiff.toExponential(2)}, argmax agreement ${pct(p.int8.argmaxAgreement)}`);
  }
  if (r.accuracy) {
    const a = r.accuracy;
    lines.push(
      `  accuracy: TF.js ${pct(a.tfjs)}, ONNX fp32 ${pct(a.onnx)}` +
        (a.int8 !== undefined ? `, int8 ${pct(a.int8)} (drop ${((a.drop ?? 0) * 100).toFixed(2)} points)` : ''),
    );
  }
  if (r.latency) {
    lines.push(`  latency (median ms; TF.js ${r.latency.tfjsBackend}, onnxruntime ${r.latency.threads} thread(s)):`);
    for (const row of r.latency.rows) {
      lines.push(
        `    batch ${String(row.batch).padStart(4)}: TF.js ${row.tfjsMs.toFixed(3)}  onnx ${row.onnxMs.toFixed(3)}` +
          (row.int8Ms !== undefined ? `  int8 ${row.int8Ms.toFixed(3)}` : '') +
          `  (onnx ${row.speedup.toFixed(1)}x faster)`,
      );
    }
  }
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  return lines;
}

/**
 * Runs `tunekit export`. Prints the report through `out` and returns it. Throws OptionsError for usage problems and
 * ExportError (from exportOnnx) for an unsupported model or a failed parity check.
 */
export async function exportCommand(args: ExportArgs, out: (line: string) => void): Promise<ExportReport> {
  const backend = args.backend ?? 'wasm';
  await useBackend(backend);
  const source = await resolveCheckpoint(args.model, args.trial ?? 'best', args.study);
  // A run directory's trials were evaluated on splits made with the study seed: verify on that same test split (no leakage).
  const data = await loadData(args.seed === undefined && source.seed !== undefined ? { ...args, seed: source.seed } : args);
  if (args.quantize === 'int8-static' && !data)
    throw new OptionsError('--quantize int8-static calibrates on data: pass --data mnist or --data FILE --target COL');
  if (source.trial !== undefined) out(`exporting trial ${source.trial} (${source.modelDir})`);
  const metadata: Record<string, string> = { ...(args.metadata ?? {}) };
  if (source.trial !== undefined) metadata['tunekit.trial'] = String(source.trial);
  if (source.params !== undefined) metadata['tunekit.trial_params'] = source.params;
  if (args.config) metadata['tunekit.trial_config'] = JSON.stringify(await readJson(args.config, 'config'));
  if (data) metadata['tunekit.dataset'] = data.name;
  const loaded = await loadModel(source.modelDir);
  let model = loaded;
  try {
    if (data) {
      const want = loaded.inputs[0]!.shape.slice(1).join('x');
      if (want !== data.inputShape.join('x')) {
        throw new OptionsError(
          `the model takes inputs of shape [${want.replaceAll('x', ', ')}] but --data ${args.data ?? data.name} has [${data.inputShape.join(', ')}]; pass the dataset the model was trained on`,
        );
      }
      model = await compress(loaded, data, args, out, backend);
    }
    const verifySplit = data ? (data.test.n > 0 ? data.test : data.val) : undefined;
    const opts: ExportOptions = {
      ...(args.quantize ? { quantize: args.quantize } : {}),
      ...(args.int8Form ? { int8Form: args.int8Form } : {}),
      ...(args.opset ? { opset: args.opset } : {}),
      ...(data ? { calibration: data.train } : {}),
      ...(args.calibrationSamples ? { calibrationSamples: args.calibrationSamples } : {}),
      metadata,
      verify: {
        ...(verifySplit ? { data: verifySplit } : {}),
        ...(args.samples ? { samples: args.samples } : {}),
        ...(args.tolerance ? { tolerance: args.tolerance } : {}),
        ...(args.maxAccuracyDrop !== undefined ? { maxAccuracyDrop: args.maxAccuracyDrop } : {}),
      },
      latency: args.latency === false ? false : { ...(args.threads ? { threads: args.threads } : {}) },
    };
    const onnxPath = args.out ?? join(source.modelDir, 'model.onnx');
    // exportOnnx also writes the exported TF.js model (after any compression) and export-report.json beside the ONNX file.
    const report = await exportOnnx(model, onnxPath, opts);
    for (const line of formatExportReport(report)) out(line);
    out(`  TF.js model: ${report.tfjsModel}; report: ${report.reportPath}`);
    if (args.json === '-') out(JSON.stringify(report, null, 2));
    else if (args.json) await writeFile(args.json, JSON.stringify(report, null, 2));
    return report;
  } finally {
    if (model !== loaded) model.dispose();
    loaded.dispose();
  }
}

/**
 * A checkpoint of a study kept in PostgreSQL (`tunekit run --storage`): the trial's model comes from the artifact store that
 * every machine of the sweep uploads to, into a temporary directory, so `tunekit export` works from any machine.
 */
async function sharedCheckpoint(
  url: string,
  trial: 'best' | number,
  study: string | undefined,
): Promise<{ modelDir: string; trial: number; params: string; seed: number }> {
  const { openStorage, openArtifactStore, redactUrl } = await import('../storage/index.js');
  const storage = await openStorage(url);
  let number: number;
  let params: string;
  let seed: number;
  let name: string;
  try {
    const names = await storage.listStudies();
    name = study ?? (names.length === 1 ? (names[0] as string) : '');
    if (!name) throw new OptionsError(`${redactUrl(url)} holds ${names.length} studies (${names.join(', ')}); pick one with --study NAME`);
    const record = await storage.getStudy(name);
    if (!record) throw new OptionsError(`${redactUrl(url)} holds no study "${name}" (it has ${names.join(', ') || 'none'})`);
    const trials = await storage.getTrials(name);
    const best = buildLeaderboard(record, trials).summary.best;
    if (trial === 'best' && !best) throw new OptionsError(`study "${name}" has no complete trial yet, so there is no best model to export`);
    number = trial === 'best' ? (best as { number: number }).number : trial;
    if (!trials[number]) throw new OptionsError(`study "${name}" has no trial ${number} (it has ${trials.length})`);
    params = JSON.stringify(trials[number]!.params);
    seed = record.seed;
  } finally {
    await storage.close();
  }
  const store = await openArtifactStore(url);
  try {
    const modelDir = mkdtempSync(join(tmpdir(), 'tunekit-export-'));
    if (!(await store.get(`${name}/${number}`, modelDir))) {
      throw new OptionsError(
        `trial ${number} of "${name}" has no checkpoint in the artifact store of ${redactUrl(url)} (it may have been pruned or failed before saving one)`,
      );
    }
    return { modelDir, trial: number, params, seed };
  } finally {
    await store.close();
  }
}
