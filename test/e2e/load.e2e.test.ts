/**
 * A load check from the admin pages in a real headless Chromium: start it from the monitor page,
 * watch the run page's chart fill in live (server-sent events, no reload), see the stored result
 * when it ends; start another and Stop it.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Halftime } from '../../src/main.js';
import { missingChromium, SHOTS, startWithBrowser } from './browser.js';
import { startServer, tempDir, type TestServer } from '../helpers.js';

const PASSWORD = 'e2e admin password';
const NEVER = '0 0 1 1 *';

let tmp: ReturnType<typeof tempDir>;
let target: TestServer;
let h: Halftime;
let page: Page;
let consoleErrors: string[] = [];
let stop: (() => Promise<void>) | undefined;
const needChromium = () => {
  if (missingChromium) throw new Error(missingChromium);
};

beforeAll(async () => {
  if (missingChromium) return;
  tmp = tempDir('halftime-e2e-');
  target = await startServer((_req, res) => res.end('ok'));
  const yaml = `
load: { allowHosts: [127.0.0.1] }
monitors:
  - name: Shop
    id: shop
    cron: "${NEVER}"
    steps: [{ name: home, url: "${target.url}/" }]
    load: { users: 2, spawnRate: 2, duration: 3s, thinkTime: 100ms }
`;
  ({ h, page, consoleErrors, stop } = await startWithBrowser(yaml, tmp.dir, { adminPassword: PASSWORD, viewport: { width: 1280, height: 900 } }));
}, 60_000);

afterAll(async () => {
  await stop?.();
  await target?.close();
  tmp?.cleanup();
});

describe('load check in a real browser', () => {
  it('starts from the monitor page, charts live, and shows the stored run when it ends', async () => {
    needChromium();
    await page.goto(`${h.url}/admin/monitors/shop`);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${h.url}/admin/monitors/shop`);
    expect(await page.inputValue('form.load-start input[name=users]')).toBe('2');
    await page.click('form.load-start button[type=submit]');
    await page.waitForURL(/\/admin\/load-runs\/\d+$/);
    expect(await page.locator('.status').first().textContent()).toBe('running');
    // Points arrive while it runs: the chart is drawn and the live line names the second.
    await page.locator('#load-chart canvas').waitFor({ timeout: 10_000 });
    await page.locator('#load-live-now', { hasText: 'users' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('#load-live-now').textContent()).toMatch(/^\d+ s: 2 users, \d+ req\/s/);
    // The next second arrives on the same page (no reload: the marker survives).
    await page.evaluate(() => ((window as unknown as { liveMark: number }).liveMark = 1));
    const first = await page.locator('#load-live-now').textContent();
    await page.waitForFunction((t) => document.getElementById('load-live-now')?.textContent !== t, first, { timeout: 10_000 });
    expect(await page.locator('#load-live-now').textContent()).toMatch(/^\d+ s: 2 users/);
    expect(await page.evaluate(() => (window as unknown as { liveMark?: number }).liveMark)).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'load-run-live.png'), fullPage: true });
    // At the end the page reloads itself with the stored summary.
    await page.locator('.status-passed').waitFor({ timeout: 15_000 });
    await page.locator('#load-chart canvas').waitFor();
    expect(await page.locator('form.load-stop').count()).toBe(0);
    expect(consoleErrors).toEqual([]);
  });

  it('stops a running burst with the Stop button', async () => {
    needChromium();
    await page.goto(`${h.url}/admin/monitors/shop`);
    await page.fill('form.load-start input[name=duration]', '60s');
    await page.click('form.load-start button[type=submit]');
    await page.waitForURL(/\/admin\/load-runs\/\d+$/);
    await page.locator('#load-live-now', { hasText: 'users' }).waitFor({ timeout: 10_000 });
    await page.click('form.load-stop button');
    await page.locator('.status-stopped').waitFor({ timeout: 15_000 });
    expect((await h.store.loadRuns.list())[0].status).toBe('stopped');
    await page.screenshot({ path: join(SHOTS, 'load-run-stopped.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
