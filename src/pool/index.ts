/**
 * The worker pool: `runPool(study, trainable, options)` runs a study's trials in piscina worker threads (cpu) or one child
 * process per GPU, streaming epoch reports to the study's pruner. See pool.ts for the semantics, protocol.ts for the messages.
 */
export { runPool, type PoolOptions, type PoolResult, type TrainableSpec, type TrialStartEvent, type TrialReportEvent } from './pool.js';
export { createDevices, deviceProblems, defaultWorkers, ThreadDevice, ProcessDevice, type Device, type DeviceOptions, type RunHandle } from './devices.js';
export { builtinConfig, mergeConfig, type BuiltinContext } from './config.js';
export { toShared, toPlain } from './shared-data.js';
export type { TrainContext, TrainFunction } from './trainables.js';
export type * from './protocol.js';
