import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { runBurst } from '../../src/load/engine.js';
import { monitorIteration, pollRequest } from '../../src/load/monitor-iteration.js';
import { BurstRefused, checkAllowedHosts, checkCaps, hostAllowed } from '../../src/load/safety.js';
import type { SeriesPoint } from '../../src/load/sketch-series.js';
import { startServer, type TestServer } from '../helpers.js';

let target: TestServer;
let nextSid = 0;
const requestsBySid = new Map<string, number>();
let withoutCookie = 0;
let stallUntil = 0;
let polls = 0;

beforeAll(async () => {
  target = await startServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/fail') {
      res.writeHead(500).end('broken');
      return;
    }
    if (url === '/poll') {
      polls++;
      res.end('{}');
      return;
    }
    const sid = /sid=(\d+)/.exec(req.headers.cookie ?? '')?.[1];
    const headers: Record<string, string | string[]> = { 'content-type': 'text/plain' };
    if (!sid) {
      withoutCookie++;
      headers['set-cookie'] = [`sid=${++nextSid}; Path=/; HttpOnly; Expires=Wed, 21 Oct 2037 07:28:00 GMT`, 'theme=dark; Path=/'];
    } else requestsBySid.set(sid, (requestsBySid.get(sid) ?? 0) + 1);
    const wait = Math.max(0, stallUntil - Date.now());
    setTimeout(() => res.writeHead(200, headers).end('hello'), wait);
  });
});
afterAll(() => target.close());

const monitor = (path: string, extra = '') =>
  parseConfigText(`monitors:\n  - name: m\n    steps:\n      - name: home\n        url: ${target.url}${path}\n${extra}`, 'test.yaml').config.monitors[0];

describe('burst engine, closed model', () => {
  it('ramps users, keeps cookies per simulated user, thinks between iterations and polls apart', async () => {
    nextSid = 0;
    withoutCookie = 0;
    requestsBySid.clear();
    polls = 0;
    const points: SeriesPoint[] = [];
    const s = await runBurst({
      plan: { model: 'closed', users: 6, spawnRate: 6, duration: 2_000, shape: { type: 'ramp' } },
      iteration: monitorIteration(monitor('/'), { allowHosts: ['127.0.0.1'] }),
      think: { min: 50, max: 50 },
      poll: { every: 400, run: pollRequest(`${target.url}/poll`) },
      onPoint: (p) => points.push(p),
      gracefulStop: 1_000,
    });
    expect(s.stopReason).toBe('completed');
    expect(s.peakUsers).toBe(6);
    // Each user got its cookie on its first request and sent it on every later one.
    expect(withoutCookie).toBe(6);
    expect(requestsBySid.size).toBe(6);
    for (const n of requestsBySid.values()) expect(n).toBeGreaterThanOrEqual(1);
    // A 50 ms think between iterations: at most one iteration per think time per user (plus the
    // first) over the run and its grace — a tight loop would do hundreds. How many fewer a busy
    // machine manages is not this test's business.
    expect(s.iterations).toBeGreaterThanOrEqual(6);
    expect(s.iterations).toBeLessThanOrEqual(6 * (Math.ceil(s.durationMs / 50) + 1));
    expect(s.errors).toBe(0);
    expect(s.polls).toBe(polls);
    // Every 400 ms per user: at most one per period per user.
    expect(s.polls).toBeLessThanOrEqual(6 * Math.ceil(s.durationMs / 400));
    expect(s.requests).toBe(s.iterations + s.polls);
    expect(s.steps.map((x) => x.name).sort()).toEqual(['home', 'poll /poll']);
    expect(s.steps.find((x) => x.name === 'poll /poll')!.poll).toBe(true);
    // Per-second series: users as planned, request counts that add up.
    expect(points.length).toBeGreaterThanOrEqual(2);
    expect(points[0].t).toBe(0);
    expect(points[0].users).toBe(6);
    expect(points.reduce((n, p) => n + p.requests, 0)).toBe(s.requests);
    expect(points[0].p95).toBeGreaterThan(0);
    expect(points[0].steps.find((x) => x.name === 'home')!.count).toBeGreaterThan(0);
  });

  it('aborts by itself when the error rate passes the limit', async () => {
    const t0 = Date.now();
    const s = await runBurst({
      plan: { model: 'closed', users: 4, spawnRate: 100, duration: 8_000, shape: { type: 'ramp' } },
      iteration: monitorIteration(monitor('/fail')),
      think: { min: 10, max: 20 },
      abortOnErrorRate: 0.1,
      gracefulStop: 500,
    });
    expect(s.stopReason).toBe('errors');
    expect(s.stopMessage).toMatch(/aborted at \d s: 100% of the last \d+ requests failed \(limit 10%\)/);
    // Well before the plan's 8 s: aborted after its first seconds, plus the grace.
    expect(s.durationMs).toBeLessThan(8_000);
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(s.failures[0].message).toMatch(/^home: expected status 2xx or 3xx, got 500|^home: .*500/);
  });

  it('stops at the plan end even when requests hang, aborting them after the grace period', async () => {
    // Answers would come only after 15 s; the burst ends long before (500 ms plan + 300 ms grace).
    stallUntil = Date.now() + 15_000;
    const t0 = Date.now();
    const s = await runBurst({
      plan: { model: 'closed', users: 2, spawnRate: 10, duration: 500, shape: { type: 'ramp' } },
      iteration: monitorIteration(monitor('/')),
      gracefulStop: 300,
    });
    stallUntil = 0;
    expect(Date.now() - t0).toBeLessThan(15_000 / 2);
    // Both users' first requests were in flight at the hard stop: cut off, not errors.
    expect(s.cutOff).toEqual({ iterations: 2, requests: 2 });
    expect(s.iterations).toBe(0);
    expect(s.errors).toBe(0);
  });
});

describe('burst engine follows the shape', () => {
  it('spike: jumps to N users for a while, then back', async () => {
    nextSid = 0;
    withoutCookie = 0;
    const points: SeriesPoint[] = [];
    const s = await runBurst({
      plan: { model: 'closed', users: 2, spawnRate: 100, duration: 2_600, shape: { type: 'spike', users: 6, at: 300, for: 1_400 } },
      iteration: monitorIteration(monitor('/')),
      think: { min: 40, max: 60 },
      onPoint: (p) => points.push(p),
      gracefulStop: 1_000,
    });
    expect(s.peakUsers).toBe(6);
    expect(points.map((p) => p.users).slice(0, 2)).toEqual([6, 2]);
    expect(withoutCookie).toBe(6); // six distinct users, each with its own session
  });

  it('open model: arrivals per second follow the ramp from arrivalRate to rampTo', async () => {
    const points: SeriesPoint[] = [];
    // Each iteration's intended start, in ms from the burst's start: the timetable itself, whatever
    // the machine's load does to when requests are actually sent or answered.
    const intended: number[] = [];
    const inner = monitorIteration(monitor('/'));
    let t0: number | undefined;
    const s = await runBurst({
      plan: { model: 'open', arrivalRate: 10, rampTo: 50, duration: 2_000, maxUsers: 20 },
      iteration: (vu, signal, at) => {
        t0 ??= at;
        intended.push(at - t0);
        return inner(vu, signal, at);
      },
      onPoint: (p) => points.push(p),
    });
    expect(s.iterations).toBe(60);
    expect(points[0].rate).toBe(10);
    expect(points[1].rate).toBe(30);
    // 10/s rising linearly to 50/s over 2 s: 20 arrivals planned in the first second, 40 in the second.
    // (Rounded: the 21st arrival is due at 1,000 ms exactly, which sums of floating-point gaps put a hair either side.)
    expect(intended.filter((t) => Math.round(t) < 1000).length).toBe(20);
    expect(intended.filter((t) => Math.round(t) >= 1000).length).toBe(40);
    expect(points.reduce((n, p) => n + p.requests, 0)).toBe(60);
  });
});

describe('burst engine, open model', () => {
  it('times requests from their intended start, so a stall shows in p99', async () => {
    const plan = { model: 'open' as const, arrivalRate: 40, duration: 1_500, maxUsers: 50 };
    // The server holds every answer from 500 ms into the run until at least 500 ms later; how long
    // the stall really lasted on this machine is measured, and the figures are judged against it.
    let stall = { from: 0, to: 0 };
    const setStall = setTimeout(() => {
      stall = { from: Date.now(), to: Date.now() + 500 };
      stallUntil = stall.to;
    }, 500);
    const s = await runBurst({ plan, iteration: monitorIteration(monitor('/')), gracefulStop: 2_000 });
    clearTimeout(setStall);
    stallUntil = 0;
    expect(s.iterations).toBe(60);
    expect(s.dropped).toBe(0);
    const stalled = stall.to - stall.from;
    expect(stalled).toBe(500);
    // The first arrival to meet the stall waited nearly all of it, and counts that wait (p99 of 60 is
    // the slowest): at least half the stall. Most arrivals met no stall: p50 far below it.
    expect(s.p99!).toBeGreaterThanOrEqual(stalled / 2);
    expect(s.p99!).toBe(s.max);
    expect(s.p50!).toBeLessThan(s.p99! / 2);
    expect(s.knee.unit).toBe('arrivals/s');
  });

  it('queues arrivals when all users are busy and counts their wait', async () => {
    stallUntil = Date.now() + 400;
    const s = await runBurst({ plan: { model: 'open', arrivalRate: 20, duration: 500, maxUsers: 2 }, iteration: monitorIteration(monitor('/')), gracefulStop: 3_000 });
    stallUntil = 0;
    expect(s.peakUsers).toBe(2);
    expect(s.iterations).toBe(10);
    // The queued arrivals waited for the stalled server (a timer never fires early): their wait counts.
    expect(s.max!).toBeGreaterThanOrEqual(300);
  });
});

describe('burst safety', () => {
  it('refuses hosts not in load.allowHosts, naming the host, where it came from and the key', () => {
    expect(hostAllowed('http://127.0.0.1:3100/x', ['127.0.0.1'])).toBe(true);
    expect(hostAllowed('http://127.0.0.1:3100/x', ['127.0.0.1:3100'])).toBe(true);
    expect(hostAllowed('http://127.0.0.1:3100/x', ['127.0.0.1:3200'])).toBe(false);
    expect(hostAllowed('https://Shop.Example.com/', ['shop.example.com:443'])).toBe(true);
    expect(() => checkAllowedHosts([{ url: 'https://shop.example.com/cart', where: 'monitors[1].steps[0].url' }], ['127.0.0.1'], 'halftime.yaml')).toThrow(
      /refusing to send a burst to shop\.example\.com:443 \(monitors\[1\]\.steps\[0\]\.url\): that host is not in load\.allowHosts of halftime\.yaml \(it allows only: 127\.0\.0\.1\)/,
    );
    expect(() => checkAllowedHosts([{ url: 'http://10.0.0.1/', where: 'x' }], [])).toThrow(BurstRefused);
  });

  it('refuses plans over the caps, naming the config key', () => {
    const caps = { maxUsers: 100, maxRate: 50, maxDuration: 60_000 };
    expect(() => checkCaps({ model: 'closed', users: 200, spawnRate: 10, duration: 1000, shape: { type: 'ramp' } }, caps)).toThrow(/200 users: above the cap of 100 \(load\.maxUsers\)/);
    expect(() => checkCaps({ model: 'closed', users: 10, spawnRate: 10, duration: 1000, shape: { type: 'spike', users: 101, at: 0, for: 10 } }, caps)).toThrow(/load\.maxUsers/);
    expect(() => checkCaps({ model: 'open', arrivalRate: 10, rampTo: 80, duration: 1000, maxUsers: 10 }, caps)).toThrow(/80 arrivals\/s: above the cap of 50 \(load\.maxRate\)/);
    expect(() => checkCaps({ model: 'open', arrivalRate: 10, duration: 120_000, maxUsers: 10 }, caps)).toThrow(/load\.maxDuration/);
    expect(() => checkCaps({ model: 'open', arrivalRate: 10, duration: 1000, maxUsers: 10 }, caps)).not.toThrow();
  });

  it('the iteration itself refuses a host outside the allowlist (URLs built at run time)', async () => {
    const s = await runBurst({
      plan: { model: 'closed', users: 1, spawnRate: 1, duration: 300, shape: { type: 'ramp' } },
      iteration: monitorIteration(monitor('/'), { allowHosts: ['localhost'] }),
      think: { min: 50, max: 50 },
      abortOnErrorRate: 1,
    });
    expect(s.requests).toBeGreaterThan(0);
    expect(s.errors).toBe(s.requests);
    expect(s.failures[0].message).toContain('host not in load.allowHosts');
  });

});
