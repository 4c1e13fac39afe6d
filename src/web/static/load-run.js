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

  function makeChart(d) {
    var opts = {
      width: Math.max(320, el.clientWidth || 900),
      height: 320,
      scales: { x: { time: false }, users: {}, rps: {}, ms: {} },
      axes: [
        { label: 'seconds' },
        { scale: 'users', label: 'users' },
        // Room for labels like "12.5" and "1,250", coloured like their series so the two right-hand axes read apart.
        { scale: 'rps', label: 'req/s', side: 1, size: 60, labelSize: 24, stroke: '#0e9f5b', grid: { show: false } },
        { scale: 'ms', label: 'p95 ms', side: 1, size: 60, labelSize: 24, stroke: '#1f75d1', grid: { show: false } },
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
    // Live: the x axis spans the planned duration from the first point on.
    var seconds = Number(el.getAttribute('data-seconds'));
    if (seconds > 0) {
      opts.scales.x.range = function (u) {
        var t = u.data[0];
        return [0, Math.max(seconds, t.length ? t[t.length - 1] : 0)];
      };
    }
    return new uPlot(opts, [d.t, d.users, d.rps, d.p95, d.errors], el);
  }

  // A running burst: every stored second, then one point a second as it is measured (server-sent
  // events); when the burst ends, the page reloads to show the stored summary.
  var live = el.getAttribute('data-live');
  if (live && typeof EventSource !== 'undefined') {
    var d = { t: [], users: [], rps: [], p95: [], errors: [], knee: null };
    var now = document.getElementById('load-live-now');
    var chart = null;
    var source = new EventSource(live);
    source.addEventListener('point', function (ev) {
      var p = JSON.parse(ev.data);
      var i = d.t.indexOf(p.t);
      if (i < 0) i = d.t.length;
      d.t[i] = p.t;
      d.users[i] = p.users;
      d.rps[i] = p.rps;
      d.p95[i] = p.p95;
      d.errors[i] = p.errors;
      if (chart) chart.setData([d.t, d.users, d.rps, d.p95, d.errors]);
      else chart = makeChart(d);
      if (now) now.textContent = p.t + 1 + ' s: ' + p.users + ' users, ' + p.rps + ' req/s, p95 ' + (p.p95 === null ? '–' : Math.round(p.p95) + ' ms') + ', ' + p.errors + ' errors';
    });
    source.addEventListener('done', function () {
      source.close();
      location.reload();
    });
    return;
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
      makeChart(d);
    })
    .catch(function (err) {
      el.textContent = 'Could not load the chart data: ' + err.message;
    });
})();
