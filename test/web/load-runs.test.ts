import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { runBurst } from '../../src/load/engine.js';
import { monitorIteration } from '../../src/load/monitor-iteration.js';
import { describePlan, type ClosedPlan } from '../../src/load/shapes.js';
import { parseThreshold } from '../../src/lang/threshold.js';
import type { BurstSummary } from '../../src/load/types.js';
import type { Store } from '../../src/store/index.js';
import { statusOf } from '../../src/store/load-runs.js';
import { loadRunRoutes, seriesJson } from '../../src/web/load/run-pages.js';
import { startServer, type TestServer } from '../helpers.js';
import { BACKENDS } from '../support/backends.js';
import { adminFixture, type AdminFixture } from './admin-helpers.js';

const plan: ClosedPlan = { model: 'closed', users: 3, spawnRate: 3, duration: 2_000, shape: { type: 'ramp' } };

describe.each(BACKENDS)('load runs on %s', (kind) => {
  // The pages are mounted the way main.ts does it: as extra operator routes, behind the /admin login.
  let fx: AdminFixture;
  let store: Store;
  let cookie: string;
  let target: TestServer;
  let runId: number;
  let summary: BurstSummary;

  beforeAll(async () => {
    fx = await adminFixture({ kind, operator: { extraRoutes: (app) => loadRunRoutes(app, { get loadRuns() { return fx.store.loadRuns; }, title: 'Acme' }) } });
    store = fx.store;
    cookie = (await fx.login()).cookie;
    target = await startServer((_req, res) => res.end('ok'));
    const monitor = parseConfigText(`monitors:\n  - name: shop\n    steps:\n      - name: home <b>\n        url: ${target.url}/\n`, 't.yaml').config.monitors[0];
    runId = await store.loadRuns.begin({ name: '<script>x</script>', monitorKey: 'shop', trigger: 'cli', plan, planText: describePlan(plan) });
    // Points are stored one after the other, as the server stores them (load/run.ts), the summary after the last.
    let writes = Promise.resolve();
    summary = await runBurst({
      plan,
      iteration: monitorIteration(monitor),
      think: { min: 20, max: 20 },
      thresholds: ['p95<5s', 'rps>1000000'].map(parseThreshold),
      onPoint: (p) => {
        writes = writes.then(() => store.loadRuns.addPoint(runId, p));
      },
    });
    await writes;
    await store.loadRuns.finish(runId, summary);
  });
  afterAll(async () => {
    await target?.close();
    await fx?.close();
  });

  /** A logged-in request. */
  const get = (path: string) => fx.request(path, { headers: { cookie, accept: 'text/html' } });
  const app = () => ({ request: get });

  describe('load runs in the store', () => {
    it('keeps the run, its status and its per-second series (overall and per step)', async () => {
      const run = (await store.loadRuns.get(runId))!;
      expect(run.status).toBe('failed'); // rps>1000000 failed
      expect(statusOf({ stopReason: 'errors', thresholds: [] })).toBe('aborted');
      expect(run.requests).toBe(summary.requests);
      expect(run.plan).toEqual(plan);
      expect(run.summary!.knee.sentence).toBe(summary.knee.sentence);
      const overall = await store.loadRuns.series(runId);
      expect(overall.length).toBeGreaterThanOrEqual(2);
      expect(overall.reduce((n, r) => n + r.requests, 0)).toBe(summary.requests);
      expect(overall[0].users).toBe(3);
      expect(await store.loadRuns.steps(runId)).toEqual(['home <b>']);
      expect((await store.loadRuns.series(runId, 'home <b>')).reduce((n, r) => n + r.requests, 0)).toBe(summary.requests);
      expect((await store.loadRuns.list()).map((r) => r.id)).toEqual([runId]);
      expect(await store.loadRuns.list({ name: 'other' })).toEqual([]);
    });
  });

  describe('the load-runs API', () => {
    it('lists the run and returns it with its steps and series, as stored', async () => {
      const { cookie: session, csrf } = await fx.login();
      const html = await (await fx.post('/admin/tokens', session, { name: 'ci', _csrf: csrf })).text();
      const auth = { authorization: `Bearer ${/value="(ht_[^"]+)"/.exec(html)![1]}` };
      const list = (await (await fx.request('/api/v1/load-runs', { headers: auth })).json()) as { loadRuns: Record<string, unknown>[] };
      // The whole row, field by field: the same JSON types from either engine.
      expect(list.loadRuns.find((r) => r.id === runId)).toEqual({
        id: runId,
        name: '<script>x</script>',
        monitorKey: 'shop',
        trigger: 'cli',
        model: 'closed',
        planText: describePlan(plan),
        startedAt: expect.any(Number),
        durationMs: summary.durationMs,
        status: 'failed',
        stopMessage: summary.stopMessage ?? null,
        requests: summary.requests,
        errors: summary.errors,
        polls: summary.polls,
        rps: summary.rps,
        p50: summary.p50,
        p95: summary.p95,
        p99: summary.p99,
        max: summary.max,
        peakUsers: summary.peakUsers,
        kneeText: summary.knee.sentence,
      });
      const res = await fx.request(`/api/v1/load-runs/${runId}`, { headers: auth });
      expect(res.status).toBe(200);
      const d = (await res.json()) as { plan: unknown; steps: { name: string; series: { requests: number }[] }[]; series: { t: number; requests: number; users: number | null }[] };
      expect(d.plan).toEqual(plan);
      expect(d.steps.map((x) => x.name)).toEqual(['home <b>']);
      expect(d.steps[0].series.reduce((n, r) => n + r.requests, 0)).toBe(summary.requests);
      expect(d.series).toEqual(await store.loadRuns.series(runId));
      expect(d.series.reduce((n, r) => n + r.requests, 0)).toBe(summary.requests);
      expect(d.series[0].users).toBe(3);
    });
  });

  describe('load run pages', () => {
    it('need the admin login', async () => {
      const page = await fx.request('/admin/load-runs', { headers: { accept: 'text/html' } });
      expect(page.status).toBe(303);
      expect(page.headers.get('location')).toBe('/login?next=%2Fadmin%2Fload-runs');
      expect((await fx.request(`/admin/load-runs/${runId}/series.json`)).status).toBe(401);
    });

    it('lists past runs under /admin/load-runs, escaped', async () => {
      const res = await app().request('/admin/load-runs');
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html.startsWith('<!doctype html>')).toBe(true);
      expect(html).toContain(`href="/admin/load-runs/${runId}"`);
      expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
      expect(html).not.toContain('<script>x</script>');
      expect(html).toContain('ramp to 3 users at 3/s for 2 s');
      expect(html).toContain('status-failed');
    });

    it('shows one run with the chart hook, per-step table, thresholds and knee; no inline script', async () => {
      const res = await app().request(`/admin/load-runs/${runId}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await res.text();
      expect(html).toContain(`data-src="/admin/load-runs/${runId}/series.json"`);
      expect(html).toContain('<script src="/static/load-run.js" defer="">');
      expect(html).toContain('<script src="/static/uPlot.iife.min.js" defer="">');
      expect(html).not.toMatch(/<script>(?!<\/script>)/);
      expect(html).toContain('home &lt;b&gt;');
      expect(html).toContain('FAIL <code>rps&gt;1000000</code>');
      expect(html).toContain(summary.knee.sentence.replace(/</g, '&lt;'));
      expect((await app().request('/admin/load-runs/999')).status).toBe(404);
    });

    it('serves the series as JSON for the chart, and the chart script', async () => {
      const res = await app().request(`/admin/load-runs/${runId}/series.json`);
      const d = (await res.json()) as { t: number[]; users: number[]; rps: number[]; p95: (number | null)[] };
      expect(d.t.length).toBe(d.users.length);
      expect(d.users[0]).toBe(3);
      expect(d.rps.reduce((a, b) => a + b, 0)).toBe(summary.requests);
      const js = await fx.request('/static/load-run.js');
      expect(js.status).toBe(200);
      expect(await js.text()).toContain('new uPlot(');
    });

    it('marks the knee for the chart when the run has one', async () => {
      const run = (await store.loadRuns.get(runId))!;
      const withKnee = { ...run, summary: { ...run.summary!, knee: { ...run.summary!.knee, unit: 'users' as const, latencyKnee: { load: 70, t: 12, p95After: 400 } } } };
      expect(seriesJson(withKnee, []).knee).toEqual({ t: 12, label: 'knee at 70 users' });
      expect(seriesJson({ ...run, summary: null }, []).knee).toBeNull();
    });

    it('compares selected runs: key figures side by side and p95 on one time axis', async () => {
      const other = await store.loadRuns.begin({ name: 'still running', monitorKey: 'shop', trigger: 'schedule', plan, planText: describePlan(plan) });
      const list = await (await app().request('/admin/load-runs')).text();
      expect(list).toContain('<form method="get" action="/admin/load-runs/compare">');
      expect(list).toContain(`name="id" value="${other}"`);
      const res = await app().request(`/admin/load-runs/compare?id=${runId}&id=${other}&id=999`);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('Comparing 2 load runs');
      expect(html).toContain(`data-src="/admin/load-runs/compare.json?ids=${runId},${other}"`);
      expect(html).toContain('<script src="/static/load-compare.js" defer="">');
      const d = (await (await app().request(`/admin/load-runs/compare.json?ids=${runId},${other}`)).json()) as { t: number[]; runs: { id: number; p95: (number | null)[] }[] };
      expect(d.runs.map((r) => r.id)).toEqual([runId, other]);
      expect(d.runs[0].p95.length).toBe(d.t.length);
      expect(d.runs[0].p95[0]).toBeGreaterThan(0);
      expect(d.runs[1].p95.every((v) => v === null)).toBe(true);
      expect((await app().request('/admin/load-runs/compare')).status).toBe(302);
      expect((await fx.request('/static/load-compare.js')).status).toBe(200);
    });

    it('keeps load runs off the public status page', async () => {
      const html = await (await fx.request('/')).text();
      expect(html).not.toContain('load-runs');
      expect(html).not.toContain('&lt;script&gt;x');
    });
  });
});
