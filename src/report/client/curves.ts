/**
 * Browser code of the report page, part 3: the contour of the two most important parameters, learning curves with pruned
 * trials marked (reasons on hover) and the multi-fidelity rung view.
 */
export const CLIENT_CURVES = String.raw`
function renderContour(root) {
  var cols = topParams(2);
  if (cols.length < 2) return;
  var px = D.params[cols[0]], py = D.params[cols[1]];
  var sec = section('contour', 'Contour: ' + px.name + ' x ' + py.name,
    'Objective interpolated (inverse-distance weighted) between the finished trials of the two most important parameters; dots are trials.');
  sec.appendChild(chartBox('chart-contour', 420));
  root.appendChild(sec);
  chart('chart-contour', function () {
  var pts = D.trials.filter(function (t) { return finished(t) && t.value !== null && t.p[cols[0]] !== null && t.p[cols[1]] !== null; });
  // Each axis on a unit scale (log for log parameters, choice index for categorical ones) so distances are comparable.
  var unit = function (p, v) {
    if (p.kind === 'categorical') return p.labels.length > 1 ? v / (p.labels.length - 1) : 0.5;
    if (p.log) return (Math.log(v) - Math.log(p.low)) / ((Math.log(p.high) - Math.log(p.low)) || 1);
    return (v - p.low) / ((p.high - p.low) || 1);
  };
  var levels = function (p, n) {
    if (p.kind === 'categorical') return p.labels.map(function (_, i) { return i; });
    var out = [];
    for (var i = 0; i < n; i++) {
      var u = (i + 0.5) / n;
      out.push(p.log ? Math.exp(Math.log(p.low) + u * (Math.log(p.high) - Math.log(p.low))) : p.low + u * (p.high - p.low));
    }
    return out;
  };
  var xs = levels(px, 24), ys = levels(py, 24);
  var sample = pts.length > 2000 ? pts.filter(function (_, i) { return i % Math.ceil(pts.length / 2000) === 0; }) : pts;
  var heat = [];
  xs.forEach(function (xv, i) {
    ys.forEach(function (yv, j) {
      var ux = unit(px, xv), uy = unit(py, yv), num = 0, den = 0;
      sample.forEach(function (t) {
        var dx = unit(px, t.p[cols[0]]) - ux, dy = unit(py, t.p[cols[1]]) - uy;
        var w = 1 / (dx * dx + dy * dy + 1e-4);
        w = w * w;
        num += w * t.value; den += w;
      });
      if (den > 0) heat.push([i, j, num / den]);
    });
  });
  var label = function (p, v) { return p.kind === 'categorical' ? p.labels[v] : fmt(v); };
  var vals = heat.map(function (h) { return h[2]; });
  var m = byNumber();
  var place = function (p, levelsArr, v) {
    // Trial dots on the category axis of the heat map: the fractional index of the value between grid levels.
    if (p.kind === 'categorical') return v;
    var u = unit(p, v) * levelsArr.length - 0.5;
    return Math.max(-0.5, Math.min(levelsArr.length - 0.5, u));
  };
  return {
    grid: { left: 90, right: 90, top: 10, bottom: 50 },
    tooltip: { trigger: 'item', formatter: function (q) {
      if (q.seriesType === 'heatmap') return tip([px.name + ' ' + label(px, xs[q.value[0]]), py.name + ' ' + label(py, ys[q.value[1]]), 'interpolated ' + fmt(q.value[2])]);
      var t = m[q.value[2]]; return t ? trialTip(t) : '';
    } },
    xAxis: { type: 'category', name: px.name, nameLocation: 'middle', nameGap: 30, data: xs.map(function (v) { return label(px, v); }) },
    yAxis: { type: 'category', name: py.name, data: ys.map(function (v) { return label(py, v); }) },
    visualMap: { min: Math.min.apply(null, vals.concat([0])), max: Math.max.apply(null, vals.concat([1])), calculable: true, right: 0, top: 'middle', seriesIndex: 0,
      inRange: { color: minimize() ? ['#1e3a8a', '#60a5fa', '#fde68a'] : ['#fde68a', '#60a5fa', '#1e3a8a'] } },
    series: [{ type: 'heatmap', data: heat, progressive: 0 },
      { type: 'custom', data: (pts.length > 1500 ? pts.filter(function (_, i) { return i % Math.ceil(pts.length / 1500) === 0; }) : pts).map(function (t) { return [place(px, xs, t.p[cols[0]]), place(py, ys, t.p[cols[1]]), t.number]; }), renderItem: function (params, api) {
        var xAxisLen = xs.length, yAxisLen = ys.length;
        var c0 = api.coord([0, 0]), c1 = api.coord([xAxisLen - 1, yAxisLen - 1]);
        var fx = c0[0] + (api.value(0)) * (xAxisLen > 1 ? (c1[0] - c0[0]) / (xAxisLen - 1) : 0);
        var fy = c0[1] + (api.value(1)) * (yAxisLen > 1 ? (c1[1] - c0[1]) / (yAxisLen - 1) : 0);
        return { type: 'circle', shape: { cx: fx, cy: fy, r: 3 }, style: { fill: '#111827', stroke: '#fff', lineWidth: 0.5 } };
      } }],
  };
  });
}
/** Trials whose curves are drawn: all of them up to max, else the best complete, the latest pruned/failed and running ones. */
function curveTrials(max) {
  var all = D.trials.filter(function (t) { return t.iv.length > 0; });
  if (all.length <= max) { all.total = all.length; return all; }
  var complete = all.filter(function (t) { return t.state === 'complete'; }).sort(function (a, b) { return (a.rank || 1e9) - (b.rank || 1e9); }).slice(0, 500);
  var stopped = all.filter(function (t) { return t.state === 'pruned' || t.state === 'failed'; }).sort(function (a, b) { return b.number - a.number; }).slice(0, 400);
  var running = all.filter(function (t) { return t.state === 'running'; }).slice(0, 100);
  var out = complete.concat(stopped, running);
  out.total = all.length;
  return out;
}
function renderCurves(root) {
  var sec = section('curves', 'Learning curves (intermediate values)', 'Complete trials in blue, pruned trials in orange with a marker where they stopped: hover it for the stored pruning reason.');
  sec.appendChild(chartBox('chart-curves', 380));
  root.appendChild(sec);
  var lines = { complete: [], pruned: [], other: [] }, ends = [];
  var shown = curveTrials(1000);
  if (shown.length < shown.total) sec.querySelector('.note').textContent += ' Showing ' + shown.length + ' of ' + shown.total + ' trials with curves: the 500 best complete ones, the 400 latest pruned or failed ones and up to 100 running ones.';
  shown.forEach(function (t) {
    if (!t.iv.length) return;
    var key = t.state === 'complete' ? 'complete' : t.state === 'pruned' ? 'pruned' : 'other';
    // One polyline per state with null gaps between trials: 10,000 trials stay three series.
    t.iv.forEach(function (s) { lines[key].push([s[0], s[1], t.number]); });
    lines[key].push([null, null, t.number]);
    if (t.state === 'pruned' || t.state === 'failed') { var last = t.iv[t.iv.length - 1]; ends.push([last[0], last[1], t.number]); }
  });
  var m = byNumber();
  var colors = { complete: '#3b82f6', pruned: '#f59e0b', other: '#10b981' };
  var series = ['complete', 'pruned', 'other'].map(function (k) {
    return { name: k === 'other' ? 'running/failed' : k, type: 'line', showSymbol: false, connectNulls: false, data: lines[k], lineStyle: { width: 1, opacity: 0.5, color: colors[k] }, itemStyle: { color: colors[k] }, large: true };
  });
  series.push({ name: 'pruned here', type: 'scatter', data: ends, symbol: 'diamond', symbolSize: 9, itemStyle: { color: '#dc2626' } });
  chart('chart-curves', {
    legend: { top: 0 }, grid: { left: 60, right: 20, top: 30, bottom: 40 },
    tooltip: { trigger: 'item', formatter: function (p) { var t = m[p.value[2]]; return t ? trialTip(t) + '<br>' + esc('step ' + p.value[0] + ': ' + fmt(p.value[1])) : ''; } },
    xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 25, min: 'dataMin', minInterval: 1 }, yAxis: { type: 'value', scale: true },
    dataZoom: [{ type: 'inside' }], series: series,
  });
}
function renderRungs(root) {
  var withBudget = D.trials.filter(function (t) { return t.budget !== null; });
  if (!withBudget.length) return;
  var sec = section('rungs', 'Rungs (multi-fidelity budgets)', 'Each trial at its budget; a line joins a promoted trial to the trial it continued from.');
  var budgets = [];
  withBudget.forEach(function (t) { if (budgets.indexOf(t.budget) < 0) budgets.push(t.budget); });
  budgets.sort(function (a, b) { return a - b; });
  var counts = budgets.map(function (b) {
    var at = withBudget.filter(function (t) { return t.budget === b; });
    return 'budget ' + b + ': ' + at.length + ' trials (' + at.filter(function (t) { return t.continueFrom !== null; }).length + ' promoted)';
  });
  sec.appendChild(el('p', { text: counts.join('; ') }));
  sec.appendChild(chartBox('chart-rungs', 360));
  root.appendChild(sec);
  var m = byNumber();
  var pts = withBudget.filter(function (t) { return t.value !== null; }).map(function (t) { return { value: [budgets.indexOf(t.budget), t.value, t.number], itemStyle: { color: STATE_COLORS[t.state] } }; });
  var links = [];
  withBudget.forEach(function (t) {
    var from = t.continueFrom !== null ? m[t.continueFrom] : null;
    if (from && from.budget !== null && from.value !== null && t.value !== null) links.push({ coords: [[budgets.indexOf(from.budget), from.value], [budgets.indexOf(t.budget), t.value]] });
  });
  chart('chart-rungs', {
    grid: { left: 60, right: 20, top: 20, bottom: 40 },
    tooltip: { trigger: 'item', formatter: function (p) { if (p.seriesType !== 'scatter') return ''; var t = m[p.value[2]]; return t ? trialTip(t) + (t.continueFrom !== null ? '<br>' + esc('continued from #' + t.continueFrom) : '') : ''; } },
    xAxis: { type: 'category', name: 'budget', data: budgets.map(String) }, yAxis: { type: 'value', scale: true },
    series: [{ type: 'scatter', data: pts, symbolSize: 7 }, { type: 'lines', coordinateSystem: 'cartesian2d', data: links, lineStyle: { color: '#6b7280', opacity: 0.6 } }],
  });
}
`;
