/**
 * `tunekit repair <storage> [--dry-run]`: rebuilds a damaged study storage (a storage file, or a run directory holding
 * study.json) from every intact record and prints what was recovered and exactly what was not (src/storage/repair.ts).
 * Exit code 0: the storage is healthy or was rebuilt with nothing lost; 2: it was rebuilt (or, with --dry-run, would be) but
 * something could not be recovered (listed). Errors (a live writer holds the lock, no storage at the path) are thrown.
 */
import { repairStorage } from '../storage/repair.js';

/** Arguments of {@link repairCommand}. */
export interface RepairArgs {
  readonly storage: string;
  /** Report only, write nothing. */
  readonly dryRun?: boolean;
}

/** Runs the repair and prints a human report through `out`, one line per call; resolves to the exit code. */
export async function repairCommand(args: RepairArgs, out: (line: string) => void): Promise<number> {
  const dryRun = args.dryRun === true;
  const r = await repairStorage(args.storage, { dryRun });
  if (r.healthy) {
    out(`${r.file}: no damage found, nothing to repair.`);
    for (const s of r.studies) out(`  study "${s.name}": ${s.trials} trials (${s.finished} finished)`);
    return 0;
  }
  out(`${r.file}: damaged. ${dryRun ? 'Dry run: nothing was written.' : 'Rebuilt from every intact record.'}`);
  out('Read:');
  for (const s of r.sources) out(`  ${s}`);
  out(r.lost.length > 0 ? 'Could not recover:' : 'Everything was recovered.');
  for (const l of r.lost) out(`  ${l}`);
  out(dryRun ? 'The rebuilt storage would hold:' : 'The storage now holds:');
  for (const s of r.studies) {
    out(
      `  study "${s.name}": ${s.trials} trials (${s.finished} finished)${s.lost.length > 0 ? `, ${s.lost.length} lost (stored as failed placeholders)` : ''}`,
    );
  }
  if (r.written.length > 0) {
    out('Files:');
    for (const w of r.written) out(`  ${w}`);
  }
  if (dryRun) out(`Run \`tunekit repair ${args.storage}\` without --dry-run to rebuild it.`);
  const lostTrials = r.studies.some((s) => s.lost.length > 0);
  return r.lost.length > 0 || lostTrials ? 2 : 0;
}
