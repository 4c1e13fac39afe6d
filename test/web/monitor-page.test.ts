import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/web/app.js';
import { runOf, step } from '../store/history-fixtures.js';
import { BACKENDS, dropTestStore, openTestStore, type TestStore } from '../support/backends.js';

const MIN = 60_000;
const NOW = Date.UTC(2026, 10, 26, 12, 30, 0);

describe.each(BACKENDS)('public monitor pages on %s', (kind) => {
  let store: TestStore;

  const app = () => createApp({ status: store.status, history: store.history, runs: store.runs, title: 'Acme', schedulerAlive: () => true, now: () => NOW });
  const get = (path: string) => app().request(path);

  beforeEach(async () => {
    store = await openTestStore(kind, [
      { key: 'shop', name: 'Shop <checkout>', description: 'Buy & pay', public: true, schedule: 'every 60s', steps: 2 },
      { key: 'xss', name: '<script>alert(1)</script>', public: true, schedule: 'every 60s', steps: 1 },
      { key: 'private-db', name: 'Private database', public: false, schedule: 'every 60s', steps: 1 },
    ], { flushMs: 60_000 });
    for (let i = 0; i < 30; i++) {
      const steps = [step(0, 0, 20 + i), { ...step(1, 0, 100 + i, i % 10 !== 9), name: 'pay <now>' }];
      if (i % 10 === 9) steps[1].evidence = [{ what: 'body contains', expected: '<b>paid</b>', actual: '<i>declined</i>', pass: false }];
      store.writer.write(runOf('shop', NOW - (30 - i) * MIN, steps));
    }
    store.writer.write(runOf('xss', NOW - MIN, [step(0, 0, 40)]));
    store.writer.write(runOf('private-db', NOW - MIN, [step(0, 0, 5)]));
    await store.writer.flush();
  });
  afterEach(() => dropTestStore(store));

  describe('monitor page', () => {
    it('renders the 24h chart section, the scripts from our origin, and recent runs', async () => {
      const res = await get('/monitors/shop');
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html.startsWith('<!doctype html>')).toBe(true);
      expect(html).toContain('<h1>Shop &lt;checkout&gt;</h1>');
      expect(html).toContain('Buy &amp; pay');
      // Half an hour of data: the page opens on the range that fits it (1h), not an empty day.
      expect(html).toContain('data-series-url="/api/monitors/shop/series?range=1h&amp;step=-1&amp;fields=runs,failures,p50,p95,p99,max,phases"');
      expect(html).toMatch(/class="range active"[^>]*data-range="1h"/);
      // A range asked for is kept.
      const day = await (await get('/monitors/shop?range=24h')).text();
      expect(day).toMatch(/class="range active"[^>]*data-range="24h"/);
      expect(day).toContain('data-series-url="/api/monitors/shop/series?range=24h&amp;step=-1&amp;fields=runs,failures,p50,p95,p99,max,phases"');
      expect(html).toContain('per minute');
      expect(html).toContain('<script src="/static/uPlot.iife.min.js" defer=""></script>');
      expect(html).toContain('<script src="/static/monitor-chart.js" defer=""></script>');
      // No inline scripts (the CSP would block them anyway).
      expect(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();
      // 20 most recent runs, each expandable through htmx.
      expect((html.match(/hx-get="\/partials\/monitors\/shop\/runs\/\d+"/g) ?? []).length).toBe(20);
      expect(html).toContain('Failed at step 2');
      // The step selector lists the steps, escaped.
      expect(html).toContain('<option value="1">2. pay &lt;now&gt;</option>');
      expect(html).toContain('Runs</dt><dd>30</dd>');
      expect(html).toContain('Failures</dt><dd>3</dd>');
    });

    it('serves the right range and resolution for 7d, 30d and 1y, with links that swap through htmx', async () => {
      for (const [range, res] of [['7d', 'per hour'], ['30d', 'per hour'], ['1y', 'per day'], ['24h', 'per minute']]) {
        const html = await (await get(`/monitors/shop?range=${range}&step=1`)).text();
        expect(html).toContain(`data-series-url="/api/monitors/shop/series?range=${range}&amp;step=1&amp;fields=runs,failures,p50,p95,p99,max,phases"`);
        expect(html).toMatch(new RegExp(`class="range active"[^>]*data-range="${range}"`));
        expect(html).toContain(res);
        expect(html).toContain('<option value="1" selected="">2. pay &lt;now&gt;</option>');
      }
      const html = await (await get('/monitors/shop')).text();
      expect(html).toContain('hx-get="/partials/monitors/shop/chart?range=30d&amp;step=-1"');
      expect(html).toContain('hx-push-url="/monitors/shop?range=30d"');
      expect((await get('/monitors/shop?range=2h')).status).toBe(400);
      expect(await (await get('/monitors/shop?step=x')).text()).toMatch(/step must be/);
    });

    it('swaps the chart section as a partial without the layout', async () => {
      const res = await get('/partials/monitors/shop/chart?range=7d&step=0');
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html.startsWith('<section id="history"')).toBe(true);
      expect(html).not.toContain('<html');
      expect(html).toContain('data-range="7d"');
      expect(html).toContain('series?range=7d&amp;step=0');
    });

    it('expands a run to its steps, timings and escaped evidence', async () => {
      const failed = (await store.runs.list({ monitor: 'shop', limit: 50 })).find((r) => !r.ok)!;
      const res = await get(`/partials/monitors/shop/runs/${failed.id}`);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).not.toContain('<html');
      expect(html).toContain('2. pay &lt;now&gt;');
      expect(html).toContain('TTFB');
      expect(html).toContain('&lt;b&gt;paid&lt;/b&gt;');
      expect(html).toContain('&lt;i&gt;declined&lt;/i&gt;');
      expect(html).toContain('FAIL');
      // A run id of another monitor, or none, is not found.
      const [other] = await store.runs.list({ monitor: 'private-db', limit: 1 });
      expect((await get(`/partials/monitors/shop/runs/${other.id}`)).status).toBe(404);
      expect((await get('/partials/monitors/shop/runs/abc')).status).toBe(404);
    });

    it('escapes monitor names', async () => {
      const html = await (await get('/monitors/xss')).text();
      expect(html).not.toContain('<script>alert(1)</script>');
      expect(html).toContain('<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>');
      // One-step monitors get no step selector.
      expect(html).not.toContain('<select');
    });

    it('has no pages, partials or series for private or unknown monitors', async () => {
      for (const key of ['private-db', 'nope']) {
        expect((await get(`/monitors/${key}`)).status).toBe(404);
        expect((await get(`/partials/monitors/${key}/chart`)).status).toBe(404);
        expect((await get(`/partials/monitors/${key}/runs`)).status).toBe(404);
        const api = await get(`/api/monitors/${key}/series?range=24h`);
        expect(api.status).toBe(404);
        expect(await api.text()).not.toContain('Private database');
      }
    });
  });

  describe('series endpoint', () => {
    it('returns column-wise percentiles, failures and phases for the whole run or one step', async () => {
      const res = await get('/api/monitors/shop/series?range=24h');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/json');
      const s = await res.json();
      expect(s).toMatchObject({ monitor: 'shop', range: '24h', resolution: 'minute', bucketMs: MIN, step: -1, relativeAccuracy: 0.01 });
      expect(s.t).toHaveLength(30);
      expect(s.t[0]).toBe(NOW - 30 * MIN);
      expect(s.runs.every((n: number) => n === 1)).toBe(true);
      expect(s.failures.filter((n: number) => n === 1)).toHaveLength(3);
      // A failed run has no latency point; a passed one has p50 = p99 = its duration.
      expect(s.p50[9]).toBeNull();
      expect(s.p50[0]).toBe(120);
      expect(s.p99[0]).toBe(120);
      expect(s.phases.ttfb[0]).toBe(60);
      expect(s.summary).toMatchObject({ runs: 30, failures: 3, uptime: 0.9, min: 120 });

      // The steps and their keys come with every series; `step` takes a key.
      expect(s.steps).toEqual([
        { step: 0, name: 'step <0>', current: true },
        { step: 1, name: 'pay <now>', current: true },
      ]);
      expect(s.stepName).toBeNull();
      const step1 = await (await get('/api/monitors/shop/series?range=24h&step=1')).json();
      expect(step1.step).toBe(1);
      expect(step1.stepName).toBe('pay <now>');
      expect(step1.max[0]).toBe(100);
      expect(step1.summary).toMatchObject({ runs: 30, failures: 3 });

      for (const [range, resolution, bucketMs] of [['7d', 'hour', 3_600_000], ['30d', 'hour', 3_600_000], ['1y', 'day', 86_400_000]] as const) {
        const r = await (await get(`/api/monitors/shop/series?range=${range}`)).json();
        expect([r.resolution, r.bucketMs, r.summary.runs]).toEqual([resolution, bucketMs, 30]);
      }
    });

    it('sends only the fields asked for, and gzip when the client accepts it', async () => {
      const res = await get('/api/monitors/shop/series?range=24h&fields=p95,failures');
      const s = await res.json();
      expect(Object.keys(s).sort()).toEqual(['bucketMs', 'failures', 'from', 'location', 'monitor', 'p95', 'range', 'relativeAccuracy', 'resolution', 'step', 'stepName', 'steps', 't', 'to']);
      expect(s.p95).toHaveLength(30);
      const bad = await get('/api/monitors/shop/series?fields=p95,secret');
      expect(bad.status).toBe(400);
      expect((await bad.json()).error).toMatch(/^unknown field\(s\) secret; fields are runs, /);
      const zipped = await app().request('/api/monitors/shop/series?range=24h', { headers: { 'accept-encoding': 'gzip' } });
      expect(zipped.headers.get('content-encoding')).toBe('gzip');
      const page = await app().request('/monitors/shop', { headers: { 'accept-encoding': 'gzip' } });
      expect(page.headers.get('content-encoding')).toBe('gzip');
    });

    it('rejects a bad range or step with a clear message', async () => {
      const bad = await get('/api/monitors/shop/series?range=5y');
      expect(bad.status).toBe(400);
      expect((await bad.json()).error).toBe('range must be one of 1h, 6h, 24h, 7d, 30d, 1y (got "5y")');
      const badStep = await get('/api/monitors/shop/series?step=-2');
      expect(badStep.status).toBe(400);
      expect((await badStep.json()).error).toMatch(/^step must be -1/);
    });
  });

  describe('status page history', () => {
    it('shows a 24-hour p95 line and a link to the monitor page for each public monitor', async () => {
      const html = await (await get('/')).text();
      expect((html.match(/<svg class="sparkline"/g) ?? []).length).toBe(2);
      expect(html).toContain('href="/monitors/shop"');
      expect(html).toContain('href="/monitors/xss"');
      expect(html).not.toContain('/monitors/private-db');
      expect(html).toMatch(/<polyline class="spark-line" points="[\d., ]+"/);
      expect(html).toMatch(/p95 latency, last 1 hour \(all the data so far\): now \d+ ms/);
      expect(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();
      const partial = await (await get('/partials/status')).text();
      expect(partial).toContain('<svg class="sparkline"');
    });

    it('serves the chart script', async () => {
      const res = await get('/static/monitor-chart.js');
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('data-series-url');
    });
  });
});
