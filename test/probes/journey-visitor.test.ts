import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCookies } from '../../src/probes/cookies.js';
import { createJourneyRunner } from '../../src/probes/journey.js';
import { createSession } from '../../src/probes/session.js';
import { startServer, type TestServer } from '../helpers.js';
import { monitorFrom } from './journey-helpers.js';

// Counts connections and hands out a session cookie to requests that come without one.
let target: TestServer;
let sockets = 0;
let issued = 0;
beforeAll(async () => {
  target = await startServer((req, res) => {
    const sid = /sid=(\d+)/.exec(req.headers.cookie ?? '')?.[1];
    if (!sid) res.setHeader('set-cookie', `sid=${++issued}; Path=/`);
    res.end(`sid ${sid ?? 'new'}`);
  });
  target.server.on('connection', () => sockets++);
});
afterAll(() => target.close());

const monitor = () => monitorFrom(`- name: visitor\n  baseUrl: ${target.url}\n  steps:\n    - { name: one, url: /a }\n    - { name: two, url: "/b?n={{ randomInt(1, 5) }}" }\n`);

describe('journey runner, one visitor over several passes', () => {
  it('runAs keeps the visitor\'s connections and cookies from pass to pass and leaves them open', async () => {
    const runner = createJourneyRunner(monitor());
    const visitor = { session: createSession({ connectionsPerOrigin: runner.connectionsPerOrigin }), cookies: createCookies() };
    sockets = 0;
    issued = 0;
    try {
      for (let i = 0; i < 3; i++) {
        const r = await runner.runAs(visitor, { seed: i });
        expect(r.ok).toBe(true);
        expect(r.steps.map((s) => s.name)).toEqual(['one', 'two']);
      }
      // One connection and one cookie for all three passes: a returning visitor.
      expect(visitor.session.connections).toHaveLength(1);
      expect(sockets).toBe(1);
      expect(issued).toBe(1);
      expect(visitor.cookies.get(target.url, 'sid')).toBe('1');
    } finally {
      await visitor.session.close();
    }
  });

  it('run() is still a new visitor each time: fresh connection, fresh cookies', async () => {
    const runner = createJourneyRunner(monitor());
    sockets = 0;
    issued = 0;
    for (let i = 0; i < 2; i++) expect((await runner.run()).ok).toBe(true);
    expect(sockets).toBe(2);
    expect(issued).toBe(2);
  });

  it('times the first request from intendedStart', async () => {
    const runner = createJourneyRunner(monitor());
    const visitor = { session: createSession({ connectionsPerOrigin: 1 }), cookies: createCookies() };
    try {
      const r = await runner.runAs(visitor, { intendedStart: performance.now() - 300 });
      expect(r.steps[0].timings.total).toBeGreaterThanOrEqual(300);
      expect(r.steps[1].timings.total).toBeLessThan(300);
      expect(r.durationMs).toBeGreaterThanOrEqual(300);
    } finally {
      await visitor.session.close();
    }
  });
});

describe('session allowlist', () => {
  it('refuses to connect outside allowHosts, naming host and port, as the step failure', async () => {
    const port = new URL(target.url).port;
    const runner = createJourneyRunner(monitorFrom(`- name: away\n  steps:\n    - { name: local name, url: "http://localhost:${port}/" }\n    - { name: allowed, url: "${target.url}/", alwaysRun: true }\n`));
    const visitor = { session: createSession({ allowHosts: [`127.0.0.1:${port}`] }), cookies: createCookies() };
    try {
      const r = await runner.runAs(visitor);
      expect(r.steps[0].ok).toBe(false);
      expect(r.steps[0].failure).toEqual({ code: 'config', message: `host not in load.allowHosts: localhost:${port}` });
      expect(r.steps[1].ok).toBe(true);
    } finally {
      await visitor.session.close();
    }
  });
});

describe('a returning visitor\'s page assets', () => {
  it('fresh cacheable assets are not fetched again on later passes; expired and no-cache ones are', async () => {
    const fetched: string[] = [];
    const site = await startServer((req, res) => {
      const path = req.url ?? '/';
      if (path === '/') {
        res.setHeader('content-type', 'text/html');
        return res.end('<html><head><link rel="stylesheet" href="/long.css"><script src="/short.js"></script><script src="/never.js"></script></head><body>hi</body></html>');
      }
      fetched.push(path);
      const cc = path === '/long.css' ? 'public, max-age=3600' : path === '/short.js' ? 'max-age=1' : 'no-cache';
      res.setHeader('cache-control', cc);
      res.setHeader('content-type', path.endsWith('.css') ? 'text/css' : 'text/javascript');
      res.end('/* asset */');
    });
    const runner = createJourneyRunner(monitorFrom(`- name: page\n  baseUrl: ${site.url}\n  steps:\n    - { name: home, url: /, assets: true }\n`));
    const visitor = { session: createSession({ connectionsPerOrigin: runner.connectionsPerOrigin }), cookies: createCookies(), assets: new Map<string, number>() };
    try {
      const first = await runner.runAs(visitor);
      expect(first.steps[0].assets?.count).toBe(3);
      expect(fetched.sort()).toEqual(['/long.css', '/never.js', '/short.js']);
      fetched.length = 0;
      const second = await runner.runAs(visitor);
      expect(second.steps[0].assets).toMatchObject({ count: 1, cached: 2 });
      expect(fetched).toEqual(['/never.js']);
      fetched.length = 0;
      await new Promise((r) => setTimeout(r, 1_100)); // short.js (max-age=1) is stale now
      await runner.runAs(visitor);
      expect(fetched.sort()).toEqual(['/never.js', '/short.js']);
      // A visitor without a cache (a scheduled run: a new visitor) fetches everything every time.
      fetched.length = 0;
      await runner.run();
      expect(fetched.sort()).toEqual(['/long.css', '/never.js', '/short.js']);
    } finally {
      await visitor.session.close();
      await site.close();
    }
  });
});
