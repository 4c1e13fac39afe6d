// Load run chart: users, requests/s and p95 per second, with the knee marked. Data from the page's
// series.json endpoint (no inline scripts: the CSP allows only our own files).
(function () {
  'use strict';
  var el = document.getElementById('load-chart');
  if (!el || typeof uPlot === 'undefined') return;

  var K = window.halftimeCharts;
  if (!K) return;

  function kneePlugin(knee) {
    return {
      hooks: {
        draw: function (u) {
          if (!knee) return;
          var x = Math.round(u.valToPos(knee.t, 'x', true));
          var ctx = u.ctx;
          var dpr = window.devicePixelRatio || 1;
          ctx.save();
          ctx.strokeStyle = K.theme().fg;
          ctx.setLineDash([6 * dpr, 4 * dpr]);
          ctx.lineWidth = 1.5 * dpr;
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
          ctx.setLineDash([]);
          ctx.fillStyle = K.theme().fg;
          ctx.font = Math.round(12 * dpr) + 'px system-ui, sans-serif';
          // The label sits on whichever side of the line has room.
          var w = ctx.measureText(knee.label).width;
          var right = x + 6 * dpr + w < u.bbox.left + u.bbox.width;
          ctx.fillText(knee.label, right ? x + 6 * dpr : x - 6 * dpr - w, u.bbox.top + 14 * dpr);
          ctx.restore();
        },
      },
    };
  }

  // Whole numbers only on the seconds and users axes.
  var COUNTS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000];
  var round1 = function (u, v) { return v === null || v === undefined ? '–' : String(Math.round(v * 10) / 10); };
  var whole = function (u, v) { return v === null || v === undefined ? '–' : String(Math.round(v)); };
  var msValue = function (u, v) { return K.ms(v); };

  function makeChart(d, live) {
    var t = K.theme();
    // A phone has room for one y axis: p95's; users and req/s are read from the legend.
    var narrow = el.clientWidth < 560;
    var axis = function (scale, label, meaning, side) {
      return { scale: scale, label: label, side: side, show: !narrow, incrs: scale === 'users' ? COUNTS : undefined, stroke: K.colour(meaning), size: 52, labelSize: 20, grid: { show: false }, ticks: { stroke: t.grid }, font: '12px system-ui, sans-serif', labelFont: '12px system-ui, sans-serif' };
    };
    var opts = {
      width: K.width(el),
      height: narrow ? 260 : 320,
      // Live, the axes only grow: they do not rescale every second as the newest point moves.
      scales: { x: { time: false }, users: { range: live ? K.growingRange() : K.zeroRange }, rps: { range: live ? K.growingRange() : K.zeroRange }, ms: { range: live ? K.growingRange() : K.zeroRange } },
      axes: [
        { label: 'seconds from the start', incrs: COUNTS, stroke: t.muted, grid: { stroke: t.grid }, ticks: { stroke: t.grid }, font: '12px system-ui, sans-serif', labelFont: '12px system-ui, sans-serif', labelSize: 18 },
        K.msAxis(t, { scale: 'ms', label: 'p95', labelSize: 20, labelFont: '12px system-ui, sans-serif', stroke: K.colour('p95') }),
        axis('users', 'users', 'users', 1),
        axis('rps', 'req/s', 'rps', 1),
      ],
      series: [
        { label: 'second', value: whole },
        { label: 'p95', scale: 'ms', stroke: K.colour('p95'), width: 2, value: msValue },
        { label: 'users', scale: 'users', stroke: K.colour('users'), width: 2, value: whole },
        { label: 'req/s', scale: 'rps', stroke: K.colour('rps'), width: 2, value: round1 },
        { label: 'errors/s', scale: 'rps', stroke: K.colour('down'), width: 1.5, value: whole },
      ],
      plugins: [kneePlugin(d.knee)],
    };
    // Live: the x axis spans the planned duration from the first point on.
    var seconds = Number(el.getAttribute('data-seconds'));
    if (seconds > 0) {
      opts.scales.x.range = function (u) {
        var xs = u.data[0];
        return [0, Math.max(seconds, xs.length ? xs[xs.length - 1] : 0)];
      };
    }
    return new uPlot(opts, [d.t, d.p95, d.users, d.rps, d.errors], el);
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
      if (chart) chart.setData([d.t, d.p95, d.users, d.rps, d.errors]);
      else chart = makeChart(d, true);
      if (now) now.textContent = p.t + 1 + ' s: ' + p.users + ' users, ' + p.rps + ' req/s, p95 ' + K.ms(p.p95) + ', ' + p.errors + ' errors';
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
      // The second the run ended inside is not drawn: a fraction of a second's requests would read
      // as a drop in throughput and a spike in latency (its requests are in the totals above).
      if (d.lastPartial && d.t.length > 1) ['t', 'users', 'rps', 'errors', 'p95', 'p99'].forEach(function (k) { d[k] = d[k].slice(0, -1); });
      if (!d.t.length) {
        el.textContent = 'No per-second data stored for this run.';
        return;
      }
      makeChart(d, false);
    })
    .catch(function (err) {
      el.textContent = 'Could not load the chart data: ' + err.message;
    });
})();
