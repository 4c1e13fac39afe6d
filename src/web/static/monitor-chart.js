// Monitor page charts: latency percentiles and the stacked timing breakdown, drawn with uPlot from
// the JSON series named in each chart's data-series-url. Runs on load and after every htmx swap
// (the range switch and step selector replace the #history section). No inline script: CSP.
// Colours, time and millisecond formats come from chart-kit.js.
(function () {
  'use strict';

  var K = window.halftimeCharts;
  var PHASES = ['dns', 'connect', 'tls', 'ttfb', 'download'];
  var PHASE_LABELS = { dns: 'DNS', connect: 'Connect', tls: 'TLS', ttfb: 'TTFB', download: 'Download' };
  var cache = {};
  var charts = [];

  // A browser monitor's CLS series holds a score, not a time.
  function score(v) {
    return v === null || v === undefined ? '–' : v.toFixed(3);
  }
  function fmtFor(data) {
    return data.stepName === 'vital:CLS' ? score : K.ms;
  }

  // Percentiles are nearest rank, of the bucket's successful runs (runs − failures); below 100 of
  // them the count is shown, as p95 of 20 or fewer samples is their slowest.
  function pctValue(data) {
    var f = fmtFor(data);
    return function (u, v, si, i) {
      if (v === null || v === undefined || i === null || i === undefined) return f(v);
      var n = (data.runs[i] || 0) - (data.failures[i] || 0);
      return n >= 100 ? f(v) : f(v) + ' (' + n + (n === 1 ? ' sample)' : ' samples)');
    };
  }

  function load(url) {
    if (!cache[url]) {
      cache[url] = fetch(url, { headers: { accept: 'application/json' } }).then(function (r) {
        if (!r.ok) throw new Error('series request failed: ' + r.status);
        return r.json();
      });
    }
    return cache[url];
  }

  /**
   * The series marks a gap with one empty bucket. A monitor that runs every 5 minutes has a gap
   * after every minute bucket: drawn as is, its line would be all gaps (invisible). A gap no longer
   * than three times the usual spacing of the data is its rhythm, not an outage: it is joined.
   */
  function joinRhythm(data) {
    var real = [];
    for (var i = 0; i < data.t.length; i++) if (data.runs[i] !== null) real.push(data.t[i]);
    if (real.length < 2) return data;
    var diffs = [];
    for (var j = 1; j < real.length; j++) diffs.push(real[j] - real[j - 1]);
    diffs.sort(function (a, b) { return a - b; });
    var usual = diffs[Math.floor(diffs.length / 2)];
    var keep = [];
    for (var k = 0; k < data.t.length; k++) {
      if (data.runs[k] !== null) { keep.push(k); continue; }
      var prev = null;
      var next = null;
      for (var a = k - 1; a >= 0; a--) if (data.runs[a] !== null) { prev = data.t[a]; break; }
      for (var b = k + 1; b < data.t.length; b++) if (data.runs[b] !== null) { next = data.t[b]; break; }
      if (prev === null || next === null || next - prev > 3 * usual) keep.push(k);
    }
    if (keep.length === data.t.length) return data;
    var out = {};
    for (var key in data) out[key] = data[key];
    var pick = function (arr) { return keep.map(function (x) { return arr[x]; }); };
    ['t', 'runs', 'failures', 'p50', 'p95', 'p99', 'max'].forEach(function (f) { if (data[f]) out[f] = pick(data[f]); });
    out.phases = {};
    PHASES.forEach(function (p) { out.phases[p] = pick(data.phases[p]); });
    return out;
  }

  // The x axis always spans the whole range asked for, not just the part that has data.
  function xScale(data) {
    var lo = data.from / 1000;
    var hi = (data.to + data.bucketMs) / 1000;
    return { time: true, range: function () { return [lo, hi]; } };
  }

  // Ticks along the bottom of the plot where a bucket had failures (the failure colour).
  function failureMarks(data) {
    return function (u) {
      var ctx = u.ctx;
      var dpr = window.devicePixelRatio || 1;
      var bottom = u.bbox.top + u.bbox.height;
      ctx.save();
      ctx.fillStyle = K.colour('down');
      for (var i = 0; i < data.t.length; i++) {
        if (!data.failures[i]) continue;
        var x = u.valToPos(data.t[i] / 1000, 'x', true);
        ctx.fillRect(x - dpr, bottom - 8 * dpr, 2 * dpr, 8 * dpr);
      }
      ctx.restore();
    };
  }

  // Where points are dense, the line shows them; a point without a neighbour (a bucket between two
  // gaps) is drawn as a dot, or it would not show at all.
  function loneOrAll(u, si) {
    var ys = u.data[si];
    var out = [];
    var dense = ys.length > u.bbox.width / (8 * (window.devicePixelRatio || 1));
    for (var i = 0; i < ys.length; i++) {
      if (ys[i] === null || ys[i] === undefined) continue;
      if (!dense || ((ys[i - 1] === null || ys[i - 1] === undefined) && (ys[i + 1] === null || ys[i + 1] === undefined))) out.push(i);
    }
    return out;
  }

  function xSeries() {
    return { label: 'Time', value: function (u, v) { return v === null || v === undefined ? '–' : K.time(v); } };
  }

  function latencyChart(el, data) {
    var t = K.theme();
    var x = data.t.map(function (s) { return s / 1000; });
    var fail = data.failures;
    var line = function (label, meaning, extra) {
      var s = { label: label, stroke: K.colour(meaning), width: 1.75, value: pctValue(data), points: { show: true, size: 5, fill: K.colour(meaning), filter: loneOrAll } };
      for (var k in extra || {}) s[k] = extra[k];
      return s;
    };
    var opts = {
      width: K.width(el),
      height: 260,
      tzDate: K.tzDate,
      scales: { x: xScale(data), y: { range: K.zeroRange }, n: { range: [0, 1] } },
      series: [
        xSeries(),
        line('p50', 'p50'),
        line('p95', 'p95'),
        line('p99', 'p99'),
        // Shown by default, so the axis reaches the slowest run the summary names.
        line('max', 'max', { width: 1, dash: [4, 4], value: function (u, v) { return fmtFor(data)(v); } }),
        {
          label: 'failed runs',
          scale: 'n',
          stroke: K.colour('down'),
          paths: function () { return null; },
          points: { show: false },
          value: function (u, v, si, i) { return i === null || i === undefined ? '–' : String(fail[i] || 0) + ' of ' + String(data.runs[i] || 0); },
        },
      ],
      axes: [K.timeAxis(t), data.stepName === 'vital:CLS' ? Object.assign(K.msAxis(t), { values: function (u, vals) { return vals.map(score); } }) : K.msAxis(t), { show: false, scale: 'n' }],
      hooks: { draw: [failureMarks(data)] },
    };
    return new window.uPlot(opts, [x, data.p50, data.p95, data.p99, data.max, fail.map(function () { return 0; })], el);
  }

  function phasesChart(el, data) {
    var t = K.theme();
    var x = data.t.map(function (s) { return s / 1000; });
    // Stack: each series is the running sum; drawn top (download) first so lower bands paint over it.
    var sums = [];
    var acc = data.t.map(function () { return 0; });
    PHASES.forEach(function (p) {
      acc = acc.map(function (a, i) {
        var v = data.phases[p][i];
        return v === null || a === null ? null : a + v;
      });
      sums.push(acc);
    });
    var series = [xSeries()];
    var columns = [x];
    PHASES.slice().reverse().forEach(function (p) {
      var c = K.colour(p);
      series.push({
        label: PHASE_LABELS[p],
        stroke: c,
        fill: K.alpha(c, 0.7),
        width: 1,
        points: { show: false },
        value: function (u, v, si, i) { return i === null || i === undefined ? '–' : K.ms(data.phases[p][i]); },
      });
      columns.push(sums[PHASES.indexOf(p)]);
    });
    var opts = {
      width: K.width(el),
      height: 200,
      tzDate: K.tzDate,
      scales: { x: xScale(data), y: { range: K.zeroRange } },
      series: series,
      axes: [K.timeAxis(t), K.msAxis(t)],
      hooks: { draw: [failureMarks(data)] },
    };
    return new window.uPlot(opts, columns, el);
  }

  function draw(el, data) {
    el.textContent = '';
    var chart = el.getAttribute('data-chart') === 'phases' ? phasesChart(el, data) : latencyChart(el, data);
    charts.push({ el: el, chart: chart, data: data });
  }

  function init(root) {
    if (!window.uPlot || !K) return;
    var els = (root || document).querySelectorAll('[data-chart][data-series-url]');
    Array.prototype.forEach.call(els, function (el) {
      if (el.getAttribute('data-drawn')) return;
      el.setAttribute('data-drawn', '1');
      load(el.getAttribute('data-series-url')).then(
        function (data) {
          if (!data.t.length) return;
          draw(el, joinRhythm(data));
        },
        function (err) {
          el.textContent = 'Could not load the chart data (' + err.message + ').';
        },
      );
    });
  }

  // Forget charts whose element was swapped out; fit the rest to their container.
  function resize() {
    charts = charts.filter(function (c) { return document.body.contains(c.el); });
    charts.forEach(function (c) { c.chart.setSize({ width: K.width(c.el), height: c.chart.height }); });
  }

  // Light or dark changed: draw again with the other colours.
  function redraw() {
    var old = charts.filter(function (c) { return document.body.contains(c.el); });
    charts = [];
    old.forEach(function (c) {
      c.chart.destroy();
      draw(c.el, c.data);
    });
  }

  var timer = null;
  window.addEventListener('resize', function () {
    clearTimeout(timer);
    timer = setTimeout(resize, 150);
  });
  if (K) K.onSchemeChange(redraw);
  document.addEventListener('DOMContentLoaded', function () { init(document); });
  document.addEventListener('htmx:afterSettle', function () {
    cache = {};
    resize();
    init(document);
  });
})();
