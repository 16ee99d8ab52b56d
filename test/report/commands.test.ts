/**
 * The command functions the CLI wires (`report --html`, `export-optuna`): they read a study file read-only (while its writer
 * holds the lock), write their output atomically, and fail with tunekit errors naming the path and the fix.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileStorage } from '../../src/storage/index.js';
import { htmlReportCommand } from '../../src/cli/html.js';
import { exportOptunaCommand } from '../../src/cli/export-optuna.js';
import { rejects } from '../helpers/rejects.js';
import { syntheticStudy } from './fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-report-cmd-'));
let writer: FileStorage;
const { study } = syntheticStudy({ trials: 1 });

test.before(async () => {
  writer = await FileStorage.open(path.join(dir, 'study.json'));
  await writer.createStudy(study);
  for (let i = 0; i < 4; i++) {
    const t = await writer.createTrial(study.name, {
      state: 'running',
      params: { model: { type: 'cnn', filters: 16 }, lr: 10 ** -(i + 1), layers: 1 + i, act: 'relu' },
    });
    await writer.reportIntermediate(study.name, t.number, 1, i);
    await writer.finishTrial(study.name, t.number, { state: 'complete', value: i });
  }
});
test.after(async () => {
  await writer.close(); // still open: the commands never needed its lock
  fs.rmSync(dir, { recursive: true, force: true });
});

test('report --html writes one self-contained file from a study a writer holds open', async () => {
  const lines: string[] = [];
  const out = path.join(dir, 'out', 'report.html');
  assert.is(await htmlReportCommand({ source: dir, html: out }, (l) => lines.push(l)), 0);
  const html = fs.readFileSync(out, 'utf8');
  assert.ok(html.startsWith('<!doctype html>'));
  assert.not.match(html, /<script[^>]+src=|<link[^>]+href=/, 'nothing is loaded from elsewhere');
  assert.ok(html.includes('"name":"synthetic"'));
  assert.match(lines.join('\n'), /4 trials/);
  assert.equal(fs.readdirSync(path.dirname(out)), ['report.html'], 'no temporary file left');
});

test('export-optuna writes the journal; both commands refuse bad paths with the fix', async () => {
  const journal = path.join(dir, 'journal.log');
  assert.is(await exportOptunaCommand({ source: path.join(dir, 'study.json'), journal }, () => {}), 0);
  const lines = fs.readFileSync(journal, 'utf8').trim().split('\n');
  assert.is((JSON.parse(lines[0]!) as { op_code: number }).op_code, 0);
  assert.is(lines.filter((l) => (JSON.parse(l) as { op_code: number }).op_code === 4).length, 4);
  await rejects(() => exportOptunaCommand({ source: dir, journal: dir }, () => {}), /is a directory; give a file name/);
  await rejects(
    () => htmlReportCommand({ source: path.join(dir, 'missing'), html: path.join(dir, 'x.html') }, () => {}),
    /no storage file at .*missing/,
  );
  await rejects(() => htmlReportCommand({ source: dir, html: dir }, () => {}), /is a directory/);
  await rejects(
    () => htmlReportCommand({ source: dir, html: path.join(dir, 'r.html'), study: 'other' }, () => {}),
    /no study named "other"/,
  );
});

test.run();
