/**
 * Every `tunekit` subcommand's arguments and options, with the descriptions `tunekit <command> --help` prints. Light on purpose:
 * main.ts loads it for help and parsing, and loads a command's implementation only when that command runs.
 */
import type { CommandDef } from './args.js';

const trialsOpt = { flags: '--trials <n>', description: 'total finished trials the study should hold (overrides the sweep file)' };
const workersOpt = { flags: '--workers <n>', description: 'worker threads on the cpu device (default: the cores)' };
const allowChanged = {
  flags: '--allow-changed-trainable',
  description: "resume even though the trainable module's content changed since the sweep started (results would mix two programs)",
};

export const RUN: CommandDef = {
  name: 'run',
  summary: 'run a sweep file (JSON, or a .ts/.js module exporting one) into a run directory',
  args: [['[sweep]', 'the sweep file, e.g. examples/mnist-sweep.json']],
  options: [
    {
      flags: '--out <dir>',
      description: 'run directory (default: the file\'s "out", else runs/<name>-<time>); an existing run of the same sweep is continued',
    },
    trialsOpt,
    workersOpt,
    { flags: '--seed <n>', description: "study seed (default: the file's, else drawn once and stored)" },
    {
      flags: '--storage <url>',
      description: 'keep the study in PostgreSQL (postgresql://user:pass@host/db) so `tunekit worker` on other machines can join',
    },
    { flags: '--dashboard', description: 'serve the live report on 127.0.0.1 while the sweep runs' },
    { flags: '--port <n>', description: 'dashboard port (default 8123; 0 picks a free one)' },
    { flags: '--force', description: 'write into a non-empty --out directory that is not a tunekit run (nothing of it is deleted)' },
    allowChanged,
  ],
  after: `
Ctrl-C or SIGTERM stops gracefully (running trials end within one batch, are recorded interrupted, and are killed after 10 s if
they do not stop); a second Ctrl-C stops at once. Continue with \`tunekit resume <dir>\`.`,
};

export const RESUME: CommandDef = {
  name: 'resume',
  summary: 'continue the sweep stored in a run directory',
  args: [['[dir]', 'the run directory of a `tunekit run`']],
  options: [
    trialsOpt,
    workersOpt,
    allowChanged,
    {
      flags: '--storage <url>',
      description: "the PostgreSQL URL of a sweep started with --storage (default: the run directory's, password from PGPASSWORD)",
    },
  ],
};

export const WORKER: CommandDef = {
  name: 'worker',
  summary: 'join a sweep stored in PostgreSQL and run its trials on this machine',
  args: [['[storage]', 'the PostgreSQL URL the sweep was started with (`tunekit run --storage`)']],
  options: [
    { flags: '--study <name>', description: 'the sweep (study) name to join' },
    workersOpt,
    { flags: '--devices <list>', description: 'comma-separated devices, e.g. cpu or gpu:0,gpu:1 (default cpu)' },
    { flags: '--trials-per-device <n>', description: 'trials each GPU runs at once (default 1)' },
    { flags: '--out <dir>', description: "this machine's files: curves and checkpoints (default runs/<name>-worker-<host>)" },
  ],
};

export const STATUS: CommandDef = {
  name: 'status',
  summary: 'show the progress of a sweep (works while it runs)',
  args: [['[dir]', 'a run directory, or a PostgreSQL URL with --study']],
  options: [
    { flags: '--json', description: 'print the status as JSON' },
    { flags: '--study <name>', description: 'the study, when the storage holds several' },
  ],
};

export const REPORT: CommandDef = {
  name: 'report',
  summary: 'the leaderboard of a stored study: a table, JSON, or a self-contained HTML report',
  args: [['[storage]', 'a run directory, a study file, or a PostgreSQL URL']],
  options: [
    { flags: '--study <name>', description: 'the study, when the storage holds several' },
    { flags: '--json <file>', description: 'also write the leaderboard JSON to FILE (- prints it instead of the table)' },
    { flags: '--top <k>', description: 'keep the best K trials in the table and JSON' },
    { flags: '--html <file>', description: 'write a self-contained HTML report (charts, importance, curves, trial table) to FILE' },
  ],
};

export const DASHBOARD: CommandDef = {
  name: 'dashboard',
  summary: 'serve the live report of a study on 127.0.0.1 (read-only)',
  args: [['[storage]', 'a run directory, a study file, or a PostgreSQL URL']],
  options: [
    { flags: '--study <name>', description: 'the study, when the storage holds several' },
    { flags: '--port <n>', description: 'port (default 8123; 0 picks a free one)' },
    { flags: '--host <host>', description: 'address to bind (default 127.0.0.1: loopback only)' },
  ],
};

export const EXPORT_OPTUNA: CommandDef = {
  name: 'export-optuna',
  summary: "write a study as Optuna's JournalStorage file (optuna-dashboard and optuna.load_study open it)",
  args: [
    ['[storage]', 'a run directory, a study file, or a PostgreSQL URL'],
    ['[journal]', 'the journal file to write, e.g. journal.log'],
  ],
  options: [{ flags: '--study <name>', description: 'the study, when the storage holds several' }],
};

export const REPAIR: CommandDef = {
  name: 'repair',
  summary:
    'rebuild a damaged study file from every intact record (snapshot chunks, journal, a version-1 .bak) and say exactly what could not be recovered',
  args: [['[storage]', 'the study file (or the run directory holding study.json)']],
  options: [{ flags: '--dry-run', description: 'report what would be recovered without writing anything' }],
};

export const DEMO: CommandDef = {
  name: 'demo',
  summary: 'a small in-process MNIST sweep (no worker pool)',
  args: [],
  options: [
    { flags: '--out <dir>', description: 'run directory (default runs/demo-<time>)' },
    { flags: '--trials <n>', description: 'trials (default 16)' },
    { flags: '--epochs <n>', description: 'epochs per trial (default 4)' },
    { flags: '--seed <n>', description: 'study seed' },
    { flags: '--searcher <name>', description: 'tpe, gp, sobol, random, ...' },
  ],
};

export const EXPORT: CommandDef = {
  name: 'export',
  summary: 'export a trial (the best by default) to ONNX, verified against TF.js with onnxruntime-node',
  args: [['[dir]', 'a run directory (with study.json), a model directory (with model.json), or the PostgreSQL URL of a shared sweep']],
  options: [
    { flags: '--trial <best|n>', description: 'which trial of a run directory (default best)' },
    { flags: '--study <name>', description: 'the study, when a PostgreSQL storage holds several' },
    { flags: '--onnx <file>', description: 'the ONNX file to write (default <dir>/model.onnx)' },
    { flags: '--out <file>', description: 'same as --onnx' },
    { flags: '--quantize <mode>', description: 'int8 (dynamic) or int8-static (calibrated on --data)' },
    { flags: '--int8-form <form>', description: 'integer or qdq' },
    { flags: '--opset <n>', description: 'ONNX opset (17..21)' },
    { flags: '--data <name|file>', description: 'mnist, or a CSV file (with --target) for accuracy, calibration and compression' },
    { flags: '--target <col>', description: 'target column of a CSV --data file' },
    { flags: '--seed <n>', description: 'seed for data splits and compression' },
    { flags: '--limit <n>', description: 'rows of --data to use' },
    { flags: '--samples <n>', description: 'inputs compared between TF.js and onnxruntime' },
    { flags: '--tolerance <x>', description: 'relative tolerance of the parity check (|a-b| <= atol + rtol*|b|)' },
    { flags: '--max-accuracy-drop <x>', description: 'largest accuracy drop int8 may cost (fraction)' },
    { flags: '--calibration-samples <n>', description: 'samples for int8-static calibration' },
    { flags: '--metadata <k=v>', description: 'metadata stored in the ONNX file (repeatable)', multiple: true },
    { flags: '--config <file>', description: 'a JSON file stored as metadata tunekit.trial_config' },
    { flags: '--skip-latency', description: 'skip the latency measurement' },
    { flags: '--threads <n>', description: 'onnxruntime threads for the latency measurement' },
    { flags: '--json <file>', description: 'write the export report JSON to FILE (- prints it)' },
    { flags: '--backend <name>', description: 'TF.js backend: wasm, cpu, tensorflow, tensorflow-gpu' },
    { flags: '--distill <half|file>', description: "distil into a student: 'half' or a JSON ModelConfig file" },
    { flags: '--distill-epochs <n>', description: 'distillation epochs' },
    { flags: '--prune <sparsity>', description: 'magnitude-prune to this sparsity in [0, 1)' },
    { flags: '--structured', description: 'structured pruning (removes units/filters)' },
    { flags: '--prune-epochs <n>', description: 'fine-tuning epochs after pruning' },
  ],
};

/** Every command, in the order `tunekit --help` lists them. */
export const COMMANDS: readonly CommandDef[] = [RUN, RESUME, WORKER, STATUS, REPORT, DASHBOARD, EXPORT, EXPORT_OPTUNA, REPAIR, DEMO];
