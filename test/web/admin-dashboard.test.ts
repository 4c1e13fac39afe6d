import { afterEach, describe, expect, it } from 'vitest';
import type { MonitorConfig } from '../../src/config/schema.js';
import { stepSchema } from '../../src/config/schema.js';
import { runMonitor } from '../../src/probes/run-monitor.js';
import type { RunResult } from '../../src/probes/types.js';
import { percentileOfSorted as percentile } from '../../src/lang/percentile.js';
import { sleep, startServer, type TestServer } from '../helpers.js';
import { BACKENDS } from '../support/backends.js';
import { adminFixture, type AdminFixture } from './admin-helpers.js';

const HOUR = 3_600_000;
let f: AdminFixture | undefined;
let target: TestServer | undefined;
afterEach(async () => {
  await f?.close();
  await target?.close();
  f = undefined;
  target = undefined;
});

const run = (monitorId: string, startedAt: number, durationMs: number, ok = true): RunResult => ({
  monitorId,
  plannedAt: startedAt,
  startedAt,
  durationMs,
  ok,
  failure: ok ? undefined : { code: 'status', message: 'expected status 200, got 503', step: 0 },
  steps: [],
});

describe('exact percentiles', () => {
  it('computes an exact nearest-rank p95', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 0.95)).toBe(95);
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([], 0.95)).toBeNull();
    expect(percentile([1, 2, 3], 0.5)).toBe(2);
  });
});

describe.each(BACKENDS)('operator views on %s', (kind) => {
  describe('admin read model', () => {
    it('gives every monitor with state, last latency, p95 of the last hour and 24 hourly p95 points, from the rollup sketches', async () => {
      f = await adminFixture({ kind });
      const now = Date.UTC(2026, 10, 26, 12, 30);
      // 20 runs in the last hour for the shop: 10, 20, …, 200 ms.
      for (let i = 1; i <= 20; i++) f.store.writer.write(run('shop', now - 50 * 60_000 + i * 60_000, i * 10));
      // Older runs: 5 hours ago (counted in the sparkline, not in the p95).
      f.store.writer.write(run('shop', now - 5 * HOUR, 999));
      f.store.writer.write(run('private-db', now - 60_000, 42, false));
      await f.store.writer.flush();
      const p = await f.store.admin.monitorPage({ now });
      expect(p.counts).toEqual({ all: 3, up: 1, down: 1, unknown: 1, degraded: 0, maintenance: 0 });
      const shop = p.rows.find((r) => r.key === 'shop')!;
      expect(shop.state).toBe('up');
      expect(shop.lastLatencyMs).toBe(200);
      // Merged minute sketches: within the sketch's 1 % of the exact p95 (190 ms, the 19th of 20 runs).
      const within1pct = (v: number | null, exact: number) => expect(Math.abs(v! - exact) / exact).toBeLessThanOrEqual(0.01);
      within1pct(shop.p95HourMs, percentile(Array.from({ length: 20 }, (_, i) => (i + 1) * 10), 0.95)!);
      expect(shop.runsHour).toBe(20);
      expect(shop.spark).toHaveLength(24);
      expect(shop.spark[23]).toBe(200); // the current hour (12:00–12:30) holds only the 12:00 run
      expect(shop.spark[22]).toBe(190); // 11:41–11:59: 10…190 ms; p95 of 19 runs is the 19th (nearest rank: their slowest), not their mean (100)
      expect(shop.spark[18]).toBe(999);
      expect(shop.spark[0]).toBeNull();
      // Failed runs count as runs but have no latency: the sketches hold successful runs only.
      const db0 = (await f.store.admin.monitor('private-db', now))!;
      expect(db0).toMatchObject({ runsHour: 1, p95HourMs: null });
      // The same figures as the history page's hourly series (one source for both).
      const series = (await f.store.history.series('shop', '7d', { now }))!;
      expect(series.p95[series.t.indexOf(Date.UTC(2026, 10, 26, 11))]).toBe(shop.spark[22]);
      const db = p.rows.find((r) => r.key === 'private-db')!;
      expect(db).toMatchObject({ state: 'down', public: false, lastFailure: 'expected status 200, got 503' });
      expect(db.sparkFailures[23]).toBe(1);
    });

    it('filters by state, searches by name (literally) and pages', async () => {
      const monitors = Array.from({ length: 120 }, (_, i) => ({ key: `m${i}`, name: i === 7 ? 'Checkout 100%_done' : `Service ${i}`, public: i % 2 === 0 }));
      f = await adminFixture({ kind, monitors });
      const now = Date.now();
      for (let i = 0; i < 120; i++) if (i % 3 !== 2) f.store.writer.write(run(`m${i}`, now - 1000, 10, i % 3 === 0));
      await f.store.writer.flush();
      const all = await f.store.admin.monitorPage({ now, pageSize: 50 });
      expect(all).toMatchObject({ total: 120, pages: 3, page: 1 });
      expect(all.rows).toHaveLength(50);
      expect(all.counts).toEqual({ all: 120, up: 40, down: 40, unknown: 40, degraded: 0, maintenance: 0 });
      const last = await f.store.admin.monitorPage({ now, pageSize: 50, page: 3 });
      expect(last.rows).toHaveLength(20);
      expect(last.rows[0].key).toBe('m100');
      expect((await f.store.admin.monitorPage({ now, pageSize: 50, page: 99 })).page).toBe(3);
      const down = await f.store.admin.monitorPage({ now, state: 'down' });
      expect(down.total).toBe(40);
      expect(down.rows.every((r) => r.state === 'down')).toBe(true);
      expect((await f.store.admin.monitorPage({ now, q: '100%_' })).rows.map((r) => r.key)).toEqual(['m7']);
      expect((await f.store.admin.monitorPage({ now, q: '%' })).rows.map((r) => r.key)).toEqual(['m7']);
      expect((await f.store.admin.monitorPage({ now, q: 'service 11' })).total).toBe(11); // 11, 110–119
    });
  });

  describe('/admin pages', () => {
    it('shows every monitor, escaped, with filters and paging through htmx partials', async () => {
      f = await adminFixture({ kind });
      f.store.writer.write(run('private-db', Date.now() - 1000, 42, false));
      await f.store.writer.flush();
      const { cookie } = await f.login();
      const html = await (await f.request('/admin', { headers: { cookie } })).text();
      expect(html).toContain('Private database');
      expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(html).not.toContain('<img src=x');
      expect(html).toContain('sse-connect="/admin/events"');
      expect(html).toContain('<script src="/static/htmx-ext-sse.min.js"');
      expect(html).not.toMatch(/<script>|\son[a-z]+="/);

      const partial = await f.request('/admin/partials/monitors?state=down', { headers: { cookie, 'hx-request': 'true' } });
      const body = await partial.text();
      expect(body.startsWith('<div id="monitor-table"')).toBe(true);
      expect(body).toContain('Private database');
      expect(body).not.toContain('>Shop<');
      expect(partial.headers.get('hx-push-url')).toBe('/admin?state=down');
      // The table's own live refresh keeps the address as it is.
      const live = await f.request('/admin/partials/monitors?state=down', { headers: { cookie, 'hx-request': 'true', 'hx-trigger': 'monitor-table' } });
      expect(live.headers.get('hx-push-url')).toBeNull();
      const search = await (await f.request('/admin/partials/monitors?q=shop', { headers: { cookie } })).text();
      expect(search).toContain('>Shop<');
      expect(search).not.toContain('Private database');
    });

    it('pushes a server-sent event when runs are written', async () => {
      f = await adminFixture({ kind });
      const { cookie } = await f.login();
      const res = await f.request('/admin/events', { headers: { cookie } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const readUntil = async (needle: string) => {
        for (let i = 0; i < 50 && !text.includes(needle); i++) text += decoder.decode((await reader.read()).value ?? new Uint8Array());
        return text.includes(needle);
      };
      expect(await readUntil('event: hello')).toBe(true);
      const listening = f.events.size;
      f.store.writer.write(run('shop', Date.now(), 12));
      await f.store.writer.flush();
      expect(await readUntil('event: run-shop')).toBe(true);
      expect(text).toContain('event: runs\ndata: ["shop"]');
      // A closed browser tab unsubscribes.
      await reader.cancel();
      for (let i = 0; i < 50 && f.events.size === listening; i++) await sleep(10);
      expect(f.events.size).toBe(listening - 1);
    });

    it('shows a private monitor with recent runs and runs it now, showing the steps with evidence', async () => {
      target = await startServer((req, res) => {
        res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' });
        res.end(req.url === '/health' ? 'all good' : 'nope');
      });
      const monitor: MonitorConfig = {
        id: 'private-db',
        name: 'Private database',
        public: false,
        steps: [stepSchema.parse({ name: 'health', url: `${target.url}/health`, expect: { status: 200, bodyContains: 'good' } })],
      };
      f = await adminFixture({
        kind,
        runNow: (store) => async (key) => {
          if (key !== 'private-db') return undefined;
          store.writer.write(await runMonitor(monitor));
          await store.writer.flush();
          return { started: true };
        },
      });
      const { cookie, csrf } = await f.login();
      const page = await (await f.request('/admin/monitors/private-db', { headers: { cookie } })).text();
      expect(page).toContain('Private database');
      expect(page).toContain('No runs yet.');
      expect(page).toContain('hx-post="/admin/monitors/private-db/run"');

      expect((await f.post('/admin/monitors/private-db/run', cookie, {}, { 'hx-request': 'true' })).status).toBe(403);
      const res = await f.post('/admin/monitors/private-db/run', cookie, {}, { 'hx-request': 'true', 'x-csrf-token': csrf });
      expect(res.status).toBe(200);
      const result = await res.text();
      expect(result).toContain('Passed');
      expect(result).toContain('health');
      expect(result).toContain('✓ status: expected 200, got 200');
      expect(result).toMatch(/body contains[^<]*good/);
      expect((await f.post('/admin/monitors/nope/run', cookie, { _csrf: csrf })).status).toBe(404);
      // Without htmx (a plain form post) the browser is sent to the run's page.
      const plain = await f.post('/admin/monitors/private-db/run', cookie, { _csrf: csrf });
      expect(plain.status).toBe(303);
      expect(plain.headers.get('location')).toMatch(/^\/admin\/runs\/\d+$/);

      // The same through the API, for CI.
      const token = /value="(ht_[^"]+)"/.exec(await (await f.post('/admin/tokens', cookie, { name: 'ci', _csrf: csrf })).text())![1];
      const api = await f.request('/api/v1/monitors/private-db/run', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(api.status).toBe(200);
      const body = (await api.json()) as { started: boolean; run: { ok: boolean; steps: { name: string; evidence: unknown[] }[] } };
      expect(body).toMatchObject({ started: true, run: { ok: true, steps: [{ name: 'health' }] } });
      expect(body.run.steps[0].evidence).toHaveLength(2);
      expect((await f.request('/api/v1/monitors/nope/run', { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(404);

      const runs = await (await f.request('/admin/partials/monitors/private-db/runs', { headers: { cookie } })).text();
      expect(runs).toMatch(/<td[^>]*>OK<\/td>/);
      // Each run expands to its steps (the history page's partial, under /admin) and links to its own page.
      const runId = (await f.store.runs.list({ monitor: 'private-db' }))[0].id;
      expect(runs).toContain(`hx-get="/admin/partials/monitors/private-db/runs/${runId}"`);
      expect(runs).toContain(`href="/admin/runs/${runId}"`);
      const steps = await (await f.request(`/admin/partials/monitors/private-db/runs/${runId}`, { headers: { cookie } })).text();
      expect(steps).toContain('body contains');
      expect((await f.request(`/admin/partials/monitors/shop/runs/${runId}`, { headers: { cookie } })).status).toBe(404);
      const id = (await f.store.runs.list({ monitor: 'private-db' }))[0].id;
      const runPage = await f.request(`/admin/runs/${id}`, { headers: { cookie } });
      expect(await runPage.text()).toContain(`Run #${id}`);
      expect((await f.request('/admin/monitors/unknown', { headers: { cookie } })).status).toBe(404);
    });
  });

  describe('/api/v1', () => {
    it('lists runs newest first with paging back in time, and one run with its steps', async () => {
      f = await adminFixture({ kind });
      const t0 = Date.now() - 10 * 60_000;
      for (let i = 0; i < 5; i++) f.store.writer.write(run('shop', t0 + i * 1000, 10 + i));
      f.store.writer.write(run('private-db', t0 + 10_000, 99, false));
      await f.store.writer.flush();
      const { cookie, csrf } = await f.login();
      {
        const r = await f.post('/admin/tokens', cookie, { name: 'ci', _csrf: csrf });
        const token = /value="(ht_[^"]+)"/.exec(await r.text())![1];
        const get = async (path: string) => {
          const res = await f!.request(path, { headers: { authorization: `Bearer ${token}` } });
          return { status: res.status, body: (await res.json()) as any };
        };
        const first = await get('/api/v1/runs?monitor=shop&limit=2');
        expect(first.status).toBe(200);
        expect(first.body.runs.map((r: { durationMs: number }) => r.durationMs)).toEqual([14, 13]);
        const next = await get(`/api/v1/monitors/shop/runs?limit=2&before=${first.body.next}`);
        expect(next.body.runs.map((r: { durationMs: number }) => r.durationMs)).toEqual([12, 11]);
        const all = await get('/api/v1/runs');
        expect(all.body.runs[0]).toMatchObject({ monitor: 'private-db', ok: false, failureCode: 'status' });
        const one = await get(`/api/v1/runs/${all.body.runs[0].id}`);
        // The whole row, field by field: the same JSON types from either engine.
        expect(one.body).toEqual({
          id: all.body.runs[0].id,
          monitor: 'private-db',
          plannedAt: t0 + 10_000,
          startedAt: t0 + 10_000,
          durationMs: 99,
          ok: false,
          failureCode: 'status',
          failureMessage: 'expected status 200, got 503',
          failureStep: 0,
          persona: null,
          tasks: null,
          loopDelayMs: null,
          traceId: null,
          location: '',
          steps: [],
          artifacts: [],
        });
        expect((await get('/api/v1/runs?limit=abc')).body).toEqual({ error: 'query parameter limit must be a positive integer (got "abc")' });
        expect((await get('/api/v1/monitors?state=sideways')).status).toBe(400);
        const m = await get('/api/v1/monitors/private-db');
        expect(m.body).toMatchObject({ key: 'private-db', state: 'down', public: false });
        expect((await get('/api/v1/monitors/nope')).status).toBe(404);
        const status = await get('/api/v1/status');
        expect(status.body).toMatchObject({ up: 1, down: 1, unknown: 1 });
      }
    });
  });
});
