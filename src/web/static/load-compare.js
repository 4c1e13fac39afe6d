// Comparison chart: p95 of several load runs over time (seconds since each run started). Every line
// is p95, so every line has p95's colour (one colour per meaning); runs differ by dash pattern and
// shade, and the legend names them.
(function () {
  'use strict';
  var el = document.getElementById('load-compare');
  var K = window.halftimeCharts;
  if (!el || typeof uPlot === 'undefined' || !K) return;
  var DASHES = [null, [8, 4], [2, 3], [12, 4, 2, 4], [4, 4], [1, 5], [16, 6], [6, 2, 2, 2]];
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
      var t = K.theme();
      var p95 = K.colour('p95');
      var series = [{ label: 'second', value: function (u, v) { return v === null || v === undefined ? '–' : String(v); } }];
      var data = [d.t];
      d.runs.forEach(function (run, i) {
        // Each run's last second, when the run ended inside it, is not drawn (see load-run.js).
        if (run.lastPartial) {
          for (var j = run.p95.length - 1; j >= 0; j--) if (run.p95[j] !== null) { run.p95[j] = null; break; }
        }
        var s = { label: run.label, scale: 'ms', stroke: i === 0 ? p95 : K.alpha(p95, Math.max(0.45, 1 - i * 0.12)), width: i === 0 ? 2.25 : 1.75, value: function (u, v) { return K.ms(v); } };
        if (DASHES[i % DASHES.length]) s.dash = DASHES[i % DASHES.length];
        series.push(s);
        data.push(run.p95);
      });
      new uPlot(
        {
          width: K.width(el),
          height: el.clientWidth < 560 ? 260 : 320,
          scales: { x: { time: false }, ms: { range: K.zeroRange } },
          axes: [
            { label: 'seconds since each run started', incrs: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600], stroke: t.muted, grid: { stroke: t.grid }, ticks: { stroke: t.grid }, font: '12px system-ui, sans-serif', labelFont: '12px system-ui, sans-serif', labelSize: 18 },
            K.msAxis(t, { scale: 'ms', label: 'p95', labelSize: 20, labelFont: '12px system-ui, sans-serif' }),
          ],
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
