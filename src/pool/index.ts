/**
 * The worker pool: an executor of the one optimize loop that runs trials in piscina worker threads (cpu) or one child process
 * per GPU, streaming epoch reports back. See executor.ts for the semantics, protocol.ts for the messages. Knows nothing of
 * studies: `study.optimize(trainable, { workers })` (src/study) builds it on demand.
 */
export {
  createPoolExecutor,
  POOL_KEYS,
  MAX_WORKERS_PER_CORE,
  MIN_WORKER_MEMORY_MB,
  type PoolExecutorOptions,
  type PoolStudyInfo,
  type TrainableSpec,
} from './executor.js';
export { createDevices, ThreadDevice, ProcessDevice, type Device, type DeviceOptions, type RunHandle } from './devices.js';
export { deviceProblems, defaultWorkers } from './slots.js';
export { builtinConfig, mergeConfig, type BuiltinContext } from './config.js';
export { toShared, toPlain } from './shared-data.js';
export type { TrainContext, TrainFunction } from './trainables.js';
export type * from './protocol.js';
