/**
 * The latency history page in a real headless Chromium (Debian's chromium, driven by playwright-core):
 * uPlot draws both charts from the JSON series, the range switch and the step selector swap the chart
 * section through htmx without a reload, and a run expands to its steps. Screenshots go to
 * test/e2e/screenshots/ (git-ignored).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Halftime } from '../../src/main.js';
import { runOf, step } from '../store/history-fixtures.js';
import { missingChromium, SHOTS, startWithBrowser } from './browser.js';
import { sleep, startServer, tempDir, type TestServer } from '../helpers.js';

const NEVER = '0 0 1 1 *';

let tmp: ReturnType<typeof tempDir>;
let target: TestServer;
let h: Halftime;
let page: Page;
let consoleErrors: string[] = [];
let stop: (() => Promise<void>) | undefined;
const missing = missingChromium;

beforeAll(async () => {
  if (missing) return;
  tmp = tempDir('halftime-e2e-history-');
  target = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  const yaml = `
server: { title: "Acme status" }
monitors:
  - name: Checkout <journey>
    id: checkout
    public: true
    cron: "${NEVER}"
    steps:
      - { name: cart, url: "${target.url}/cart" }
      - { name: pay, url: "${target.url}/pay" }
`;
  ({ h, page, consoleErrors, stop } = await startWithBrowser(yaml, tmp.dir, { adminPassword: 'e2e admin password', viewport: { width: 1100, height: 900 } }));
  // Six hours of runs, one a minute, a failure every 50th.
  const now = Date.now();
  for (let i = 360; i >= 1; i--) {
    const at = now - i * 60_000;
    h.store.writer.write(runOf('checkout', at, [step(0, at, 20 + (i % 13)), step(1, at, 80 + (i % 29) * 3, i % 50 !== 0)]));
  }
  await h.store.writer.flush();
  // Writing six hours at once holds the main loop for a moment, and the monitor pages shed load (503)
  // while the loop runs late (web/admission.ts): start once they admit requests again (bounded).
  for (let i = 0; i < 100 && (await fetch(`${h.url}/monitors/checkout`)).status === 503; i++) await sleep(100);
}, 60_000);

afterAll(async () => {
  await stop?.();
  await target?.close();
  tmp?.cleanup();
});

describe('latency history in a real browser', () => {
  it('draws the charts, swaps range and step through htmx, and expands a run', async () => {
    if (missing) throw new Error(missing);
    await page.goto(`${h.url}/`);
    await page.click('a.history-link');
    await page.waitForURL(`${h.url}/monitors/checkout`);
    expect(await page.locator('h1').textContent()).toBe('Checkout <journey>');
    // uPlot draws a canvas per chart once the series has loaded.
    await page.locator('[data-chart="latency"] canvas').waitFor();
    await page.locator('[data-chart="phases"] canvas').waitFor();
    expect(await page.locator('.u-legend').first().textContent()).toContain('p95');

    // The range switch: no reload (a marker on window survives), new section, address bar follows.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    await page.click('a.range[data-range="7d"]');
    await page.locator('#history[data-range="7d"] [data-chart="latency"] canvas').waitFor();
    expect(page.url()).toBe(`${h.url}/monitors/checkout?range=7d`);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    expect(await page.locator('.range-note').textContent()).toContain('per hour');

    // The step selector.
    await page.selectOption('select[name=step]', '1');
    await page.locator('#history[data-step="1"][data-range="7d"] [data-chart="phases"] canvas').waitFor();
    expect(await page.locator('.range-note').textContent()).toContain('step <1>');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);

    // Hovering the chart shows values in the legend; an hour of at most 60 runs gives its p95 with the sample count.
    const box = (await page.locator('#history [data-chart="latency"] .u-over').boundingBox())!;
    await page.mouse.move(box.x + box.width - 5, box.y + box.height / 2);
    expect(await page.locator('#history [data-chart="latency"] .u-legend .u-value').nth(2).textContent()).toMatch(/ ms \((\d|[1-5]\d|60) samples?\)$/);

    // A run expands to its steps and evidence.
    await page.locator('button.expand').first().click();
    await page.locator('.run-detail .step').nth(1).waitFor();
    expect(await page.locator('.run-detail .step h3').allTextContents()).toEqual(['1. step <0>', '2. step <1>']);
    await page.screenshot({ path: join(SHOTS, 'monitor-history.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
