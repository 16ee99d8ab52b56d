/**
 * `tunekit/export`: ONNX export verified by onnxruntime-node, int8 quantisation, distillation and pruning. Importing it loads
 * TF.js and onnxruntime-node; the root entry `tunekit` does not.
 */
export { distill, prune, distillationLoss, shrinkModel, measureModel } from '../deploy/compress/index.js';
export type { DistillOptions, DistillReport, PruneOptions, PruneReport, ModelMeasure, LayerShapeChange } from '../deploy/compress/index.js';
export { exportOnnx, OPSET_RANGE, convertModel } from '../deploy/export/index.js';
export type { ExportOptions, ExportReport, VerifyOptions, LatencyOptions } from '../deploy/export/index.js';
