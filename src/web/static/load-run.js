// Load run chart: users, requests/s and p95 per second, with the knee marked. Data from the page's
// series.json endpoint (no inline scripts: the CSP allows only our own files).
(function () {
  'use strict';
  var el = document.getElementById('load-chart');
  if (!el || typeof uPlot === 'undefined') return;

  function kneePlugin(knee) {
    return {
      hooks: {
        draw: function (u) {
          if (!knee) return;
          var x = Math.round(u.valToPos(knee.t, 'x', true));
          var ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = '#f04438';
          ctx.setLineDash([6, 4]);
          ctx.lineWidth = 2;
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
          ctx.setLineDash([]);
          ctx.fillStyle = '#f04438';
          ctx.font = Math.round(12 * devicePixelRatio) + 'px system-ui, sans-serif';
          ctx.fillText(knee.label, x + 6, u.bbox.top + 14 * devicePixelRatio);
          ctx.restore();
        },
      },
    };
  }

  fetch(el.getAttribute('data-src'), { headers: { accept: 'application/json' } })
    .then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    })
    .then(function (d) {
      if (!d.t.length) {
        el.textContent = 'No per-second data stored for this run.';
        return;
      }
      var opts = {
        width: Math.max(320, el.clientWidth || 900),
        height: 320,
        scales: { x: { time: false }, users: {}, rps: {}, ms: {} },
        axes: [
          { label: 'seconds' },
          { scale: 'users', label: 'users' },
          { scale: 'rps', label: 'req/s', side: 1, grid: { show: false } },
          { scale: 'ms', label: 'p95 ms', side: 1, grid: { show: false } },
        ],
        series: [
          { label: 's' },
          { label: 'users', scale: 'users', stroke: '#667085', width: 2 },
          { label: 'req/s', scale: 'rps', stroke: '#12b76a', width: 2 },
          { label: 'p95 ms', scale: 'ms', stroke: '#2e90fa', width: 2 },
          { label: 'errors/s', scale: 'rps', stroke: '#f04438', width: 1 },
        ],
        plugins: [kneePlugin(d.knee)],
      };
      new uPlot(opts, [d.t, d.users, d.rps, d.p95, d.errors], el);
    })
    .catch(function (err) {
      el.textContent = 'Could not load the chart data: ' + err.message;
    });
})();
