/**
 * The operator's side in a real headless Chromium (Debian's chromium, driven by playwright-core):
 * log in, watch the dashboard update through server-sent events, open a monitor, run it now, switch
 * its chart range, acknowledge an incident, log out.
 * Screenshots go to test/e2e/screenshots/ (git-ignored) for a person to look at.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Halftime } from '../../src/main.js';
import { missingChromium, SHOTS, startWithBrowser } from './browser.js';
import { sleep, startServer, tempDir, type TestServer } from '../helpers.js';

const PASSWORD = 'e2e admin password';
// Once a year: nothing runs unless the test (or the operator) asks for it.
const NEVER = '0 0 1 1 *';

let tmp: ReturnType<typeof tempDir>;
let target: TestServer;
let h: Halftime;
let page: Page;
let consoleErrors: string[] = [];
let stop: (() => Promise<void>) | undefined;
const missing = missingChromium;
const needChromium = () => {
  if (missing) throw new Error(missing);
};

beforeAll(async () => {
  if (missing) return;
  tmp = tempDir('halftime-e2e-');
  target = await startServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  const yaml = `
server: { title: "Acme status" }
monitors:
  - name: Shop
    id: shop
    public: true
    cron: "${NEVER}"
    steps: [{ name: home, url: "${target.url}/health" }]
  - name: Private API
    id: private-api
    cron: "${NEVER}"
    steps:
      - name: health
        url: "${target.url}/health"
        expect: { status: 200, bodyContains: '"status":"ok"' }
`;
  ({ h, page, consoleErrors, stop } = await startWithBrowser(yaml, tmp.dir, { adminPassword: PASSWORD, viewport: { width: 1280, height: 900 } }));
}, 60_000);

afterAll(async () => {
  await stop?.();
  await target?.close();
  tmp?.cleanup();
});

describe('operator in a real browser', () => {
  it('shows the public status page without private monitors', async () => {
    needChromium();
    // A day of earlier results for the shop (every 20 minutes, slower in the afternoon) so the sparkline has a shape.
    const t = Date.now();
    for (let i = 72; i >= 1; i--) {
      const at = t - i * 20 * 60_000;
      h.store.writer.write({ monitorId: 'shop', plannedAt: at, startedAt: at, durationMs: 80 + 60 * Math.sin(i / 8) ** 2 + (i % 7) * 5, ok: i !== 30, steps: [] });
    }
    await h.scheduler.runNow('shop');
    await h.store.writer.flush();
    await page.goto(`${h.url}/`);
    await page.locator('li.monitor[data-monitor="shop"] .badge-up').waitFor();
    expect(await page.locator('h1').textContent()).toBe('Acme status');
    expect(await page.content()).not.toContain('Private API');
    await page.screenshot({ path: join(SHOTS, 'status-page.png'), fullPage: true });
  });

  it('logs in, and the dashboard updates live when a run is written', async () => {
    needChromium();
    await page.goto(`${h.url}/admin`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('input[name=password]', 'wrong password');
    await page.click('button[type=submit]');
    expect(await page.locator('.error').textContent()).toContain('Wrong username or password');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${h.url}/admin`);
    const row = page.locator('tr[data-monitor="private-api"]');
    expect(await row.locator('.badge').textContent()).toBe('No data yet');

    // Wait until the page's EventSource is connected (one more subscriber than the status cache).
    const baseline = 1;
    for (let i = 0; i < 100 && h.events.size <= baseline; i++) await sleep(50);
    expect(h.events.size).toBeGreaterThan(baseline);
    // A run happens on the server; nobody reloads the page.
    await h.scheduler.runNow('private-api');
    await h.store.writer.flush();
    await row.locator('.badge-up').waitFor({ timeout: 10_000 });
    expect(await row.locator('[data-field="last-latency"]').textContent()).toMatch(/ms$/);

    // Search through htmx: only matching monitors stay, and the address follows.
    await page.fill('#q', 'private');
    await page.locator('tr[data-monitor="shop"]').waitFor({ state: 'detached' });
    expect(page.url()).toContain('q=private');
    await page.fill('#q', '');
    await page.locator('tr[data-monitor="shop"]').waitFor();
    await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true });
  });

  it('opens a private monitor, runs it now and shows the steps with their evidence', async () => {
    needChromium();
    await page.click('a[href="/admin/monitors/private-api"]');
    await page.waitForURL(`${h.url}/admin/monitors/private-api`);
    expect(await page.locator('h1').textContent()).toContain('Private API');
    const before = (await h.store.runs.list({ monitor: 'private-api' })).length;
    await page.click('form.run-now button');
    const result = page.locator('#run-result .run-result');
    await result.waitFor({ timeout: 15_000 });
    expect(await result.locator('h3 .badge').textContent()).toBe('Passed');
    expect(await result.locator('table.steps').textContent()).toContain('health');
    expect(await result.locator('ul.evidence').textContent()).toContain('body contains');
    expect((await h.store.runs.list({ monitor: 'private-api' })).length).toBe(before + 1);
    // The recent-runs table follows through SSE.
    const newest = (await h.store.runs.list({ monitor: 'private-api', limit: 1 }))[0].id;
    await page.locator(`#recent-runs a[href="/admin/runs/${newest}"]`).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(SHOTS, 'monitor-page.png'), fullPage: true });
  });

  it('shows the private monitor’s history: switches the chart range through htmx, expands a run, acknowledges an incident', async () => {
    needChromium();
    // Three days of earlier results (every 30 minutes, slower in the evening) and an open incident.
    const t = Date.now();
    for (let i = 144; i >= 2; i--) {
      const at = t - i * 30 * 60_000;
      h.store.writer.write({ monitorId: 'private-api', plannedAt: at, startedAt: at, durationMs: 40 + 50 * Math.sin(i / 9) ** 2 + (i % 5) * 4, ok: i % 40 !== 0, steps: [] });
    }
    await h.store.writer.flush();
    await h.store.alerts.commit({
      monitorKey: 'private-api',
      status: 'down',
      state: {},
      now: t - 5 * 60_000,
      outbox: [],
      incidents: [{ op: 'open', kind: 'down', startedAt: t - 5 * 60_000, worst: 3, summary: 'Private API: 3 failed checks in a row', evidence: { failures: 3, lastFailure: { step: 'health', status: 503, message: 'expected status 200, got 503' } } }],
    });
    const series: { url: string; resolution: string; points: number }[] = [];
    page.on('response', async (r) => {
      if (!r.url().includes('/series?')) return;
      const body = (await r.json()) as { resolution: string; t: number[] };
      series.push({ url: new URL(r.url()).pathname + new URL(r.url()).search, resolution: body.resolution, points: body.t.length });
    });
    await page.goto(`${h.url}/admin/monitors/private-api`);
    await page.locator('#history[data-range="24h"] [data-chart="latency"] canvas').waitFor();
    await page.locator('#history [data-chart="phases"] canvas').waitFor();
    expect(await page.locator('#history .u-legend').first().textContent()).toContain('p95');

    // Acknowledge: the row is swapped in place, the reminders stop.
    await page.click('#monitor-incidents button:has-text("Acknowledge")');
    await page.locator('#monitor-incidents td.ack:has-text("Acknowledged by admin")').waitFor();
    expect(await h.store.alerts.isAcknowledged('private-api', 'down')).toBe(true);

    // The range switch: no reload (a marker on window survives), new data, address bar follows.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    await page.click('#history a.range[data-range="7d"]');
    await page.locator('#history[data-range="7d"] [data-chart="latency"] canvas').waitFor();
    expect(page.url()).toBe(`${h.url}/admin/monitors/private-api?range=7d`);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    expect(await page.locator('#history .range-note').textContent()).toContain('per hour');
    for (let i = 0; i < 50 && !series.some((s) => s.resolution === 'hour'); i++) await sleep(20);
    const day = series.find((s) => s.resolution === 'minute')!;
    const week = series.find((s) => s.resolution === 'hour')!;
    // Both series come from the operator's side (the public routes do not serve a private monitor).
    expect(day.url).toMatch(/^\/admin\/monitors\/private-api\/series\?range=24h/);
    expect(week.url).toMatch(/^\/admin\/monitors\/private-api\/series\?range=7d/);
    expect(week.points).toBeGreaterThan(day.points / 10);
    expect(week.points).not.toBe(day.points);

    // A run expands to its steps.
    await page.locator('#recent-runs button.expand').first().click();
    await page.locator('#recent-runs .run-detail .step').first().waitFor();
    expect(await page.locator('#recent-runs .run-detail .step h3').first().textContent()).toBe('1. health');
    await page.screenshot({ path: join(SHOTS, 'admin-monitor-history.png'), fullPage: true });

    // The dashboard shows the incident, acknowledged.
    await page.goto(`${h.url}/admin`);
    await page.locator('#open-incidents tr[data-incident] td.ack:has-text("Acknowledged by admin")').waitFor();
    await page.screenshot({ path: join(SHOTS, 'dashboard-incidents.png'), fullPage: true });
  });

  it('logs out', async () => {
    needChromium();
    await page.click('header button:has-text("Log out")');
    await page.waitForURL(`${h.url}/login`);
    await page.goto(`${h.url}/admin`);
    expect(new URL(page.url()).pathname).toBe('/login');
  });

  it('ran with no script errors and no CSP violations', () => {
    needChromium();
    expect(consoleErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});
