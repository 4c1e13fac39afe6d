import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJourneyRunner } from '../../src/probes/journey.js';
import { createSession } from '../../src/probes/session.js';
import { createCookies } from '../../src/probes/cookies.js';
import { startServer, type TestServer } from '../helpers.js';
import { config } from './fixtures.js';

/** The W3C trace context every request of a run carries, seen by a real target on 127.0.0.1. */
describe('traceparent on probe requests', () => {
  let target: TestServer;
  const seen: { path: string; traceparent?: string; tracestate?: string }[] = [];
  beforeAll(async () => {
    target = await startServer((req, res) => {
      seen.push({ path: req.url ?? '', traceparent: req.headers.traceparent as string | undefined, tracestate: req.headers.tracestate as string | undefined });
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><head><script src="/app.js"></script></head><body>hi</body></html>');
      } else res.end('ok');
    });
  });
  afterAll(() => target.close());

  const monitor = (extra = '') =>
    config(`
monitors:
  - name: Shop
    baseUrl: ${target.url}
    ${extra}
    steps:
      - { name: home, url: /, assets: true }
      - { name: api, url: /api }
      - { name: own, url: /own, headers: { traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 } }
`).config.monitors[0];

  it('a run sends its trace id with each step’s span id; the page’s assets carry their step’s span', async () => {
    seen.length = 0;
    const r = await createJourneyRunner(monitor(), { trace: { tracestate: 'halftime=synthetic' } }).run();
    expect(r.ok).toBe(true);
    expect(r.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(r.spanId).toMatch(/^[0-9a-f]{16}$/);
    const [home, api, own] = r.steps;
    expect(new Set([r.spanId, home.spanId, api.spanId, own.spanId]).size).toBe(4);
    const header = (p: string) => seen.find((s) => s.path === p)!;
    expect(header('/').traceparent).toBe(`00-${r.traceId}-${home.spanId}-01`);
    expect(header('/app.js').traceparent).toBe(`00-${r.traceId}-${home.spanId}-01`);
    expect(header('/api').traceparent).toBe(`00-${r.traceId}-${api.spanId}-01`);
    expect(header('/api').tracestate).toBe('halftime=synthetic');
    // A traceparent the step sets itself is sent as written.
    expect(header('/own').traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(header('/own').tracestate).toBeUndefined();
    // Every run is a new trace.
    const again = await createJourneyRunner(monitor()).run();
    expect(again.traceId).not.toBe(r.traceId);
    expect(seen.filter((s) => s.path === '/api').at(-1)!.tracestate).toBeUndefined();
  });

  it('trace: false on the monitor sends none and records no ids', async () => {
    seen.length = 0;
    const r = await createJourneyRunner(monitor('trace: false')).run();
    expect(r.ok).toBe(true);
    expect(r.traceId).toBeUndefined();
    expect(r.steps.every((s) => s.spanId === undefined)).toBe(true);
    expect(seen.filter((s) => s.path !== '/own').every((s) => s.traceparent === undefined)).toBe(true);
  });

  it("a burst's passes (runAs) send none unless asked", async () => {
    const runner = createJourneyRunner(monitor());
    const session = createSession({ connectionsPerOrigin: runner.connectionsPerOrigin });
    try {
      seen.length = 0;
      const plain = await runner.runAs({ session, cookies: createCookies() });
      expect(plain.traceId).toBeUndefined();
      expect(seen.find((s) => s.path === '/api')!.traceparent).toBeUndefined();
      seen.length = 0;
      const traced = await runner.runAs({ session, cookies: createCookies() }, { trace: true });
      expect(seen.find((s) => s.path === '/api')!.traceparent).toBe(`00-${traced.traceId}-${traced.steps[1].spanId}-01`);
    } finally {
      await session.close();
    }
  });

  it('ids are put on after secrets are hidden, so a secret that looks like hex cannot break them', async () => {
    seen.length = 0;
    // A redactor that would rewrite every hex digit of any string it is given.
    const r = await createJourneyRunner(monitor(), { redact: (s) => s.replace(/[0-9a-f]/g, '#') }).run();
    expect(r.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(seen.find((s) => s.path === '/api')!.traceparent).toBe(`00-${r.traceId}-${r.steps[1].spanId}-01`);
  });
});
