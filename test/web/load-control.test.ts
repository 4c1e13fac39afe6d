import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { createLoadControl, type LoadControl } from '../../src/load/control.js';
import { loadControlApiRoutes } from '../../src/web/load/control-api.js';
import { loadControlRoutes, loadCheckSection } from '../../src/web/load/control-routes.js';
import { loadRunRoutes } from '../../src/web/load/run-pages.js';
import { startServer, type TestServer } from '../helpers.js';
import { adminFixture, type AdminFixture } from './admin-helpers.js';

// The operator app wired as main.ts wires it: load-run pages, start/stop routes and the monitor page's section.
let fx: AdminFixture;
let control: LoadControl;
let target: TestServer;
let hits = 0;
let cookie: string;
let csrf: string;
let token: string;

beforeAll(async () => {
  target = await startServer((_req, res) => {
    hits++;
    res.end('ok');
  });
  const port = new URL(target.url).port;
  const loaded = parseConfigText(
    `load:
  allowHosts: [127.0.0.1]
  maxUsers: 20
monitors:
  - id: shop
    name: Shop
    steps:
      - name: home
        url: ${target.url}/
    load:
      users: 2
      spawnRate: 2
      duration: 2s
      thinkTime: 50ms
  - id: elsewhere
    name: Elsewhere
    steps:
      - name: home
        url: http://localhost:${port}/
  - id: plain
    name: Plain
    steps:
      - name: home
        url: ${target.url}/
loads:
  - name: elsewhere-burst
    monitor: elsewhere
    users: 2
    duration: 2s
`,
    'halftime.yaml',
  );
  fx = await adminFixture({
    monitors: [
      { key: 'shop', name: 'Shop', public: true },
      { key: 'elsewhere', name: 'Elsewhere', public: false },
      { key: 'plain', name: 'Plain', public: false },
    ],
    operatorWith: (store) => {
      control = createLoadControl({ loaded, loadRuns: store.loadRuns });
      return {
        extraRoutes: (app) => {
          loadRunRoutes(app, { loadRuns: store.loadRuns, title: 'Acme', isRunning: (id) => control.active()?.runId === id });
          loadControlRoutes(app, { control, loadRuns: store.loadRuns, title: 'Acme' });
          loadControlApiRoutes(app, { control, loadRuns: store.loadRuns });
        },
        monitorSections: (key, c) => [loadCheckSection(control, key, c.get('admin').csrfToken)],
      };
    },
  });
  ({ cookie, csrf } = await fx.login());
  const html = await (await fx.post('/admin/tokens', cookie, { name: 'ci', _csrf: csrf })).text();
  token = /value="(ht_[^"]+)"/.exec(html)![1];
});
afterAll(async () => {
  await control?.close();
  await target.close();
  await fx.close();
});

const page = async (path: string) => (await fx.request(path, { headers: { cookie, accept: 'text/html' } })).text();
const start = (fields: Record<string, string>, withCsrf = true) => fx.post('/admin/load-runs/start', cookie, { monitor: 'shop', burst: 'shop', ...(withCsrf ? { _csrf: csrf } : {}), ...fields });
const runCount = async () => (await fx.store.loadRuns.list()).length;

/** Reads a server-sent event stream until its `done` event (bounded by a deadline). */
async function readUntilDone(res: Response, ms = 15_000): Promise<string> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  const deadline = Date.now() + ms;
  while (!text.includes('event: done') && Date.now() < deadline) {
    const chunk = await Promise.race([reader.read(), new Promise<{ done: true; value: undefined }>((r) => setTimeout(() => r({ done: true, value: undefined }), deadline - Date.now()))]);
    if (chunk.done) break;
    text += dec.decode(chunk.value, { stream: true });
  }
  await reader.cancel();
  return text;
}

const points = (sse: string) => [...sse.matchAll(/event: point\ndata: (.+)\n/g)].map((m) => JSON.parse(m[1]) as { t: number; users: number; rps: number });

describe('the start form on a monitor page', () => {
  it('is shown for monitors with a load: block or a loads[] entry, prefilled from the config, with the CSRF token', async () => {
    const html = await page('/admin/monitors/shop');
    expect(html).toContain('Start load check');
    expect(html).toContain('action="/admin/load-runs/start"');
    expect(html).toContain(`name="_csrf" value="${csrf}"`);
    expect(html).toMatch(/name="users" value="2"/);
    expect(html).toMatch(/name="spawnRate" value="2"/);
    expect(html).toMatch(/name="duration" value="2s"/);
    expect(await page('/admin/monitors/elsewhere')).toContain('value="elsewhere-burst"');
    expect(await page('/admin/monitors/plain')).not.toContain('Start load check');
  });
});

describe('starting a load check', () => {
  it('is refused without the CSRF token (403) and without a login (401); nothing starts', async () => {
    expect((await start({ users: '2' }, false)).status).toBe(403);
    const anon = await fx.request('/admin/load-runs/start', { method: 'POST', headers: { origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ monitor: 'shop', burst: 'shop' }) });
    expect(anon.status).toBe(401);
    for (const path of ['/admin/load-runs/1/stop', '/admin/load-runs/1/live']) {
      expect((await fx.request(path, { method: path.endsWith('stop') ? 'POST' : 'GET', headers: { origin: 'http://localhost' } })).status).toBe(401);
    }
    expect(await runCount()).toBe(0);
    expect(control.active()).toBeUndefined();
  });

  it('is refused for a host not in load.allowHosts, naming the host (422); nothing is sent', async () => {
    const before = hits;
    const res = await fx.post('/admin/load-runs/start', cookie, { _csrf: csrf, monitor: 'elsewhere', burst: 'elsewhere-burst', users: '2', spawnRate: '2', duration: '2s' });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain(`refusing to send a burst to localhost:${new URL(target.url).port}`);
    expect(html).toContain('load.allowHosts of halftime.yaml');
    expect(html).toContain('value="elsewhere-burst"'); // the form again
    expect(await runCount()).toBe(0);
    expect(hits).toBe(before);
  });

  it('is refused over the caps (422) and for a bad value (400, naming the field)', async () => {
    const over = await start({ users: '500', spawnRate: '2', duration: '2s' });
    expect(over.status).toBe(422);
    expect(await over.text()).toContain('load.maxUsers');
    const bad = await start({ users: 'lots', spawnRate: '2', duration: '2s' });
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toContain('users field');
    expect(html).toContain('value="lots"');
    expect((await start({ users: '2', spawnRate: '2', duration: 'soon' })).status).toBe(400);
    expect((await fx.post('/admin/load-runs/start', cookie, { _csrf: csrf, monitor: 'plain', burst: 'plain' })).status).toBe(404);
    expect(await runCount()).toBe(0);
  });

  it('runs a real burst: streams its points live, refuses a second start meanwhile, is stored and listed', async () => {
    const before = hits;
    const res = await start({ users: '2', spawnRate: '2', duration: '2s' });
    expect(res.status).toBe(303);
    const id = Number(/\/admin\/load-runs\/(\d+)$/.exec(res.headers.get('location')!)![1]);
    expect(control.active()?.runId).toBe(id);

    const run = await page(`/admin/load-runs/${id}`);
    expect(run).toContain(`action="/admin/load-runs/${id}/stop"`);
    expect(run).toContain(`data-live="/admin/load-runs/${id}/live"`);
    expect(run).toContain('status-running');

    const second = await start({ users: '2', spawnRate: '2', duration: '2s' });
    expect(second.status).toBe(409);
    expect(await second.text()).toContain(`another load check is running (run #${id}`);
    expect(await page('/admin/monitors/shop')).toContain(`A load check is running now: <a href="/admin/load-runs/${id}">`);

    const live = await fx.request(`/admin/load-runs/${id}/live`, { headers: { cookie, accept: 'text/event-stream' } });
    expect(live.headers.get('content-type')).toContain('text/event-stream');
    const sse = await readUntilDone(live);
    expect(sse).toContain('event: done');
    const pts = points(sse);
    expect(pts.length).toBeGreaterThanOrEqual(2);
    expect(pts.map((p) => p.t)).toEqual([...pts.keys()]);
    expect(pts[0].users).toBe(2);

    await control.settled();
    expect(control.active()).toBeUndefined();
    const stored = (await fx.store.loadRuns.get(id))!;
    expect(stored.status).toBe('passed');
    expect(stored.trigger).toBe('admin');
    expect(stored.requests).toBeGreaterThan(0);
    expect(hits - before).toBe(stored.requests);
    expect(pts.reduce((n, p) => n + p.rps, 0)).toBe(stored.requests);
    const list = await page('/admin/load-runs');
    expect(list).toContain(`href="/admin/load-runs/${id}"`);
    const after = await page(`/admin/load-runs/${id}`);
    expect(after).not.toContain('/stop"');
    expect(after).not.toContain('data-live');
    // Once finished, the live stream sends what is stored and ends.
    expect(points(await readUntilDone(await fx.request(`/admin/load-runs/${id}/live`, { headers: { cookie } })))).toEqual(pts);
  });

  it('Stop ends a running burst cleanly; the run is stored as stopped', async () => {
    const res = await start({ users: '2', spawnRate: '2', duration: '30s' });
    expect(res.status).toBe(303);
    const id = control.active()!.runId;
    const t0 = Date.now();
    expect((await fx.post(`/admin/load-runs/${id}/stop`, cookie, {})).status).toBe(403);
    expect(control.active()?.runId).toBe(id);
    const stop = await fx.post(`/admin/load-runs/${id}/stop`, cookie, { _csrf: csrf });
    expect(stop.status).toBe(303);
    expect(stop.headers.get('location')).toBe(`/admin/load-runs/${id}`);
    await control.settled();
    expect(Date.now() - t0).toBeLessThan(10_000);
    const stored = (await fx.store.loadRuns.get(id))!;
    expect(stored.status).toBe('stopped');
    expect(stored.stopMessage).toContain('stopped before the end of the plan');
    expect(await page(`/admin/load-runs/${id}`)).toContain('status-stopped');
    expect((await fx.post(`/admin/load-runs/${id}/stop`, cookie, { _csrf: csrf })).status).toBe(409);
    expect((await fx.post('/admin/load-runs/999/stop', cookie, { _csrf: csrf })).status).toBe(404);
  });
});

describe('the load-runs API', () => {
  it('lists runs and returns one with its summary, steps and series, with a token only', async () => {
    const auth = { authorization: `Bearer ${token}` };
    expect((await fx.request('/api/v1/load-runs')).status).toBe(401);
    expect((await fx.request('/api/v1/load-runs', { headers: { cookie } })).status).toBe(401);
    const list = (await (await fx.request('/api/v1/load-runs', { headers: auth })).json()) as { loadRuns: { id: number; status: string; name: string }[] };
    expect(list.loadRuns.map((r) => r.status)).toEqual(['stopped', 'passed']);
    expect(list.loadRuns.every((r) => r.name === 'shop')).toBe(true);
    const passed = list.loadRuns[1];
    const res = await fx.request(`/api/v1/load-runs/${passed.id}`, { headers: auth });
    expect(res.status).toBe(200);
    const d = (await res.json()) as { id: number; requests: number; summary: { stopReason: string; steps: { name: string }[] }; steps: { name: string; totals: { count: number }; series: { requests: number }[] }[]; series: { t: number; requests: number }[] };
    expect(d.id).toBe(passed.id);
    expect(d.summary.stopReason).toBe('completed');
    expect(d.steps.map((s) => s.name)).toEqual(['home']);
    expect(d.steps[0].totals.count).toBe(d.requests);
    expect(d.steps[0].series.reduce((n, r) => n + r.requests, 0)).toBe(d.requests);
    expect(d.series.reduce((n, r) => n + r.requests, 0)).toBe(d.requests);
    expect((await fx.request('/api/v1/load-runs/999', { headers: auth })).status).toBe(404);
    expect((await fx.request('/api/v1/load-runs?limit=0', { headers: auth })).status).toBe(400);
    expect(((await (await fx.request('/api/v1/load-runs?name=other', { headers: auth })).json()) as { loadRuns: unknown[] }).loadRuns).toEqual([]);
  });
});

describe('starting and stopping bursts through the API', () => {
  const api = (path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${token}` }) =>
    fx.request(path, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;

  it('needs a token; bad requests are refused naming the field, the cap or the host, and nothing starts', async () => {
    const before = hits;
    expect((await api('/api/v1/load-runs', { burst: 'shop' }, {})).status).toBe(401);
    expect((await api('/api/v1/load-runs', { burst: 'shop' }, { cookie })).status).toBe(401);
    let res = await api('/api/v1/load-runs', 'not json');
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toContain('not JSON');
    res = await api('/api/v1/load-runs', { users: 2 });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toContain('"burst" is missing');
    res = await api('/api/v1/load-runs', { burst: 'shop', poll: { url: 'http://example.com/' } });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toContain('unknown field "poll"');
    res = await api('/api/v1/load-runs', { burst: 'shop', users: 'many' });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toContain('field "users"');
    res = await api('/api/v1/load-runs', { burst: 'shop', users: 500 });
    expect(res.status).toBe(422);
    expect(await errorOf(res)).toContain('load.maxUsers');
    res = await api('/api/v1/load-runs', { burst: 'elsewhere-burst' });
    expect(res.status).toBe(422);
    expect(await errorOf(res)).toContain('load.allowHosts');
    res = await api('/api/v1/load-runs', { burst: 'nothing-like-it' });
    expect(res.status).toBe(422);
    expect(await errorOf(res)).toContain('no monitor or loads[] entry named "nothing-like-it"');
    expect(control.active()).toBeUndefined();
    expect(hits).toBe(before);
  });

  it('?wait=true runs a burst to its end and answers with the stored run, thresholds judged', async () => {
    const before = hits;
    const res = await api('/api/v1/load-runs?wait=true', { burst: 'shop', users: 2, duration: '1s', thresholds: ['errors<1%', 'p95<5s'] });
    expect(res.status).toBe(200);
    const run = (await res.json()) as { id: number; status: string; trigger: string; requests: number; summary: { thresholds: { source: string; pass: boolean }[] } };
    expect(run.status).toBe('passed');
    expect(run.trigger).toBe('api');
    expect(run.requests).toBeGreaterThan(0);
    expect(hits - before).toBe(run.requests);
    expect(run.summary.thresholds.map((t) => t.pass)).toEqual([true, true]);
    expect(res.headers.get('location')).toBe(`/api/v1/load-runs/${run.id}`);
    expect(control.active()).toBeUndefined();
  });

  it('starts at once (202), refuses a second start while it runs (409), and stops it (202), stored as stopped', async () => {
    const res = await api('/api/v1/load-runs', { burst: 'shop', users: 2, duration: '30s' });
    expect(res.status).toBe(202);
    const { id, url } = (await res.json()) as { id: number; url: string };
    expect(url).toBe(`/api/v1/load-runs/${id}`);
    expect(control.active()?.runId).toBe(id);
    const busy = await api('/api/v1/load-runs', { burst: 'shop' });
    expect(busy.status).toBe(409);
    expect(((await busy.json()) as { running: number }).running).toBe(id);
    const t0 = Date.now();
    expect((await api(`/api/v1/load-runs/${id}/stop`, undefined, {})).status).toBe(401);
    expect((await api(`/api/v1/load-runs/${id}/stop`)).status).toBe(202);
    await control.settled();
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect((await fx.store.loadRuns.get(id))!.status).toBe('stopped');
    expect((await api(`/api/v1/load-runs/${id}/stop`)).status).toBe(409);
    expect((await api('/api/v1/load-runs/99999/stop')).status).toBe(404);
  });
});
