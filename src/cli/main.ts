#!/usr/bin/env node
/**
 * The `tunekit` command: commander over the command definitions in commands.ts; each command's implementation is loaded only
 * when it runs (so `tunekit --help` and `tunekit status` never load TF.js or onnxruntime). Errors print one line (no stack
 * trace, control characters escaped); exit codes: 0 done, 1 failed, 2 bad usage, 130 interrupted.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { OptionsError, SweepFileError, TunekitError } from '../core/errors.js';
import { producerVersion } from '../core/version.js';
import { escapeControl, safeLines, type LineWriter } from '../core/terminal.js';
import { EXIT, EXIT_HELP, buildCommand, intFlag, parsedOf, str, type Parsed } from './args.js';
import { COMMANDS } from './commands.js';

type Handler = (p: Parsed, out: LineWriter) => Promise<number>;

/** The one positional argument of `command`, or a usage error. */
function one(p: Parsed, command: string): string {
  if (p.positionals.length !== 1) throw new OptionsError(`${command} takes one argument; see \`tunekit ${command} --help\``);
  return p.positionals[0] as string;
}

/** Each command's implementation, imported on demand. */
const HANDLERS: { readonly [name: string]: Handler } = {
  run: async (p, out) => {
    const m = await import('./run.js');
    return m.runCommand(m.runArgsFrom(p), out);
  },
  resume: async (p, out) => {
    const m = await import('./run.js');
    return m.resumeCommand(m.resumeArgsFrom(p), out);
  },
  worker: async (p, out) => {
    const m = await import('./worker.js');
    return m.workerCommand(m.workerArgsFrom(p), out);
  },
  status: async (p, out) => {
    const m = await import('./status.js');
    await m.statusCommand(m.statusArgsFrom(p), out);
    return EXIT.done;
  },
  report: async (p, out) => {
    const m = await import('./report.js');
    return m.reportCommand(m.reportArgsFrom(p), out);
  },
  export: async (p, out) => {
    const [{ exportArgsFrom }, { exportCommand }] = await Promise.all([import('./export-args.js'), import('./export.js')]);
    await exportCommand(exportArgsFrom(p), out);
    return EXIT.done;
  },
  dashboard: async (p, out) => {
    const m = await import('./dashboard.js');
    const port = intFlag(p, 'port', 0, 65535);
    const study = str(p, 'study');
    const host = str(p, 'host');
    return m.dashboardCommand(
      {
        source: one(p, 'dashboard'),
        ...(study !== undefined ? { study } : {}),
        ...(port !== undefined ? { port } : {}),
        ...(host !== undefined ? { host } : {}),
      },
      out,
    );
  },
  'export-optuna': async (p, out) => {
    if (p.positionals.length !== 2)
      throw new OptionsError('export-optuna takes a storage and the journal file to write, e.g. tunekit export-optuna runs/x journal.log');
    const m = await import('./export-optuna.js');
    const study = str(p, 'study');
    return m.exportOptunaCommand(
      { source: p.positionals[0] as string, journal: p.positionals[1] as string, ...(study !== undefined ? { study } : {}) },
      out,
    );
  },
  repair: async (p, out) => {
    const m = await import('./repair.js');
    return m.repairCommand({ storage: one(p, 'repair'), ...(p.values['dry-run'] === true ? { dryRun: true } : {}) }, out);
  },
  demo: async (p, out) => {
    const m = await import('./demo.js');
    await m.demoCommand(m.demoArgsFrom(p), out);
    return EXIT.done;
  },
};

/** The program: every implemented command, `--version`, `help`. */
export function program(run: (name: string, p: Parsed) => Promise<void>): Command {
  const prog = new Command('tunekit')
    .description('AutoML for TensorFlow.js: declare a search space, run a seeded, crash-safe sweep, export the winner')
    .version(producerVersion(), '-v, --version', 'print the version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .addHelpText('after', EXIT_HELP);
  for (const def of COMMANDS) {
    if (!HANDLERS[def.name]) continue;
    const cmd = buildCommand(def);
    cmd.action(async (...all: unknown[]) => run(def.name, parsedOf(all[all.length - 1] as Command)));
    prog.addCommand(cmd);
  }
  return prog;
}

/** Exit code of an error: usage problems 2, anything else 1. */
function exitCodeOf(error: unknown): number {
  return error instanceof OptionsError || error instanceof SweepFileError || error instanceof CommanderError ? EXIT.usage : EXIT.failed;
}

/** One line a person can act on: tunekit errors and usage errors by message; anything else too, never with a stack trace. */
function messageOf(error: unknown): string {
  if (error instanceof TunekitError || error instanceof TypeError || error instanceof Error) return error.message;
  return String(error);
}

/** Runs `tunekit <argv>`; resolves with the exit code. */
export async function main(argv: readonly string[], out: LineWriter = safeLines()): Promise<number> {
  let code: number = EXIT.done;
  const prog = program(async (name, p) => {
    code = await (HANDLERS[name] as Handler)(p, out);
  });
  prog.configureOutput({
    writeOut: (s) => out(s.replace(/\n$/, '')),
    writeErr: (s) => process.stderr.write(s),
  });
  if (argv.length === 0) {
    out(prog.helpInformation().replace(/\n$/, ''));
    return EXIT.usage;
  }
  try {
    await prog.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with a CommanderError too, with exit code 0.
      return error.exitCode === 0 ? EXIT.done : EXIT.usage;
    }
    process.stderr.write(`tunekit: ${escapeControl(messageOf(error))}\n`);
    return exitCodeOf(error);
  }
  return code;
}

/** True when this file is the program being run, also through a symlinked bin (npx, node_modules/.bin, a global install). */
function isMain(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return fs.realpathSync(script) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`tunekit: ${escapeControl(messageOf(error))}\n`);
      process.exitCode = exitCodeOf(error);
    },
  );
}
