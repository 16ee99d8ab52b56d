/**
 * `tunekit report <dir|storage> --html report.html [--study NAME]`: writes the self-contained HTML report of a stored study
 * (read-only: works while a sweep writes it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { OptionsError, TunekitError } from '../core/errors.js';
import { loadReportData } from '../report/source.js';
import { renderReportHtml } from '../report/html.js';

/** Arguments of {@link htmlReportCommand}. */
export interface HtmlReportArgs {
  /** A run directory, a study file or a storage URL. */
  readonly source: string;
  /** Where the HTML file goes. */
  readonly html: string;
  readonly study?: string;
  /** Trials shown in full detail (default 5 best, plus the first 3 pruned). */
  readonly detailTrials?: number;
}

/** Writes the report; returns the process exit code (0). Errors are tunekit errors naming the path and the fix. */
export async function htmlReportCommand(args: HtmlReportArgs, out: (line: string) => void): Promise<number> {
  if (!args.html) throw new OptionsError('--html needs the output file, e.g. --html report.html');
  const target = path.resolve(args.html);
  if (fs.existsSync(target) && fs.statSync(target).isDirectory())
    throw new OptionsError(`--html ${args.html} is a directory; give a file name such as ${path.join(args.html, 'report.html')}`);
  const data = await loadReportData(
    { source: args.source, ...(args.study !== undefined ? { study: args.study } : {}) },
    args.detailTrials !== undefined ? { detailTrials: args.detailTrials } : {},
  );
  const html = renderReportHtml(data);
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(tmp, html);
    fs.renameSync(tmp, target);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw new TunekitError(
      'ERR_TUNEKIT_REPORT_WRITE',
      `could not write the HTML report to ${target} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the directory exists and is writable`,
    );
  }
  out(
    `HTML report of study ${data.leaderboard.study.name} (${data.trials.length} trials, ${(html.length / 1e6).toFixed(1)} MB) written to ${args.html}`,
  );
  return 0;
}
