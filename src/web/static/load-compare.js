// Comparison chart: p95 of several load runs over time (seconds since each run started).
(function () {
  'use strict';
  var el = document.getElementById('load-compare');
  if (!el || typeof uPlot === 'undefined') return;
  var colors = ['#2e90fa', '#f04438', '#12b76a', '#f79009', '#7a5af8', '#667085', '#ee46bc', '#06aed4'];
  fetch(el.getAttribute('data-src'), { headers: { accept: 'application/json' } })
    .then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    })
    .then(function (d) {
      if (!d.t.length) {
        el.textContent = 'No per-second data stored for these runs.';
        return;
      }
      var series = [{ label: 's' }];
      var data = [d.t];
      d.runs.forEach(function (run, i) {
        series.push({ label: run.label + ' p95 ms', scale: 'ms', stroke: colors[i % colors.length], width: 2 });
        data.push(run.p95);
      });
      new uPlot(
        {
          width: Math.max(320, el.clientWidth || 900),
          height: 320,
          scales: { x: { time: false }, ms: {} },
          axes: [{ label: 'seconds since start' }, { scale: 'ms', label: 'p95 ms' }],
          series: series,
        },
        data,
        el,
      );
    })
    .catch(function (err) {
      el.textContent = 'Could not load the chart data: ' + err.message;
    });
})();
