/**
 * One state everywhere: while a monitor is DEGRADED (its runs pass, but its p95 is over the line),
 * the admin dashboard, the admin monitor page, the status page, the API and the alert all say
 * Degraded — not "Up" from the last run. And its incident keeps the evidence that opened it, its
 * worst value and its closing value apart.
 */
import { createApp } from '../../src/web/app.js';
import { newApiToken } from '../../src/web/auth/secrets.js';
import { hashPassword } from '../../src/web/auth/password.js';
import { createEventHub } from '../../src/web/events.js';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { harnessPerTest, loadYaml, makeRun } from './fixtures.js';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const ORIGIN = 'http://localhost';

const config = loadYaml(`
monitors:
  - id: api
    name: API
    public: true
    steps: [{ name: get, url: "http://127.0.0.1:1/" }]
    alerts:
      degraded: [{ rule: "p95 > 500ms over 1m", minSamples: 1, enterAfter: 1, leaveAfter: 1 }]
`);

describe.each(BACKENDS)('one state everywhere on %s', (kind) => {
  const per = harnessPerTest(T0, kind);
  const { clock } = per;

  it('admin pages, status page, API and alerts all read the judged state; the incident keeps opening, worst and closing evidence apart', async () => {
    const h = await per.open(config);
    /** One run every 61 s against a 1-minute window: each evaluation sees exactly the newest run. */
    const step = async (ms: number) => {
      clock.advance(61_000);
      return (await h.feed(makeRun('api', clock.now(), { durationMs: ms }))).map((e) => e.kind);
    };
    const events = createEventHub();
    const app = createApp({
      status: h.store.status,
      history: h.store.history,
      runs: h.store.runs,
      title: 'Acme',
      schedulerAlive: () => true,
      alerts: h.alerting,
      now: clock.now,
      operator: { users: h.store.auth, admin: h.store.admin, runs: h.store.runs, incidents: h.store.alerts, events },
    });
    const userId = await h.store.auth.createUser('admin', await hashPassword('correct horse battery'));
    const token = newApiToken();
    await h.store.auth.createToken('ci', token.hash, token.prefix, userId, clock.now());
    const request = (path: string, init: RequestInit = {}) => app.request(path, init, { incoming: { socket: { remoteAddress: '203.0.113.7' } } });
    const form = await request('/login');
    const formCookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
    const login = await request('/login', {
      method: 'POST',
      headers: { origin: ORIGIN, cookie: formCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, username: 'admin', password: 'correct horse battery', next: '/admin' }),
    });
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).filter((c) => c.startsWith('halftime_session=')).join('; ');
    const html = async (path: string) => (await request(path, { headers: { cookie, accept: 'text/html' } })).text();
    const api = async (path: string) => (await request(path, { headers: { authorization: `Bearer ${token.token}` } })).json() as Promise<Record<string, any>>;

    try {
      expect(await step(120)).toEqual([]);
      expect(await step(900)).toEqual(['degraded']); // opened on 900 ms
      expect(await step(2400)).toEqual([]); // worse: 2.4 s
      expect(await step(700)).toEqual([]);

      // The last run passed, yet every reader says Degraded.
      expect(h.alerting.status('api')).toBe('degraded');
      const dashboard = await html('/admin');
      expect(dashboard).toMatch(/<tr class="state-degraded" data-monitor="api">[\s\S]*?<span class="badge badge-degraded">Degraded<\/span>/);
      expect(dashboard).toContain('1 degraded');
      expect(await html('/admin/monitors/api')).toMatch(/<h1>API <span class="badge badge-degraded">Degraded<\/span>/);
      expect(await html('/admin?state=degraded')).toContain('data-monitor="api"');
      expect(await html('/admin?state=up')).not.toContain('data-monitor="api"');
      expect(await (await request('/')).text()).toContain('<span class="badge badge-degraded">Degraded</span>');
      expect((await api('/api/v1/monitors/api')).state).toBe('degraded');
      expect((await api('/api/v1/monitors?state=degraded')).rows.map((r: { key: string }) => r.key)).toEqual(['api']);
      expect(await api('/api/v1/status')).toMatchObject({ up: 0, degraded: 1, monitors: [{ key: 'api', state: 'degraded' }] });

      // Recovery on a 150 ms run: the incident closes, keeping what opened it and its worst.
      expect(await step(150)).toEqual(['recovered']);
      const [incident] = await h.store.alerts.listIncidents({ monitor: 'api' });
      expect(incident).toMatchObject({ kind: 'degraded', openedValue: 900, worstValue: 2400, closedValue: 150 });
      expect((incident.evidence as any).latency).toMatchObject({ actualMs: 900, thresholdMs: 500 });
      expect((incident.worstEvidence as any).latency).toMatchObject({ actualMs: 2400, thresholdMs: 500 });
      expect((incident.closedEvidence as any).latency).toMatchObject({ actualMs: 150, thresholdMs: 500 });
      const page = await html('/admin/monitors/api');
      expect(page).toMatch(/data-part="opened"[\s\S]*?Opened on 900 ms[\s\S]*?p95 measured<\/dt><dd>900 ms/);
      expect(page).toMatch(/data-part="worst"[\s\S]*?Worst: 2.40 s[\s\S]*?2.40 s over 1 samples/);
      expect(page).toMatch(/data-part="closed"[\s\S]*?Closed on 150 ms[\s\S]*?150 ms over 1 samples/);
      expect((await api('/api/v1/incidents')).incidents[0]).toMatchObject({ openedValue: 900, worstValue: 2400, closedValue: 150 });
      // Up again, everywhere.
      expect((await api('/api/v1/monitors/api')).state).toBe('up');
      expect(await html('/admin/monitors/api')).toMatch(/<h1>API <span class="badge badge-up">Up<\/span>/);
    } finally {
      events.close();
    }
  });
});
