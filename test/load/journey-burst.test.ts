import { writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { runBurst } from '../../src/load/engine.js';
import { resolveBurst } from '../../src/load/from-config.js';
import { journeyIteration, needsJourney } from '../../src/load/journey-iteration.js';
import { startBurstWorker } from '../../src/load/runner.js';
import { BurstRefused } from '../../src/load/safety.js';
import { createSession } from '../../src/probes/session.js';
import { startServer, tempDir, type TestServer } from '../helpers.js';

/** A small shop: per-visitor session cookie, a CSRF-protected login, an account page per user. */
type Visit = { csrf?: string; user?: string; passes: number };
let shop: TestServer;
let other: TestServer;
let otherHits = 0;
let hits = 0;
let nextSid = 0;
const visits = new Map<string, Visit>();
const count = new Map<string, number>();
const terms: string[] = [];
const stepTimes: { q: string | null; at: number }[] = [];
const bump = (k: string) => count.set(k, (count.get(k) ?? 0) + 1);
const n = (k: string) => count.get(k) ?? 0;

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => resolve(b));
  });

beforeAll(async () => {
  other = await startServer((_req, res) => {
    otherHits++;
    res.end('should never be reached');
  });
  shop = await startServer(async (req, res) => {
    hits++;
    const url = new URL(req.url ?? '/', 'http://x');
    let sid = /sid=(\d+)/.exec(req.headers.cookie ?? '')?.[1];
    const headers: Record<string, string> = { 'content-type': 'text/html' };
    if (!sid) {
      sid = String(++nextSid);
      visits.set(sid, { passes: 0 });
      headers['set-cookie'] = `sid=${sid}; Path=/; HttpOnly`;
    }
    const v = visits.get(sid)!;
    const send = (status: number, body: string, type = 'text/html') => res.writeHead(status, { ...headers, 'content-type': type }).end(body);
    const p = url.pathname;
    stepTimes.push({ q: url.searchParams.get('q'), at: performance.now() });
    if (req.method === 'GET' && p === '/') {
      bump('home');
      v.passes++;
      return send(200, '<html><head><link rel="stylesheet" href="/style.css"><script src="/app.js"></script></head><body>Welcome</body></html>');
    }
    if (p === '/style.css' || p === '/app.js') return bump('assets'), send(200, '/* asset */', p.endsWith('.css') ? 'text/css' : 'text/javascript');
    if (p === '/search') {
      terms.push(url.searchParams.get('q') ?? '');
      return send(200, 'found 3 products', 'text/plain');
    }
    if (req.method === 'GET' && p === '/login') {
      bump('login page');
      v.passes++;
      v.csrf = `tok-${sid}-${Math.random().toString(36).slice(2)}`;
      return send(200, `<form method="post" action="/login"><input type="hidden" name="_csrf" value="${v.csrf}"><input name="email"></form>`);
    }
    if (req.method === 'POST' && p === '/login') {
      const form = new URLSearchParams(await readBody(req));
      if (!v.csrf || form.get('_csrf') !== v.csrf) return bump('csrf bad'), send(403, 'bad token');
      bump('csrf ok');
      v.user = `u${sid}x${n('csrf ok')}`;
      return send(200, `<p id="who" data-user="${v.user}">Signed in as ${form.get('email')}</p>`);
    }
    if (p.startsWith('/account/')) {
      if (v.user && p === `/account/${v.user}`) return bump('account ok'), send(200, 'your account');
      return bump('account bad'), send(403, 'not yours');
    }
    if (req.method === 'POST' && p === '/logout') {
      v.user = undefined;
      return bump('logout'), send(200, 'bye');
    }
    if (p === '/hop') return res.writeHead(302, { location: `http://localhost:${new URL(other.url).port}/` }).end();
    send(404, 'no such page');
  });
});
afterAll(async () => {
  await shop.close();
  await other.close();
});
let sidsBefore = 0;
beforeEach(() => {
  sidsBefore = nextSid;
  hits = 0;
  otherHits = 0;
  count.clear();
  terms.length = 0;
  stepTimes.length = 0;
});

const shopYaml = (pool = '{ values: [{ term: ball }, { term: boots }, { term: gloves }] }') => `load:
  allowHosts: [127.0.0.1]
monitors:
  - id: shop
    name: Shop
    baseUrl: ${shop.url}
    data:
      terms: ${pool}
    personas:
      - name: browser
        weight: 3
        steps:
          - { name: home, url: /, assets: true, expect: { bodyContains: Welcome } }
          - name: search
            url: /search
            query: { q: "{{ terms.term }}-{{ randomInt(1, 9) }}" }
            expect: { bodyContains: found }
      - name: buyer
        weight: 1
        steps:
          - { name: login page, url: /login }
          - name: log in
            method: POST
            url: /login
            csrf: auto
            form: { email: "buyer{{ randomInt(1, 99) }}@example.test" }
            extract: { user: { css: "#who", attr: data-user } }
          - name: account
            url: "/account/{{ user }}"
            expect: { bodyContains: your account }
        after:
          - { name: log out, method: POST, url: /logout, alwaysRun: true }
`;

const closedPlan = (users: number, duration: number) => ({ model: 'closed' as const, users, spawnRate: 100, duration, shape: { type: 'ramp' as const } });

describe('burst of a persona journey', () => {
  it('runs weighted personas with CSRF login, extraction and random inputs; each user keeps its cookie; assets counted apart', async () => {
    const config = parseConfigText(shopYaml(), 'test.yaml').config;
    const monitor = config.monitors[0];
    expect(needsJourney(monitor)).toBe(true);
    const iteration = journeyIteration(monitor, { seed: 7 });
    await iteration.ready();
    const s = await runBurst({
      plan: closedPlan(4, 1_500),
      iteration,
      newSession: () => createSession({ connectionsPerOrigin: iteration.connectionsPerOrigin, allowHosts: ['127.0.0.1'] }),
      gracefulStop: 2_000,
    });
    expect(s.stopReason).toBe('completed');
    expect(s.errors).toBe(0);
    // Both personas ran, about 3:1.
    const browsers = n('home');
    const buyers = n('login page');
    expect(browsers + buyers).toBe(s.iterations);
    expect(s.iterations).toBeGreaterThan(80);
    expect(browsers / s.iterations).toBeGreaterThan(0.63);
    expect(browsers / s.iterations).toBeLessThan(0.87);
    // Every login sent back its own page's token; the extracted user id opened the right account.
    expect(n('csrf ok')).toBe(buyers);
    expect(n('csrf bad')).toBe(0);
    expect(n('account ok')).toBe(buyers);
    expect(n('account bad')).toBe(0);
    expect(n('logout')).toBe(buyers);
    // Random search terms from the pool and the helpers.
    expect(terms.length).toBe(browsers);
    for (const t of terms) expect(t).toMatch(/^(ball|boots|gloves)-[1-9]$/);
    expect(new Set(terms).size).toBeGreaterThan(5);
    // Four users, four session cookies, each kept over many passes.
    expect(nextSid - sidsBefore).toBe(4);
    const passes = [...visits.entries()].filter(([sid]) => Number(sid) > sidsBefore).map(([, v]) => v.passes);
    expect(passes.reduce((a, b) => a + b, 0)).toBe(s.iterations);
    for (const p of passes) expect(p).toBeGreaterThan(5);
    // Per-step stats; page assets as their own requests; the burst's count is what the server saw.
    const step = (name: string) => s.steps.find((x) => x.name === name);
    expect(s.steps.map((x) => x.name).sort()).toEqual(['account', 'home', 'home assets', 'log in', 'log out', 'login page', 'search']);
    expect(step('home')!.count).toBe(browsers);
    expect(step('home assets')!.count).toBe(2 * browsers);
    expect(n('assets')).toBe(2 * browsers);
    expect(s.requests).toBe(hits);
  });

  it('runs the journey think times between steps, outside every step latency', async () => {
    const monitor = parseConfigText(`monitors:\n  - name: slow reader\n    think: 150ms\n    steps:\n      - { name: first, url: "${shop.url}/search?q=a" }\n      - { name: second, url: "${shop.url}/search?q=b" }\n`, 't.yaml').config.monitors[0];
    expect(needsJourney(monitor)).toBe(true);
    const s = await runBurst({ plan: closedPlan(1, 1_000), iteration: journeyIteration(monitor), gracefulStop: 1_000 });
    expect(s.errors).toBe(0);
    // One user, 150 ms between its two steps: a handful of passes, not hundreds.
    expect(s.iterations).toBeGreaterThanOrEqual(3);
    expect(s.iterations).toBeLessThanOrEqual(8);
    expect(s.steps.find((x) => x.name === 'second')!.max).toBeLessThan(100);
    // At the server, each second step came a think time after the first.
    expect(stepTimes.map((x) => x.q).join('')).toMatch(/^(ab)+a?$/);
    for (let i = 1; i < stepTimes.length; i += 2) expect(stepTimes[i].at - stepTimes[i - 1].at).toBeGreaterThanOrEqual(145);
  });
});

describe('burst allowlist covers every request', () => {
  const yaml = `load:
  allowHosts: [127.0.0.1]
monitors:
  - id: away
    name: Away
    vars: { other: "http://localhost:PORT" }
    steps:
      - { name: redirected, url: "SHOP/hop" }
      - { name: templated, url: "{{ other }}/x", alwaysRun: true }
  - id: plain
    name: Plain
    steps:
      - { name: redirected, url: "SHOP/hop" }
`;

  it('a redirect or a templated URL to a host outside load.allowHosts fails with a clear message and never reaches it', async () => {
    const port = new URL(other.url).port;
    const config = parseConfigText(yaml.replaceAll('PORT', port).replaceAll('SHOP', shop.url), 'test.yaml').config;
    for (const [name, steps] of [['away', ['redirected', 'templated']], ['plain', ['redirected']]] as const) {
      const r = resolveBurst(config, name, { users: 2, duration: '1s', thinkTime: '20ms' });
      expect('journey' in r.job.monitor).toBe(name === 'away');
      const s = await startBurstWorker({ ...r.job, gracefulStop: 1_000 }).done;
      expect(s.errors).toBe(s.requests);
      expect(s.steps.map((x) => x.name).sort()).toEqual([...steps]);
      expect(s.failures.map((f) => f.message).sort()).toEqual(steps.map((x) => `${x}: host not in load.allowHosts: localhost:${port}`));
    }
    expect(otherHits).toBe(0);
  });

  it('still refuses before the start when a known host (a full URL, the baseUrl) is outside the list', () => {
    const config = parseConfigText(shopYaml().replace(`baseUrl: ${shop.url}`, 'baseUrl: http://localhost:9'), 'halftime.yaml').config;
    expect(() => resolveBurst(config, 'shop', {}, 'halftime.yaml')).toThrow(BurstRefused);
    expect(() => resolveBurst(config, 'shop', {}, 'halftime.yaml')).toThrow(/refusing to send a burst to localhost:9 \(monitors\[0\]\.baseUrl\): that host is not in load\.allowHosts of halftime\.yaml/);
  });
});

describe('persona journey burst in a worker thread', () => {
  it('resolves from config (CSV data pool included), crosses to the worker and runs both personas', async () => {
    const tmp = tempDir();
    try {
      writeFileSync(join(tmp.dir, 'terms.csv'), 'term\nball\nboots\ngloves\n');
      const config = parseConfigText(shopYaml('{ csv: terms.csv, pick: sequence }'), 'test.yaml', {}, { baseDir: tmp.dir }).config;
      const r = resolveBurst(config, 'shop', { users: 3, duration: '1s' });
      expect('journey' in r.job.monitor).toBe(true);
      // What crosses to the thread is the structured clone of the job: the monitor survives it whole.
      expect(structuredClone(r.job)).toEqual(r.job);
      const s = await startBurstWorker({ ...r.job, gracefulStop: 1_000 }).done;
      expect(s.stopReason).toBe('completed');
      expect(s.errors).toBe(0);
      expect(n('home')).toBeGreaterThan(0);
      expect(n('csrf ok')).toBeGreaterThan(0);
      expect(n('csrf bad')).toBe(0);
      expect(s.iterations).toBe(n('home') + n('login page'));
      expect(terms.length).toBeGreaterThan(0);
      for (const t of terms) expect(t).toMatch(/^(ball|boots|gloves)-[1-9]$/);
      expect(s.steps.map((x) => x.name)).toEqual(expect.arrayContaining(['home', 'home assets', 'search', 'login page', 'log in', 'account', 'log out']));
      expect(s.requests).toBe(hits);
    } finally {
      tmp.cleanup();
    }
  });
});
