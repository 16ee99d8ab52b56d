/**
 * The HTML report's speed on a large study, and screenshots of any run's report.
 *
 *   node --import tsx bench/report.ts [--trials 10000]      times data building, HTML rendering and page load to "ready" in
 *                                                          headless Chromium (median of 3 loads)
 *   node --import tsx bench/report.ts --demo <dir> [--trials 10]
 *                                                          a small real MNIST sweep (in-process, 2 concurrent trials, median
 *                                                          pruning) that also writes each trial's diagnostics.json (confusion
 *                                                          matrix, feature maps, per-layer gradient norms): every panel filled
 *   node --import tsx bench/report.ts --screenshots <run-dir | study file> [--out docs]
 *                                                          writes <out>/report-<section>.png for the README/docs (what
 *                                                          docs/report-*.png were made with)
 *
 * Goal (issue "See the sweep"): a 10,000-trial study renders in under 3 s.
 *
 * Recorded 2026-12-04 (2 cores shared with other jobs, load average 9.3 / 10.5 / 12.9 while measuring), 10,000 trials:
 *   data 2527 ms (importance on 500 trials), HTML 69 ms, 4.73 MB;
 *   Chromium from navigation: first screen drawn 2761, 1794, 2266 ms (median 2266); every chart drawn 9459, 6927, 9884 ms
 *   (median 9459: the 20 charts below the fold are drawn one by one in idle time, or as they are scrolled to).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildReportData } from '../src/report/data.js';
import { renderReportHtml } from '../src/report/html.js';
import { loadReportData } from '../src/report/source.js';
import { startChromium, waitAllDrawn } from '../test/report/browser.js';
import { syntheticStudy } from '../test/report/fixtures.js';

const { values } = parseArgs({
  options: { trials: { type: 'string' }, screenshots: { type: 'string' }, out: { type: 'string' }, demo: { type: 'string' } },
});

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
      const at = JSON.parse(
        (await page.evaluate('JSON.stringify({ ready: window.__tunekit.readyAt, allDrawn: window.__tunekit.allDrawnAt })')) as string,
      ) as { ready: number; allDrawn: number };
      times.push(at.ready);
      drawn.push(at.allDrawn);
      if (i === 0)
        console.log(
          `  render times (ms): ${(await page.evaluate('JSON.stringify({ parse: window.__tunekit.parseMs, ...window.__tunekit.timings })')) as string}`,
        );
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
  console.log(
    `${n} trials: data ${buildMs.toFixed(0)} ms (importance on ${data.importance.trials} trials), HTML ${renderMs.toFixed(0)} ms, ${(html.length / 1e6).toFixed(2)} MB`,
  );
  const loads = await timeLoads(html, 3);
  console.log(
    `Chromium, ms from navigation: first screen drawn ${loads.ready.join(', ')} (median ${median(loads.ready)}; goal < 3000), every chart drawn ${loads.drawn.join(', ')} (median ${median(loads.drawn)})`,
  );
  console.log(
    `machine load average while measuring: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores`,
  );
}

/** A small real MNIST sweep writing the files the report reads, diagnostics included (see the header). */
async function demoSweep(dir: string, trials: number): Promise<void> {
  const { createStudy } = await import('../src/study/open.js');
  const { space } = await import('../spaces/index.js');
  const { loadMnist, runTrial, useBackend } = await import('../trials/index.js');
  const { epochSignals } = await import('../trials/signals.js');
  const { writeJsonAtomic } = await import('../src/core/json-file.js');
  const { writeTrialDiagnostics } = await import('../src/report/diagnostics.js');
  await useBackend('wasm');
  const data = await loadMnist({ seed: 1, val: 0.15, test: 0.15 });
  const study = await createStudy({
    name: 'mnist-report-demo',
    space: {
      model: space.choice({
        cnn: {
          filters: space.choice([
            [8, 16],
            [16, 32],
          ]),
          dense: space.choice([0, 64]),
        },
        mlp: { units: space.choice([[128], [256, 128]]), dropout: space.float(0, 0.4, { step: 0.1 }) },
      }),
      lr: space.float(3e-4, 3e-2, { log: true }),
      batchSize: space.choice([64, 128]),
    },
    direction: 'maximize',
    searcher: 'tpe',
    pruner: { type: 'median', startupTrials: 3, warmupSteps: 1 },
    seed: 1,
    storage: path.join(dir, 'study.json'),
    loadIfExists: true,
  });
  try {
    await study.optimize(
      async (p, ctx) => {
        const tdir = path.join(dir, 'trials', String(ctx.number));
        const config = {
          model:
            p.model.type === 'cnn'
              ? { type: 'cnn' as const, filters: p.model.filters, dense: p.model.dense }
              : { type: 'mlp' as const, units: p.model.units, dropout: p.model.dropout },
          optimizer: { type: 'adam' as const, lr: p.lr },
          loss: 'crossentropy' as const,
          epochs: 3,
          batchSize: p.batchSize,
          seed: ctx.number,
          backend: 'wasm' as const,
          objective: { metric: 'valAccuracy', direction: 'maximize' as const },
          featureMaps: { channels: 4 },
        };
        writeJsonAtomic(path.join(tdir, 'config.json'), { number: ctx.number, started: new Date().toISOString(), params: p, config });
        const curves: Record<string, number>[] = [];
        const t0 = Date.now();
        const run = await runTrial(config, data, {
          signal: ctx.signal,
          outDir: path.join(tdir, 'model'),
          report: async (e) => {
            curves.push({ step: e.epoch, ...epochSignals(e), t: Date.now() - t0 });
            return (await ctx.report(e.epoch, e.metrics['valAccuracy'] ?? NaN)) === 'prune' ? 'stop' : 'continue';
          },
        });
        writeJsonAtomic(path.join(tdir, 'curves.json'), curves);
        writeTrialDiagnostics(tdir, run);
        const best = run.history.find((e) => e.epoch === run.bestEpoch);
        return {
          value: best?.metrics['valAccuracy'] ?? NaN,
          metrics: { testAccuracy: run.test['accuracy'] ?? NaN, paramCount: run.paramCount },
        };
      },
      { trials, concurrency: 2 },
    );
  } finally {
    await study.close();
  }
  console.log(`demo sweep written to ${dir}; screenshots: node --import tsx bench/report.ts --screenshots ${dir}`);
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
    // The pruning reason on hover: move the mouse onto the first "pruned here" marker of the learning curves.
    const marker = (await page.evaluate(`(() => {
      const c = window.charts && window.charts['chart-curves'];
      const s = c && c.getOption().series[3];
      if (!s || !s.data.length) return null;
      const p = c.convertToPixel({ seriesIndex: 3 }, s.data[0].slice(0, 2));
      const r = document.getElementById('chart-curves').getBoundingClientRect();
      return [r.left + p[0], r.top + p[1]];
    })()`)) as [number, number] | null;
    if (marker) {
      await page.locator('#sec-curves').scrollIntoViewIfNeeded();
      const again = (await page.evaluate(
        `(() => { const c = window.charts['chart-curves']; const s = c.getOption().series[3]; const p = c.convertToPixel({ seriesIndex: 3 }, s.data[s.data.length - 1].slice(0, 2)); const r = document.getElementById('chart-curves').getBoundingClientRect(); return [r.left + p[0], r.top + p[1]]; })()`,
      )) as [number, number];
      await page.mouse.move(again[0] - 20, again[1] - 20);
      await page.mouse.move(again[0], again[1], { steps: 5 });
      await page.waitForTimeout(600);
      console.log(
        `  tooltip: ${(await page.evaluate("(() => { const t = [...document.querySelectorAll('#chart-curves div')].find((d) => d.style.zIndex === '9999999' || d.className.includes('tooltip')); return t ? t.textContent : 'none'; })()")) as string}`,
      );
      const target = path.join(out, 'report-pruned-reason.png');
      await page.locator('#sec-curves').screenshot({ path: target });
      console.log(`wrote ${target}`);
    }
    if (errors.length) console.log(`console errors: ${errors.join('; ')}`);
  } finally {
    await chromium.close();
    fs.rmSync(file, { force: true });
  }
}

if (values.demo) await demoSweep(values.demo, Number(values.trials ?? 10));
else if (values.screenshots) await screenshots(values.screenshots, values.out ?? 'docs');
else await speed(Number(values.trials ?? 10_000));
