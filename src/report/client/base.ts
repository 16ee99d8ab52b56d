/**
 * Browser code of the report page, part 1: helpers, the summary, chart bookkeeping and the start-up (static or live).
 * Kept as source text (inlined into the page) rather than a bundled file, so the report stays one file and `tsc` needs no DOM
 * types. Rule for all client code: user-controlled strings reach the DOM only through textContent, or through esc() inside
 * ECharts tooltip formatters (the only HTML strings the page builds).
 */
export const CLIENT_BASE = String.raw`
'use strict';
var TK = window.__tunekit = { ready: false, charts: {}, errors: [], renders: 0, pending: 0 };
var D = null;
var charts = {};
function esc(s) {
  return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; });
}
function el(tag, attrs, children) {
  var e = document.createElement(tag);
  if (attrs) for (var k in attrs) {
    if (k === 'text') e.textContent = attrs[k];
    else if (k === 'cls') e.className = attrs[k];
    else if (k === 'on') for (var ev in attrs.on) e.addEventListener(ev, attrs.on[ev]);
    else e.setAttribute(k, attrs[k]);
  }
  (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
  return e;
}
function fmt(v) {
  if (v === null || v === undefined || (typeof v === 'number' && !isFinite(v))) return '-';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  var a = Math.abs(v);
  return a >= 1e4 || (a < 1e-3 && a !== 0) ? v.toExponential(3) : v.toPrecision(4);
}
function dur(ms) {
  if (ms === null || ms === undefined) return '-';
  var s = ms / 1000;
  if (s < 60) return s.toFixed(1) + ' s';
  if (s < 3600) return (s / 60).toFixed(1) + ' min';
  return (s / 3600).toFixed(2) + ' h';
}
var STATE_COLORS = { complete: '#3b82f6', pruned: '#f59e0b', failed: '#ef4444', running: '#10b981', waiting: '#9ca3af' };
function paramLabel(p, v) {
  if (v === null || v === undefined) return 'inactive';
  return p.kind === 'categorical' ? (p.labels[v] !== undefined ? p.labels[v] : String(v)) : fmt(v);
}
function minimize() { return D.leaderboard.study.direction === 'minimize'; }
/**
 * Registers a chart (an option object, or a function building it); once drawn, tests read TK.charts[id] = { series, points,
 * type }. ECharts draws a chart when it comes near the
 * viewport, and the rest one by one in idle time: the first screen is ready fast however many charts a big study has.
 * TK.pending counts charts not drawn yet (0: everything painted).
 */
var pending = {};
var observer = typeof IntersectionObserver === 'function' ? new IntersectionObserver(function (entries) {
  entries.forEach(function (e) { if (e.isIntersecting) draw(e.target.id); });
}, { rootMargin: '300px' }) : null;
function draw(id) {
  var option = pending[id];
  if (!option) return;
  delete pending[id];
  TK.pending--;
  var box = document.getElementById(id);
  if (observer && box) observer.unobserve(box);
  if (!box) return;
  // Options may be built lazily (a function): heavy data preparation then also waits until the chart is drawn.
  if (typeof option === 'function') option = option();
  option.animation = false;
  var series = option.series || [];
  var points = 0;
  series.forEach(function (s) { points += (s.data || []).length; });
  TK.charts[id] = { series: series.length, points: points, type: series.length ? series[0].type : null };
  var c = charts[id] = echarts.init(box, null, { renderer: 'canvas' });
  c.setOption(option, true);
  if (TK.pending === 0 && TK.ready && TK.allDrawnAt === undefined) TK.allDrawnAt = Math.round(performance.now());
}
function drawIdle() {
  var ids = Object.keys(pending);
  if (!ids.length) return;
  draw(ids[0]);
  setTimeout(drawIdle, 0);
}
function chart(id, option) {
  var box = document.getElementById(id);
  if (!box) return null;
  if (charts[id]) { charts[id].dispose(); delete charts[id]; }
  if (!pending[id]) TK.pending++;
  pending[id] = option;
  if (observer && TK.ready) observer.observe(box);
  else if (!observer || TK.ready) draw(id);
  return null;
}
function section(id, title, note) {
  var s = el('section', { id: 'sec-' + id }, [el('h2', { text: title })]);
  if (note) s.appendChild(el('p', { cls: 'note', text: note }));
  return s;
}
function chartBox(id, height) {
  var b = el('div', { id: id, cls: 'chart' });
  b.style.height = (height || 320) + 'px';
  return b;
}
function kv(rows) {
  var t = el('table', { cls: 'kv' });
  rows.forEach(function (r) { t.appendChild(el('tr', null, [el('th', { text: r[0] }), el('td', { text: r[1] })])); });
  return t;
}
function specName(s) {
  if (s === null || s === undefined) return 'none';
  if (typeof s === 'string') return s;
  if (typeof s === 'object' && typeof s.type === 'string') return s.type + ' ' + JSON.stringify(s);
  return JSON.stringify(s);
}
function renderSummary(root) {
  var lb = D.leaderboard, s = lb.summary, st = lb.study;
  var sec = section('summary', 'Study ' + st.name);
  var states = Object.keys(s.states).map(function (k) { return k + ' ' + s.states[k]; }).join(', ');
  sec.appendChild(kv([
    ['direction', D.directions.join(', ') + (D.objectiveNames.length > 1 || D.objectiveNames[0] !== 'value' ? ' (' + D.objectiveNames.join(', ') + ')' : '')],
    ['searcher', specName(st.searcherSpec)],
    ['pruner', specName(D.pruner)],
    ['seed', String(st.seed)],
    ['budget', st.budget ? 'steps ' + st.budget.min + ' to ' + st.budget.max : 'none (plain searcher)'],
    ['trials', s.trials + ' (' + states + ')'],
    ['wall time', dur(s.wallTimeMs)],
    ['compute time', dur(D.computeMs) + (s.wallTimeMs ? ' (' + (D.computeMs / s.wallTimeMs).toFixed(2) + ' trials busy on average)' : '')],
    ['best trial', s.best ? '#' + s.best.number + ' value ' + fmt(s.best.value) : 'none yet'],
    ['generated', D.generatedAt + (D.live ? ' (live)' : '')],
  ]));
  if (s.best) {
    sec.appendChild(el('h3', { text: 'Best configuration (#' + s.best.number + ')' }));
    sec.appendChild(el('pre', { cls: 'json', text: JSON.stringify(s.best.params, null, 2) }));
  }
  root.appendChild(sec);
}
function renderAll() {
  var root = document.getElementById('app');
  var scroll = window.scrollY;
  Object.keys(charts).forEach(function (k) { charts[k].dispose(); });
  charts = {};
  pending = {};
  TK.pending = 0;
  TK.charts = {};
  TK.ready = false;
  root.textContent = '';
  // Per-part render times (ms) on window.__tunekit.timings: bench/report.ts prints them.
  TK.timings = {};
  var parts = [renderSummary, renderHistory, renderTimeline, renderImportance, renderParallel, renderSlices, renderContour, renderCurves, renderRungs, renderTable];
  parts.forEach(function (f) { var t0 = performance.now(); f(root); TK.timings[f.name] = Math.round(performance.now() - t0); });
  var t1 = performance.now();
  renderDetail(root, TK.selected !== undefined ? TK.selected : (D.leaderboard.summary.best ? D.leaderboard.summary.best.number : (D.trials[0] ? D.trials[0].number : null)));
  TK.timings.renderDetail = Math.round(performance.now() - t1);
  window.scrollTo(0, scroll);
  TK.renders++;
  TK.trials = D.trials.length;
  TK.ready = true;
  // Charts were only registered while the DOM was built: draw those in view now, the others when scrolled to or when idle.
  Object.keys(pending).forEach(function (id) {
    var b = document.getElementById(id);
    if (b && b.getBoundingClientRect().top < window.innerHeight) draw(id);
    else if (observer && b) observer.observe(b);
  });
  TK.readyAt = Math.round(performance.now());
  if (!observer) Object.keys(pending).forEach(draw);
  setTimeout(drawIdle, 50);
}
window.addEventListener('error', function (e) { TK.errors.push(String(e.message)); });
window.addEventListener('resize', function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
function start() {
  var t0 = performance.now();
  D = JSON.parse(document.getElementById('tk-data').textContent);
  TK.parseMs = Math.round(performance.now() - t0);
  renderAll();
  if (D.live) { livePauseControl(); poll(); }
}
var lastVersion = null;
function poll() {
  var again = function () { setTimeout(poll, 2000); };
  fetch('api/version', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (v) {
    if (lastVersion === null) lastVersion = D.liveVersion || v.version;
    if (v.version === lastVersion) return again();
    // Paused (the person is brushing or reading): keep polling, say how many trials are new, redraw on resume.
    if (TK.paused) { liveStatus('paused: ' + Math.max(0, v.trials - D.trials.length) + ' new trial(s) since; untick to update'); return again(); }
    return fetch('api/data', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (d) {
      lastVersion = v.version;
      D = d;
      renderAll();
      liveStatus('live: updated ' + new Date().toLocaleTimeString());
      again();
    });
  }).catch(function () {
    liveStatus('dashboard server unreachable; retrying');
    setTimeout(poll, 5000);
  });
}
function liveStatus(text) { var b = document.getElementById('live-status'); if (b) b.textContent = text; }
function livePauseControl() {
  var box = el('input', { type: 'checkbox', id: 'live-pause' });
  box.addEventListener('change', function () { TK.paused = box.checked; if (!box.checked) { lastVersion = null; liveStatus('live: resuming'); } });
  var label = el('label', { cls: 'pause' }, [box, ' pause updates']);
  var header = document.querySelector('header');
  if (header) header.appendChild(label);
}
`;
