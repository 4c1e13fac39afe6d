import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runOf, step } from '../store/history-fixtures.js';
import { BACKENDS } from '../support/backends.js';
import { adminFixture, ORIGIN, type AdminFixture } from './admin-helpers.js';

const MIN = 60_000;

describe.each(BACKENDS)('operator history and incidents on %s', (backend) => {
  let f: AdminFixture;
  let now: number;

  /** 30 two-step runs of each monitor over the last 30 minutes; the private one fails every 10th at step 2. */
  async function seed() {
    now = f.clock.now;
    for (let i = 0; i < 30; i++) {
      const at = now - (30 - i) * MIN;
      f.store.writer.write(runOf('shop', at, [step(0, at, 20 + i), step(1, at, 100 + i)]));
      f.store.writer.write(runOf('private-db', at, [step(0, at, 5 + i), step(1, at, 50 + i, i % 10 !== 9)]));
    }
    await f.store.writer.flush();
  }

  async function token(cookie: string, csrf: string) {
    const html = await (await f.post('/admin/tokens', cookie, { name: 'ci', _csrf: csrf })).text();
    return /value="(ht_[^"]+)"/.exec(html)![1];
  }

  /** Opens (and optionally closes) an incident the way the alerting service records one. */
  async function incident(key: string, kind: 'down' | 'degraded', startedAt: number, opts: { endedAt?: number; worst?: number; summary?: string; evidence?: unknown } = {}) {
    const evidence = opts.evidence ?? {};
    const worst = opts.worst ?? 2;
    await f.store.alerts.commit({ monitorKey: key, status: kind, state: {}, now: startedAt, outbox: [], incidents: [{ op: 'open', kind, startedAt, worst, summary: opts.summary ?? `${key} ${kind}`, evidence }] });
    if (opts.endedAt !== undefined) await f.store.alerts.commit({ monitorKey: key, status: 'up', state: {}, now: opts.endedAt, outbox: [], incidents: [{ op: 'close', kind, endedAt: opts.endedAt, worst, evidence }] });
    return (await f.store.alerts.listIncidents({ monitor: key, limit: 500 })).reduce((a, b) => (b.id > a.id ? b : a));
  }

  beforeEach(async () => {
    f = await adminFixture({
      kind: backend,
      maintenance: [{ name: 'DB <upgrade>', start: Date.now() + 3_600_000, end: Date.now() + 7_200_000, monitors: ['private-db'] }],
    });
    await seed();
  });
  afterEach(() => f.close());

  describe('history on the admin monitor page', () => {
    it('shows a private monitor with the charts, the range switch and step selector under /admin, and expandable runs', async () => {
      const { cookie } = await f.login();
      const res = await f.request('/admin/monitors/private-db', { headers: { cookie } });
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('<section id="history"');
      expect(html).toContain('data-series-url="/admin/monitors/private-db/series?range=1h&amp;step=-1&amp;fields=runs,failures,p50,p95,p99,max,phases"');
      expect(html).toContain('hx-get="/admin/partials/monitors/private-db/chart?range=7d&amp;step=-1"');
      expect(html).toContain('hx-push-url="/admin/monitors/private-db?range=7d"');
      expect(html).toContain('action="/admin/monitors/private-db"');
      expect(html).toContain('<option value="1">2. step &lt;1&gt;</option>');
      expect(html).toContain('Runs</dt><dd>30</dd>');
      expect(html).toContain('Failures</dt><dd>3</dd>');
      expect(html).toContain('<script src="/static/uPlot.iife.min.js" defer=""></script>');
      expect(html).toContain('<script src="/static/monitor-chart.js" defer=""></script>');
      expect(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();
      // Nothing points the operator's page at the public routes (they would answer 404 for a private monitor).
      expect(html).not.toMatch(/"\/(partials\/|api\/)?monitors\/private-db/);
      expect((html.match(/hx-get="\/admin\/partials\/monitors\/private-db\/runs\/\d+"/g) ?? []).length).toBe(20);

      const week = await (await f.request('/admin/monitors/private-db?range=7d&step=1', { headers: { cookie } })).text();
      expect(week).toMatch(/class="range active"[^>]*data-range="7d"/);
      expect(week).toContain('per hour');
      expect(week).toContain('<option value="1" selected="">2. step &lt;1&gt;</option>');
      expect((await f.request('/admin/monitors/private-db?range=2h', { headers: { cookie } })).status).toBe(400);
    });

    it('serves the chart partial and the series of a private monitor only behind the login; the public routes stay public-only', async () => {
      const { cookie } = await f.login();
      const partial = await f.request('/admin/partials/monitors/private-db/chart?range=30d&step=1', { headers: { cookie } });
      expect(partial.status).toBe(200);
      const body = await partial.text();
      expect(body.startsWith('<section id="history"')).toBe(true);
      expect(body).toContain('data-range="30d"');
      expect(body).toContain('/admin/monitors/private-db/series?range=30d&amp;step=1');

      const series = await f.request('/admin/monitors/private-db/series?range=24h&step=1', { headers: { cookie } });
      expect(series.status).toBe(200);
      const json = (await series.json()) as { monitor: string; step: number; summary: { runs: number; failures: number; p95: number } };
      expect(json).toMatchObject({ monitor: 'private-db', step: 1, summary: { runs: 30, failures: 3 } });
      // Step 2 took 50…78 ms on the 27 runs where it passed (76 and 77 ms sit at the 95th percentile); the sketch is within 1 %.
      expect(json.summary.p95).toBeGreaterThanOrEqual(76 * 0.99);
      expect(json.summary.p95).toBeLessThanOrEqual(77 * 1.01);
      expect((await f.request('/admin/monitors/nope/series', { headers: { cookie } })).status).toBe(404);
      expect((await f.request('/admin/monitors/private-db/series?range=forever', { headers: { cookie } })).status).toBe(400);

      // Logged out: refused; and the public routes never serve the private monitor, logged in or not.
      expect((await f.request('/admin/monitors/private-db/series')).status).toBe(401);
      for (const path of ['/monitors/private-db', '/partials/monitors/private-db/chart', '/api/monitors/private-db/series', '/partials/monitors/private-db/runs']) {
        expect((await f.request(path, { headers: { cookie } })).status, path).toBe(404);
      }
      const pub = await f.request('/api/monitors/shop/series?range=24h');
      expect(pub.status).toBe(200);
      expect(((await pub.json()) as { summary: { runs: number } }).summary.runs).toBe(30);
    });

    it('/api/v1/monitors/:key/series answers for any monitor with a token', async () => {
      const { cookie, csrf } = await f.login();
      const auth = { authorization: `Bearer ${await token(cookie, csrf)}` };
      const res = await f.request('/api/v1/monitors/private-db/series?range=7d&fields=p95,summary', { headers: auth });
      expect(res.status).toBe(200);
      const json = (await res.json()) as Record<string, unknown> & { resolution: string; p95: (number | null)[]; summary: { runs: number } };
      expect(json.resolution).toBe('hour');
      expect(json.summary.runs).toBe(30);
      expect(json.p95.some((v) => v !== null)).toBe(true);
      expect(json).not.toHaveProperty('p50');
      // The steps and their keys come along; `step` takes a key.
      expect(json.steps).toEqual([
        { step: 0, name: 'step <0>', current: true },
        { step: 1, name: 'step <1>', current: true },
      ]);
      const step1 = (await (await f.request('/api/v1/monitors/private-db/series?range=24h&step=1&fields=summary', { headers: auth })).json()) as { stepName: string; summary: { runs: number; failures: number } };
      expect([step1.stepName, step1.summary.runs, step1.summary.failures]).toEqual(['step <1>', 30, 3]);
      expect(await (await f.request('/api/v1/monitors/private-db/series?range=2h', { headers: auth })).json()).toEqual({ error: expect.stringMatching(/^range must be one of 1h, 6h, 24h, 7d, 30d, 1y/) });
      expect((await f.request('/api/v1/monitors/nope/series', { headers: auth })).status).toBe(404);
      expect((await f.request('/api/v1/monitors/private-db/series', { headers: { cookie } })).status).toBe(401);
    });
  });

  describe('incidents and maintenance for the operator', () => {
    it('lists open incidents on the dashboard and a monitor’s incidents with evidence and maintenance on its page', async () => {
      const down = await incident('private-db', 'down', now - 20 * MIN, { worst: 4, summary: 'Private database is <down>', evidence: { failures: 4, lastFailure: { step: 'step <1>', code: 'status', status: 500, message: 'expected status 200, got 500' } } });
      const slow = await incident('private-db', 'degraded', now - 3 * 3_600_000, {
        endedAt: now - 2 * 3_600_000,
        worst: 912,
        evidence: { latency: { rule: 'p95 > 800ms over 10m', step: null, percentile: 0.95, windowMs: 600_000, actualMs: 912, samples: 40, thresholdMs: 800 }, worst: 912 },
      });
      await incident('shop', 'down', now - 5 * 3_600_000, { endedAt: now - 4 * 3_600_000 });
      await incident('shop', 'degraded', now - 7 * 3_600_000, {
        endedAt: now - 6 * 3_600_000,
        worst: 900,
        evidence: {
          latency: { rule: 'p95 over 10m > 2x baseline 7d', step: null, percentile: 0.95, windowMs: 600_000, actualMs: 900, samples: 40, thresholdMs: 840, baselineMs: 420, factor: 2, baselineLabel: 'previous 7d', baselineSamples: 9800 },
          worst: 900,
        },
      });
      const { cookie, csrf } = await f.login();

      const dash = await (await f.request('/admin', { headers: { cookie } })).text();
      const open = dash.slice(dash.indexOf('<section id="open-incidents"'), dash.indexOf('</section>', dash.indexOf('<section id="open-incidents"')));
      expect(open).toContain('Open incidents (1)');
      expect(open).toContain(`data-incident="${down.id}"`);
      expect(open).not.toContain(`data-incident="${slow.id}"`);
      expect(open).toContain('Private database is &lt;down&gt;');
      expect(open).toContain(`hx-post="/admin/incidents/${down.id}/acknowledge"`);
      expect(open).toContain('DB &lt;upgrade&gt;');
      expect(open).toContain('Scheduled maintenance');
      // Every POST form still carries the session's token.
      expect((dash.match(/<form[^>]*method="post"[^>]*>/g) ?? []).length).toBe((dash.match(new RegExp(`name="_csrf" value="${csrf}"`, 'g')) ?? []).length);
      const partial = await (await f.request('/admin/partials/incidents', { headers: { cookie } })).text();
      expect(partial.startsWith('<section id="open-incidents"')).toBe(true);

      const page = await (await f.request('/admin/monitors/private-db', { headers: { cookie } })).text();
      const section = page.slice(page.indexOf('<section id="monitor-incidents"'), page.indexOf('<section id="history"'));
      expect(section).toContain('<strong>ongoing</strong>');
      expect(section).toContain('4 failed');
      expect(section).toContain('expected status 200, got 500');
      expect(section).toContain('step &lt;1&gt;');
      expect(section).toContain('912 ms');
      expect(section).toContain('p95 &gt; 800ms over 10m');
      expect(section).toContain('800 ms');
      expect(section).toContain(new Date(now - 2 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ') + ' UTC');
      expect(section).toContain('DB &lt;upgrade&gt;');
      // Only the open incident can be acknowledged; the shop's incident and maintenance are not on this page.
      expect(section.match(/Acknowledge<\/button>/g)).toHaveLength(1);
      const shopPage = await (await f.request('/admin/monitors/shop', { headers: { cookie } })).text();
      expect(shopPage).not.toContain('DB &lt;upgrade&gt;');
      expect(shopPage).toContain('shop down');
      expect(shopPage).toContain('(previous 7d, 9800 samples) × 2');
    });

    it('acknowledges an open incident with the session’s CSRF token only, once', async () => {
      const down = await incident('private-db', 'down', now - 20 * MIN);
      const ended = await incident('shop', 'down', now - 5 * 3_600_000, { endedAt: now - 4 * 3_600_000 });
      const { cookie, csrf } = await f.login();
      const path = `/admin/incidents/${down.id}/acknowledge`;
      expect((await f.post(path, cookie, {})).status).toBe(403);
      expect((await f.post(path, cookie, { _csrf: csrf.slice(0, -1) + 'x' })).status).toBe(403);
      expect((await f.post(path, cookie, { _csrf: csrf }, { origin: 'https://evil.example' })).status).toBe(403);
      expect((await f.post(path, '', { _csrf: csrf })).status).toBe(401);
      expect((await f.store.alerts.incident(down.id))!.acknowledgedAt).toBeNull();

      // htmx: the row comes back, acknowledged, without the button.
      f.clock.now += 1000;
      const res = await f.post(path, cookie, { next: '/admin', showMonitor: '1' }, { 'hx-request': 'true', 'x-csrf-token': csrf });
      expect(res.status).toBe(200);
      const row = await res.text();
      expect(row.startsWith('<tr class="incident incident-down incident-open"')).toBe(true);
      expect(row).toContain('Acknowledged by admin');
      expect(row).toContain('href="/admin/monitors/private-db"');
      expect(row).not.toContain('<button');
      expect(await f.store.alerts.incident(down.id)).toMatchObject({ acknowledgedAt: f.clock.now, acknowledgedBy: 'admin' });

      // A plain form post goes back to a local page; acknowledging again keeps the first time.
      const again = await f.post(path, cookie, { _csrf: csrf, next: '/admin/monitors/private-db' });
      expect(again.status).toBe(303);
      expect(again.headers.get('location')).toBe('/admin/monitors/private-db');
      expect((await f.store.alerts.incident(down.id))!.acknowledgedAt).toBe(f.clock.now);
      expect((await f.post(path, cookie, { _csrf: csrf, next: 'https://evil.example/' })).headers.get('location')).toBe('/admin');
      expect((await f.post(`/admin/incidents/${ended.id}/acknowledge`, cookie, { _csrf: csrf })).status).toBe(409);
      expect((await f.post('/admin/incidents/9999/acknowledge', cookie, { _csrf: csrf })).status).toBe(404);
      expect((await f.post('/admin/incidents/abc/acknowledge', cookie, { _csrf: csrf })).status).toBe(404);
    });

    it('/api/v1/incidents lists incidents (open only, per monitor, paging back) and acknowledges with a token', async () => {
      const old = await incident('shop', 'down', now - 5 * 3_600_000, { endedAt: now - 4 * 3_600_000 });
      const slow = await incident('private-db', 'degraded', now - 3 * 3_600_000, { endedAt: now - 2 * 3_600_000, worst: 900 });
      const down = await incident('private-db', 'down', now - 20 * MIN);
      const { cookie, csrf } = await f.login();
      const auth = { authorization: `Bearer ${await token(cookie, csrf)}` };
      const get = async (path: string) => {
        const res = await f.request(path, { headers: auth });
        return { status: res.status, body: (await res.json()) as any };
      };
      const all = await get('/api/v1/incidents');
      expect(all.status).toBe(200);
      expect(all.body.incidents.map((i: { id: number }) => i.id)).toEqual([down.id, slow.id, old.id]);
      expect(all.body.incidents[1]).toMatchObject({ monitorKey: 'private-db', monitorName: 'Private database', kind: 'degraded', worstValue: 900, endedAt: now - 2 * 3_600_000, acknowledgedAt: null });
      expect((await get('/api/v1/incidents?open=true')).body.incidents.map((i: { id: number }) => i.id)).toEqual([down.id]);
      expect((await get('/api/v1/incidents?monitor=shop')).body.incidents.map((i: { id: number }) => i.id)).toEqual([old.id]);
      const first = await get('/api/v1/incidents?limit=2');
      expect(first.body.next).toBe(`${slow.startedAt}:${slow.id}`);
      expect((await get(`/api/v1/incidents?before=${first.body.next}`)).body.incidents.map((i: { id: number }) => i.id)).toEqual([old.id]);
      expect((await get('/api/v1/incidents?open=yes')).status).toBe(400);

      const ack = await f.request(`/api/v1/incidents/${down.id}/acknowledge`, { method: 'POST', headers: auth });
      expect(ack.status).toBe(200);
      expect(await ack.json()).toMatchObject({ id: down.id, acknowledgedBy: 'token ci' });
      expect((await f.request(`/api/v1/incidents/${slow.id}/acknowledge`, { method: 'POST', headers: auth })).status).toBe(409);
      expect((await f.request('/api/v1/incidents/999/acknowledge', { method: 'POST', headers: auth })).status).toBe(404);
      expect((await f.request(`/api/v1/incidents/${down.id}/acknowledge`, { method: 'POST', headers: { origin: ORIGIN, cookie } })).status).toBe(401);
    });
  });
});
