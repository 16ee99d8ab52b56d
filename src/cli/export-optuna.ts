/**
 * `tunekit export-optuna <dir|storage> journal.log [--study NAME]`: writes the study as an Optuna JournalStorage file, which
 * `optuna-dashboard journal.log` and `optuna.load_study(storage=JournalStorage(JournalFileStorage("journal.log")))` open.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OptionsError, TunekitError } from '../core/errors.js';
import { readStudy } from '../report/source.js';
import { optunaJournalLines } from '../report/optuna-journal.js';

/** Arguments of {@link exportOptunaCommand}. */
export interface ExportOptunaArgs {
  /** A run directory, a study file or a storage URL. */
  readonly source: string;
  /** The journal file to write (replaced if it exists: a journal is append-only, so appending would duplicate the study). */
  readonly journal: string;
  readonly study?: string;
}

/** Writes the journal; returns the exit code (0). */
export async function exportOptunaCommand(args: ExportOptunaArgs, out: (line: string) => void): Promise<number> {
  if (!args.journal) throw new OptionsError('export-optuna needs the journal file to write, e.g. tunekit export-optuna runs/x journal.log');
  const target = path.resolve(args.journal);
  if (fs.existsSync(target) && fs.statSync(target).isDirectory())
    throw new OptionsError(`${args.journal} is a directory; give a file name such as ${path.join(args.journal, 'journal.log')}`);
  const snap = await readStudy({ source: args.source, ...(args.study !== undefined ? { study: args.study } : {}) });
  const lines = optunaJournalLines(snap.record, snap.trials);
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(tmp, `${lines.join('\n')}\n`);
    fs.renameSync(tmp, target);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw new TunekitError(
      'ERR_TUNEKIT_EXPORT_WRITE',
      `could not write ${target} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the directory exists and is writable`,
    );
  }
  out(`study ${snap.record.name} (${snap.trials.length} trials) written to ${args.journal} in Optuna's journal format`);
  out(`  open it with: optuna-dashboard ${args.journal}`);
  return 0;
}
