/**
 * The report page: one self-contained HTML file (ECharts' minified dist file, the data and the page code are inlined, so it
 * opens offline and can be mailed or attached to a pull request). The live dashboard serves the same page with `live: true`.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { TunekitError } from '../core/errors.js';
import type { ReportData } from './data.js';
import { CLIENT_BASE } from './client/base.js';
import { CLIENT_CHARTS } from './client/charts.js';
import { CLIENT_CURVES } from './client/curves.js';
import { CLIENT_TABLE } from './client/table.js';
import { CLIENT_DETAIL } from './client/detail.js';

let echartsSource: string | undefined;

/** ECharts' minified browser build, read once from node_modules. */
export function echartsScript(): string {
  if (echartsSource !== undefined) return echartsSource;
  let file: string;
  try {
    file = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');
  } catch {
    throw new TunekitError(
      'ERR_TUNEKIT_REPORT_ASSET',
      'the HTML report needs the `echarts` package (a tunekit dependency): run `npm install` in the project',
    );
  }
  echartsSource = fs.readFileSync(file, 'utf8');
  return echartsSource;
}

/**
 * JSON safe inside a <script> element: `<` is written as \u003c (so no `</script>` or `<!--` can end or change the element),
 * and U+2028/2029 are escaped. The page reads it with JSON.parse, so nothing in the data is ever run.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; margin: 0; color: #111827; background: #f3f4f6; }
header { background: #111827; color: #f9fafb; padding: 10px 20px; display: flex; gap: 16px; align-items: baseline; }
header h1 { font-size: 18px; margin: 0; }
header .pause { font-size: 12px; margin-left: auto; cursor: pointer; }
#app { max-width: 1280px; margin: 0 auto; padding: 12px 20px 40px; }
section { background: #fff; border-radius: 8px; padding: 12px 16px; margin: 14px 0; box-shadow: 0 1px 2px rgba(0,0,0,.06); }
h2 { font-size: 16px; margin: 4px 0 8px; } h3 { font-size: 14px; margin: 12px 0 6px; } h4 { font-size: 13px; margin: 12px 0 4px; }
.note { color: #6b7280; font-size: 12px; margin: 0 0 8px; }
.chart { width: 100%; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 8px; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
table.kv { border-collapse: collapse; font-size: 13px; } table.kv th { text-align: left; color: #4b5563; font-weight: 500; padding: 2px 16px 2px 0; vertical-align: top; }
table.kv td { padding: 2px 0; word-break: break-word; }
pre.json { background: #f9fafb; padding: 8px; border-radius: 6px; font-size: 12px; max-height: 360px; overflow: auto; margin: 0; }
.controls { display: flex; gap: 10px; align-items: center; margin: 4px 0 8px; }
.tablewrap { overflow-x: auto; border: 1px solid #e5e7eb; border-radius: 6px; }
.viewport { height: 480px; overflow-y: auto; position: relative; }
.spacer { position: relative; }
.trow { display: flex; height: 24px; position: absolute; left: 0; white-space: nowrap; font-size: 12px; cursor: pointer; }
.trow:hover { background: #eef2ff; }
.thead { position: relative; background: #f9fafb; font-weight: 600; cursor: default; border-bottom: 1px solid #e5e7eb; }
.thead .tcell { cursor: pointer; }
.tcell { padding: 3px 6px; overflow: hidden; text-overflow: ellipsis; box-sizing: border-box; flex: none; }
.state-pruned .tcell:nth-child(2) { color: #b45309; } .state-failed .tcell:nth-child(2) { color: #b91c1c; } .state-running .tcell:nth-child(2) { color: #047857; }
.why { background: #fff7ed; border-left: 3px solid #f59e0b; padding: 6px 10px; margin: 8px 0; white-space: pre-wrap; }
.fmap-row { display: flex; gap: 6px; align-items: center; margin: 4px 0; } canvas.fmap { width: 84px; height: 84px; image-rendering: pixelated; border: 1px solid #e5e7eb; }
`;

/** Options of {@link renderReportHtml}. */
export interface RenderOptions {
  /** Page title (default: the study name). */
  readonly title?: string;
}

/** The complete HTML document for `data`. Everything user-controlled is escaped (text) or inlined as script-safe JSON. */
export function renderReportHtml(data: ReportData, options: RenderOptions = {}): string {
  const title = options.title ?? `tunekit: ${data.leaderboard.study.name}`;
  const client = [CLIENT_BASE, CLIENT_CHARTS, CLIENT_CURVES, CLIENT_TABLE, CLIENT_DETAIL].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><span id="live-status">${data.live ? 'live: updates as trials report' : `report generated ${escapeHtml(data.generatedAt)}`}</span></header>
<main id="app"></main>
<script type="application/json" id="tk-data">${scriptJson(data)}</script>
<script>${echartsScript()}</script>
<script>
${client}
try { start(); } catch (e) { window.__tunekit.errors.push(String(e && e.stack || e)); throw e; }
</script>
</body>
</html>
`;
}
