import { once } from 'node:events';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runHttpStep } from '../../src/probes/http-step.js';
import type { Timings } from '../../src/probes/types.js';
import { sleep, startServer, type TestServer } from '../helpers.js';
import { sessionPool, stepInput } from './step-input.js';

const pool = sessionPool();
afterEach(() => pool.closeAll());

let server: TestServer;
beforeAll(async () => {
  server = await startServer(async (req, res) => {
    if (req.url === '/slow') await sleep(60);
    if (req.url?.startsWith('/hop/')) {
      const n = Number(req.url.slice(5));
      if (n > 0) {
        res.writeHead(302, { location: `/hop/${n - 1}` });
        return res.end();
      }
    }
    if (req.url === '/hang') return;
    res.end('ok');
  });
});
afterAll(() => server.close());

const PHASES = ['dns', 'connect', 'tls', 'ttfb', 'download', 'total'] as const;

/** Every phase present, finite and non-negative; the phases never add up to more than the total. */
function expectSane(t: Timings) {
  expect(Object.keys(t).sort()).toEqual([...PHASES].sort());
  for (const p of PHASES) {
    expect(Number.isFinite(t[p]), p).toBe(true);
    expect(t[p], p).toBeGreaterThanOrEqual(0);
  }
  expect(t.dns + t.connect + t.tls + t.ttfb + t.download).toBeLessThanOrEqual(t.total + 0.5);
}

describe('timing breakdown', () => {
  it('a fresh session pays connect on its first request and reuses the connection for the second', async () => {
    const session = pool.session();
    const first = (await runHttpStep(stepInput(`${server.url}/slow`), session)).result;
    const second = (await runHttpStep(stepInput(`${server.url}/slow`, { index: 1 }), session)).result;
    expect(first.ok && second.ok).toBe(true);
    expectSane(first.timings);
    expectSane(second.timings);
    expect(first.timings.connect).toBeGreaterThan(0);
    expect(second.timings.connect).toBe(0);
    expect(second.timings.dns).toBe(0);
    expect(second.timings.tls).toBe(0);
    expect(session.connections).toHaveLength(1);
    // the server's 60 ms pause is waiting for the first byte, on both requests
    expect(first.timings.ttfb).toBeGreaterThanOrEqual(55);
    expect(second.timings.ttfb).toBeGreaterThanOrEqual(55);
    expect(first.timings.total).toBeGreaterThanOrEqual(first.timings.connect + 55);
  });

  it('a new session (a new visitor) opens a new connection and pays connect again', async () => {
    const a = pool.session();
    const b = pool.session();
    await runHttpStep(stepInput(`${server.url}/`), a);
    const again = (await runHttpStep(stepInput(`${server.url}/`), b)).result;
    expect(again.timings.connect).toBeGreaterThan(0);
    expect(b.connections).toHaveLength(1);
  });

  it('for 127.0.0.1 there is no lookup, so dns is 0', async () => {
    const session = pool.session();
    const { result } = await runHttpStep(stepInput(`${server.url}/`), session);
    expect(result.timings.dns).toBe(0);
    expect(session.connections[0].lookup).toBeUndefined();
    expect(session.connections[0].connected).toBeGreaterThanOrEqual(session.connections[0].start);
  });

  it('for localhost the lookup happens and is timed', async () => {
    const session = pool.session();
    const url = server.url.replace('127.0.0.1', 'localhost');
    const { result } = await runHttpStep(stepInput(`${url}/`), session);
    expect(result.ok).toBe(true);
    expectSane(result.timings);
    const conn = session.connections.at(-1)!;
    expect(conn.lookup).toBeDefined();
    expect(conn.lookup!).toBeGreaterThanOrEqual(conn.start);
    expect(result.timings.dns).toBeCloseTo(conn.lookup! - conn.start, 6);
    expect(result.timings.dns).toBeGreaterThanOrEqual(0);
  });

  it('redirect hops on the same origin reuse one connection and add up', async () => {
    const session = pool.session();
    const { result } = await runHttpStep(stepInput(`${server.url}/hop/3`), session);
    expect(result.redirects).toBe(3);
    expect(session.connections).toHaveLength(1);
    expectSane(result.timings);
  });

  it('counts the wait before the step began when given an intended start', async () => {
    const intendedStart = performance.now() - 200; // the step was due 200 ms ago
    const { result } = await runHttpStep(stepInput(`${server.url}/`), pool.session(), { intendedStart });
    expect(result.timings.total).toBeGreaterThanOrEqual(200);
    expectSane(result.timings);
  });

  it('keeps the breakdown sane for failures too (refused, timeout)', async () => {
    const closed = await startServer(() => undefined);
    await closed.close();
    const refused = (await runHttpStep(stepInput(`${closed.url}/`), pool.session())).result;
    expect(refused.failure?.code).toBe('refused');
    expectSane(refused.timings);
    const timedOut = (await runHttpStep(stepInput(`${server.url}/hang`, { timeoutMs: 150 }), pool.session())).result;
    expect(timedOut.failure?.code).toBe('timeout');
    expectSane(timedOut.timings);
    expect(timedOut.timings.connect).toBeGreaterThan(0);
  });
});

describe('single-connection sessions', () => {
  it('reuse their one connection for back-to-back steps and redirect hops', async () => {
    const { runHttpStep } = await import('../../src/probes/http-step.js');
    const { createSession } = await import('../../src/probes/session.js');
    const { startServer } = await import('../helpers.js');
    const srv = await startServer((req, res) => {
      if (req.url === '/hop') return res.writeHead(302, { location: '/end' }).end();
      res.end('ok');
    });
    const session = createSession({ connectionsPerOrigin: 1 });
    try {
      const input = (path: string) => ({ index: 0, name: 's', method: 'GET', url: `${srv.url}${path}`, headers: {}, timeoutMs: 5_000, followRedirects: true, maxRedirects: 5, maxBodyBytes: 1 << 20, expect: {} });
      const first = await runHttpStep(input('/hop'), session);
      const second = await runHttpStep(input('/'), session);
      expect(first.result.ok && second.result.ok).toBe(true);
      expect(first.result.redirects).toBe(1);
      expect(session.connections).toHaveLength(1);
      expect(second.result.timings.connect).toBe(0);
    } finally {
      await session.close();
      await srv.close();
    }
  });
});

/** Median of a small sample. */
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('phases agree with what the target and the kernel did', () => {
  it('TTFB is the first response byte: a status line sent early counts, the headers held back 47 ms do not', async () => {
    // The server answers its status line after a short pause of its own, then holds the rest of the
    // headers back for 47 ms. It measures its own pause (request in → status line out).
    const serverDelays: number[] = [];
    const raw = createNetServer((sock) => {
      sock.on('error', () => undefined);
      sock.once('data', () => {
        const tIn = performance.now();
        setTimeout(() => {
          serverDelays.push(performance.now() - tIn);
          sock.write('HTTP/1.1 200 OK\r\n');
          setTimeout(() => sock.end('Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'), 47);
        }, 5);
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/`;
    try {
      const ttfb: number[] = [];
      for (let i = 0; i < 7; i++) {
        const { result } = await runHttpStep(stepInput(url), pool.session());
        expect(result.ok, result.failure?.message).toBe(true);
        expectSane(result.timings);
        ttfb.push(result.timings.ttfb);
        // the 47 ms wait for the rest of the headers is part of the transfer after the first byte
        expect(result.timings.download).toBeGreaterThanOrEqual(45);
      }
      // Per request, halftime's TTFB less the server's own pause is the loopback trip plus event-loop
      // turns; the median of those differences stays under a millisecond even on a busy machine.
      const gaps = ttfb.map((t, i) => t - serverDelays[i]);
      expect(Math.abs(median(gaps)), `TTFB ${ttfb.map((t) => t.toFixed(2))} vs server ${serverDelays.map((t) => t.toFixed(2))}`).toBeLessThan(1);
    } finally {
      await new Promise((r) => raw.close(r));
    }
  });

  it('connect time of a fresh loopback connection matches a bare net.connect measured alongside', async () => {
    const port = Number(new URL(server.url).port);
    const bare = async () => {
      const t0 = performance.now();
      const s = connect(port, '127.0.0.1');
      await once(s, 'connect');
      const ms = performance.now() - t0;
      s.destroy();
      return ms;
    };
    await bare(); // the first connection of a process pays one-time costs on either side
    await runHttpStep(stepInput(`${server.url}/`), pool.session());
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < 9; i++) {
      const { result } = await runHttpStep(stepInput(`${server.url}/`), pool.session());
      expect(result.ok).toBe(true);
      ours.push(result.timings.connect);
      theirs.push(await bare());
    }
    expect(median(ours)).toBeGreaterThan(0);
    const gaps = ours.map((t, i) => t - theirs[i]);
    expect(Math.abs(median(gaps)), `connect ${ours.map((t) => t.toFixed(2))} vs net.connect ${theirs.map((t) => t.toFixed(2))}`).toBeLessThan(1);
  });

  it('DNS and TLS are exactly 0 where they did not happen: http, an IP address, a kept-alive connection', async () => {
    const session = pool.session();
    const first = (await runHttpStep(stepInput(`${server.url}/`), session)).result;
    const again = (await runHttpStep(stepInput(`${server.url}/`), session)).result;
    expect(first.timings.dns).toBe(0);
    expect(first.timings.tls).toBe(0);
    expect(first.timings.connect).toBeGreaterThan(0);
    expect([again.timings.dns, again.timings.connect, again.timings.tls]).toEqual([0, 0, 0]);
    // localhost needs a lookup; it is timed, and TLS is still 0 on http
    const named = (await runHttpStep(stepInput(`${server.url.replace('127.0.0.1', 'localhost')}/`), pool.session())).result;
    expect(named.ok).toBe(true);
    expect(named.timings.tls).toBe(0);
    expect(session.connections.every((c) => c.lookup === undefined && c.secured === undefined)).toBe(true);
  });
});
