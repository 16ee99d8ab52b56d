#!/usr/bin/env node
/**
 * The `tunekit` command. Subcommands:
 *   tunekit report <storage> [--study NAME] [--json FILE|-] [--top K]
 *   tunekit demo [--out DIR] [--trials N] [--epochs N] [--seed N] [--searcher NAME]   (what `npm start` runs)
 * Errors print one clear line (no stack) and exit 2 for usage errors, 1 otherwise.
 */
import { parseArgs } from 'node:util';
import { reportCommand } from './report.js';
import { EXPORT_USAGE } from './export-usage.js';
import { OptionsError, TunekitError } from '../core/errors.js';

const USAGE = `usage:
  tunekit run <sweep.json|.ts|.js> [--out DIR] [--trials N] [--workers N] [--seed N]
  tunekit resume <dir> [--trials N] [--workers N]
  tunekit status <dir> [--json]
  tunekit report <storage-file-or-dir> [--study NAME] [--json FILE|-] [--top K]
  tunekit demo [--out DIR] [--trials N] [--epochs N] [--seed N] [--searcher tpe|gp|sobol|random|...]
${EXPORT_USAGE}
`;

function intArg(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new OptionsError(`--${name} must be an integer >= 0, got ${JSON.stringify(v)}`);
  return n;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  switch (command) {
    case 'report': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { study: { type: 'string' }, json: { type: 'string' }, top: { type: 'string' } },
      });
      const storage = positionals[0];
      if (!storage || positionals.length > 1) throw new OptionsError(`report takes one storage path\n${USAGE}`);
      const top = intArg('top', values.top);
      await reportCommand({ storage, ...(values.study ? { study: values.study } : {}), ...(values.json ? { json: values.json } : {}), ...(top !== undefined ? { top } : {}) }, out);
      return 0;
    }
    case 'demo': {
      const { values } = parseArgs({
        args: rest,
        options: { out: { type: 'string' }, trials: { type: 'string' }, epochs: { type: 'string' }, seed: { type: 'string' }, searcher: { type: 'string' } },
      });
      const { demoCommand } = await import('./demo.js');
      const trials = intArg('trials', values.trials);
      const epochs = intArg('epochs', values.epochs);
      const seed = intArg('seed', values.seed);
      await demoCommand(
        {
          ...(values.out ? { out: values.out } : {}),
          ...(trials !== undefined ? { trials } : {}),
          ...(epochs !== undefined ? { epochs } : {}),
          ...(seed !== undefined ? { seed } : {}),
          ...(values.searcher ? { searcher: values.searcher } : {}),
        },
        out,
      );
      return 0;
    }
    case 'run': {
      const m = await import('./run.js');
      return m.runCommand(m.parseRunArgs(rest), out);
    }
    case 'resume': {
      const m = await import('./run.js');
      return m.resumeCommand(m.parseResumeArgs(rest), out);
    }
    case 'status': {
      const m = await import('./status.js');
      await m.statusCommand(m.parseStatusArgs(rest), out);
      return 0;
    }
    case 'export': {
      const { exportCommand, parseExportArgs } = await import('./export.js');
      await exportCommand(parseExportArgs(rest), out);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new OptionsError(`unknown command "${command}"\n${USAGE}`);
  }
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/cli/main.js') || process.argv[1]?.endsWith('/cli/main.ts');
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const usage = error instanceof OptionsError || (error instanceof TypeError && (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION');
      process.stderr.write(`tunekit: ${error instanceof TunekitError || error instanceof TypeError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = usage ? 2 : 1;
    },
  );
}
