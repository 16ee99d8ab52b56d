/**
 * The live dashboard: served from a child process on loopback while a "sweep" (a FileStorage writer in this process) adds
 * trials; the open page picks up a trial that finishes; the server is read-only, survives a client that never reads, and
 * killing it leaves the writer working. Needs /usr/bin/chromium (fails, never skips, without it).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FileStorage } from '../../src/storage/index.js';
import { startDashboard, type DashboardHandle } from '../../src/cli/dashboard.js';
import { createDashboardServer } from '../../src/report/server.js';
import { rejects } from '../helpers/rejects.js';
import { pageState, startChromium, waitAllDrawn, type Chromium } from './browser.js';
import { syntheticStudy } from './fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-dash-'));
let storage: FileStorage;
let chromium: Chromium;
let dash: DashboardHandle;
const { study } = syntheticStudy({ trials: 1 });

async function addTrial(value: number): Promise<void> {
  const t = await storage.createTrial(study.name, {
    state: 'running',
    params: { model: { type: 'cnn', filters: 16 }, lr: 0.003, layers: 2, act: 'relu' },
  });
  await storage.reportIntermediate(study.name, t.number, 1, value * 2);
  await storage.finishTrial(study.name, t.number, { state: 'complete', value });
}

test.before(async () => {
  fs.mkdirSync(path.join(dir, 'trials'));
  storage = await FileStorage.open(path.join(dir, 'study.json'));
  await storage.createStudy(study);
  for (let i = 0; i < 5; i++) await addTrial(1 + i / 10);
  chromium = await startChromium();
  dash = await startDashboard({ source: dir, port: 0 });
});
test.after(async () => {
  await dash.close();
  await chromium.close();
  await storage.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('listens on loopback only and is read-only', async () => {
  assert.match(dash.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const post = await fetch(`${dash.url}api/data`, { method: 'POST', body: '{}' });
  assert.is(post.status, 405);
  const v = (await (await fetch(`${dash.url}api/version`)).json()) as { version: string; trials: number };
  assert.is(v.trials, 5);
  assert.is((await fetch(`${dash.url}etc/passwd`)).status, 404);
});

test('the open page picks up a trial that finishes, with no console errors', async () => {
  const { page, errors } = await chromium.page();
  await page.goto(dash.url);
  await waitAllDrawn(page);
  assert.is((await pageState(page)).trials, 5);
  await addTrial(0.5);
  await page.waitForFunction(() => (globalThis as unknown as { __tunekit: { trials: number } }).__tunekit.trials === 6, null, {
    timeout: 30_000,
    polling: 200,
  });
  const st = await pageState(page);
  assert.ok(st.renders >= 2);
  assert.ok(((await page.textContent('#sec-summary')) ?? '').includes('#5 value 0.5'), 'the new best trial is in the summary');
  // Paused (someone is brushing): the page keeps its picture and says what is new; unpausing brings it in.
  await page.check('#live-pause');
  await addTrial(0.45);
  await page.waitForFunction(
    () =>
      /paused: 1 new/.test(
        (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }).document.getElementById(
          'live-status',
        ).textContent,
      ),
    null,
    { timeout: 30_000, polling: 200 },
  );
  assert.is((await pageState(page)).trials, 6);
  await page.uncheck('#live-pause');
  await page.waitForFunction(() => (globalThis as unknown as { __tunekit: { trials: number } }).__tunekit.trials === 7, null, {
    timeout: 30_000,
    polling: 200,
  });
  assert.equal(errors, []);
  assert.equal(st.errors, []);
  await page.close();
});

test('a client that never reads does not block others', async () => {
  const port = Number(new URL(dash.url).port);
  const stuck: net.Socket[] = [];
  for (let i = 0; i < 5; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.write('GET /api/data HTTP/1.1\r\nHost: x\r\n\r\n');
    s.pause(); // never reads its response
    stuck.push(s);
  }
  const r = await fetch(`${dash.url}api/version`);
  assert.is(r.status, 200);
  for (const s of stuck) s.destroy();
});

test('started before the study exists (a sweep starting), it waits for it; a missing path is refused', async () => {
  const early = path.join(dir, 'early');
  fs.mkdirSync(early);
  const server = await createDashboardServer({ source: early, port: 0 });
  try {
    assert.match(await (await fetch(server.url)).text(), /Waiting for the study/);
    const s = await FileStorage.open(path.join(early, 'study.json'));
    await s.createStudy(study);
    await s.close();
    await new Promise((r) => setTimeout(r, 1100)); // the server re-reads at most once a second
    assert.match(await (await fetch(server.url)).text(), /tk-data/);
  } finally {
    await server.close();
  }
  await rejects(() => createDashboardServer({ source: path.join(dir, 'nope'), port: 0 }), /no storage file/);
});

test('close() resolves even when nothing else keeps Node running (code after it still runs)', () => {
  const script = `import { startDashboard } from ${JSON.stringify(new URL('../../src/cli/dashboard.ts', import.meta.url).href)};
const h = await startDashboard({ source: ${JSON.stringify(dir)}, port: 0 });
await h.close();
console.log('after close');`;
  const file = path.join(dir, 'close-check.mts');
  fs.writeFileSync(file, script);
  const out = execFileSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 60_000 });
  assert.match(out, /after close/);
});

test('the writer goes on when the dashboard dies', async () => {
  await dash.close();
  await addTrial(0.4); // rejects (failing the test) if the storage was disturbed
  const trials = await storage.getTrials(study.name);
  assert.is(trials.length, 8);
  let refused = false;
  await fetch(dash.url).catch(() => (refused = true));
  assert.ok(refused, 'the dashboard is gone');
});

test.run();
