/**
 * Browser runs in real headless Chromium (Debian's), against the demo app's lab pages: Web Vitals
 * present and in a plausible order, evidence on failure (screenshot, locator, last URL, console
 * errors, failed requests), a hung page killed at its timeout with the next run clean, a memory cap,
 * and scripts with their own steps.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoApp } from '../../../examples/demo-app.js';
import { isAlive, poolProcesses, processGroup } from '../../../src/probes/browser/memory.js';
import type { BrowserPool } from '../../../src/probes/browser/pool.js';
import { createBrowserRunner } from '../../../src/probes/browser/runner.js';
import { tempDir } from '../../helpers.js';
import { browserMonitor, missingChromium, startDemo, testPool } from './helpers.js';

describe('browser runs in Chromium', () => {
  let demo: DemoApp;
  let pool: BrowserPool;
  beforeAll(async () => {
    if (missingChromium) throw new Error(missingChromium);
    demo = await startDemo();
    pool = testPool();
  });
  afterAll(async () => {
    await pool?.close();
    await demo?.close();
  });

  it('measures Web Vitals of a page rendered late by JavaScript: present, ordered, with a layout shift and blocking time', async () => {
    const m = browserMonitor(
      demo.url,
      `    steps:
      - goto: /lab/late
      - waitFor: { networkidle: true }
      - name: buy
        click: 'role=button[name="Add to basket"]'
      - expect: { selector: '#status', text: Added to basket }
      - extract: { offer: '#offer-title', hero: { selector: '#hero', attr: src } }`,
    );
    const r = await createBrowserRunner(m, { pool }).run();
    expect(r.failure).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.steps.map((s) => [s.name, s.ok])).toEqual([
      ['goto /lab/late', true],
      ['waitFor networkidle', true],
      ['buy', true],
      ['expect #status', true],
      ['extract offer, hero', true],
    ]);
    expect(r.steps[4].extracted).toEqual({ offer: 'Match ball, 31 EUR', hero: '/lab/hero.svg?ms=500' });
    const [view] = r.steps[0].browser!.pages;
    expect(r.steps[0].browser!.pages).toHaveLength(1);
    const v = view.vitals;
    expect(view.url).toBe(`${demo.url}/lab/late`);
    for (const k of ['ttfb', 'fcp', 'lcp', 'cls', 'tbt', 'inp'] as const) expect(typeof v[k], k).toBe('number');
    // The order a browser paints in: the first byte, then the first paint, then the largest one —
    // the hero image, which arrives only after the offer is rendered (700 ms) and its own 500 ms.
    expect(v.ttfb!).toBeLessThanOrEqual(v.fcp!);
    expect(v.fcp!).toBeLessThanOrEqual(v.lcp!);
    expect(v.lcp!).toBeGreaterThanOrEqual(1_150);
    expect(view.attribution?.lcp).toBe('#hero');
    // The banner pushes the offer down; the 250 ms task blocks for 200 ms past the 50 ms allowance.
    expect(v.cls!).toBeGreaterThan(0);
    expect(v.tbt!).toBeGreaterThanOrEqual(150);
    // The click ran a 60 ms handler: an interaction, measured.
    expect(v.inp!).toBeGreaterThan(0);
    expect(view.attribution?.inp).toBe('#buy');
    // The document, the hero image (and the favicon the browser asks for).
    expect(view.requests).toBeGreaterThanOrEqual(2);
    expect(view.bytes).toBeGreaterThan(1_000);
    expect(r.steps[0].status).toBe(200);
    expect(r.steps[0].timings.ttfb).toBeGreaterThan(0);
    // Each step's duration is its own, and the run's is their sum (no browser start-up in it).
    // The click waited for the button that appears 1.5 s after the page opened.
    expect(r.steps.slice(0, 3).reduce((sum, x) => sum + x.timings.total, 0)).toBeGreaterThan(1_300);
    expect(r.durationMs).toBeCloseTo(r.steps.reduce((s, x) => s + x.timings.total, 0), 5);
  }, 60_000);

  it('keeps a screenshot, the locator, the last URL, console errors and failed requests when an expect fails', async () => {
    const m = browserMonitor(
      demo.url,
      `    steps:
      - goto: /lab/broken
      - expect: { selector: '#total', text: '42 EUR' }
      - name: clean-up
        goto: /lab/ok
        alwaysRun: true`,
      'browser: { stepTimeout: 1500ms }',
    );
    const r = await createBrowserRunner(m, { pool }).run();
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ code: 'assertion', step: 1 });
    expect(r.failure!.message).toContain('does not contain "42 EUR"');
    const failed = r.steps[1];
    expect(failed.evidence).toContainEqual({ what: 'text of #total', expected: 'contains "42 EUR"', actual: '"Total: 0 EUR"', pass: false });
    expect(failed.browser).toMatchObject({ locator: '#total', lastUrl: `${demo.url}/lab/broken`, artifacts: ['failure-step-2.jpg'] });
    // The page's own problems, seen while the failed step's page was up.
    const page = r.steps[0].browser!.pages[0];
    expect(page.consoleErrors).toContain('payment widget failed to start');
    expect(page.failedRequests).toContainEqual({ url: `${demo.url}/lab/missing.js`, status: 404 });
    // The screenshot: a JPEG within the cap.
    const shot = r.artifacts!.find((a) => a.name === 'failure-step-2.jpg')!;
    expect(shot).toMatchObject({ step: 1, mime: 'image/jpeg' });
    expect([...shot.data.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(shot.data.byteLength).toBeLessThanOrEqual(300_000);
    // Clean-up still ran after the failure.
    expect(r.steps[2]).toMatchObject({ name: 'clean-up', ok: true, afterFailure: true });
    // A locator that never shows: code locator, and the selector kept.
    const missing = await createBrowserRunner(browserMonitor(demo.url, `    steps:\n      - goto: /lab/ok\n      - click: '#no-such-button'`, 'browser: { stepTimeout: 1s }'), { pool }).run();
    expect(missing.failure).toMatchObject({ code: 'locator', step: 1 });
    expect(missing.steps[1].browser?.locator).toBe('#no-such-button');
    expect(missing.artifacts?.map((a) => a.name)).toEqual(['failure-step-2.jpg']);
  }, 60_000);

  it('kills a hung page at its timeout, and the next run starts clean on a fresh browser', async () => {
    const hung = browserMonitor(demo.url, `    timeout: 20s\n    steps:\n      - goto: /lab/hang`, 'browser: { stepTimeout: 1500ms }');
    const started = Date.now();
    const r = await createBrowserRunner(hung, { pool }).run();
    const took = Date.now() - started;
    // The hung page's browser is gone, all its processes: what is left of the pool belongs to live browsers.
    const live = new Set(pool.stats().pids);
    for (const p of poolProcesses(pool.id)) expect(live.has(processGroup(p)!), `process ${p} of a killed browser`).toBe(true);
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ code: 'timeout', step: 0 });
    // Cut at its 1.5 s timeout (plus a one-second check that the page still answers), not at the run's 20 s.
    expect(took).toBeLessThan(12_000);
    // No screenshot of a page that does not answer.
    expect(r.artifacts).toBeUndefined();
    const ok = await createBrowserRunner(browserMonitor(demo.url, `    steps:\n      - goto: /lab/ok\n      - expect: { title: Lab }`), { pool }).run();
    expect(ok.ok).toBe(true);
    expect(pool.stats().killed).toBeGreaterThanOrEqual(1);

    // The whole-run timeout kills too: a run of 1 s whose step may take 10 s.
    const short = browserMonitor(demo.url, `    timeout: 1s\n    steps:\n      - goto: /lab/hang`, 'browser: { stepTimeout: 10s }');
    const t = Date.now();
    const cut = await createBrowserRunner(short, { pool }).run();
    expect(cut.failure).toMatchObject({ code: 'timeout' });
    expect(cut.failure!.message).toContain('exceeded its 1000 ms timeout');
    expect(Date.now() - t).toBeLessThan(8_000);
  }, 90_000);

  it('runs a script with its own steps, failing the step whose check throws', async () => {
    const t = tempDir();
    try {
      const script = join(t.dir, 'checkout.mjs');
      writeFileSync(
        script,
        `export default async ({ page, vars, step }) => {
  await step('open the offer', () => page.goto(vars.baseUrl + '/lab/late'));
  await step('buy', async () => {
    await page.getByRole('button', { name: 'Add to basket' }).click();
    await page.locator('#status', { hasText: 'Added' }).waitFor();
  });
  await step('check the price', async () => {
    const title = await page.locator('#offer-title').innerText();
    if (!title.includes('29 EUR')) throw new Error('price is ' + title);
  });
};
`,
      );
      const m = browserMonitor(demo.url, `    script: ${script}`);
      const r = await createBrowserRunner(m, { pool }).run();
      expect(r.steps.map((s) => [s.name, s.ok])).toEqual([
        ['open the offer', true],
        ['buy', true],
        ['check the price', false],
      ]);
      expect(r.failure).toMatchObject({ code: 'assertion', step: 2, message: 'check the price: price is Match ball, 31 EUR' });
      expect(r.steps[0].browser!.pages[0].vitals.fcp).toBeGreaterThan(0);
      expect(r.artifacts?.map((a) => a.name)).toEqual(['failure-step-3.jpg']);
    } finally {
      t.cleanup();
    }
  }, 60_000);

  it('fails a run whose browser goes over its memory cap, and kills that browser', async () => {
    const small = testPool({ memoryLimitBytes: 40 * 1024 * 1024, memoryEveryMs: 100 });
    try {
      let pid = 0;
      const m = browserMonitor(demo.url, `    steps:\n      - goto: /lab/late\n      - waitFor: '#buy'`);
      const r = await createBrowserRunner(m, { pool: small }).run();
      await small.use(async (l) => void (pid = l.pid)).catch(() => undefined);
      expect(r.ok).toBe(false);
      expect(r.failure?.code).toBe('browser');
      expect(r.failure?.message).toMatch(/^the browser used \d+ MB \(all its processes\), over its cap of 40 MB \(browser\.memoryLimit\); it was killed$/);
      expect(small.stats().killed).toBeGreaterThanOrEqual(1);
      expect(pid).toBeGreaterThan(0);
    } finally {
      await small.close();
    }
    expect(poolProcesses(small.id)).toEqual([]);
  }, 60_000);

  it('says clearly when Chromium is missing', async () => {
    const none = testPool({ executablePath: '/nonexistent/chromium' });
    const r = await createBrowserRunner(browserMonitor(demo.url, `    steps:\n      - goto: /lab/ok`), { pool: none }).run();
    await none.close();
    expect(r.failure).toMatchObject({ code: 'config' });
    expect(r.failure!.message).toMatch(/^Chromium not found at \/nonexistent\/chromium: install it/);
    expect(isAlive(0)).toBe(false);
  });
});
