/**
 * The incident rush: the public page and the series are rendered once per change and served from
 * memory with ETags; a big installation gets pages of bounded size; expensive endpoints shed load
 * with a quick 503 instead of queuing.
 */
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAdmission } from '../../src/web/admission.js';
import { createApp } from '../../src/web/app.js';
import { createEventHub, type EventHub } from '../../src/web/events.js';
import type { RunResult } from '../../src/probes/types.js';
import type { MonitorDef } from '../../src/store/index.js';
import { BACKENDS, dropTestStore, openTestStore, type Backend, type TestStore } from '../support/backends.js';

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
let store: TestStore | undefined;
let events: EventHub;
let t = T0;
let kind: Backend = 'sqlite';
const open = async (monitors: MonitorDef[]) => (store = await openTestStore(kind, monitors));
const current = () => {
  if (!store) throw new Error('no store opened');
  return store;
};

const run = (monitorId: string, ok: boolean, at = t): RunResult => ({
  monitorId,
  plannedAt: at,
  startedAt: at,
  durationMs: 42,
  ok,
  failure: ok ? undefined : { code: 'status', message: 'expected status 200, got 503', step: 0 },
  steps: [],
});

/** Writes runs as the server does: through the writer, then tells live pages and caches. */
async function write(...runs: RunResult[]) {
  const store = current();
  for (const r of runs) store.writer.write(r);
  await store.writer.flush();
  events.publish({ type: 'runs', monitors: [...new Set(runs.map((r) => r.monitorId))] });
}

function app(history = true) {
  const store = current();
  return createApp({
    status: store.status,
    history: history ? store.history : undefined,
    runs: history ? store.runs : undefined,
    title: 'Status',
    schedulerAlive: () => true,
    now: () => t,
    statusCacheMs: 30_000,
  });
}

function appWithEvents() {
  // The cache listens to the event hub the operator side brings; wire a minimal one.
  const store = current();
  const a = createApp({
    status: store.status,
    history: store.history,
    runs: store.runs,
    title: 'Status',
    schedulerAlive: () => true,
    now: () => t,
    statusCacheMs: 30_000,
    operator: { users: store.auth, admin: store.admin, runs: store.runs, events },
  });
  return a;
}

beforeEach(() => {
  t = T0;
  events = createEventHub();
});
afterEach(async () => {
  events.close();
  await dropTestStore(store);
  store = undefined;
});

describe.each(BACKENDS)('the status page and series on %s', (backend) => {
  beforeEach(() => {
    kind = backend;
  });

  describe('the public page under a rush', () => {
    beforeEach(async () => {
      await open([
        { key: 'shop', name: 'Shop', public: true, schedule: 'every 30s' },
        { key: 'api', name: 'API', public: true, schedule: 'every 30s' },
      ]);
      await write(run('shop', true), run('api', true));
    });

    it('serves one render to everyone, answers 304 for what the client holds, and lets proxies cache it briefly', async () => {
      const a = appWithEvents();
      const first = await a.request('/', { headers: { 'accept-encoding': 'gzip' } });
      expect(first.status).toBe(200);
      expect(first.headers.get('content-encoding')).toBe('gzip');
      const etag = first.headers.get('etag')!;
      expect(etag).toMatch(/^"[\w-]+"$/);
      expect(first.headers.get('cache-control')).toMatch(/public, max-age=\d+/);
      expect(first.headers.get('last-modified')).toBe(new Date(T0).toUTCString());
      const again = await a.request('/', { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
      // The same bytes for the next visitor, without a new render (the clock moved, the page did not).
      t += 500;
      expect((await a.request('/')).headers.get('etag')).toBe(etag);
    });

    it('changes as soon as a monitor goes down: no stale "Up" after a DOWN', async () => {
      const a = appWithEvents();
      const before = await a.request('/');
      const etag = before.headers.get('etag')!;
      expect(await before.text()).toContain('All systems operational');
      t += 5_000;
      await write(run('shop', false));
      const after = await a.request('/', { headers: { 'if-none-match': etag } });
      expect(after.status).toBe(200);
      expect(after.headers.get('etag')).not.toBe(etag);
      const html = await after.text();
      expect(html).toContain('1 of 2 down');
      expect(html).toMatch(/data-monitor="shop"[\s\S]*?badge-down/);
      // The htmx partial follows the same rule.
      expect(await (await a.request('/partials/status')).text()).toContain('1 of 2 down');
    });

    it('a write right after a render is shown once the render is a second old (writes cannot force a render per request)', async () => {
      const a = appWithEvents();
      await a.request('/');
      t += 200;
      // The next slot (one run per monitor, location and planned slot is kept).
      await write(run('api', false));
      expect(await (await a.request('/')).text()).toContain('All systems operational');
      t += 1_000;
      expect(await (await a.request('/')).text()).toContain('1 of 2 down');
    });
  });

  describe('a large installation', () => {
    beforeEach(async () => {
      const defs = Array.from({ length: 130 }, (_, i) => ({ key: `m${i}`, name: `Monitor ${i}`, public: true, schedule: 'every 60s', group: i < 30 ? 'Checkout' : undefined }));
      await open(defs);
      await write(...defs.map((d, i) => run(d.key, i !== 7 && i !== 100)));
    });

    it('shows a page of 50 monitors with totals over all of them, the ones needing attention first', async () => {
      const html = await (await app().request('/')).text();
      expect(html).toContain('2 of 130 down');
      expect(html).toContain('Needs attention');
      expect(html).toContain('Page 1 of 3');
      // 50 on the page plus the 2 that need attention.
      expect(html.match(/<li class="monitor /g)).toHaveLength(52);
      const last = await (await app().request('/?page=3')).text();
      expect(last.match(/<li class="monitor /g)).toHaveLength(30);
      expect(last).toContain('rel="prev" href="/?page=2"');
    });

    it('groups members under the group’s worst state, and filters by group or search', async () => {
      const html = await (await app().request('/')).text();
      expect(html).toMatch(/<li class="group-head">[\s\S]*?Checkout[\s\S]*?badge-down[\s\S]*?30 monitors, 1 down/);
      const group = await (await app().request('/?group=Checkout')).text();
      expect(group.match(/<li class="monitor /g)).toHaveLength(30);
      const found = await (await app().request('/?q=monitor%2012')).text();
      expect(found.match(/<li class="monitor /g)).toHaveLength(1 + 10);
      expect(await (await app().request('/?q=zzz')).text()).toContain('No monitor matches.');
    });

    it('costs a page, not the installation: one render reads the full figures of the monitors it shows only', async () => {
      let details = 0;
      const status = current().status;
      const statusDetails = status.statusDetails;
      status.statusDetails = (ids, opts) => {
        details += ids.length;
        return statusDetails(ids, opts);
      };
      await app().request('/');
      // 50 on the page, plus the one needing attention that is not among them.
      expect(details).toBe(51);
    });
  });

  describe('series from cache', () => {
    it('answers repeat requests from memory until the monitor gets new runs', async () => {
      const { history } = await open([{ key: 'shop', name: 'Shop', public: true, schedule: 'every 30s' }]);
      await write(run('shop', true, T0 - 60_000));
      let computed = 0;
      const series = history.series;
      history.series = (...args) => {
        computed++;
        return series(...args);
      };
      const a = appWithEvents();
      const one = await a.request('/api/monitors/shop/series?range=24h');
      expect(one.status).toBe(200);
      expect(((await one.json()) as { runs: number[] }).runs.filter((n) => n).length).toBe(1);
      const etag = one.headers.get('etag')!;
      expect((await a.request('/api/monitors/shop/series?range=24h', { headers: { 'if-none-match': etag } })).status).toBe(304);
      await a.request('/api/monitors/shop/series?range=24h');
      expect(computed).toBe(1);
      t += 3_000;
      await write(run('shop', false, t - 1_000));
      const fresh = await a.request('/api/monitors/shop/series?range=24h');
      expect(fresh.headers.get('etag')).not.toBe(etag);
      expect(computed).toBe(2);
    });
  });

});

describe('admission control', () => {
  it('answers 503 with Retry-After instead of queuing once too many expensive requests are in flight', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const admission = createAdmission({ maxInFlight: 2, retryAfterS: 3 });
    const a = new Hono();
    a.use('/slow', admission.middleware);
    a.get('/slow', async (c) => {
      await gate;
      return c.text('done');
    });
    const waiting = [a.request('/slow'), a.request('/slow')];
    const third = await a.request('/slow');
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('3');
    expect(admission.stats()).toEqual({ inFlight: 2, shed: 1 });
    open();
    expect((await Promise.all(waiting)).map((r) => r.status)).toEqual([200, 200]);
    expect((await a.request('/slow')).status).toBe(200);
  });

  it('sheds while the main event loop runs late, and serves again when it catches up', async () => {
    let lag = 900;
    const admission = createAdmission({ maxLagMs: 500, lag: () => lag });
    const a = new Hono();
    a.use('*', admission.middleware);
    a.get('/x', (c) => c.text('ok'));
    expect((await a.request('/x')).status).toBe(503);
    lag = 10;
    expect((await a.request('/x')).status).toBe(200);
  });
});
