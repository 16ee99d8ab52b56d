/**
 * docs/architecture.md and the dependency checker's table (.dependency-cruiser.cjs `PARTS`) say the same thing: the same parts,
 * in the same folders, with the same allowed arrows. `npm run depcheck` enforces the config; this keeps the document honest.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { createRequire } from 'node:module';

interface Part {
  readonly path: string;
  /** Part names, `*` (every part), or `{ part: regex }` for one file of that part. */
  readonly may: readonly (string | { readonly [part: string]: string })[];
}

const require = createRequire(import.meta.url);
const PARTS = (require('../../.dependency-cruiser.cjs') as { PARTS: { readonly [name: string]: Part } }).PARTS;
const doc = fs.readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8');
const names = Object.keys(PARTS);

/** The document's names for the config's parts where they differ. */
const DOC_NAME: { readonly [doc: string]: string } = { CLI: 'cli', entries: 'entry', 'study (controller)': 'study' };

/** Rows (cells trimmed) of the first table after `heading`. */
function table(heading: string): string[][] {
  const at = doc.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `docs/architecture.md has a "${heading}" section`);
  const lines = doc.slice(at).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
  }
  return rows;
}

function partName(cell: string): string {
  return DOC_NAME[cell] ?? cell;
}

/** The parts a "may import" cell names. */
function mayFromDoc(self: string, cell: string): string[] {
  if (cell.startsWith('every part')) {
    return names.filter(
      (n) => n !== self && !(n === 'cli' && cell.includes('but the CLI')) && !(n === 'entry' && !cell.includes('entries included')),
    );
  }
  return names.filter((n) => n !== 'cli' && n !== 'entry' && new RegExp(`\\b${n}\\b`).test(cell));
}

function mayFromConfig(name: string): string[] {
  const may = PARTS[name]!.may;
  if (may.includes('*')) return names.filter((n) => n !== name);
  return may.map((m) => (typeof m === 'string' ? m : Object.keys(m)[0]!));
}

test('the arrow table of the document is the checker table', () => {
  const rows = table('## The arrows');
  assert.equal(rows.map((r) => partName(r[0]!)).sort(), [...names].sort(), 'the same parts');
  for (const [docName, cell] of rows) {
    const name = partName(docName!);
    assert.equal(mayFromDoc(name, cell!).sort(), mayFromConfig(name).sort(), `arrows of ${name}`);
    // A one-file arrow (study -> src/report/leaderboard.ts) is named in the document with the file it allows.
    for (const m of PARTS[name]!.may) {
      if (typeof m === 'string') continue;
      const file = cell!.match(/`(src\/[^`]+\.ts)`/)?.[1];
      assert.ok(file && new RegExp(Object.values(m)[0]!).test(file), `${name}: the document names the one file the config allows`);
    }
  }
});

test('the parts table of the document names the checker folders', () => {
  const rows = table('## The parts');
  assert.equal(rows.map((r) => partName(r[0]!)).sort(), [...names].sort(), 'the same parts');
  for (const [docName, folders] of rows) {
    const name = partName(docName!);
    const paths = [...folders!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    assert.ok(paths.length > 0, `${name} names its folder`);
    for (const p of paths) {
      const sample = p.endsWith('/') ? `${p}x.ts` : p;
      assert.ok(new RegExp(PARTS[name]!.path).test(sample), `${name}: ${p} is inside ${PARTS[name]!.path}`);
    }
  }
});

test.run();
