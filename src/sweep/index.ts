/**
 * Sweep files and the sweep runner behind `tunekit run / resume`: validation (every problem with its JSON path), loading
 * (.json/.ts/.js), the output directory (study, leaderboard, per-trial files, top-k checkpoints) and progress display.
 */
export {
  validateSweep,
  jsonProblems,
  type SweepFile,
  type ResolvedSweep,
  type DatasetSpec,
  type MnistDatasetSpec,
  type TabularDatasetSpec,
  type ValidateResult,
} from './spec.js';
export { loadSweepFile, readSweepFile, resolveSweep, applyOverrides, SweepFileError, type SweepOverrides } from './load.js';
export { loadSweepDataset } from './dataset.js';
export { runSweep, sweepTrainable, type RunSweepOptions, type SweepRunResult } from './runner.js';
export { SweepOutput, trialDir, checkpointDir, type SweepOutputOptions } from './output.js';
export { Progress, formatDuration, type ProgressSink, type ProgressOptions } from './progress.js';
