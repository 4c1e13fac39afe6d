import { existsSync } from 'node:fs';
import { startDemoApp, type DemoApp } from '../../../examples/demo-app.js';
import { parseConfigText } from '../../../src/configure.js';
import type { MonitorConfig } from '../../../src/config/schema.js';
import { createBrowserPool, type BrowserPool, type PoolOptions } from '../../../src/probes/browser/pool.js';

/** Debian's chromium (or HALFTIME_CHROMIUM): the browser tests fail, never skip, without it. */
export const CHROMIUM = process.env.HALFTIME_CHROMIUM ?? '/usr/bin/chromium';
export const missingChromium = existsSync(CHROMIUM) ? undefined : `Chromium not found at ${CHROMIUM}: run .ci/run, or apt-get install -y chromium (or set HALFTIME_CHROMIUM)`;

export function startDemo(): Promise<DemoApp> {
  return startDemoApp({ port: 0, delays: false });
}

/** One browser monitor from YAML (its `browser:` line and steps), against the demo app. */
export function browserMonitor(demoUrl: string, body: string, head = 'browser: true'): MonitorConfig {
  const yaml = `monitors:\n  - name: lab\n    ${head}\n    baseUrl: ${demoUrl}\n${body}\n`;
  return parseConfigText(yaml, 'browser-test.yaml', {}).config.monitors[0];
}

export function testPool(opts: Partial<PoolOptions> = {}): BrowserPool {
  if (missingChromium) throw new Error(missingChromium);
  return createBrowserPool({ executablePath: CHROMIUM, concurrency: 2, recycleAfterRuns: 50, recycleAfterMs: 30 * 60_000, memoryLimitBytes: 2 * 1024 ** 3, ...opts });
}
