/**
 * `epochSignals`: flattens an `EpochReport` into the metrics object an objective reports each epoch
 * (`ctx.report(e.epoch, epochSignals(e))`). Diagnostic pruners (src/pruners/diagnostic.ts) read these names by default, and
 * the study stores the object with the step, so a resumed study's pruners see the same signals.
 */
import type { Metrics } from '../src/core/types.js';
import type { EpochReport } from './types.js';

/**
 * One flat object of numbers (booleans as 1/0; NaN/Infinity kept as they are, the storage encodes them):
 * - `epoch`, `trainLoss`, `valLoss`, the val metrics as reported (`valAccuracy`, `valF1Macro`... or `valRmse`...), `lr`;
 * - `gradNorm` (global gradient norm, max over the epoch's batches: what `exploding`/`vanishing` watch), `gradNormMean`;
 * - `layerGradNormMax` (largest per-layer gradient norm of the epoch's last batch), `weightNorm` (global weight norm), both
 *   only when the report has per-layer norms;
 * - `nonFinite` (1 if any loss, gradient or weight norm of the epoch was NaN/Inf, else 0), `samplesPerSec`.
 * Called by objectives after every epoch of `runTrial`; pure.
 */
export function epochSignals(e: EpochReport): Metrics {
  const out: Metrics = { epoch: e.epoch };
  // The val metrics first, so the fixed names below can never be overwritten by a metric of the same name.
  for (const [k, v] of Object.entries(e.metrics)) if (typeof v === 'number') out[k] = v;
  out['trainLoss'] = e.trainLoss;
  out['valLoss'] = e.valLoss;
  out['lr'] = e.lr;
  out['gradNorm'] = e.gradNorm.max;
  out['gradNormMean'] = e.gradNorm.mean;
  const layerGrads = Object.values(e.layerGradNorms);
  // Math.max propagates NaN, so a NaN layer norm stays visible.
  if (layerGrads.length > 0) out['layerGradNormMax'] = Math.max(...layerGrads);
  const layerWeights = Object.values(e.layerWeightNorms);
  if (layerWeights.length > 0) out['weightNorm'] = Math.sqrt(layerWeights.reduce((s, w) => s + w * w, 0));
  out['nonFinite'] = e.nonFinite ? 1 : 0;
  out['samplesPerSec'] = e.samplesPerSec;
  return out;
}
