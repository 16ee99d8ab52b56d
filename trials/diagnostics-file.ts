/**
 * `trials/<n>/diagnostics.json`: what a built-in trial knows beyond its curves and the report shows in the trial's detail view
 * (confusion matrix, feature maps, gradient norm per layer per epoch). Written by whoever holds the `runTrial` result; the
 * built-in trainer's worker (src/pool/trainables.ts, runBuiltin) calls {@link writeTrialDiagnostics} with the trial directory;
 * the report (src/report) reads it.
 */
import path from 'node:path';
import { writeJsonAtomic } from '../src/core/json-file.js';
import type { TrialRunResult } from './types.js';

/** The JSON document of diagnostics.json (every field optional). */
export interface TrialDiagnostics {
  /** Test split, rows true class, columns predicted class. */
  readonly confusion?: readonly (readonly number[])[];
  readonly classNames?: readonly string[];
  /** Per conv layer: [channels, height, width] and the values, channel-major. */
  readonly featureMaps?: { readonly [layer: string]: { readonly shape: readonly number[]; readonly data: readonly number[] } };
  /** Per layer: the gradient norm of each epoch, in epoch order. */
  readonly layerGradNorms?: { readonly [layer: string]: readonly number[] };
}

/** The diagnostics of a finished `runTrial` (non-finite norms become null in JSON, which the page skips). */
export function trialDiagnostics(
  run: Pick<TrialRunResult, 'history' | 'confusion' | 'featureMaps'>,
  classNames?: readonly string[],
): TrialDiagnostics {
  const layerGradNorms: { [layer: string]: number[] } = {};
  for (const e of run.history) for (const [layer, v] of Object.entries(e.layerGradNorms)) (layerGradNorms[layer] ??= []).push(v);
  return {
    ...(run.confusion ? { confusion: run.confusion } : {}),
    ...(classNames ? { classNames } : {}),
    ...(run.featureMaps ? { featureMaps: run.featureMaps } : {}),
    ...(Object.keys(layerGradNorms).length ? { layerGradNorms } : {}),
  };
}

/** Writes `<trialDir>/diagnostics.json` atomically. */
export function writeTrialDiagnostics(
  trialDir: string,
  run: Pick<TrialRunResult, 'history' | 'confusion' | 'featureMaps'>,
  classNames?: readonly string[],
): void {
  writeJsonAtomic(path.join(trialDir, 'diagnostics.json'), trialDiagnostics(run, classNames));
}
