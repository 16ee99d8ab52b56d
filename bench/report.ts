/**
 * The HTML report's speed on a large study, and screenshots of any run's report.
 *
 *   node --import tsx bench/report.ts [--trials 10000]      times data building, HTML rendering and page load to "ready" in
 *                                                          headless Chromium (median of 3 loads)
 *   node --import tsx bench/report.ts --screenshots <run-dir | study file> [--out docs]
 *                                                          writes <out>/report-<section>.png for the README/docs (what
 *                                                          docs/report-*.png were made with)
 *
 * Goal (issue "See the sweep"): a 10,000-trial study renders in under 3 s.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildReportData } from '../src/report/data.js';
import { renderReportHtml } from '../src/report/html.js';
import { loadReportData } from '../src/report/source.js';
import { startChromium, waitAllDrawn, waitReady } from '../test/report/browser.js';
import { syntheticStudy } from '../test/report/fixtures.js';

const { values } = parseArgs({ options: { trials: { type: 'string' }, screenshots: { type: 'string' }, out: { type: 'string' } } });

async function timeLoads(html: string, runs: number): Promise<{ ready: number[]; drawn: number[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunekit-bench-report-'));
  const file = path.join(dir, 'report.html');
  fs.writeFileSync(file, html);
  const chromium = await startChromium();
  const times: number[] = [];
  const drawn: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const { page, errors } = await chromium.page();
      // 'commit': measure from navigation with the page's own clock, not from the load event (which idle chart drawing delays).
      await page.goto(`file://${file}`, { waitUntil: 'commit' });
      await waitAllDrawn(page, 120_000);
      const at = JSON.parse((await page.evaluate('JSON.stringify({ ready: window.__tunekit.readyAt, allDrawn: window.__tunekit.allDrawnAt })')) as string) as { ready: number; allDrawn: number };
      times.push(at.ready);
      drawn.push(at.allDrawn);
      if (i === 0) console.log(`  render times (ms): ${await page.evaluate('JSON.stringify({ parse: window.__tunekit.parseMs, ...window.__tunekit.timings })')}`);
      if (errors.length) console.log(`  console errors: ${errors.join('; ')}`);
      await page.close();
    }
  } finally {
    await chromium.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { ready: times, drawn };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function speed(n: number): Promise<void> {
  const { study, trials } = syntheticStudy({ trials: n, seed: 8 });
  let t = performance.now();
  const data = buildReportData(study, trials);
  const buildMs = performance.now() - t;
  t = performance.now();
  const html = renderReportHtml(data);
  const renderMs = performance.now() - t;
  console.log(`${n} trials: data ${buildMs.toFixed(0)} ms (importance on ${data.importance.trials} trials), HTML ${renderMs.toFixed(0)} ms, ${(html.length / 1e6).toFixed(2)} MB`);
  const loads = await timeLoads(html, 3);
  console.log(`Chromium, ms from navigation: first screen drawn ${loads.ready.join(', ')} (median ${median(loads.ready)}; goal < 3000), every chart drawn ${loads.drawn.join(', ')} (median ${median(loads.drawn)})`);
  console.log(`machine load average while measuring: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
}

/** Sections photographed, by element id. */
const SHOTS: readonly [string, string][] = [
  ['summary', 'sec-summary'],
  ['history', 'sec-history'],
  ['timeline', 'sec-timeline'],
  ['importance', 'sec-importance'],
  ['parallel', 'sec-parallel'],
  ['slices', 'sec-slices'],
  ['contour', 'sec-contour'],
  ['curves', 'sec-curves'],
  ['rungs', 'sec-rungs'],
  ['table', 'sec-table'],
  ['detail', 'sec-detail'],
];

async function screenshots(source: string, out: string): Promise<void> {
  const data = await loadReportData({ source });
  const html = renderReportHtml(data);
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(os.tmpdir(), `tunekit-report-${process.pid}.html`);
  fs.writeFileSync(file, html);
  const chromium = await startChromium();
  try {
    const { page, errors } = await chromium.page();
    await page.goto(`file://${file}`);
    await waitAllDrawn(page, 120_000);
    for (const [name, id] of SHOTS) {
      const el = page.locator(`#${id}`);
      if ((await el.count()) === 0) continue;
      const target = path.join(out, `report-${name}.png`);
      await el.screenshot({ path: target });
      console.log(`wrote ${target}`);
    }
    if (errors.length) console.log(`console errors: ${errors.join('; ')}`);
  } finally {
    await chromium.close();
    fs.rmSync(file, { force: true });
  }
}

if (values.screenshots) await screenshots(values.screenshots, values.out ?? 'docs');
else await speed(Number(values.trials ?? 10_000));
