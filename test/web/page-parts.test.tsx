/**
 * The pieces the pages are made of, one at a time: the status banner and day colours, the one
 * sparkline, public paths, the default chart range, the load chart's whole seconds, the assets
 * check's wording, the palette. The pages themselves are checked in a real browser
 * (test/e2e/layout.e2e.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { StepRow } from '../../src/store/runs.js';
import type { SeriesRow } from '../../src/store/load-runs.js';
import { fmtTime, publicPath, publicText } from '../../src/web/format.js';
import { evidenceActual, RunDetail } from '../../src/web/monitor-page.js';
import { rangeForAge } from '../../src/web/monitor-routes.js';
import { PALETTE, paletteCss } from '../../src/web/palette.js';
import { Sparkline, sparklineGeometry } from '../../src/web/sparkline.js';
import { DayBars, DayLegend, dayText } from '../../src/web/status-page.js';
import { bannerOf, dayTone } from '../../src/web/status-view.js';
import { compareJson, lastSecondPartial } from '../../src/web/load/run-pages.js';

const totals = (t: Partial<Record<'up' | 'down' | 'degraded' | 'maintenance' | 'unknown', number>>) => {
  const x = { up: 0, down: 0, degraded: 0, maintenance: 0, unknown: 0, ...t };
  return { ...x, all: x.up + x.down + x.degraded + x.maintenance + x.unknown };
};
const html = async (el: unknown) => String(await (el as { toString(): string | Promise<string> }).toString());

describe('status banner', () => {
  it('is green only when every monitor has data, is up, and had no failing day', () => {
    expect(bannerOf(totals({ up: 3 }))).toEqual({ text: 'All systems operational', tone: 'up' });
    expect(bannerOf(totals({ up: 2, unknown: 2 })).tone).toBe('unknown');
    expect(bannerOf(totals({ up: 2, unknown: 2 })).more).toBe('2 waiting for a first check');
    expect(bannerOf(totals({ unknown: 2 })).text).toBe('Waiting for the first checks');
    expect(bannerOf(totals({ up: 2, down: 1 })).tone).toBe('down');
    expect(bannerOf(totals({ up: 2, degraded: 1 })).tone).toBe('degraded');
  });

  it('is amber over a monitor that is up now but failed earlier today, and names it', () => {
    const b = bannerOf(totals({ up: 3 }), [{ name: 'Search', uptime: 0.92 }]);
    expect(b.tone).toBe('partial');
    expect(b.text).toBe('Operational now, with failures earlier today');
    expect(b.more).toBe('Search (92.00% up)');
    const many = bannerOf(totals({ up: 5, unknown: 1 }), ['a', 'b', 'c', 'd'].map((name) => ({ name, uptime: 0.99 })));
    expect(many.more).toBe('a (99.00% up), b (99.00% up), c (99.00% up) and 1 more · 1 waiting for a first check');
    // Down still wins.
    expect(bannerOf(totals({ up: 2, down: 1 }), [{ name: 'x', uptime: 0.5 }]).tone).toBe('down');
  });
});

describe('day bars', () => {
  it('colours a day green from 99.9 %, amber from 95 %, red below, grey without runs', () => {
    expect(dayTone(1)).toBe('up');
    expect(dayTone(0.999)).toBe('up');
    expect(dayTone(0.9989)).toBe('partial');
    expect(dayTone(0.95)).toBe('partial');
    expect(dayTone(0.9499)).toBe('down');
    expect(dayTone(0)).toBe('down');
    expect(dayTone(null)).toBe('none');
  });

  it('are buttons with their figures as labels, today reachable by Tab and shown under the bars', async () => {
    const days = [
      { day: '2026-11-28', runs: 0, failures: 0, uptime: null },
      { day: '2026-11-29', runs: 40, failures: 1, uptime: 0.975 },
      { day: '2026-11-30', runs: 12, failures: 0, uptime: 1 },
    ];
    const out = await html(<DayBars days={days} name={'Shop <x>'} />);
    expect(out.match(/<button type="button" class="bar bar-/g)).toHaveLength(3);
    expect(out).toContain('class="bar bar-partial" title="2026-11-29: 97.50% up (40 runs, 1 failed)"');
    expect(out).toContain('data-detail="2026-11-28: no data" tabindex="-1"');
    expect(out).toContain('data-detail="Today, 2026-11-30: 100% up (12 runs, 0 failed)" tabindex="0"');
    expect(out).toMatch(/<p class="day-detail" aria-live="polite">Today, 2026-11-30: 100% up \(12 runs, 0 failed\)<\/p>/);
    // The monitor's name is escaped in the group's label.
    expect(out).toContain('aria-label="Shop &lt;x&gt;: daily uptime');
    expect(dayText({ day: '2026-11-29', runs: 1, failures: 0, uptime: 1 })).toBe('2026-11-29: 100% up (1 run, 0 failed)');
  });

  it('have a legend that says the thresholds', async () => {
    const out = await html(<DayLegend />);
    expect(out).toContain('≥ 99.9% up');
    expect(out).toContain('95% to 99.9%');
    expect(out).toContain('below 95%');
  });
});

describe('the one sparkline', () => {
  const hours = (filled: Record<number, number>) => Array.from({ length: 24 }, (_, i) => filled[i] ?? null);

  it('spans the hours that have data, so three hours fill the width', () => {
    const g = sparklineGeometry(hours({ 21: 100, 22: 200, 23: 50 }), [], 120, 28);
    expect(g.hours).toBe(3);
    expect(g.segments).toHaveLength(1);
    const xs = g.segments[0].map((p) => p.x);
    expect(xs[0]).toBe(2);
    expect(xs[2]).toBe(118);
    // Zero-based: 200 at the top (2 px of air), 50 a quarter of the way up from the bottom.
    expect(g.segments[0][1].y).toBe(2);
    expect(g.segments[0][2].y).toBeCloseTo(28 - 2 - 0.25 * 24);
  });

  it('draws one hour of data across the width, and a lone hour between gaps as a dot', () => {
    const one = sparklineGeometry(hours({ 23: 80 }));
    expect(one.segments).toEqual([[{ x: 2, y: 2 }, { x: 118, y: 2 }]]);
    const lone = sparklineGeometry(hours({ 0: 10, 1: 20, 5: 30, 10: 40, 11: 50 }));
    expect(lone.hours).toBe(24);
    expect(lone.segments).toHaveLength(2);
    expect(lone.dots).toHaveLength(1);
  });

  it('marks hours with failures, even before the first latency', () => {
    const f = Array.from({ length: 24 }, (_, i) => (i === 20 ? 2 : 0));
    const g = sparklineGeometry(hours({ 22: 100, 23: 110 }), f);
    expect(g.hours).toBe(4);
    expect(g.ticks).toHaveLength(1);
  });

  it('says what it shows in its label and caption', async () => {
    const out = await html(<Sparkline values={hours({ 21: 100, 22: 300, 23: 120 })} caption />);
    expect(out).toContain('<svg class="sparkline"');
    expect(out).toContain('aria-label="p95 latency, last 3 hours (all the data so far): now 120 ms, peak 300 ms"');
    expect(out).toContain('p95 120 ms · 3 h');
    expect(out).toMatch(/<polyline class="spark-line" points="[\d., ]+"/);
    const none = await html(<Sparkline values={hours({})} caption />);
    expect(none).toContain('p95 latency, last 24 hours: no data');
    expect(none).not.toContain('polyline');
  });
});

describe('what the public sees of a run', () => {
  it('cuts URLs to their path: no host, no query string', () => {
    expect(publicPath('https://shop.example.com:8443/product?id=42&token=abc#x')).toBe('/product');
    expect(publicPath('/already/a/path?q=1')).toBe('/already/a/path');
    expect(publicText('GET https://a.example/x?k=secret failed, then http://b.example/y.')).toBe('GET /x failed, then /y.');
    expect(publicText('no url here')).toBe('no url here');
  });

  const step = (over: Partial<StepRow> = {}): StepRow => ({
    index: 1,
    name: 'product',
    method: 'GET',
    url: 'https://shop.example/product?id=42&ref=newsletter-secret',
    status: 200,
    ok: true,
    failureCode: null,
    failureMessage: null,
    timings: { dns: 0, connect: 0, tls: 0, ttfb: 7, download: 0.4, total: 8 },
    bytes: 276,
    redirects: 0,
    evidence: [
      { what: 'status', expected: '2xx or 3xx', actual: '200', pass: true },
      { what: 'assets', expected: 'all load', actual: '0 loaded', pass: true },
    ],
    assets: { count: 0, cached: 3, failed: 0, bytes: 0, totalMs: 0, items: [] },
    tls: null,
    browser: null,
    ...over,
  });

  it('says the assets came from the cache, not "0 loaded"', () => {
    const s = step();
    expect(evidenceActual(s.evidence[1], s)).toBe('3 from cache');
    const mixed = step({ assets: { count: 2, cached: 1, failed: 0, bytes: 10, totalMs: 5, items: [] } });
    expect(evidenceActual(mixed.evidence[1], mixed)).toBe('2 loaded, 1 from cache');
    expect(evidenceActual(s.evidence[0], s)).toBe('200');
  });

  it('renders a public run with paths, absent phases left out, and fixed check columns; the operator gets the URL', async () => {
    const pub = await html(<RunDetail steps={[step()]} />);
    expect(pub).toContain('GET /product</code>');
    expect(pub).not.toContain('newsletter-secret');
    expect(pub).not.toContain('shop.example');
    expect(pub).not.toContain('DNS');
    expect(pub).not.toContain('TLS');
    expect(pub).toContain('3 from cache');
    expect(pub).toContain('<colgroup><col class="what"/>');
    const op = await html(<RunDetail steps={[step()]} audience="operator" />);
    expect(op).toContain('GET https://shop.example/product?id=42&amp;ref=newsletter-secret');
  });
});

describe('chart ranges', () => {
  const now = Date.UTC(2026, 10, 30, 12, 0);
  it('opens on the shortest range that holds all the data', () => {
    expect(rangeForAge(now - 20 * 60_000, now)).toBe('1h');
    expect(rangeForAge(now - 60 * 60_000, now)).toBe('1h');
    expect(rangeForAge(now - 3 * 3_600_000, now)).toBe('6h');
    expect(rangeForAge(now - 7 * 3_600_000, now)).toBe('24h');
    expect(rangeForAge(null, now)).toBe('24h');
  });
});

describe('load charts', () => {
  const row = (t: number, requests: number, p95: number): SeriesRow => ({ t, users: 2, rate: null, requests, errors: 0, polls: 0, p50: p95 / 2, p95, p99: p95, max: p95 });

  it('mark the last second when the run ended inside it (the chart leaves it out, the totals keep it)', () => {
    const rows = [row(0, 50, 10), row(1, 52, 11), row(2, 9, 240)];
    expect(lastSecondPartial(rows, 2_300)).toBe(true);
    expect(lastSecondPartial(rows, 3_000)).toBe(false);
    expect(lastSecondPartial(rows, null)).toBe(false);
    expect(lastSecondPartial([], 2_300)).toBe(false);
    const cmp = compareJson([{ id: 1, name: 'a', durationMs: 2_300, rows }]);
    expect(cmp.t).toEqual([0, 1, 2]);
    expect(cmp.runs[0]).toMatchObject({ p95: [10, 11, 240], lastPartial: true });
  });
});

describe('palette', () => {
  it('gives every meaning its own colour, in light and in dark', () => {
    for (const mode of ['light', 'dark'] as const) {
      const colours = Object.values(PALETTE).map((c) => c[mode].toLowerCase());
      expect(new Set(colours).size).toBe(colours.length);
    }
    const css = paletteCss();
    expect(css).toContain('--c-p95: #7a5af8;');
    expect(css).toMatch(/@media \(prefers-color-scheme: dark\) \{\n:root \{\n {2}--c-up: #2fd181;/);
  });
});

describe('time', () => {
  it('is written one way, with its zone', () => {
    const t = Date.UTC(2026, 10, 30, 6, 50, 12);
    expect(fmtTime(t)).toBe('2026-11-30 06:50 UTC');
    expect(fmtTime(t, { seconds: true })).toBe('2026-11-30 06:50:12 UTC');
    expect(fmtTime(t, { seconds: true, zone: false })).toBe('2026-11-30 06:50:12');
  });
});
