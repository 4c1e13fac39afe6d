/** Badges, the Atom feed and /api/status.json on a real store (both backends) with real alerting. */
import { DOMParser, type Element } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlerting, type Alerting } from '../../src/alerting/service.js';
import { parseConfigText } from '../../src/configure.js';
import type { RunResult } from '../../src/probes/types.js';
import { createApp } from '../../src/web/app.js';
import { renderBadge, textWidth } from '../../src/web/badge-svg.js';
import { fmtUptime } from '../../src/web/embed-routes.js';
import { createEventHub } from '../../src/web/events.js';
import { BACKENDS, dropTestStore, openTestStore, type TestStore } from '../support/backends.js';

const DAY = 86_400_000;
const NOW = Date.now();

/** Parses XML strictly: any warning or error fails the test. */
export function parseXml(text: string, type: 'image/svg+xml' | 'application/xml' = 'application/xml') {
  const problems: string[] = [];
  const doc = new DOMParser({ onError: (level, msg) => void problems.push(`${level}: ${msg}`) }).parseFromString(text, type);
  expect(problems).toEqual([]);
  return doc;
}

function run(key: string, at: number, ok: boolean, ms: number, validTo?: number): RunResult {
  return {
    monitorId: key, plannedAt: at, startedAt: at, durationMs: ms, ok,
    ...(ok ? {} : { failure: { code: 'status' as const, message: 'expected status 200, got 503', step: 0 } }),
    steps: [{ index: 0, name: 'home', method: 'GET', url: 'https://shop.example.com/', startedAt: at, ok, status: ok ? 200 : 503, timings: { dns: 0, connect: 1, tls: 1, ttfb: ms - 3, download: 1, total: ms }, bytes: 1, redirects: 0, headers: {}, evidence: [],
      ...(validTo ? { tls: { host: 'shop.example.com', port: 443, subject: 'shop.example.com', altNames: [], issuer: 'CA', validFrom: 0, validTo, daysLeft: 5, serial: '', fingerprint256: '', chain: [], chainValid: true, hostnameValid: true } } : {}) }],
  };
}

const yaml = `
server: { title: 'Acme <status> & co' }
alerts:
  maintenance:
    - { name: Database upgrade, start: "${new Date(NOW + DAY).toISOString()}", end: "${new Date(NOW + DAY + 3_600_000).toISOString()}", monitors: [shop, secret] }
monitors:
  - { name: Shop, id: shop, public: true, steps: [{ url: "https://shop.example.com/" }], alerts: { certificate: { expiresIn: 14d } } }
  - { name: Secret admin, id: secret, public: false, steps: [{ url: "https://admin.example.com/" }] }
  - { name: "<b>Tom & \\"Jerry's\\"</b>", id: odd, public: true, steps: [{ url: "https://odd.example.com/" }] }
`;

describe.each(BACKENDS)('badges and feeds on %s', (kind) => {
  let store: TestStore;
  let alerting: Alerting;
  let app: ReturnType<typeof createApp>;
  const events = createEventHub();

  beforeAll(async () => {
    const { config } = parseConfigText(yaml, 'test.yaml', {});
    store = await openTestStore(kind, config.monitors.map((m) => ({ key: m.id!, name: m.name, public: m.public, schedule: 'every 1m', steps: 1 })));
    alerting = await createAlerting({ config, alertStore: store.alerts, latency: store.latency, flush: () => store.writer.flush() });
    // Shop: 3 good runs (100, 200, 300 ms) and one bad one, then two bad ones (down: an incident), then good again.
    const feed = async (r: RunResult) => {
      store.writer.write(r);
      await store.writer.flush();
      await alerting.onRun(r);
    };
    let t = NOW - 3_600_000;
    for (const [ok, ms] of [[true, 100], [true, 200], [false, 50], [false, 50], [true, 300]] as const) await feed(run('shop', (t += 60_000), ok, ms, NOW + 5 * DAY));
    await feed(run('secret', (t += 60_000), false, 10));
    await feed(run('secret', (t += 60_000), false, 10));
    app = createApp({
      status: store.status, history: store.history, runs: store.runs, latency: store.latency, title: config.server.title, schedulerAlive: () => true, alerts: alerting, statusCacheMs: 5_000,
      operator: { users: store.auth, admin: store.admin, runs: store.runs, incidents: store.alerts, events, publicUrl: 'https://status.example.com' },
    });
  });
  afterAll(async () => {
    events.close();
    await alerting.stop(0);
    await dropTestStore(store);
  });

  const svgOf = async (path: string) => {
    const res = await app.request(path);
    expect(res.status, path).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    const text = await res.text();
    const doc = parseXml(text, 'image/svg+xml');
    const svg = doc.documentElement!;
    expect(svg.nodeName).toBe('svg');
    expect(svg.getAttribute('xmlns')).toBe('http://www.w3.org/2000/svg');
    const rects = Array.from(svg.getElementsByTagName('rect'));
    // The two halves fill the badge exactly.
    expect(Number(rects[1].getAttribute('width')) + Number(rects[2].getAttribute('width'))).toBe(Number(svg.getAttribute('width')));
    return { res, svg, title: svg.getElementsByTagName('title')[0].textContent };
  };

  it('draws state, uptime and latency badges of a public monitor', async () => {
    expect((await svgOf('/badge/shop/state.svg')).title).toBe('Shop: up');
    expect((await svgOf('/badge/shop/uptime/24h.svg')).title).toBe('uptime 24h: 60.00%');
    for (const r of ['7d', '30d', '90d']) expect((await svgOf(`/badge/shop/uptime/${r}.svg`)).title).toBe(`uptime ${r}: 60.00%`);
    // Nearest rank over the three good runs: p50 is the 2nd (200 ms), p95 the 3rd (300 ms).
    expect((await svgOf('/badge/shop/p95/24h.svg')).title).toBe('p95 24h: 300 ms');
    // Longer ranges merge the rollup sketches: within their 1 % error bound.
    const p50 = Number(/^p50 7d: (\d+) ms$/.exec((await svgOf('/badge/shop/p50/7d.svg')).title ?? '')?.[1]);
    expect(Math.abs(p50 - 200)).toBeLessThanOrEqual(2);
    expect((await svgOf('/badge/shop/state.svg?label=checkout')).title).toBe('checkout: up');
    expect((await svgOf('/badge/odd/uptime/30d.svg')).title).toBe('uptime 30d: no data');
  });

  it('escapes a monitor name that holds markup, and still parses', async () => {
    const { title, svg } = await svgOf('/badge/odd/state.svg');
    expect(title).toBe(`<b>Tom & "Jerry's"</b>: no data`);
    expect(svg.getAttribute('aria-label')).toBe(`<b>Tom & "Jerry's"</b>: no data`);
  });

  it('answers a private monitor exactly as an unknown one, and an unknown range or metric with 404', async () => {
    const unknown = await app.request('/badge/nope/state.svg');
    for (const path of ['/badge/secret/state.svg', '/badge/secret/uptime/24h.svg', '/badge/secret/p95/24h.svg']) {
      const res = await app.request(path);
      expect(res.status).toBe(404);
      expect(await res.text()).toBe(await unknown.clone().text());
      expect(res.headers.get('content-type')).toBe(unknown.headers.get('content-type'));
    }
    for (const path of ['/badge/shop/uptime/5d.svg', '/badge/shop/p95/1y.svg', '/badge/shop/p100/24h.svg', '/badge/shop/mean/24h.svg']) expect((await app.request(path)).status).toBe(404);
  });

  it('is cacheable: an ETag, 304 on revalidation, and readable from any origin', async () => {
    const first = await app.request('/badge/shop/uptime/24h.svg');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toContain('public');
    expect(first.headers.get('access-control-allow-origin')).toBe('*');
    expect(first.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect((await app.request('/badge/shop/uptime/24h.svg', { headers: { 'if-none-match': etag } })).status).toBe(304);
    // Other pages keep their same-origin policy.
    expect((await app.request('/')).headers.get('cross-origin-resource-policy')).toBe('same-origin');
  });

  it('serves a valid Atom 1.0 feed of public incidents and maintenance', async () => {
    const res = await app.request('/feed.atom');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const doc = parseXml(await res.text());
    const feed = doc.documentElement!;
    expect(feed.localName).toBe('feed');
    expect(feed.namespaceURI).toBe('http://www.w3.org/2005/Atom');
    const child = (el: Element, name: string) => Array.from(el.childNodes).filter((n): n is Element => n.nodeType === 1 && (n as Element).localName === name);
    const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
    // RFC 4287: a feed has exactly one id, title and updated, an author (or every entry has one), a self link.
    for (const n of ['id', 'title', 'updated']) expect(child(feed, n)).toHaveLength(1);
    expect(child(feed, 'title')[0].textContent).toBe('Acme <status> & co');
    expect(child(feed, 'updated')[0].textContent).toMatch(RFC3339);
    expect(child(child(feed, 'author')[0], 'name')[0].textContent).toBe('Acme <status> & co');
    expect(child(feed, 'link').find((l) => l.getAttribute('rel') === 'self')!.getAttribute('href')).toBe('https://status.example.com/feed.atom');
    const entries = child(feed, 'entry');
    for (const e of entries) {
      for (const n of ['id', 'title', 'updated']) expect(child(e, n)).toHaveLength(1);
      expect(child(e, 'updated')[0].textContent).toMatch(RFC3339);
      expect(child(e, 'id')[0].textContent).toMatch(/^tag:status\.example\.com,2026:/);
    }
    const titles = entries.map((e) => child(e, 'title')[0].textContent);
    expect(titles).toEqual(expect.arrayContaining([expect.stringMatching(/^Outage: Shop \(resolved after \d+ min\)$/)]));
    expect(titles).toContain('Maintenance: Database upgrade');
    // Nothing of the private monitor, not even its id in the maintenance window.
    expect(titles.join(' ')).not.toContain('Secret');
    expect(entries.map((e) => child(e, 'summary')[0].textContent).join(' ')).not.toContain('secret');
    const again = await app.request('/feed.atom', { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('summarises public monitors as JSON for embedding, CORS-friendly', async () => {
    const res = await app.request('/api/status.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const body = await res.json();
    expect(body.title).toBe('Acme <status> & co');
    expect(body.monitors.map((m: { id: string }) => m.id)).toEqual(['shop', 'odd']);
    expect(body.monitors[0]).toMatchObject({ id: 'shop', state: 'up', lastLatencyMs: 300, uptime24h: 0.6, url: 'https://status.example.com/monitors/shop' });
    expect(body.monitors[0].certificate).toMatchObject({ host: 'shop.example.com', daysLeft: 5 });
    expect(body.status).toEqual({ text: 'All checked systems operational', more: '1 waiting for a first check', tone: 'unknown' });
    expect(body.maintenance).toEqual([expect.objectContaining({ name: 'Database upgrade', monitors: ['shop'] })]);
    expect(JSON.stringify(body)).not.toContain('secret');
  });
});

describe('badge drawing', () => {
  it('measures text in Verdana widths and sizes the badge to it', () => {
    expect(textWidth('ii')).toBeLessThan(textWidth('MM'));
    expect(textWidth('uptime 30d')).toBeGreaterThan(50);
    expect(textWidth('uptime 30d')).toBeLessThan(75);
    const short = parseXml(renderBadge('a', 'b', 'green'), 'image/svg+xml').documentElement!;
    const long = parseXml(renderBadge('a much longer label', 'b', 'green'), 'image/svg+xml').documentElement!;
    expect(Number(long.getAttribute('width')) - Number(short.getAttribute('width'))).toBeCloseTo(Math.round(textWidth('a much longer label') + 10) - Math.round(textWidth('a') + 10), 0);
  });

  it('never rounds a failing uptime up to 100 %', () => {
    expect(fmtUptime(0.99999)).toBe('99.99%');
    expect(fmtUptime(1)).toBe('100%');
    expect(fmtUptime(0.05)).toBe('5.0%');
  });
});
