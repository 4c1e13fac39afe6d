import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedactor } from '../../src/lang/redact.js';
import { monitorSchema, type MonitorConfig } from '../../src/config/schema.js';
import { runMonitor } from '../../src/probes/run-monitor.js';
import { journeyStepLabel } from '../../src/probes/step-request.js';
import { startServer, type TestServer } from '../helpers.js';

let server: TestServer;
const hits: string[] = [];
beforeAll(async () => {
  server = await startServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/broken') {
      res.writeHead(500);
      return res.end('oops');
    }
    if (req.url === '/hang') return;
    res.end(`page ${req.url}`);
  });
});
afterAll(() => server.close());

/** A monitor as the config loader produces it (defaults applied). */
const monitor = (input: Record<string, unknown>): MonitorConfig => monitorSchema.parse({ name: 'Shop journey', ...input });

describe('runMonitor', () => {
  it('runs every step in order on kept-alive connections and reports success', async () => {
    hits.length = 0;
    const m = monitor({ steps: [{ name: 'home', url: `${server.url}/a` }, { url: `${server.url}/b`, expect: { bodyContains: 'page /b' } }, { url: `${server.url}/c` }] });
    const result = await runMonitor(m, { plannedAt: 1_700_000_000_000 });
    expect(result.ok).toBe(true);
    expect(result.failure).toBeUndefined();
    expect(result.monitorId).toBe('shop-journey');
    expect(result.plannedAt).toBe(1_700_000_000_000);
    expect(result.startedAt).toBeGreaterThan(1_700_000_000_000);
    expect(hits).toEqual(['/a', '/b', '/c']);
    expect(result.steps.map((s) => [s.index, s.name, s.status])).toEqual([
      [0, 'home', 200],
      [1, 'GET /b', 200],
      [2, 'GET /c', 200],
    ]);
    // one new visitor: pays the connection once, then reuses it
    expect(result.steps[0].timings.connect).toBeGreaterThan(0);
    expect(result.steps[1].timings.connect).toBe(0);
    expect(result.steps[2].timings.connect).toBe(0);
    expect(result.durationMs).toBeGreaterThanOrEqual(result.steps.reduce((sum, s) => sum + s.timings.total, 0) - 1);
  });

  it('each run is a new visitor: the next run pays connect again', async () => {
    const m = monitor({ steps: [{ url: `${server.url}/a` }] });
    await runMonitor(m);
    const again = await runMonitor(m);
    expect(again.steps[0].timings.connect).toBeGreaterThan(0);
  });

  it('stops at the first failing step and records which step failed', async () => {
    hits.length = 0;
    const m = monitor({ steps: [{ url: `${server.url}/a` }, { name: 'checkout', url: `${server.url}/broken` }, { url: `${server.url}/never` }] });
    const result = await runMonitor(m);
    expect(result.ok).toBe(false);
    expect(result.failure).toEqual({ code: 'status', message: 'expected status 2xx or 3xx, got 500', step: 1 });
    expect(result.steps).toHaveLength(2);
    expect(result.steps[1].name).toBe('checkout');
    expect(result.steps[1].ok).toBe(false);
    expect(hits).not.toContain('/never');
  });

  it('turns a whole-run timeout into a clear timeout failure on the step it cut short', async () => {
    const m = monitor({ timeout: '300ms', steps: [{ url: `${server.url}/a` }, { url: `${server.url}/hang`, timeout: '5s' }] });
    const t = performance.now();
    const result = await runMonitor(m);
    const took = performance.now() - t;
    expect(result.ok).toBe(false);
    expect(result.failure).toEqual({ code: 'timeout', message: 'the whole run exceeded its 300 ms timeout', step: 1 });
    expect(result.steps[1].failure).toEqual({ code: 'timeout', message: 'the whole run exceeded its 300 ms timeout' });
    // Cut at the run's 300 ms, not at the step's own 5 s (the message above says which fired).
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(5_000);
  });

  it('uses the default step timeout when a step gives none', async () => {
    const m = monitor({ steps: [{ url: `${server.url}/hang` }] });
    const result = await runMonitor(m, { defaultTimeoutMs: 200 });
    expect(result.failure).toEqual({ code: 'timeout', message: 'no complete response within 200 ms', step: 0 });
  });

  it('reports a stop from outside (shutdown) as aborted', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    const m = monitor({ steps: [{ url: `${server.url}/hang`, timeout: '5s' }] });
    const result = await runMonitor(m, { signal: stop.signal });
    expect(result.failure?.code).toBe('aborted');
    // Ended by the stop, long before the step's own 5 s timeout.
    expect(result.durationMs).toBeLessThan(5_000);
  });

  it('passes the redactor down to every step', async () => {
    const secret = 'hunter2-abc';
    const m = monitor({ steps: [{ url: `${server.url}/broken?key=${secret}` }] });
    const result = await runMonitor(m, { redact: createRedactor(new Map([['SHOP_KEY', secret]])) });
    expect(result.steps[0].url).toBe(`${server.url}/broken?key=[secret:SHOP_KEY]`);
    expect(JSON.stringify(result)).not.toContain(secret);
  });
});

describe('journeyStepLabel', () => {
  it('prefers the name, then method and path, then the position', () => {
    expect(journeyStepLabel({ name: 'login', method: 'POST', url: 'http://127.0.0.1/x' }, 0)).toBe('login');
    expect(journeyStepLabel({ method: 'POST', url: 'http://127.0.0.1/session/new?x=1' }, 0)).toBe('POST /session/new');
    expect(journeyStepLabel({ method: 'GET', url: 'not a url' }, 2)).toBe('step 3');
  });
});
