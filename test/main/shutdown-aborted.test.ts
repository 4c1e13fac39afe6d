/**
 * Clean deploys: a check still running when the shutdown grace (server.shutdownGrace) is over is cut
 * off and stored as `aborted` — shown as such, and left out of uptime, latency rollups and alert
 * rules, so a deploy does not dent uptime or page anyone.
 */
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { createLogger } from '../../src/log.js';
import { startHalftime } from '../../src/main.js';
import { sleep, startServer, tempDir, type TestServer } from '../helpers.js';

let tmp: ReturnType<typeof tempDir>;
let target: TestServer;
let hook: TestServer;
const hung: ServerResponse[] = [];
const hookBodies: string[] = [];
let slowRequests = 0;
beforeAll(async () => {
  tmp = tempDir();
  target = await startServer((req, res) => {
    if (req.url === '/slow') {
      slowRequests++;
      hung.push(res); // answers only when the test ends
      return;
    }
    res.end('ok');
  });
  hook = await startServer((req, res) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => {
      hookBodies.push(b);
      res.writeHead(204).end();
    });
  });
});
afterAll(async () => {
  for (const r of hung) r.destroy();
  await target.close();
  await hook.close();
  tmp.cleanup();
});

const yaml = () => `
server: { shutdownGrace: 1s }
alerts:
  channels:
    hook: { type: webhook, url: "${hook.url}/hook" }
monitors:
  - { name: Slow, public: true, every: 1h, timeout: 60s, steps: [{ url: "${target.url}/slow", timeout: 60s }], alerts: { down: { after: 1 } } }
`;

describe('shutdown with a check in flight', () => {
  it('stores it as aborted: shown, but no part of uptime, latency or alerts', async () => {
    const db = join(tmp.dir, 'deploy.db');
    const lines: string[] = [];
    const ht = await startHalftime({ loaded: parseConfigText(yaml(), 'c.yaml'), dbPath: db, port: 0, host: '127.0.0.1', logger: createLogger({ write: (l) => lines.push(l) }) });
    // Start the hour-long monitor now and wait until its request hangs at the target.
    const running = ht.scheduler.runNow('slow');
    for (let i = 0; i < 200 && slowRequests === 0; i++) await sleep(25);
    expect(slowRequests).toBe(1);
    const t0 = performance.now();
    await ht.stop(); // the configured grace: 1 s
    const took = performance.now() - t0;
    await running;
    // The grace is the whole budget: checks get it less a reserve, then everything closes (generous bound for a busy machine).
    expect(took).toBeLessThan(6_000);
    expect(lines.some((l) => l.includes('check cut off by shutdown; stored as aborted') && l.includes('monitor=slow'))).toBe(true);

    const check = new Database(db, { readonly: true });
    try {
      const runs = check.prepare('SELECT ok, failure_code, failure_message FROM runs').all();
      expect(runs).toEqual([{ ok: 0, failure_code: 'aborted', failure_message: 'cut off by shutdown before it finished' }]);
      const step = check.prepare('SELECT failure_code FROM step_results').pluck().all();
      expect(step).toEqual(['aborted']);
      // Not in the uptime bars, not in the rollups (uptime and latency charts), no incident, no alert.
      expect(check.prepare('SELECT count(*) FROM daily_uptime').pluck().get()).toBe(0);
      expect(check.prepare('SELECT count(*) FROM rollup_minute').pluck().get()).toBe(0);
      expect(check.prepare('SELECT count(*) FROM incidents').pluck().get()).toBe(0);
      expect(check.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(0);
    } finally {
      check.close();
    }
    expect(hookBodies).toEqual([]);

    // After the restart: the status page does not call it down, its uptime is not dented, and the run shows as aborted.
    const again = await startHalftime({ loaded: parseConfigText(yaml(), 'c.yaml'), dbPath: db, port: 0, host: '127.0.0.1', logger: createLogger({ write: () => {} }) });
    try {
      const [overview] = await again.store.status.statusOverview({ publicOnly: true });
      expect(overview).toMatchObject({ key: 'slow', state: 'unknown', uptime24h: null, lastRunAt: null });
      const page = await (await fetch(`${again.url}/monitors/slow`)).text();
      expect(page).toContain('Aborted: cut off by shutdown (not counted in uptime, latency or alerts)');
      const status = await (await fetch(`${again.url}/`)).text();
      expect(status).toContain('No data yet');
      expect(status).not.toContain('badge-down');
    } finally {
      await again.stop(500);
    }
  }, 60_000);
});
