// Monitor page charts: latency percentiles and the stacked timing breakdown, drawn with uPlot from
// the JSON series named in each chart's data-series-url. Runs on load and after every htmx swap
// (the range switch and step selector replace the #history section). No inline script: CSP.
(function () {
  'use strict';

  var COLORS = { p50: '#2e90fa', p95: '#f79009', p99: '#d92d20', max: '#98a2b3' };
  var PHASE_COLORS = { dns: '#9e77ed', connect: '#2e90fa', tls: '#12b76a', ttfb: '#f79009', download: '#f04438' };
  var PHASE_LABELS = { dns: 'DNS', connect: 'Connect', tls: 'TLS', ttfb: 'TTFB', download: 'Download' };
  var PHASES = ['dns', 'connect', 'tls', 'ttfb', 'download'];
  var cache = {};
  var charts = [];

  function ms(v) {
    if (v === null || v === undefined) return '–';
    if (v < 1000) return (v < 10 ? v.toFixed(1) : Math.round(v)) + ' ms';
    return (v / 1000).toFixed(2) + ' s';
  }

  // A browser monitor's CLS series holds a score, not a time.
  function score(v) {
    return v === null || v === undefined ? '–' : v.toFixed(3);
  }
  function fmtFor(data) {
    return data.stepName === 'vital:CLS' ? score : ms;
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

  // The x axis always spans the whole range asked for, not just the part that has data.
  function xScale(data) {
    var lo = data.from / 1000;
    var hi = (data.to + data.bucketMs) / 1000;
    return { time: true, range: function () { return [lo, hi]; } };
  }

  function width(el) {
    return Math.max(280, el.clientWidth || 600);
  }

  // Red ticks along the bottom of the plot where a bucket had failures.
  function failureMarks(data) {
    return function (u) {
      var ctx = u.ctx;
      var dpr = window.devicePixelRatio || 1;
      var bottom = u.bbox.top + u.bbox.height;
      ctx.save();
      ctx.fillStyle = '#d92d20';
      for (var i = 0; i < data.t.length; i++) {
        if (!data.failures[i]) continue;
        var x = u.valToPos(data.t[i] / 1000, 'x', true);
        ctx.fillRect(x - dpr, bottom - 8 * dpr, 2 * dpr, 8 * dpr);
      }
      ctx.restore();
    };
  }

  function latencyChart(el, data) {
    var x = data.t.map(function (t) { return t / 1000; });
    var fail = data.failures;
    var opts = {
      width: width(el),
      height: 260,
      scales: { x: xScale(data), n: { range: [0, 1] } },
      series: [
        {},
        { label: 'p50', stroke: COLORS.p50, width: 1.5, value: pctValue(data) },
        { label: 'p95', stroke: COLORS.p95, width: 1.5, value: pctValue(data) },
        { label: 'p99', stroke: COLORS.p99, width: 1.5, value: pctValue(data) },
        { label: 'max', stroke: COLORS.max, width: 1, dash: [4, 4], show: false, value: function (u, v) { return fmtFor(data)(v); } },
        {
          label: 'failed runs',
          scale: 'n',
          stroke: '#d92d20',
          paths: function () { return null; },
          points: { show: false },
          value: function (u, v, si, i) { return i === null || i === undefined ? '–' : String(fail[i] || 0) + ' / ' + String(data.runs[i] || 0); },
        },
      ],
      axes: [{}, { values: function (u, vals) { return vals.map(fmtFor(data)); }, size: 64 }, { show: false, scale: 'n' }],
      hooks: { draw: [failureMarks(data)] },
    };
    return new window.uPlot(opts, [x, data.p50, data.p95, data.p99, data.max, fail.map(function () { return 0; })], el);
  }

  function phasesChart(el, data) {
    var x = data.t.map(function (t) { return t / 1000; });
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
    var order = PHASES.slice().reverse();
    var series = [{}];
    var columns = [x];
    order.forEach(function (p) {
      var idx = PHASES.indexOf(p);
      series.push({
        label: PHASE_LABELS[p],
        stroke: PHASE_COLORS[p],
        fill: PHASE_COLORS[p] + '99',
        width: 1,
        value: function (u, v, si, i) { return i === null || i === undefined ? '–' : ms(data.phases[p][i]); },
      });
      columns.push(sums[idx]);
    });
    var opts = {
      width: width(el),
      height: 200,
      scales: { x: xScale(data) },
      series: series,
      axes: [{}, { values: function (u, vals) { return vals.map(ms); }, size: 64 }],
      hooks: { draw: [failureMarks(data)] },
    };
    return new window.uPlot(opts, columns, el);
  }

  function init(root) {
    if (!window.uPlot) return;
    var els = (root || document).querySelectorAll('[data-chart][data-series-url]');
    Array.prototype.forEach.call(els, function (el) {
      if (el.getAttribute('data-drawn')) return;
      el.setAttribute('data-drawn', '1');
      load(el.getAttribute('data-series-url')).then(
        function (data) {
          if (!data.t.length) return;
          el.textContent = '';
          var chart = el.getAttribute('data-chart') === 'phases' ? phasesChart(el, data) : latencyChart(el, data);
          charts.push({ el: el, chart: chart });
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
    charts.forEach(function (c) { c.chart.setSize({ width: width(c.el), height: c.chart.height }); });
  }

  var timer = null;
  window.addEventListener('resize', function () {
    clearTimeout(timer);
    timer = setTimeout(resize, 150);
  });
  document.addEventListener('DOMContentLoaded', function () { init(document); });
  document.addEventListener('htmx:afterSettle', function () {
    cache = {};
    resize();
    init(document);
  });
})();
