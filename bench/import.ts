/**
 * Import cost of the package entries: `node --import tsx bench/import.ts` (after `npm run build`).
 *
 * Each entry is imported by a fresh `node` process from the built dist/ (as users get it), five times; prints the median
 * wall time of the import and the RSS after it, and the ratio of the root entry (`tunekit`) to the full set
 * (`tunekit` + `tunekit/trials` + `tunekit/export`, what the root entry loaded before it was split). A baseline process that
 * imports nothing is measured in the same run and subtracted from the times. Goal (issue): root under 300 ms here and at
 * most 1/5 of the full import.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = 5;

function measure(imports: readonly string[]): { ms: number; rssMb: number } {
  const script = `
    const t0 = performance.now();
    ${imports.map((m) => `await import(${JSON.stringify(m)});`).join('\n')}
    const ms = performance.now() - t0;
    console.log(JSON.stringify({ ms, rss: process.memoryUsage().rss }));
  `;
  const samples = Array.from({ length: RUNS }, () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop() as string) as { ms: number; rss: number };
  });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  return { ms: median(samples.map((s) => s.ms)), rssMb: median(samples.map((s) => s.rss)) / 2 ** 20 };
}

const none = measure([]);
const rows: [string, readonly string[]][] = [
  ['tunekit (root)', ['tunekit']],
  ['tunekit/trials', ['tunekit/trials']],
  ['tunekit/export', ['tunekit/export']],
  ['all three (the old root)', ['tunekit', 'tunekit/trials', 'tunekit/export']],
];
const results = rows.map(([name, imports]) => ({ name, ...measure(imports) }));
console.log(`import cost, median of ${RUNS} fresh processes (baseline node: ${none.rssMb.toFixed(0)} MB RSS)`);
for (const r of results) console.log(`  ${r.name.padEnd(26)} ${r.ms.toFixed(0).padStart(6)} ms  ${r.rssMb.toFixed(0).padStart(5)} MB RSS`);
const rootRow = results[0] as { ms: number; rssMb: number };
const full = results[3] as { ms: number; rssMb: number };
console.log(
  `root / full: time ${(rootRow.ms / full.ms).toFixed(3)} (goal <= 0.2), RSS ${(rootRow.rssMb / full.rssMb).toFixed(2)}; root ${rootRow.ms.toFixed(0)} ms (goal < 300 ms)`,
);
