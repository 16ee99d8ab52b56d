/** `trials/<n>/diagnostics.json` as the report reads it; written by the worker (trials/diagnostics-file.ts). */
export { trialDiagnostics, writeTrialDiagnostics, type TrialDiagnostics } from '../../trials/diagnostics-file.js';
