/**
 * Every public and operator page in a real headless Chromium at a phone's width (360 px) and a
 * laptop's (1366 px), with real data: a journey run against a local shop (HTML, assets, a query
 * string), three days of history written through the store, a monitor with 20 minutes of data, one
 * without any, a private one, an open incident, an API token and two real burst load runs.
 * Each page: no horizontal scroll, no serious or critical axe-core violation, a screenshot in
 * test/e2e/screenshots/layout/ (committed: look at them when a page changes). Then what the pages
 * must get right: the status banner and day colours, day figures on tap and keyboard, no query
 * strings in public, the default chart range, dark mode.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Halftime } from '../../src/main.js';
import type { RunResult } from '../../src/probes/types.js';
import { parseConfigText } from '../../src/configure.js';
import { resolveBurst } from '../../src/load/from-config.js';
import { runBurstAndStore } from '../../src/load/run.js';
import { chromium } from 'playwright-core';
import { CHROMIUM, missingChromium, SHOTS, startWithBrowser } from './browser.js';
import { sleep, startServer, tempDir, type TestServer } from '../helpers.js';

const PASSWORD = 'e2e admin password';
const NEVER = '0 0 1 1 *';
const WIDTHS = [360, 1366] as const;
const LAYOUT_SHOTS = join(SHOTS, 'layout');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let tmp: ReturnType<typeof tempDir>;
let target: TestServer;
let h: Halftime;
let page: Page;
let consoleErrors: string[] = [];
let stop: (() => Promise<void>) | undefined;
const needChromium = () => {
  if (missingChromium) throw new Error(missingChromium);
};

const SHOP_HTML = `<!doctype html><html><head><title>Shop</title><link rel="stylesheet" href="/static/shop.css"><script src="/static/shop.js"></script></head>
<body><h1>Shop</h1><img src="/static/logo.png" alt=""><a href="/product?id=42&amp;ref=newsletter-secret">Product</a></body></html>`;

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** A run of one step whose phases add up to its duration (DNS, connect and TLS of a fresh HTTPS visit). */
const run = (monitorId: string, at: number, durationMs: number, ok: boolean): RunResult => ({
  monitorId,
  plannedAt: at,
  startedAt: at,
  durationMs,
  ok,
  failure: ok ? undefined : { code: 'status', message: 'expected status 200, got 503', step: 0 },
  steps: [
    {
      index: 0,
      name: monitorId === 'shop' ? 'home' : 'request',
      method: 'GET',
      url: `https://example.test/${monitorId}?session=abc`,
      startedAt: at,
      ok,
      status: ok ? 200 : 503,
      failure: ok ? undefined : { code: 'status', message: 'expected status 200, got 503' },
      timings: { dns: 3, connect: 9, tls: 21, ttfb: durationMs - 41, download: 8, total: durationMs },
      bytes: 4200,
      redirects: 0,
      headers: {},
      evidence: [{ what: 'status', expected: '2xx or 3xx', actual: ok ? '200' : '503', pass: ok }],
    },
  ],
});

/** Pages to check, each with what to wait for before measuring it. */
type Shot = { name: string; path: string; ready?: string[] };
let pages: Shot[] = [];
let yaml = '';

beforeAll(async () => {
  if (missingChromium) return;
  tmp = tempDir('halftime-e2e-layout-');
  target = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(SHOP_HTML);
    }
    if (url.pathname.startsWith('/static/')) {
      res.writeHead(200, { 'content-type': url.pathname.endsWith('.css') ? 'text/css' : 'application/octet-stream', 'cache-control': 'max-age=600' });
      return res.end('/* asset */');
    }
    if (url.pathname === '/product') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(SHOP_HTML.replace('<h1>Shop</h1>', '<h1>Product 42</h1>'));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
  });
  yaml = `
server: { title: "Acme status" }
load: { allowHosts: [127.0.0.1] }
monitors:
  - name: Shop storefront with a rather long name
    id: shop
    public: true
    description: The home page and a product page, with their CSS, JS and images.
    cron: "${NEVER}"
    steps:
      - { name: home, url: "${target.url}/", assets: true }
      - { name: product, url: "${target.url}/product?id=42&ref=newsletter-secret", assets: true }
    load: { users: 3, spawnRate: 1, duration: 4s, thinkTime: 50ms }
  - name: Checkout API
    id: checkout-api
    public: true
    cron: "${NEVER}"
    steps: [{ name: ready, url: "${target.url}/api/ready" }]
  - name: Search
    id: search
    public: true
    cron: "${NEVER}"
    steps: [{ name: query, url: "${target.url}/api/search?q=shoes" }]
  - name: New service
    id: new-service
    public: true
    cron: "${NEVER}"
    steps: [{ name: ping, url: "${target.url}/api/new" }]
  - name: Internal admin API
    id: internal
    cron: "${NEVER}"
    steps: [{ name: health, url: "${target.url}/health" }]
`;
  ({ h, page, consoleErrors, stop } = await startWithBrowser(yaml, tmp.dir, { adminPassword: PASSWORD, viewport: { width: 1366, height: 900 } }));

  const now = Date.now();
  // The shop: three days, every 10 minutes, slower in the evening; a bad hour two days ago.
  for (let t = now - 3 * DAY; t < now - 5 * MIN; t += 10 * MIN) {
    const hour = new Date(t).getUTCHours();
    const bad = t > now - 2 * DAY - 2 * HOUR && t < now - 2 * DAY - HOUR;
    h.store.writer.write(run('shop', t, 90 + 60 * Math.sin((hour / 24) * Math.PI) ** 2 + ((t / MIN) % 7) * 6, !bad));
  }
  // Search: yesterday every 5 minutes, all fine; today 40 runs, one failed (97.5 %: a partial day).
  const dayStart = now - (now % DAY);
  for (let t = dayStart - DAY; t < dayStart; t += 5 * MIN) h.store.writer.write(run('search', t, 140 + ((t / MIN) % 11) * 9, true));
  for (let i = 0; i < 40; i++) {
    const t = dayStart + ((now - 2 * MIN - dayStart) * i) / 40;
    h.store.writer.write(run('search', Math.round(t), 150 + (i % 9) * 11, i !== 17));
  }
  // Checkout API: 20 minutes of data, one run a minute.
  for (let i = 20; i >= 1; i--) h.store.writer.write(run('checkout-api', now - i * MIN, 40 + (i % 4) * 3, true));
  // The private monitor: a day of runs.
  for (let t = now - DAY; t < now - MIN; t += 15 * MIN) h.store.writer.write(run('internal', t, 30 + ((t / MIN) % 5), true));
  await h.store.writer.flush();
  // Two real journeys against the shop (assets, then assets from the visitor's cache).
  await h.scheduler.runNow('shop');
  await h.scheduler.runNow('checkout-api');
  await h.scheduler.runNow('search');
  await h.scheduler.runNow('internal');
  await h.store.writer.flush();
  await h.store.alerts.commit({
    monitorKey: 'search',
    status: 'degraded',
    state: {},
    now: now - 30 * MIN,
    outbox: [],
    incidents: [
      {
        op: 'open',
        kind: 'degraded',
        startedAt: now - 30 * MIN,
        worst: 412,
        summary: `Search is slow: p95 412 ms over 20 runs (limit 300 ms), ${target.url}/api/search?q=shoes`,
        evidence: { latency: { rule: 'p95 > 300ms', percentile: 0.95, actualMs: 412, thresholdMs: 300, samples: 20 } },
      },
    ],
  });
}, 60_000);

afterAll(async () => {
  await stop?.();
  await target?.close();
  tmp?.cleanup();
});

async function login() {
  await page.goto(`${h.url}/admin`);
  if (new URL(page.url()).pathname !== '/login') return;
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${h.url}/admin`);
}

/** Serious and critical axe-core findings on the current page, one line each. */
async function axeProblems(): Promise<string[]> {
  // evaluate() runs outside the page's CSP, which (rightly) refuses an injected script element.
  await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    }),
  );
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

/** Busy answers (503 from admission control on a loaded machine) are retried, as a browser user would; the console notes of them are dropped. */
const BUSY = /status of 503 \(Service Unavailable\)/;
async function open(shot: Shot, p: Page = page) {
  for (let i = 0; i < 10; i++) {
    const res = await p.goto(`${h.url}${shot.path}`);
    if (res?.status() !== 503) break;
    await sleep(1000);
  }
  expect(p.url()).toContain(shot.path.split('?')[0]);
  for (const sel of shot.ready ?? []) await p.locator(sel).first().waitFor({ timeout: 10_000 });
  await p.evaluate(() => document.fonts.ready);
}

describe('every page at 360 px and 1366 px', () => {
  it('sets up a token and two load runs through the pages', async () => {
    needChromium();
    await login();
    await page.goto(`${h.url}/admin/tokens`);
    await page.fill('input[name=name]', 'deploy pipeline');
    await page.click('form.inline-form button[type=submit]');
    await page.locator('.created-token').waitFor();
    // Two real bursts against the shop, stored as the server stores them.
    const ids: number[] = [];
    for (let i = 0; i < 2; i++) {
      const { runId } = await runBurstAndStore(resolveBurst(parseConfigText(yaml, 'e2e.yaml', {}).config, 'shop'), { loadRuns: h.store.loadRuns, trigger: 'cli' });
      ids.push(runId!);
    }
    const [latest] = await h.store.runs.list({ monitor: 'shop', limit: 1 });
    pages = [
      { name: 'status', path: '/', ready: ['li.monitor'] },
      { name: 'monitor-public', path: '/monitors/shop', ready: ['[data-chart="latency"] canvas', '[data-chart="phases"] canvas'] },
      { name: 'monitor-public-new', path: '/monitors/checkout-api', ready: ['[data-chart="latency"] canvas'] },
      { name: 'dashboard', path: '/admin', ready: ['tr[data-monitor]'] },
      { name: 'monitor-admin', path: '/admin/monitors/shop', ready: ['[data-chart="latency"] canvas'] },
      { name: 'monitor-admin-search', path: '/admin/monitors/search', ready: ['[data-chart="latency"] canvas', '#monitor-incidents'] },
      { name: 'run', path: `/admin/runs/${latest.id}`, ready: ['table.steps'] },
      { name: 'health', path: '/admin/health' },
      { name: 'tokens', path: '/admin/tokens' },
      { name: 'load-runs', path: '/admin/load-runs', ready: ['table.load-table'] },
      { name: 'load-run', path: `/admin/load-runs/${ids[1]}`, ready: ['#load-chart canvas'] },
      { name: 'load-compare', path: `/admin/load-runs/compare?id=${ids[0]}&id=${ids[1]}`, ready: ['#load-compare canvas'] },
    ];
  }, 60_000);

  for (const width of WIDTHS) {
    it(`fits ${width} px without horizontal scroll and passes axe-core`, async () => {
      needChromium();
      expect(pages.length).toBeGreaterThan(10);
      await page.setViewportSize({ width, height: width < 600 ? 780 : 900 });
      const problems: string[] = [];
      for (const shot of pages) {
        await open(shot);
        const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
        if (scroll > inner) {
          const wide = await page.evaluate((w) => {
            const out: string[] = [];
            for (const el of Array.from(document.querySelectorAll('body *'))) {
              const r = el.getBoundingClientRect();
              if (r.right > w + 0.5 && out.length < 5) out.push(`${el.tagName.toLowerCase()}.${(el.className || '').toString().replace(/\s+/g, '.')} right=${Math.round(r.right)}`);
            }
            return out;
          }, inner);
          problems.push(`${shot.name} at ${width}: scrollWidth ${scroll} > ${inner} (${wide.join('; ')})`);
        }
        for (const p of await axeProblems()) problems.push(`${shot.name} at ${width}: ${p}`);
        await page.screenshot({ path: join(LAYOUT_SHOTS, `${shot.name}-${width}.png`), fullPage: true });
      }
      expect(problems).toEqual([]);
    }, 120_000);
  }
});

describe('what the pages say', () => {
  it('never shows a green banner over a failing day or missing data, and colours a partial day amber', async () => {
    needChromium();
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.goto(`${h.url}/`);
    const banner = page.locator('#status .summary');
    expect(await banner.getAttribute('class')).not.toContain('summary-up');
    // Search failed one run in forty today: neither green nor red.
    const today = page.locator('li.monitor[data-monitor="search"] .bars .bar').last();
    expect(await today.getAttribute('class')).toContain('bar-partial');
    // The legend says what the colours mean.
    expect(await page.locator('.day-legend').first().textContent()).toMatch(/99\.9\s?%/);
    expect(await page.locator('li.monitor[data-monitor="new-service"] .badge').textContent()).toBe('No data yet');
  });

  it('shows a day’s figures on tap and from the keyboard, not only in a tooltip', async () => {
    needChromium();
    // A phone: touch, no hover, 360 px.
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const phone = await (await browser.newContext({ viewport: { width: 360, height: 780 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 })).newPage();
      await open({ name: 'status', path: '/', ready: ['li.monitor'] }, phone);
      const card = phone.locator('li.monitor[data-monitor="shop"]');
      const bars = card.locator('.bars .bar:visible');
      const shown = await bars.count();
      // A phone shows fewer days, each wide enough to see and tap.
      expect(shown).toBe(30);
      expect((await bars.first().boundingBox())!.width).toBeGreaterThanOrEqual(6);
      const detail = card.locator('.day-detail');
      expect(await detail.textContent()).toMatch(/^Today, \d{4}-\d\d-\d\d: /);
      await bars.nth(shown - 3).tap();
      expect(await detail.textContent()).toMatch(/^\d{4}-\d\d-\d\d: (100%|\d+\.\d+%) up \(\d+ runs?, \d+ failed\)$/);
      const tapped = await detail.textContent();
      // Keyboard: arrows move between days, and the figures follow.
      await bars.nth(shown - 3).focus();
      await phone.keyboard.press('ArrowLeft');
      expect(await detail.textContent()).not.toBe(tapped);
      expect(await phone.evaluate(() => document.activeElement?.getAttribute('tabindex'))).toBe('0');
      await phone.keyboard.press('End');
      expect(await detail.textContent()).toMatch(/^Today, /);
      await phone.screenshot({ path: join(LAYOUT_SHOTS, 'status-day-detail-360.png') });
    } finally {
      await browser.close();
    }
  });

  it('shows paths, never full URLs with query strings, to the public', async () => {
    needChromium();
    await page.goto(`${h.url}/monitors/shop`);
    await page.locator('button.expand').first().click();
    await page.locator('.run-detail .step').nth(1).waitFor();
    const text = (await page.locator('main').textContent())!;
    expect(text).toContain('/product');
    expect(text).not.toContain('newsletter-secret');
    expect(text).not.toContain('127.0.0.1');
    // The second page's assets came from the visitor's cache, and the check says so.
    expect(text).toMatch(/\d+ from cache/);
    await page.goto(`${h.url}/`);
    expect(await page.content()).not.toContain('q=shoes');
  });

  it('keeps the chart legend still while the cursor moves, and writes the hovered time in UTC', async () => {
    needChromium();
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await open({ name: 'monitor-public', path: '/monitors/shop', ready: ['[data-chart="latency"] canvas'] });
      const chart = page.locator('[data-chart="latency"]');
      const before = (await chart.boundingBox())!;
      const over = (await chart.locator('.u-over').boundingBox())!;
      for (const f of [0.2, 0.5, 0.97]) {
        await page.mouse.move(over.x + over.width * f, over.y + over.height / 2);
        expect(await chart.locator('.u-legend .u-value').nth(2).textContent()).toMatch(/ ms/);
        expect((await chart.boundingBox())!.height).toBe(before.height);
      }
      // The hovered time is written as the pages write time, with its zone.
      expect(await chart.locator('.u-legend .u-value').first().textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    }
  });

  it('opens a monitor with 20 minutes of data on the 1-hour range', async () => {
    needChromium();
    await page.goto(`${h.url}/monitors/checkout-api`);
    expect(await page.locator('#history').getAttribute('data-range')).toBe('1h');
    await page.goto(`${h.url}/monitors/shop`);
    expect(await page.locator('#history').getAttribute('data-range')).toBe('24h');
  });

  it('follows the system’s dark mode, charts included', async () => {
    needChromium();
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.emulateMedia({ colorScheme: 'dark' });
    for (const shot of pages.filter((p) => ['status', 'monitor-public', 'dashboard', 'load-run'].includes(p.name))) {
      await open(shot);
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const [r, g, b] = bg.match(/\d+/g)!.map(Number);
      expect(r + g + b).toBeLessThan(150);
      expect(await axeProblems()).toEqual([]);
      await page.screenshot({ path: join(LAYOUT_SHOTS, `${shot.name}-dark-1366.png`), fullPage: true });
    }
    await page.emulateMedia({ colorScheme: 'light' });
  }, 60_000);

  it('gives a new API token a copy button that fits a phone', async () => {
    needChromium();
    await page.setViewportSize({ width: 360, height: 780 });
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.url });
    await page.goto(`${h.url}/admin/tokens`);
    await page.fill('input[name=name]', 'a phone');
    await page.click('form.inline-form button[type=submit]');
    const token = await page.inputValue('#new-token');
    expect(token.length).toBeGreaterThan(20);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    const field = (await page.locator('#new-token').boundingBox())!;
    const button = (await page.locator('button[data-copy]').boundingBox())!;
    expect(button.x + button.width).toBeLessThanOrEqual(360);
    expect(field.x + field.width).toBeLessThanOrEqual(button.x);
    await page.click('button[data-copy]');
    await page.locator('#copy-note', { hasText: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await page.screenshot({ path: join(LAYOUT_SHOTS, 'tokens-created-360.png'), fullPage: true });
  });

  it('shows the login page at both widths', async () => {
    needChromium();
    await page.goto(`${h.url}/admin/tokens`);
    await page.click('header button:has-text("Log out")');
    await page.waitForURL(`${h.url}/login`);
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 780 });
      await page.goto(`${h.url}/login`);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      expect(await axeProblems()).toEqual([]);
      await page.screenshot({ path: join(LAYOUT_SHOTS, `login-${width}.png`), fullPage: true });
    }
  });

  it('ran with no script errors and no CSP violations', () => {
    needChromium();
    // (A busy 503 answer is plain text without the pages' icon link, so the browser asks for /favicon.ico.)
    expect(consoleErrors.filter((e) => !BUSY.test(e) && !e.includes('/favicon.ico)'))).toEqual([]);
  });
});
