import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { parseConfigText } from '../../src/configure.js';
import { createLogger } from '../../src/log.js';
import { startHalftime } from '../../src/main.js';

/** Debian's chromium (or HALFTIME_CHROMIUM), driven by playwright-core. */
export const CHROMIUM = process.env.HALFTIME_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots for a person to look at (git-ignored; kept by CI as artifacts). */
export const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));

/** Without Chromium every browser test fails (never skips) with this sentence. */
export const missingChromium = existsSync(CHROMIUM)
  ? undefined
  : `Chromium not found at ${CHROMIUM}. The browser tests need it: run .ci/run, or apt-get install -y chromium (or set HALFTIME_CHROMIUM).`;

/** Flags for a closed network: no background traffic, no sandbox as root, a fresh profile. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A headless browser with a fresh profile; console errors and page errors are collected. */
export async function openBrowser(profileDir: string, viewport: { width: number; height: number }) {
  mkdirSync(SHOTS, { recursive: true });
  const context: BrowserContext = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport });
  const page: Page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  return { context, page, consoleErrors };
}

/** halftime in this process (port 0, a DB in `dir`, quiet logs) and a browser on a fresh profile beside it; `stop()` ends both. */
export async function startWithBrowser(yaml: string, dir: string, opts: { adminPassword: string; viewport: { width: number; height: number } }) {
  const h = await startHalftime({
    loaded: parseConfigText(yaml, 'e2e.yaml', {}),
    dbPath: join(dir, 'h.db'),
    port: 0,
    host: '127.0.0.1',
    adminPassword: opts.adminPassword,
    logger: createLogger({ quiet: true, write: () => {} }),
  });
  const browser = await openBrowser(join(dir, 'profile'), opts.viewport);
  return {
    h,
    ...browser,
    async stop() {
      await browser.context.close();
      await h.stop(2_000);
    },
  };
}
