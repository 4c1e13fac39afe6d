import { beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/web/app.js';
import { BACKENDS } from '../support/backends.js';
import { harnessPerTest, loadYaml, makeRun, type Harness } from './fixtures.js';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const MIN = 60_000;

describe.each(BACKENDS)('status page with alerting on %s', (kind) => {
  const per = harnessPerTest(T0, kind);
  const { clock } = per;
  let h: Harness;
  beforeEach(async () => {
    h = await per.open(
      loadYaml(`
alerts:
  maintenance:
    - { name: Database upgrade, start: "2026-11-23T12:00:00Z", end: "2026-11-23T13:00:00Z", monitors: [shop] }
    - { name: Hidden work, start: "2026-11-23T12:00:00Z", end: "2026-11-23T13:00:00Z", monitors: [internal] }
monitors:
  - { id: shop, name: Shop, public: true, steps: [{ name: home, url: "http://127.0.0.1:1/" }] }
  - { id: api, name: API, public: true, steps: [{ url: "http://127.0.0.1:1/" }], alerts: { degraded: [{ rule: "p95 > 500ms over 10m", minSamples: 1, enterAfter: 1 }] } }
  - { id: internal, name: Internal, public: false, steps: [{ url: "http://127.0.0.1:1/" }] }
`),
    );
  });
  const app = () => createApp({ status: h.store.status, title: 'Status', schedulerAlive: () => true, now: clock.now, alerts: h.alerting });

  it('shows down, degraded, recent incidents and upcoming maintenance', async () => {
    await h.feed(makeRun('shop', clock.now(), { ok: false, steps: [{ name: 'home', totalMs: 30, ok: false, status: 500 }], failure: { code: 'status', message: 'expected status 200, got 500', step: 0 } }));
    clock.advance(MIN);
    await h.feed(makeRun('shop', clock.now(), { ok: false, steps: [{ name: 'home', totalMs: 30, ok: false, status: 500 }], failure: { code: 'status', message: 'expected status 200, got 500', step: 0 } }));
    await h.feed(makeRun('api', clock.now(), { durationMs: 900 }));
    clock.advance(MIN);
    const res = await app().request('/');
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('id="monitor-shop"');
    expect(html).toMatch(/data-monitor="shop" id="monitor-shop"><div class="monitor-head"><h2>Shop<\/h2><span class="badge badge-down">Down<\/span>/);
    expect(html).toMatch(/<span class="badge badge-degraded">Degraded<\/span>/);
    expect(html).toContain('DOWN Shop: 2 failed checks in a row at step &quot;home&quot;: HTTP 500');
    expect(html).toContain('ongoing for 1 min');
    expect(html).toContain('DEGRADED API: p95 900 ms over 10 min (limit 500 ms)');
    expect(html).toContain('Scheduled maintenance:</strong> Database upgrade, 2026-11-23 12:00 UTC – 2026-11-23 13:00 UTC');
    expect(html).not.toContain('Hidden work');
    expect(html).toContain('1 of 2 down');

    // The htmx partial renders the same parts without the layout.
    const partial = await (await app().request('/partials/status')).text();
    expect(partial).not.toContain('<html');
    expect(partial).toContain('DOWN Shop');

    // Inside the window the monitor shows as in maintenance.
    clock.set(Date.parse('2026-11-23T12:10:00Z'));
    const during = await (await app().request('/')).text();
    expect(during).toMatch(/<span class="badge badge-maintenance">Maintenance<\/span>/);
    expect(during).toContain('Maintenance in progress:</strong> Database upgrade');
  });

  it('shows closed incidents with their duration', async () => {
    for (let i = 0; i < 2; i++) {
      await h.feed(makeRun('shop', clock.now(), { ok: false }));
      clock.advance(MIN);
    }
    clock.advance(10 * MIN);
    await h.feed(makeRun('shop', clock.now()));
    const html = await (await app().request('/')).text();
    expect(html).toContain('lasted 12 min');
    expect(html).toMatch(/<span class="badge badge-up">Up<\/span>/);
    expect(html).toContain('No incidents in the last 14 days.');
  });
});
