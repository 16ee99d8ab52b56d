/**
 * tunekit's root entry: explicit named exports only (tinybench style); internal classes stay behind these facades. It is light:
 * importing it loads neither TF.js, nor onnxruntime-node, nor piscina (the worker pool is loaded when a study first runs a
 * trainable). The heavy parts have their own entries: `tunekit/trials` (the TF.js trial runtime) and `tunekit/export` (ONNX
 * export and compression). `bench/import.ts` measures the difference; `.dependency-cruiser.entry.cjs` (`npm run depcheck`)
 * and test/package.test.ts keep it so.
 */
// Search spaces
export { space, compileSpace, SpaceError } from '../spaces/index.js';
export type {
  SearchSpace,
  SpaceTree,
  SpaceJson,
  InferParams,
  Params,
  JsonValue,
  FloatParam,
  IntParam,
  ChoiceParam,
  BoolParam,
  BranchParam,
  CubeDim,
} from '../spaces/types.js';

// Searchers
export {
  createSearcher,
  registerSearcher,
  searcherTypes,
  gridSize,
  hyperbandBrackets,
  createTpeSearcher,
  createGpSearcher,
  fitParzen,
} from '../searchers/index.js';
export type { HyperbandBracket, TpeOptions, ParzenEstimator, ParzenOptions } from '../searchers/index.js';
export type { Searcher, SearcherFactory, SearcherInit, SearcherSpec, SuggestRequest, Suggestion } from '../searchers/index.js';

// Study
export { createStudy, loadStudy } from './study/open.js';
export type { CreateStudyOptions, LoadStudyOptions, ParamsOf } from './study/open.js';
export { Study } from './study/study.js';
export type { AskedTrial, TellResult } from './study/study.js';
export type {
  Objective,
  ObjectiveResult,
  OptimizeOptions,
  OptimizeResult,
  TrialContext,
  LoopOptions,
  TrialStartEvent,
  TrialReportEvent,
  SlotEvent,
} from './study/optimize.js';
export {
  nopPruner,
  median as medianPruner,
  percentile as percentilePruner,
  threshold as thresholdPruner,
  patience as patiencePruner,
  nanGuard,
  exploding as explodingPruner,
  vanishing as vanishingPruner,
  diverging as divergingPruner,
  overfitting as overfittingPruner,
  plateau as plateauPruner,
  any as anyPruner,
  all as allPruners,
  createPruner,
  registerPruner,
  prunerTypes,
} from './pruners/index.js';
export type {
  Pruner,
  PruneDecision,
  PruneRequest,
  PrunerSpec,
  PrunerFactory,
  MedianOptions,
  PercentileOptions,
  ThresholdOptions,
  PatienceOptions,
  NanGuardOptions,
  ExplodingOptions,
  VanishingOptions,
  DivergingOptions,
  OverfittingOptions,
  PlateauOptions,
} from './pruners/index.js';

// Storage
export { openStorage, InMemoryStorage, FileStorage } from './storage/index.js';
export type { Storage, NewTrial } from './storage/types.js';

// Sweeps and the worker pool (types only here: the pool is loaded on demand by study.optimize(trainable, ...))
export { loadSweepFile, validateSweep, runSweep } from './sweep/index.js';
export type { SweepFile, ResolvedSweep } from './sweep/index.js';
export type { TrainableSpec, PoolExecutorOptions } from './pool/executor.js';
export type { TrainContext, TrainFunction } from './pool/trainables.js';
export type { PoolOptions } from './study/study.js';
export type {
  CostHint,
  Executor,
  ExecOutcome,
  RunningTrial,
  TrialChannel,
  TrialTask,
  TrialDecision,
  ExecutorSlot,
} from './core/executor.js';

// Reports
export { buildLeaderboard, LEADERBOARD_SCHEMA_VERSION } from './report/leaderboard.js';
export type { Leaderboard, LeaderboardEntry, LeaderboardOptions } from './report/leaderboard.js';

// Records and errors
export type {
  Direction,
  FinishedState,
  IntermediateValue,
  Metrics,
  StudyRecord,
  StudyBudget,
  TrialRecord,
  TrialResult,
  TrialState,
} from './core/types.js';
export {
  TunekitError,
  OptionsError,
  TrialStateError,
  TrialNotFoundError,
  StudyExistsError,
  StudyNotFoundError,
  StudyMismatchError,
  StorageLockedError,
  StorageCorruptError,
  SearcherError,
  SearchExhaustedError,
  TooManyFailuresError,
  TrialPruned,
  ExportError,
  CheckpointError,
  SweepFileError,
} from './core/errors.js';
