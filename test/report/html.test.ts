/**
 * The HTML report in headless Chromium: loads offline with no console errors, every chart paints with the expected series,
 * hostile text stays text, the virtual table stays small in the DOM, and a 10,000-trial study renders (loose bound only; the
 * speed figure lives in bench/report.ts). Needs /usr/bin/chromium: fails, never skips, when it cannot start.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildReportData } from '../../src/report/data.js';
import { renderReportHtml, scriptJson } from '../../src/report/html.js';
import { canvasPainted, pageState, startChromium, waitAllDrawn, type Chromium } from './browser.js';
import { syntheticStudy } from './fixtures.js';

let chromium: Chromium;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-html-'));

test.before(async () => {
  chromium = await startChromium();
});
test.after(async () => {
  await chromium.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function open(name: string, html: string) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, html);
  const { page, errors } = await chromium.page();
  await page.goto(`file://${file}`);
  await waitAllDrawn(page);
  return { page, errors };
}

test('scriptJson cannot close the script element', () => {
  const s = scriptJson({ a: '</script><script>alert(1)</script>', b: '<!--' });
  assert.not.ok(s.includes('<'));
  assert.equal(JSON.parse(s), { a: '</script><script>alert(1)</script>', b: '<!--' });
});

test('every chart of a multi-fidelity study paints, with no console errors and no network', async () => {
  const { study, trials } = syntheticStudy({ trials: 60, seed: 2, budgets: true });
  const data = buildReportData(study, trials);
  const { page, errors } = await open('mf.html', renderReportHtml(data));
  const st = await pageState(page);
  assert.equal(errors, []);
  assert.equal(st.errors, []);
  const expected: Record<string, number> = {
    'chart-history': 3, // complete, pruned, best so far
    'chart-timeline': 1,
    'chart-importance': 2, // bars + whiskers
    'chart-parallel': 1,
    'chart-contour': 2,
    'chart-curves': 4, // complete, pruned, running/failed, pruned markers
    'chart-rungs': 2,
    'chart-slice-0': 1,
  };
  for (const [id, series] of Object.entries(expected)) {
    assert.ok(st.charts[id], `${id} exists`);
    assert.is(st.charts[id]!.series, series, `${id} series`);
    assert.ok(await canvasPainted(page, id), `${id} painted`);
  }
  assert.is(st.charts['chart-timeline']!.points, trials.filter((t) => t.started).length);
  assert.is(
    st.charts['chart-parallel']!.points,
    trials.filter((t) => (t.state === 'complete' || t.state === 'pruned') && Number.isFinite(t.value)).length,
  );
  // The importance ranks lr first: the synthetic objective is dominated by it.
  assert.is(data.importance.params[0]!.name, 'lr');
  assert.is(st.trials, 60);
  assert.is(st.tableRows, 60);
  // Detail view of the winner: loss curve drawn.
  assert.ok(st.charts['chart-d-loss'], 'winner detail has a loss chart');
  await page.close();
});

test("the winner's detail view draws its confusion matrix, feature maps and export report", async () => {
  const { study, trials } = syntheticStudy({ trials: 20, seed: 10 });
  const run = path.join(dir, 'run');
  const best = buildReportData(study, trials, { importance: { trees: 4, refits: 1 } }).leaderboard.summary.best!.number;
  const tdir = path.join(run, 'trials', String(best));
  fs.mkdirSync(path.join(tdir, 'model'), { recursive: true });
  fs.writeFileSync(
    path.join(tdir, 'curves.json'),
    JSON.stringify(
      [1, 2, 3].map((step) => ({
        step,
        trainLoss: 2 / step,
        valLoss: 2.2 / step,
        valAccuracy: 0.5 + step / 10,
        lr: 0.01 / step,
        gradNorm: 1 / step,
      })),
    ),
  );
  fs.writeFileSync(
    path.join(tdir, 'diagnostics.json'),
    JSON.stringify({
      confusion: [
        [50, 2, 1],
        [3, 40, 5],
        [0, 4, 45],
      ],
      classNames: ['zero', '<b>one</b>', 'two'],
      featureMaps: { conv1: { shape: [2, 3, 3], data: [0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1, 0] } },
      layerGradNorms: { dense1: [0.5, 0.4, 0.3], dense2: [0.2, 0.1, 0.05] },
    }),
  );
  fs.writeFileSync(
    path.join(tdir, 'model', 'export-report.json'),
    JSON.stringify({
      path: 'model.onnx',
      quantize: 'int8',
      bytes: 1000,
      fp32Bytes: 4000,
      sizeRatio: 0.25,
      accuracy: { tfjs: 0.9, onnx: 0.9, int8: 0.89, drop: 0.01 },
      latency: { rows: [{ batch: 1, tfjsMs: 1.2, onnxMs: 0.3, int8Ms: 0.2 }] },
    }),
  );
  const { page, errors } = await open(
    'detail.html',
    renderReportHtml(buildReportData(study, trials, { dir: run, importance: { trees: 4, refits: 1 } })),
  );
  const st = await pageState(page);
  assert.equal(errors, []);
  for (const id of ['chart-d-loss', 'chart-d-metrics', 'chart-d-lr', 'chart-d-grad', 'chart-d-layers', 'chart-d-confusion']) {
    assert.ok(st.charts[id], id);
    assert.ok(await canvasPainted(page, id), `${id} painted`);
  }
  assert.is(st.charts['chart-d-confusion']!.points, 9);
  assert.is(st.charts['chart-d-layers']!.series, 2);
  assert.is(st.featureMaps, 2);
  const text = (await page.textContent('#sec-detail')) ?? '';
  assert.ok(text.includes('accuracy int8') && text.includes('0.89'), 'export report shown');
  await page.close();
});

test('a multi-objective study shows a Pareto front', async () => {
  const { study, trials } = syntheticStudy({ trials: 30, seed: 6, multiObjective: true });
  const { page, errors } = await open('mo.html', renderReportHtml(buildReportData(study, trials)));
  const st = await pageState(page);
  assert.equal(errors, []);
  assert.is(st.charts['chart-pareto']?.series, 3); // front, dominated, infeasible
  assert.ok(await canvasPainted(page, 'chart-pareto'));
  await page.close();
});

test('hostile study name, parameter value and pruning reason show as text and run nothing', async () => {
  const hostile = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;
  const { study, trials } = syntheticStudy({ trials: 30, seed: 7, hostile });
  const { page, errors } = await open('hostile.html', renderReportHtml(buildReportData(study, trials)));
  assert.is(await page.evaluate('window.__pwned === undefined'), true);
  assert.is(await page.evaluate('document.querySelectorAll("#app img, #app script").length'), 0);
  const title = (await page.textContent('#sec-summary h2')) ?? '';
  assert.ok(title.includes(hostile), 'the study name is shown literally');
  // A pruned trial's reason, shown in its detail view, is literal text.
  const pruned = trials.find((t) => t.state === 'pruned')!;
  await page.evaluate(`renderDetail(null, ${pruned.number})`);
  assert.ok(((await page.textContent('#sec-detail .reason')) ?? '').includes(hostile));
  // Hovering charts builds tooltips: they must stay inert too.
  const box = await page.locator('#chart-curves').boundingBox();
  if (box) for (let x = 0.2; x < 1; x += 0.1) await page.mouse.move(box.x + box.width * x, box.y + box.height / 2);
  assert.is(await page.evaluate('window.__pwned === undefined'), true);
  assert.equal(errors, []);
  await page.close();
});

test('10,000 trials render, and the virtual table keeps the DOM small and filters', async () => {
  const { study, trials } = syntheticStudy({ trials: 10_000, seed: 8 });
  const html = renderReportHtml(buildReportData(study, trials, { importance: { maxTrials: 300, refits: 1, trees: 16 } }));
  const started = Date.now();
  const { page, errors } = await open('big.html', html);
  const ms = Date.now() - started;
  assert.ok(ms < 30_000, `rendered in ${ms} ms (loose bound; see bench/report.ts for the figure)`);
  const st = await pageState(page);
  assert.equal(errors, []);
  assert.is(st.trials, 10_000);
  assert.is(st.tableRows, 10_000);
  assert.ok(st.tableDomRows < 100, `only ${st.tableDomRows} rows in the DOM`);
  await page.fill('#trial-filter', 'pruned');
  assert.is((await pageState(page)).tableRows, trials.filter((t) => t.state === 'pruned').length);
  await page.selectOption('#state-filter', 'failed');
  await page.fill('#trial-filter', '');
  assert.is((await pageState(page)).tableRows, trials.filter((t) => t.state === 'failed').length);
  await page.close();
});

test.run();
