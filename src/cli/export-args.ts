/**
 * `tunekit export`'s arguments, parsed and checked without loading TF.js or onnxruntime (main.ts parses before it loads
 * export.ts). The options themselves are declared in commands.ts (EXPORT).
 */
import type { BackendName } from '../../trials/types.js';
import { OptionsError } from '../core/errors.js';
import { parseCommand, str, type Parsed } from './args.js';
import { EXPORT } from './commands.js';

/** Parsed `tunekit export` arguments (see EXPORT_USAGE). */
export interface ExportArgs {
  /** A run directory (with study.json) or a model directory (with model.json). */
  readonly model: string;
  /** In a run directory: which trial's checkpoint, 'best' (default) or a trial number. */
  readonly trial?: 'best' | number;
  /** The study, when the storage (a PostgreSQL URL) holds several. */
  readonly study?: string;
  readonly out?: string;
  readonly quantize?: 'int8' | 'int8-static';
  readonly int8Form?: 'integer' | 'qdq';
  readonly opset?: number;
  readonly data?: string;
  readonly target?: string;
  readonly seed?: number;
  readonly limit?: number;
  readonly samples?: number;
  readonly tolerance?: number;
  readonly maxAccuracyDrop?: number;
  readonly calibrationSamples?: number;
  readonly metadata?: Readonly<Record<string, string>>;
  /** A JSON file (e.g. the trial config) stored as metadata `tunekit.trial_config`. */
  readonly config?: string;
  readonly latency?: boolean;
  readonly threads?: number;
  readonly json?: string;
  readonly backend?: BackendName;
  /** 'half' or a JSON file holding the student ModelConfig. */
  readonly distill?: string;
  readonly distillEpochs?: number;
  readonly prune?: number;
  readonly structured?: boolean;
  readonly pruneEpochs?: number;
}

function num(name: string, v: string | undefined, check: (n: number) => boolean, want: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !check(n)) throw new OptionsError(`--${name} must be ${want}, got ${JSON.stringify(v)}`);
  return n;
}
const int = (name: string, v: string | undefined, min = 0): number | undefined =>
  num(name, v, (n) => Number.isInteger(n) && n >= min, `an integer >= ${min}`);

function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v))
    throw new OptionsError(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** Parses the arguments after `export`. Throws OptionsError (a usage error) for unknown flags or bad values. */
export function parseExportArgs(argv: readonly string[]): ExportArgs {
  return exportArgsFrom(parseCommand(EXPORT, argv));
}

/** `export`'s arguments from a parse (commands.ts EXPORT). */
export function exportArgsFrom(p: Parsed): ExportArgs {
  const positionals = p.positionals;
  const v = (flag: string): string | undefined => str(p, flag);
  const metadataList = p.values['metadata'];
  if (positionals.length !== 1)
    throw new OptionsError(
      `export takes one run or model directory, got ${positionals.length} positional arguments; see \`tunekit export --help\``,
    );
  const metadata: Record<string, string> = {};
  for (const kv of Array.isArray(metadataList) ? (metadataList as readonly string[]) : []) {
    const at = kv.indexOf('=');
    if (at <= 0) throw new OptionsError(`--metadata must be key=value, got ${JSON.stringify(kv)}`);
    metadata[kv.slice(0, at)] = kv.slice(at + 1);
  }
  const pos = (n: number): boolean => n > 0;
  if (v('out') !== undefined && v('onnx') !== undefined) throw new OptionsError('--onnx and --out name the same file: pass one');
  const trial = v('trial') === undefined || v('trial') === 'best' ? undefined : int('trial', v('trial'), 0);
  const args: ExportArgs = {
    model: positionals[0]!,
    ...(trial !== undefined ? { trial } : {}),
    ...(v('study') !== undefined ? { study: v('study') as string } : {}),
    out: v('onnx') ?? v('out'),
    quantize: oneOf('quantize', v('quantize'), ['int8', 'int8-static'] as const),
    int8Form: oneOf('int8-form', v('int8-form'), ['integer', 'qdq'] as const),
    opset: int('opset', v('opset'), 1),
    data: v('data'),
    target: v('target'),
    seed: int('seed', v('seed')),
    limit: int('limit', v('limit'), 1),
    samples: int('samples', v('samples'), 1),
    tolerance: num('tolerance', v('tolerance'), pos, 'a number > 0'),
    maxAccuracyDrop: num('max-accuracy-drop', v('max-accuracy-drop'), (n) => n >= 0 && n <= 1, 'a fraction in [0, 1]'),
    calibrationSamples: int('calibration-samples', v('calibration-samples'), 1),
    metadata,
    config: v('config'),
    latency: p.values['skip-latency'] !== true,
    threads: int('threads', v('threads'), 1),
    json: v('json'),
    backend: oneOf('backend', v('backend'), ['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu'] as const),
    distill: v('distill'),
    distillEpochs: int('distill-epochs', v('distill-epochs'), 1),
    prune: num('prune', v('prune'), (n) => n >= 0 && n < 1, 'a sparsity in [0, 1)'),
    structured: p.values['structured'] === true,
    pruneEpochs: int('prune-epochs', v('prune-epochs'), 0),
  };
  if (args.target !== undefined && (args.data === undefined || args.data === 'mnist'))
    throw new OptionsError('--target is for tabular --data files only');
  if ((args.distill !== undefined || args.prune !== undefined) && args.data === undefined) {
    throw new OptionsError('--distill and --prune train on data: pass --data mnist or --data FILE --target COL');
  }
  if (args.structured && args.prune === undefined) throw new OptionsError('--structured needs --prune SPARSITY');
  return args;
}
