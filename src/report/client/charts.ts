/**
 * Browser code of the report page, part 2: the study-level charts (ECharts, canvas renderer). Large studies stay fast by
 * putting all trials of one kind into one series (curves are one polyline with gaps, not one series per trial).
 */
export const CLIENT_CHARTS = String.raw`
function finished(t) { return t.state === 'complete' || t.state === 'pruned'; }
function tip(lines) { return lines.map(esc).join('<br>'); }
function trialTip(t) {
  var lines = ['#' + t.number + ' ' + t.state, 'value ' + fmt(t.value)];
  if (t.budget !== null) lines.push('budget ' + t.budget);
  if (t.reason) lines.push('reason: ' + t.reason);
  return tip(lines);
}
var byNumber = function () { var m = {}; D.trials.forEach(function (t) { m[t.number] = t; }); return m; };
function renderHistory(root) {
  var sec = section('history', 'Optimisation history', 'Objective value of every finished trial, and the best value so far.');
  sec.appendChild(chartBox('chart-history', 340));
  root.appendChild(sec);
  var trials = D.trials.slice().sort(function (a, b) { return a.number - b.number; });
  var series = [];
  ['complete', 'pruned'].forEach(function (state) {
    series.push({ name: state, type: 'scatter', symbolSize: 5, large: trials.length > 2000, itemStyle: { color: STATE_COLORS[state] },
      data: trials.filter(function (t) { return t.state === state && t.value !== null; }).map(function (t) { return [t.number, t.value]; }) });
  });
  var best = null, line = [];
  trials.forEach(function (t) {
    if (t.state !== 'complete' || t.value === null) return;
    if (best === null || (minimize() ? t.value < best : t.value > best)) best = t.value;
    line.push([t.number, best]);
  });
  series.push({ name: 'best so far', type: 'line', step: 'end', showSymbol: false, data: line, lineStyle: { color: '#111827' } });
  var m = byNumber();
  chart('chart-history', {
    legend: { top: 0 }, grid: { left: 60, right: 20, top: 30, bottom: 40 },
    tooltip: { trigger: 'item', formatter: function (p) { var t = m[p.value[0]]; return p.seriesName === 'best so far' ? tip(['best so far ' + fmt(p.value[1])]) : t ? trialTip(t) : ''; } },
    xAxis: { type: 'value', name: 'trial', nameLocation: 'middle', nameGap: 25, minInterval: 1 }, yAxis: { type: 'value', scale: true, name: 'value' },
    dataZoom: [{ type: 'inside' }], series: series,
  });
  if (D.directions.length >= 2) renderPareto(sec);
}
function dominated(a, b, dirs) {
  var better = false;
  for (var i = 0; i < dirs.length; i++) {
    var s = dirs[i] === 'minimize' ? 1 : -1;
    if (s * b[i] > s * a[i]) return false;
    if (s * b[i] < s * a[i]) better = true;
  }
  return better;
}
function renderPareto(sec) {
  sec.appendChild(el('h3', { text: 'Pareto front (' + D.objectiveNames[0] + ' vs ' + D.objectiveNames[1] + ')' }));
  sec.appendChild(chartBox('chart-pareto', 340));
  var all = D.trials.filter(function (t) { return t.state === 'complete' && t.values && t.values.length >= 2 && t.values[0] !== null && t.values[1] !== null; });
  // The front is of feasible trials only (as the leaderboard's): an infeasible trial is drawn apart, whatever its values.
  var pts = all.filter(function (t) { return !t.infeasible; });
  var infeasible = all.filter(function (t) { return t.infeasible; }).map(function (t) { return [t.values[0], t.values[1], t.number]; });
  var dirs = D.directions;
  var front = [], rest = [];
  pts.forEach(function (t) {
    var dom = pts.some(function (o) { return o !== t && dominated(t.values, o.values, dirs); });
    (dom ? rest : front).push([t.values[0], t.values[1], t.number]);
  });
  front.sort(function (a, b) { return a[0] - b[0]; });
  chart('chart-pareto', {
    legend: { top: 0 }, grid: { left: 60, right: 20, top: 30, bottom: 40 },
    tooltip: { trigger: 'item', formatter: function (p) { return tip(['#' + p.value[2], D.objectiveNames[0] + ' ' + fmt(p.value[0]), D.objectiveNames[1] + ' ' + fmt(p.value[1])]); } },
    xAxis: { type: 'value', scale: true, name: D.objectiveNames[0] }, yAxis: { type: 'value', scale: true, name: D.objectiveNames[1] },
    series: [{ name: 'Pareto front', type: 'scatter', data: front, itemStyle: { color: '#dc2626' }, symbolSize: 8 },
      { name: 'dominated', type: 'scatter', data: rest, itemStyle: { color: '#93c5fd' }, symbolSize: 5 },
      { name: 'infeasible', type: 'scatter', data: infeasible, itemStyle: { color: '#9ca3af' }, symbol: 'triangle', symbolSize: 6 }],
  });
}
function renderTimeline(root) {
  var sec = section('timeline', 'Timeline', 'One row per worker (device/slot): where the time went; gaps are idle time.');
  var lanes = [];
  D.trials.forEach(function (t) { if (t.started !== null && lanes.indexOf(t.lane) < 0) lanes.push(t.lane); });
  lanes.sort();
  sec.appendChild(chartBox('chart-timeline', Math.max(160, 60 + lanes.length * 28)));
  root.appendChild(sec);
  var now = Date.now();
  var data = D.trials.filter(function (t) { return t.started !== null; }).map(function (t) {
    return { value: [lanes.indexOf(t.lane), t.started, t.finished !== null ? t.finished : now, t.number], itemStyle: { color: STATE_COLORS[t.state] } };
  });
  var m = byNumber();
  chart('chart-timeline', {
    grid: { left: 110, right: 20, top: 10, bottom: 40 },
    tooltip: { trigger: 'item', formatter: function (p) { var t = m[p.value[3]]; return t ? trialTip(t) + '<br>' + esc(dur(p.value[2] - p.value[1])) : ''; } },
    xAxis: { type: 'time' }, yAxis: { type: 'category', data: lanes },
    dataZoom: [{ type: 'inside', filterMode: 'weakFilter' }],
    series: [{ type: 'custom', encode: { x: [1, 2], y: 0 }, data: data, renderItem: function (params, api) {
      var y = api.value(0), a = api.coord([api.value(1), y]), b = api.coord([api.value(2), y]);
      var h = api.size([0, 1])[1] * 0.6;
      return { type: 'rect', shape: { x: a[0], y: a[1] - h / 2, width: Math.max(1, b[0] - a[0]), height: h }, style: api.style({ stroke: '#fff', lineWidth: 1 }) };
    } }],
  });
}
function renderImportance(root) {
  var imp = D.importance;
  var sec = section('importance', 'Hyperparameter importance', imp.method + ' on ' + imp.trials + ' complete trials; whiskers: min and max over the refits; ρ: rank correlation of a numeric parameter with the value.' +
    (imp.excluded.length ? ' Conditional parameters not set in every trial are left out (a parameter every branch defines also takes part merged, as branch.*.name): ' + imp.excluded.join(', ') + '.' : ''));
  root.appendChild(sec);
  if (!imp.params.length) { sec.appendChild(el('p', { text: 'Not enough complete trials with varying parameters yet.' })); return; }
  sec.appendChild(chartBox('chart-importance', 60 + imp.params.length * 26));
  var ps = imp.params.slice().reverse();
  chart('chart-importance', {
    tooltip: { trigger: 'item', formatter: function (p) { var q = ps[p.dataIndex]; return tip([q.name, 'importance ' + fmt(q.importance), 'refits: ' + fmt(q.min) + ' to ' + fmt(q.max) + ' (std ' + fmt(q.std) + ')', 'rank correlation with the value: ' + (q.correlation === null ? 'n/a (categorical)' : fmt(q.correlation))]); } },
    xAxis: { type: 'value', max: 1 }, yAxis: { type: 'category', data: ps.map(function (p) { return p.name; }) },
    grid: { left: 200, right: 120, top: 10, bottom: 30 },
    series: [{ type: 'bar', data: ps.map(function (p) { return p.importance; }), itemStyle: { color: '#6366f1' },
        label: { show: true, position: 'right', distance: 40, formatter: function (q) { var c = ps[q.dataIndex].correlation; return c === null ? '' : 'ρ ' + c.toFixed(2); }, color: '#6b7280', fontSize: 11 } },
      { type: 'custom', data: ps.map(function (p, i) { return [i, p.min, p.max]; }), encode: { x: [1, 2], y: 0 }, renderItem: function (params, api) {
        var a = api.coord([api.value(1), api.value(0)]), b = api.coord([api.value(2), api.value(0)]);
        return { type: 'group', children: [{ type: 'line', shape: { x1: a[0], y1: a[1], x2: b[0], y2: b[1] }, style: { stroke: '#111827', lineWidth: 1.5 } },
          { type: 'line', shape: { x1: a[0], y1: a[1] - 5, x2: a[0], y2: a[1] + 5 }, style: { stroke: '#111827' } },
          { type: 'line', shape: { x1: b[0], y1: b[1] - 5, x2: b[0], y2: b[1] + 5 }, style: { stroke: '#111827' } }] };
      } }],
  });
}
/** Parameters to plot: by importance when known, else in space order; at most n. */
function topParams(n) {
  var idx = {};
  D.params.forEach(function (p, i) { idx[p.name] = i; });
  var order = D.importance.params.map(function (p) { return idx[p.name]; }).filter(function (i) { return i !== undefined; });
  D.params.forEach(function (p, i) { if (order.indexOf(i) < 0 && D.trials.some(function (t) { return t.p[i] !== null; })) order.push(i); });
  return order.slice(0, n);
}
function axisFor(p) {
  if (p.kind === 'categorical') return { type: 'category', data: p.labels };
  return { type: p.log ? 'log' : 'value', min: p.low, max: p.high };
}
function axisValue(p, v) { return v === null ? null : p.kind === 'categorical' ? p.labels[v] : v; }
function renderParallel(root) {
  var sec = section('parallel', 'Parallel coordinates', 'Drag along an axis to brush (select a range); log parameters on log axes; conditional parameters are drawn only where set.');
  sec.appendChild(chartBox('chart-parallel', 420));
  root.appendChild(sec);
  chart('chart-parallel', function () {
  var cols = topParams(10);
  var axes = cols.map(function (i, k) { var p = D.params[i]; var a = axisFor(p); a.dim = k; a.name = p.name; return a; });
  axes.push({ dim: cols.length, name: 'value', type: 'value', scale: true });
  var rows = D.trials.filter(function (t) { return finished(t) && t.value !== null; });
  var line = function (t) { return cols.map(function (i) { var v = axisValue(D.params[i], t.p[i]); return v === null ? '-' : v; }).concat([t.value]); };
  return {
    parallel: { left: 60, right: 80, top: 40, bottom: 30, parallelAxisDefault: { nameLocation: 'start', nameTextStyle: { fontSize: 11 }, nameRotate: 0, axisLabel: { formatter: function (v) { v = String(v); return v.length > 18 ? v.slice(0, 17) + '…' : v; } } } },
    parallelAxis: axes,
    visualMap: { show: false, dimension: cols.length, min: Math.min.apply(null, rows.map(function (t) { return t.value; }).concat([0])), max: Math.max.apply(null, rows.map(function (t) { return t.value; }).concat([1])), inRange: { color: minimize() ? ['#1d4ed8', '#fbbf24'] : ['#fbbf24', '#1d4ed8'] } },
    series: [{ type: 'parallel', lineStyle: { width: 1, opacity: 0.5 }, progressive: 2000, data: rows.map(line) }],
  };
  });
}
function renderSlices(root) {
  var cols = topParams(12);
  var sec = section('slices', 'Slice plots', 'Objective value against each parameter (most important first).');
  var grid = el('div', { cls: 'grid' });
  sec.appendChild(grid);
  root.appendChild(sec);
  var m = byNumber();
  cols.forEach(function (i, k) {
    var p = D.params[i];
    grid.appendChild(chartBox('chart-slice-' + k, 240));
    var data = D.trials.filter(function (t) { return finished(t) && t.value !== null && t.p[i] !== null; }).map(function (t) { return [axisValue(p, t.p[i]), t.value, t.number]; });
    var x = axisFor(p);
    x.name = p.name; x.nameLocation = 'middle'; x.nameGap = 25;
    chart('chart-slice-' + k, {
      grid: { left: 55, right: 15, top: 15, bottom: 45 },
      tooltip: { trigger: 'item', formatter: function (q) { var t = m[q.value[2]]; return t ? trialTip(t) + '<br>' + esc(p.name + ' = ' + q.value[0]) : ''; } },
      xAxis: x, yAxis: { type: 'value', scale: true },
      series: [{ type: 'scatter', symbolSize: 5, large: data.length > 2000, data: data, itemStyle: { color: '#3b82f6', opacity: 0.7 } }],
    });
  });
}
`;
