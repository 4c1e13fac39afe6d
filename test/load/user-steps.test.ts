/**
 * Simulated users' setup and teardown steps (like Locust's on_start / on_stop): each user logs in
 * exactly once when it starts and its session cookie carries into every iteration; it logs out
 * exactly once when it stops. Counted on a local server.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatSummary } from '../../src/cli/load.js';
import { parseConfigText } from '../../src/configure.js';
import { resolveBurst } from '../../src/load/from-config.js';
import { runBurstAndStore } from '../../src/load/run.js';
import { startServer, type TestServer } from '../helpers.js';

let target: TestServer;
let sessions = 0;
/** Per session id: logins, account pages, logouts. */
const seen = new Map<string, { login: number; account: number; logout: number }>();
let anonymous = 0;

beforeAll(async () => {
  target = await startServer((req, res) => {
    const sid = /sid=(\d+)/.exec(req.headers.cookie ?? '')?.[1];
    if (req.method === 'POST' && req.url === '/login') {
      const id = String(++sessions);
      seen.set(id, { login: 1, account: 0, logout: 0 });
      res.writeHead(200, { 'set-cookie': `sid=${id}; Path=/; HttpOnly` }).end('welcome');
      return;
    }
    const s = sid ? seen.get(sid) : undefined;
    if (!s) {
      anonymous++;
      res.writeHead(401).end('log in first');
      return;
    }
    if (req.method === 'POST' && req.url === '/logout') s.logout++;
    else s.account++;
    res.end('ok');
  });
});
afterAll(() => target.close());
beforeEach(() => {
  sessions = 0;
  seen.clear();
  anonymous = 0;
});

const config = (load: string) =>
  parseConfigText(
    `
load: { allowHosts: [127.0.0.1] }
monitors:
  - id: shop
    name: Shop
    baseUrl: ${target.url}
    steps:
      - { name: account, url: /account }
    load:
${load}
      setup:
        - { name: log in, method: POST, url: /login, form: { user: demo } }
      teardown:
        - { name: log out, method: POST, url: /logout }
`,
    't.yaml',
  ).config;

const run = (load: string) => runBurstAndStore(resolveBurst(config(load), 'shop'), { trigger: 'cli' });

describe('per-user setup and teardown', () => {
  it('closed model: every user logs in once, its iterations carry that session, and it logs out once', async () => {
    const { summary } = await run('      users: 4\n      spawnRate: 100\n      duration: 1500ms\n      thinkTime: 50ms');
    expect(sessions).toBe(4);
    expect([...seen.values()].map((s) => s.login)).toEqual([1, 1, 1, 1]);
    expect([...seen.values()].map((s) => s.logout)).toEqual([1, 1, 1, 1]);
    for (const s of seen.values()) expect(s.account).toBeGreaterThan(2);
    expect(anonymous).toBe(0);
    expect(summary.errors).toBe(0);
    expect(summary.userSteps).toEqual({ setup: 4, setupFailed: 0, teardown: 4, teardownFailed: 0 });
    const step = (name: string) => summary.steps.find((x) => x.name === name);
    expect(step('setup: log in')!.count).toBe(4);
    expect(step('teardown: log out')!.count).toBe(4);
    expect(step('account')!.count).toBe([...seen.values()].reduce((n, s) => n + s.account, 0));
    expect(formatSummary('shop', summary)).toContain('users: 4 set up (0 failed), 4 torn down (0 failed)');
  });

  it('a spike: users who leave log out then, users who join log in, each exactly once', async () => {
    const { summary } = await run('      users: 2\n      spawnRate: 100\n      duration: 2s\n      thinkTime: 40ms\n      shape: spike\n      spike: { users: 5, at: 300ms, for: 1s }');
    expect(summary.peakUsers).toBe(5);
    expect(sessions).toBe(5);
    expect([...seen.values()].every((s) => s.login === 1 && s.logout === 1)).toBe(true);
    expect(summary.userSteps).toMatchObject({ setup: 5, teardown: 5 });
    expect(anonymous).toBe(0);
  });

  it('open model: each user created logs in once before its first arrival and logs out once at the end', async () => {
    const { summary } = await run('      model: open\n      arrivalRate: 20\n      duration: 1s\n      maxUsers: 3');
    expect(summary.iterations).toBe(20);
    expect(sessions).toBe(summary.peakUsers);
    expect(sessions).toBeGreaterThanOrEqual(1);
    expect([...seen.values()].every((s) => s.login === 1 && s.logout === 1)).toBe(true);
    expect([...seen.values()].reduce((n, s) => n + s.account, 0)).toBe(20);
    expect(anonymous).toBe(0);
  });

  it('checks setup URLs: paths need the monitor\'s baseUrl, hosts must be allowed', () => {
    const yaml = (extra: string) => `
load: { allowHosts: [127.0.0.1] }
monitors:
  - id: shop
    name: Shop
    steps: [{ url: "${target.url}/account" }]
    load:
      users: 1
      duration: 1s
${extra}`;
    expect(() => parseConfigText(yaml('      setup: [{ url: /login }]'), 't.yaml')).toThrow(/monitors\[0\]\.load\.setup\[0\]\.url: a path needs the monitor's baseUrl/);
    expect(() => resolveBurst(parseConfigText(yaml('      teardown: [{ url: "http://example.com/logout" }]'), 't.yaml').config, 'shop')).toThrow(
      /example\.com:80 \(monitors\[0\]\.load\.teardown\[0\]\.url\): that host is not in load\.allowHosts/,
    );
  });
});
