/** Usage lines of `tunekit export`, apart from export.ts so `tunekit --help` does not load TF.js and onnxruntime. */
export const EXPORT_USAGE = `  tunekit export <run-dir|model-dir> [--trial best|N] [--onnx FILE.onnx] [--quantize int8|int8-static] [--int8-form integer|qdq] [--opset 17..21]
                 [--data mnist|FILE --target COL] [--seed N] [--limit N] [--samples N] [--tolerance X] [--max-accuracy-drop X]
                 [--calibration-samples N] [--metadata k=v ...] [--config trial.json] [--skip-latency] [--threads N]
                 [--backend wasm|cpu] [--json FILE|-] [--distill half|student.json [--distill-epochs N]]
                 [--prune SPARSITY [--structured] [--prune-epochs N]]`;
