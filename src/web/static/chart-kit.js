// What every chart shares (monitor history, load runs, comparisons): colours read from the page's
// CSS custom properties (palette.css: one colour per meaning, light or dark with the system), one
// time format with its zone (`2026-11-30 06:50 UTC`, as the pages write it), millisecond labels that
// start at 0 and never read "0.0 ms", and axes that stay put. Exposed as window.halftimeCharts.
(function () {
  'use strict';

  var root = document.documentElement;
  function cssVar(name) {
    return getComputedStyle(root).getPropertyValue(name).trim();
  }
  /** A meaning's colour from the palette (`p95`, `down`, `dns`…). */
  function colour(meaning) {
    return cssVar('--c-' + meaning) || '#888888';
  }
  /** `#rrggbb` with an alpha (for stacked fills). */
  function alpha(hex, a) {
    var m = /^#([0-9a-f]{6})$/i.exec(hex);
    if (!m) return hex;
    var n = parseInt(m[1], 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')';
  }

  // Milliseconds in legends and tooltips.
  function ms(v) {
    if (v === null || v === undefined) return '–';
    if (v === 0) return '0 ms';
    if (v < 10) return v.toFixed(1) + ' ms';
    if (v < 1000) return Math.round(v) + ' ms';
    return (v / 1000).toFixed(v < 10000 ? 2 : 1) + ' s';
  }

  // Axis labels: as many decimals as the tick step needs, and a bare 0 at the origin.
  function msTicks(u, splits, axisIdx, space, incr) {
    var top = Math.max.apply(null, splits.map(Math.abs));
    var secs = top >= 1000;
    var step = (secs ? incr / 1000 : incr) || 1;
    var digits = Math.max(0, Math.min(3, -Math.floor(Math.log10(step) + 1e-9)));
    return splits.map(function (v) {
      if (v === 0) return '0';
      return secs ? (v / 1000).toFixed(digits) + ' s' : v.toFixed(digits) + ' ms';
    });
  }

  function pad(n) {
    return (n < 10 ? '0' : '') + n;
  }
  /** Seconds since the epoch as the pages write time: `2026-11-30 06:50 UTC`. */
  function time(sec, withSeconds) {
    var d = new Date(sec * 1000);
    var s = d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
    return (withSeconds ? s + ':' + pad(d.getUTCSeconds()) : s) + ' UTC';
  }

  // Time axis labels in UTC: hours and minutes within a day, the date where a day starts or the
  // ticks are days apart.
  function timeTicks(u, splits, axisIdx, space, incr) {
    return splits.map(function (sec) {
      var d = new Date(sec * 1000);
      var hm = pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
      var md = pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate());
      if (incr >= 86400) return md;
      return hm === '00:00' ? md : hm;
    });
  }

  /** A time x axis in UTC, labelled with its zone. */
  function timeAxis(t) {
    return { stroke: t.muted, grid: { stroke: t.grid, width: 1 }, ticks: { stroke: t.grid, width: 1 }, values: timeTicks, label: 'UTC', labelSize: 14, labelGap: 0, labelFont: '12px system-ui, sans-serif', font: '12px system-ui, sans-serif' };
  }

  /** A y axis in milliseconds (zero-based scale: see zeroRange). */
  function msAxis(t, extra) {
    var a = { stroke: t.muted, grid: { stroke: t.grid, width: 1 }, ticks: { stroke: t.grid, width: 1 }, values: msTicks, size: 58, font: '12px system-ui, sans-serif' };
    for (var k in extra || {}) a[k] = extra[k];
    return a;
  }

  /** Scale from 0 to a round number above the largest value shown. */
  function zeroRange(u, min, max) {
    if (!(max > 0)) return [0, 1];
    return [0, window.uPlot.rangeNum(0, max, 0.1, true)[1]];
  }

  /**
   * Like zeroRange, but it only ever grows: a live chart's axis does not jump every second as the
   * newest point moves; it rescales only when a value goes past the top.
   */
  function growingRange() {
    var top = 0;
    return function (u, min, max) {
      if (max > top) top = max > 0 ? window.uPlot.rangeNum(0, max * 1.15, 0.1, true)[1] : 1;
      return [0, top || 1];
    };
  }

  function theme() {
    return { fg: cssVar('--fg') || '#1c2430', muted: cssVar('--muted') || '#5d6679', grid: cssVar('--line') || '#e1e4ea' };
  }

  /** The UTC time zone for uPlot's tick placement (ticks fall on UTC hours and days). */
  function tzDate(sec) {
    return window.uPlot.tzDate(new Date(sec * 1000), 'Etc/UTC');
  }

  /** The width a chart may take inside its element (never wider than the element: no sideways scroll). */
  function width(el) {
    return Math.max(200, Math.floor(el.clientWidth || 600));
  }

  /** Redraws when the system switches between light and dark. */
  function onSchemeChange(fn) {
    var mq = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)');
    if (mq && mq.addEventListener) mq.addEventListener('change', fn);
  }

  window.halftimeCharts = {
    colour: colour,
    alpha: alpha,
    ms: ms,
    msTicks: msTicks,
    time: time,
    timeTicks: timeTicks,
    timeAxis: timeAxis,
    msAxis: msAxis,
    zeroRange: zeroRange,
    growingRange: growingRange,
    theme: theme,
    tzDate: tzDate,
    width: width,
    onSchemeChange: onSchemeChange,
  };
})();
