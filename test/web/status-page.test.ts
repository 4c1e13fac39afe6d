import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/web/app.js';
import { BACKENDS, dropTestStore, openTestStore, type TestStore } from '../support/backends.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

describe.each(BACKENDS)('public status on %s', (kind) => {
  let store: TestStore;
  let alive = true;

  function app() {
    return createApp({ status: store.status, title: 'Acme <status>', schedulerAlive: () => alive, now: () => NOW });
  }

  beforeEach(async () => {
    alive = true;
    store = await openTestStore(kind, [
      { key: 'shop', name: 'Shop', description: 'The & shop', public: true, schedule: 'every 30s' },
      { key: 'xss', name: '<script>alert(1)</script>', public: true, schedule: 'every 30s' },
      { key: 'private-db', name: 'Private database', public: false, schedule: 'every 30s' },
    ]);
    const base = { plannedAt: NOW - 5000, durationMs: 87.4, steps: [] };
    store.writer.write({ ...base, monitorId: 'shop', startedAt: NOW - 5000, ok: true });
    store.writer.write({ ...base, monitorId: 'private-db', startedAt: NOW - 5000, ok: false, failure: { code: 'refused', message: 'connection refused by db.internal:5432' } });
    await store.writer.flush();
  });
  afterEach(() => dropTestStore(store));

  describe('status page', () => {
    it('lists public monitors only, with state, latency and uptime', async () => {
      const res = await app().request('/');
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html.startsWith('<!doctype html>')).toBe(true);
      expect(html).toContain('<h2>Shop</h2>');
      expect(html).toContain('The &amp; shop');
      expect(html).toContain('badge-up');
      expect(html).toContain('87 ms');
      expect(html).toContain('100%');
      expect(html).toContain('5 s ago');
      expect(html).not.toContain('Private database');
      expect(html).not.toContain('db.internal');
      expect((html.match(/class="bar /g) ?? []).length).toBe(180); // 90 days × 2 public monitors
      expect(html).toContain('title="Today, 2026-11-26: 100% up (1 run, 0 failed)"');
      expect(html).toContain('<title>Acme &lt;status&gt;</title>');
    });

    it('shows where a monitor checked from several locations passes and where it fails', async () => {
      const at = (location: string, ok: boolean, ago: number) => ({
        monitorId: 'shop', location, plannedAt: NOW - ago, startedAt: NOW - ago, durationMs: 90, ok, steps: [],
        ...(ok ? {} : { failure: { code: 'status' as const, message: 'expected status 200, got 503 from https://shop.internal/?key=x' } }),
      });
      // fra: failing now after passing; iad: passing; a cut-off run says nothing.
      store.writer.write(at('fra', true, 120_000));
      store.writer.write(at('fra', false, 60_000));
      store.writer.write(at('iad', true, 60_000));
      store.writer.write({ ...at('iad', false, 30_000), failure: { code: 'aborted', message: 'cut off by shutdown before it finished' } });
      await store.writer.flush();
      const html = await (await app().request('/')).text();
      const where = html.match(/<ul class="where" aria-label="Shop by location">([\s\S]*?)<\/ul>/)?.[1] ?? '';
      expect(where.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()).toBe('fra failing 1 min ago iad up 1 min ago');
      expect(where).toContain('class="where-down"');
      // Names only: nothing of the failure's details reaches the public page.
      expect(html).not.toContain('shop.internal');
      // A monitor checked from one place (the other public one) shows no location list.
      expect(html.match(/class="where"/g)).toHaveLength(1);
    });

    it('escapes monitor names', async () => {
      const html = await (await app().request('/')).text();
      expect(html).not.toContain('<script>alert(1)</script>');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(html).toContain('No data yet');
    });

    it('serves the htmx partial without the layout', async () => {
      const res = await app().request('/partials/status');
      const html = await res.text();
      expect(html.startsWith('<section id="status"')).toBe(true);
      expect(html).not.toContain('<html');
      expect(html).toContain('<h2>Shop</h2>');
    });

    it('sends security headers: a CSP that allows only our own scripts, no framing', async () => {
      const res = await app().request('/');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
    });
  });

  describe('static assets', () => {
    it('serves htmx and uPlot from node_modules', async () => {
      const htmx = await app().request('/static/htmx.min.js');
      expect(htmx.status).toBe(200);
      expect(htmx.headers.get('content-type')).toContain('javascript');
      expect(await htmx.text()).toContain('htmx');
      const uplot = await app().request('/static/uPlot.iife.min.js');
      expect(uplot.status).toBe(200);
      expect(await uplot.text()).toContain('uPlot');
      expect((await app().request('/static/style.css')).status).toBe(200);
      expect((await app().request('/static/../package.json')).status).toBe(404);
      expect((await app().request('/static/nope.js')).status).toBe(404);
    });
  });

  describe('/healthz', () => {
    it('is ok only when the database and the scheduler are alive', async () => {
      const ok = await app().request('/healthz');
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ ok: true, db: true, scheduler: true, problems: [], warnings: [] });
      alive = false;
      const noScheduler = await app().request('/healthz');
      expect(noScheduler.status).toBe(503);
      expect(await noScheduler.json()).toMatchObject({ ok: false, db: true, scheduler: false, problems: [{ check: 'scheduler', reason: 'the scheduler is not running' }] });
      alive = true;
      const a = app();
      await store.close();
      const noDb = await a.request('/healthz');
      expect(noDb.status).toBe(503);
      expect(await noDb.json()).toMatchObject({ ok: false, db: false, problems: [{ check: 'database-connection' }] });
    });
  });
});
