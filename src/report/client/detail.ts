/**
 * Browser code of the report page, part 5: one trial in detail (the winner by default; any row of the table on click):
 * config, metrics, train/val loss, validation metrics, learning rate, gradient norms (per layer when stored), what pruned it,
 * the confusion matrix heat map, feature maps as images and the export report.
 */
export const CLIENT_DETAIL = String.raw`
function lineChart(id, curves, keys, title, logY) {
  var series = keys.filter(function (k) { return curves.some(function (c) { return typeof c[k] === 'number'; }); }).map(function (k) {
    return { name: k, type: 'line', showSymbol: curves.length < 40, data: curves.filter(function (c) { return c[k] !== null && c[k] !== undefined; }).map(function (c) { return [c.step !== undefined ? c.step : c.epoch, c[k]]; }) };
  });
  if (!series.length) return null;
  var box = chartBox(id, 240);
  return { box: box, title: title, draw: function () {
    chart(id, { title: { text: title, textStyle: { fontSize: 13 } }, legend: { top: 22, type: 'scroll' }, grid: { left: 60, right: 15, top: 55, bottom: 30 },
      tooltip: { trigger: 'axis', formatter: function (ps) { return tip(ps.map(function (p) { return p.seriesName + ' @' + p.value[0] + ': ' + fmt(p.value[1]); })); } },
      xAxis: { type: 'value', name: 'step', minInterval: 1 }, yAxis: { type: logY ? 'log' : 'value', scale: true }, series: series });
  } };
}
function renderDetail(root, number) {
  var sec = document.getElementById('sec-detail');
  if (!sec) { sec = section('detail', 'Trial details'); root.appendChild(sec); }
  Object.keys(charts).forEach(function (k) { if (k.indexOf('chart-d-') === 0) { charts[k].dispose(); delete charts[k]; delete TK.charts[k]; } });
  Object.keys(pending).forEach(function (k) { if (k.indexOf('chart-d-') === 0) { delete pending[k]; TK.pending--; delete TK.charts[k]; } });
  while (sec.children.length > 1) sec.removeChild(sec.lastChild);
  TK.selected = number;
  var t = null;
  D.trials.forEach(function (x) { if (x.number === number) t = x; });
  if (!t) { sec.appendChild(el('p', { text: 'No trial yet.' })); return; }
  var d = null;
  D.details.forEach(function (x) { if (x.number === number) d = x; });
  var pick = el('select', { id: 'detail-pick' }, D.details.map(function (x) { return el('option', { value: String(x.number), text: '#' + x.number }); }));
  if (d) pick.value = String(number);
  pick.addEventListener('change', function () { renderDetail(null, Number(pick.value)); });
  sec.appendChild(el('div', { cls: 'controls' }, [el('span', { text: 'Trials with full details: ' }), pick]));
  sec.appendChild(el('h3', { text: 'Trial #' + t.number + ' (' + t.state + (t.rank ? ', rank ' + t.rank : '') + ')' }));
  sec.appendChild(kv([
    ['value', fmt(t.value)],
    ['duration', t.started !== null && t.finished !== null ? dur(t.finished - t.started) : '-'],
    ['worker', t.lane], ['budget', t.budget === null ? '-' : String(t.budget)],
    ['continued from', t.continueFrom === null ? '-' : '#' + t.continueFrom],
  ]));
  if (t.reason || t.error) {
    var why = el('div', { cls: 'why' }, [el('strong', { text: (t.state === 'pruned' ? 'Pruned: ' : t.state === 'failed' ? 'Failed: ' : 'Note: ') }), el('span', { cls: 'reason', text: t.reason || t.error })]);
    sec.appendChild(why);
  }
  var curves = d ? d.curves : t.iv.map(function (s) { return { step: s[0], value: s[1] }; });
  if (t.state === 'pruned' && curves.length) {
    var last = curves[curves.length - 1], signals = [];
    ['value', 'valLoss', 'trainLoss', 'gradNorm', 'layerGradNormMax', 'nonFinite', 'lr'].forEach(function (k) { if (typeof last[k] === 'number') signals.push([k + ' at the last step', fmt(last[k])]); });
    if (signals.length) { sec.appendChild(el('h4', { text: 'Diagnostics at the step it was pruned' })); sec.appendChild(kv(signals)); }
  }
  if (!d) { sec.appendChild(el('p', { cls: 'note', text: 'Only the best trials and the first pruned ones carry their files in this page; showing the stored intermediate values.' })); }
  var cfg = d && d.files.config && d.files.config.config ? d.files.config.config : d ? d.params : null;
  var cols2 = el('div', { cls: 'grid2' });
  if (cfg) cols2.appendChild(el('div', null, [el('h4', { text: 'Config' }), el('pre', { cls: 'json', text: JSON.stringify(cfg, null, 2) })]));
  if (d) {
    var mrows = Object.keys(d.metrics).map(function (k) { return [k, fmt(d.metrics[k])]; });
    Object.keys(d.userAttrs || {}).forEach(function (k) { mrows.push(['attr ' + k, JSON.stringify(d.userAttrs[k])]); });
    cols2.appendChild(el('div', null, [el('h4', { text: 'Metrics' }), kv(mrows)]));
  }
  sec.appendChild(cols2);
  var keys = {};
  curves.forEach(function (c) { Object.keys(c).forEach(function (k) { keys[k] = true; }); });
  var all = Object.keys(keys);
  var diag = d && d.files.diagnostics ? d.files.diagnostics : {};
  var layerCurves = [];
  if (diag.layerGradNorms && typeof diag.layerGradNorms === 'object') {
    var names = Object.keys(diag.layerGradNorms);
    var n = 0;
    names.forEach(function (k) { n = Math.max(n, (diag.layerGradNorms[k] || []).length); });
    for (var i = 0; i < n; i++) { var row = { step: i + 1 }; names.forEach(function (k) { row[k] = diag.layerGradNorms[k][i]; }); layerCurves.push(row); }
  }
  var plots = [
    lineChart('chart-d-loss', curves, ['trainLoss', 'valLoss', 'value'].filter(function (k) { return k !== 'value' || !keys.trainLoss; }), 'Loss / objective'),
    lineChart('chart-d-metrics', curves, all.filter(function (k) { return /^val[A-Z]/.test(k) && k !== 'valLoss'; }), 'Validation metrics'),
    lineChart('chart-d-lr', curves, ['lr'], 'Learning rate', false),
    lineChart('chart-d-grad', curves, ['gradNorm', 'gradNormMean', 'layerGradNormMax'], 'Gradient norms (global max, mean; largest layer)'),
    layerCurves.length ? lineChart('chart-d-layers', layerCurves, Object.keys(layerCurves[0]).filter(function (k) { return k !== 'step'; }), 'Gradient norm per layer', true) : null,
  ].filter(Boolean);
  var grid = el('div', { cls: 'grid' });
  plots.forEach(function (p) { grid.appendChild(p.box); });
  sec.appendChild(grid);
  plots.forEach(function (p) { p.draw(); });
  if (Array.isArray(diag.confusion)) renderConfusion(sec, diag.confusion, diag.classNames);
  if (diag.featureMaps && typeof diag.featureMaps === 'object') renderFeatureMaps(sec, diag.featureMaps);
  if (d && d.files.exportReport) renderExport(sec, d.files.exportReport);
}
function renderConfusion(sec, cm, names) {
  var k = cm.length, labels = [];
  for (var i = 0; i < k; i++) labels.push(names && names[i] !== undefined ? String(names[i]) : String(i));
  sec.appendChild(el('h4', { text: 'Confusion matrix (test split: rows true, columns predicted)' }));
  sec.appendChild(chartBox('chart-d-confusion', 380));
  var data = [], max = 0;
  cm.forEach(function (row, t) { row.forEach(function (v, p) { data.push([p, t, v]); max = Math.max(max, v); }); });
  chart('chart-d-confusion', {
    grid: { left: 60, right: 80, top: 10, bottom: 50 },
    tooltip: { formatter: function (q) { return tip(['true ' + labels[q.value[1]] + ', predicted ' + labels[q.value[0]] + ': ' + q.value[2]]); } },
    xAxis: { type: 'category', data: labels, name: 'predicted', nameLocation: 'middle', nameGap: 30 }, yAxis: { type: 'category', data: labels, name: 'true', inverse: true },
    visualMap: { min: 0, max: max || 1, right: 0, top: 'middle', calculable: true, inRange: { color: ['#f8fafc', '#1d4ed8'] } },
    series: [{ type: 'heatmap', data: data, label: { show: k <= 12, fontSize: 10 } }],
  });
}
function renderFeatureMaps(sec, maps) {
  sec.appendChild(el('h4', { text: 'Feature maps (first test sample)' }));
  var wrap = el('div', { cls: 'fmaps' });
  var drawn = 0;
  Object.keys(maps).forEach(function (layer) {
    var m = maps[layer];
    if (!m || !Array.isArray(m.shape) || m.shape.length !== 3 || !Array.isArray(m.data)) return;
    var c = m.shape[0], h = m.shape[1], w = m.shape[2];
    var row = el('div', { cls: 'fmap-row' }, [el('div', { cls: 'note', text: layer })]);
    for (var ch = 0; ch < c; ch++) {
      var lo = Infinity, hi = -Infinity, off = ch * h * w;
      for (var i = 0; i < h * w; i++) { var v = m.data[off + i]; if (v < lo) lo = v; if (v > hi) hi = v; }
      var canvas = el('canvas', { width: String(w), height: String(h), cls: 'fmap', title: layer + ' channel ' + ch });
      var ctx = canvas.getContext('2d'), img = ctx.createImageData(w, h);
      for (var j = 0; j < h * w; j++) {
        var g = hi > lo ? Math.round(255 * (m.data[off + j] - lo) / (hi - lo)) : 0;
        img.data[4 * j] = img.data[4 * j + 1] = img.data[4 * j + 2] = g; img.data[4 * j + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      row.appendChild(canvas);
      drawn++;
    }
    wrap.appendChild(row);
  });
  TK.featureMaps = drawn;
  sec.appendChild(wrap);
}
function renderExport(sec, r) {
  sec.appendChild(el('h4', { text: 'Export report (ONNX)' }));
  var rows = [['file', String(r.path)], ['quantize', String(r.quantize)], ['size', fmt(r.bytes) + ' bytes'], ['fp32 size', fmt(r.fp32Bytes) + ' bytes'], ['size ratio', fmt(r.sizeRatio)]];
  if (r.accuracy) {
    rows.push(['accuracy TF.js', fmt(r.accuracy.tfjs)], ['accuracy ONNX fp32', fmt(r.accuracy.onnx)]);
    if (r.accuracy.int8 !== undefined) rows.push(['accuracy int8', fmt(r.accuracy.int8)], ['drop fp32 to int8', fmt(r.accuracy.drop)]);
  }
  if (r.latency && Array.isArray(r.latency.rows)) r.latency.rows.forEach(function (l) {
    rows.push(['latency batch ' + l.batch + ' (ms)', 'TF.js ' + fmt(l.tfjsMs) + ', onnx ' + fmt(l.onnxMs) + (l.int8Ms !== undefined ? ', int8 ' + fmt(l.int8Ms) : '')]);
  });
  sec.appendChild(kv(rows));
}
`;
