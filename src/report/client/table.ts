/**
 * Browser code of the report page, part 4: the trial table. Virtualised: only the rows in view (plus a margin) exist in the
 * DOM, so 10,000 trials scroll as fast as 50. Sort by clicking a header, filter by text (any cell) and by state.
 */
export const CLIENT_TABLE = String.raw`
var ROW_H = 24;
function renderTable(root) {
  var sec = section('table', 'Trials', 'Click a header to sort, type to filter (matches any cell), click a row for its details.');
  var cols = [
    { name: '#', get: function (t) { return t.number; } },
    { name: 'state', get: function (t) { return t.state; } },
    { name: 'rank', get: function (t) { return t.rank; } },
    { name: 'value', get: function (t) { return t.value; } },
    { name: 'duration', get: function (t) { return t.started !== null && t.finished !== null ? t.finished - t.started : null; }, show: dur },
    { name: 'budget', get: function (t) { return t.budget; } },
    { name: 'worker', get: function (t) { return t.lane; } },
  ];
  topParams(8).forEach(function (i) {
    var p = D.params[i];
    cols.push({ name: p.name, get: function (t) { return t.p[i]; }, show: function (v) { return v === null ? '' : paramLabel(p, v); } });
  });
  cols.push({ name: 'reason / error', get: function (t) { return t.reason || t.error || ''; } });
  var state = TK.table || { sort: 0, desc: false, filter: '', stateFilter: '' };
  TK.table = state;
  var input = el('input', { type: 'search', placeholder: 'filter trials', id: 'trial-filter' });
  input.value = state.filter;
  var select = el('select', { id: 'state-filter' }, [el('option', { value: '', text: 'all states' })].concat(['complete', 'pruned', 'failed', 'running', 'waiting'].map(function (s) { return el('option', { value: s, text: s }); })));
  select.value = state.stateFilter;
  var count = el('span', { cls: 'note', id: 'trial-count' });
  sec.appendChild(el('div', { cls: 'controls' }, [input, select, count]));
  var head = el('div', { cls: 'trow thead' });
  var widths = cols.map(function (c, i) { return i >= 7 && i < cols.length - 1 ? 110 : i === cols.length - 1 ? 420 : i === 6 ? 100 : 80; });
  cols.forEach(function (c, i) {
    var h = el('div', { cls: 'tcell', text: c.name + (state.sort === i ? (state.desc ? ' ▼' : ' ▲') : ''), title: c.name });
    h.style.width = widths[i] + 'px';
    h.addEventListener('click', function () { state.desc = state.sort === i ? !state.desc : false; state.sort = i; refresh(); });
    head.appendChild(h);
  });
  var viewport = el('div', { cls: 'viewport', id: 'trial-viewport' });
  var spacer = el('div', { cls: 'spacer' });
  viewport.appendChild(spacer);
  var total = widths.reduce(function (a, b) { return a + b; }, 0);
  head.style.width = spacer.style.width = total + 'px';
  var wrap = el('div', { cls: 'tablewrap' }, [head, viewport]);
  sec.appendChild(wrap);
  root.appendChild(sec);
  var rows = [];
  function cell(c, t) { var v = c.get(t); return c.show ? c.show(v) : v === null || v === undefined ? '-' : typeof v === 'number' ? fmt(v) : String(v); }
  // Row text for filtering, built once per trial on the first filter (not per keystroke, and not at all when never filtered).
  var haystack = null;
  function refresh() {
    var q = state.filter.toLowerCase();
    if (q && !haystack) haystack = D.trials.map(function (t) { return cols.map(function (c) { return cell(c, t); }).join(' ').toLowerCase(); });
    rows = D.trials.map(function (t, i) { return i; }).filter(function (i) {
      return (!state.stateFilter || D.trials[i].state === state.stateFilter) && (!q || haystack[i].indexOf(q) >= 0);
    });
    var c = cols[state.sort];
    rows.sort(function (a, b) {
      var x = c.get(D.trials[a]), y = c.get(D.trials[b]);
      if (x === y) return D.trials[a].number - D.trials[b].number;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      var r = x < y ? -1 : 1;
      return state.desc ? -r : r;
    });
    Array.prototype.forEach.call(head.children, function (h, i) { h.textContent = cols[i].name + (state.sort === i ? (state.desc ? ' ▼' : ' ▲') : ''); });
    count.textContent = rows.length + ' of ' + D.trials.length + ' trials';
    spacer.style.height = rows.length * ROW_H + 'px';
    TK.tableRows = rows.length;
    draw();
  }
  function draw() {
    var first = Math.max(0, Math.floor(viewport.scrollTop / ROW_H) - 10);
    var last = Math.min(rows.length, Math.ceil((viewport.scrollTop + viewport.clientHeight) / ROW_H) + 10);
    spacer.textContent = '';
    for (var r = first; r < last; r++) {
      var t = D.trials[rows[r]];
      var row = el('div', { cls: 'trow state-' + t.state, 'data-trial': String(t.number) });
      row.style.top = r * ROW_H + 'px';
      cols.forEach(function (c, i) { var d = el('div', { cls: 'tcell', text: cell(c, t) }); d.style.width = widths[i] + 'px'; row.appendChild(d); });
      row.addEventListener('click', (function (n) { return function () { renderDetail(null, n); document.getElementById('sec-detail').scrollIntoView(); }; })(t.number));
      spacer.appendChild(row);
    }
    TK.tableDomRows = last - first;
  }
  viewport.addEventListener('scroll', function () { if (!draw.pending) { draw.pending = true; requestAnimationFrame(function () { draw.pending = false; draw(); }); } });
  input.addEventListener('input', function () { state.filter = input.value; viewport.scrollTop = 0; refresh(); });
  select.addEventListener('change', function () { state.stateFilter = select.value; viewport.scrollTop = 0; refresh(); });
  refresh();
}
`;
