/**
 * tunekit's public API: explicit named exports only (tinybench style). Internal classes stay behind these facades.
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
export type { Objective, ObjectiveResult, OptimizeOptions, OptimizeResult, TrialContext } from './study/optimize.js';
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

// Worker pool and sweeps
export { runPool } from './pool/index.js';
export type { PoolOptions, PoolResult, TrainableSpec, TrainContext, TrainFunction } from './pool/index.js';
export { loadSweepFile, validateSweep, runSweep } from './sweep/index.js';
export type { SweepFile, ResolvedSweep } from './sweep/index.js';

// Compression
export { distill, prune, distillationLoss, shrinkModel, measureModel } from './deploy/compress/index.js';
export type { DistillOptions, DistillReport, PruneOptions, PruneReport, ModelMeasure, LayerShapeChange } from './deploy/compress/index.js';

// ONNX export
export { exportOnnx, OPSET_RANGE, convertModel } from './deploy/export/index.js';
export type { ExportOptions, ExportReport, VerifyOptions, LatencyOptions } from './deploy/export/index.js';

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

// Trial runtime (TF.js): what runs inside one trial
export {
  runTrial,
  useBackend,
  activeBackend,
  BACKEND_NAMES,
  BackendUnavailableError,
  loadMnist,
  loadTabular,
  vegaDatasetPath,
  kFold,
  buildModel,
  countParams,
  MODEL_TYPES,
  saveModel,
  loadModel,
  fileHandler,
  makeLoss,
  LOSS_TYPES,
  makeOptimizer,
  OPTIMIZER_TYPES,
  makeSchedule,
  SCHEDULE_TYPES,
  makeAugmenter,
  clipByGlobalNorm,
  validateTrialConfig,
} from '../trials/index.js';
export { epochSignals } from '../trials/signals.js';
export type {
  TrialConfig,
  TrialRunResult,
  RunTrialOptions,
  EpochReport,
  ReportDecision,
  Dataset,
  Split,
  Task,
  BackendName,
  ModelConfig,
  MlpConfig,
  ResidualMlpConfig,
  CnnConfig,
  ConvBlockConfig,
  AttentionConfig,
  LossConfig,
  OptimizerConfig,
  ScheduleConfig,
  AugmentConfig,
  ImageAugmentConfig,
  TabularAugmentConfig,
  MnistOptions,
  TabularOptions,
  CleaningConfig,
} from '../trials/index.js';
