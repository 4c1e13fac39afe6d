import type { IncomingMessage } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runHttpStep } from '../../src/probes/http-step.js';
import { startServer, type TestServer } from '../helpers.js';
import { sessionPool, stepInput } from './step-input.js';

const pool = sessionPool();
afterEach(() => pool.closeAll());

let origin: TestServer;
let other: TestServer;
const seen: { server: string; headers: IncomingMessage['headers'] }[] = [];
beforeAll(async () => {
  other = await startServer((req, res) => {
    seen.push({ server: 'other', headers: req.headers });
    res.end('landed');
  });
  origin = await startServer((req, res) => {
    seen.push({ server: 'origin', headers: req.headers });
    if (req.url === '/same') return res.writeHead(302, { location: '/final' }).end();
    if (req.url === '/away') return res.writeHead(302, { location: `${other.url}/landing` }).end();
    res.end('final');
  });
});
afterAll(async () => {
  await origin.close();
  await other.close();
});

describe('redirects and credentials', () => {
  const headers = { Authorization: 'Bearer top-secret', Cookie: 'sid=abc', 'X-Trace': 'keep-me' };

  it('keeps credentials on a same-origin redirect', async () => {
    seen.length = 0;
    const { result } = await runHttpStep(stepInput(`${origin.url}/same`, { headers }), pool.session());
    expect(result.ok).toBe(true);
    expect(seen.map((s) => s.headers.authorization)).toEqual(['Bearer top-secret', 'Bearer top-secret']);
  });

  it('drops Authorization and Cookie when a redirect leaves the origin, like a browser', async () => {
    seen.length = 0;
    const { result } = await runHttpStep(stepInput(`${origin.url}/away`, { headers }), pool.session());
    expect(result.ok).toBe(true);
    expect(result.redirects).toBe(1);
    const landed = seen.find((s) => s.server === 'other')!;
    expect(landed.headers.authorization).toBeUndefined();
    expect(landed.headers.cookie).toBeUndefined();
    expect(landed.headers['x-trace']).toBe('keep-me');
  });
});

describe('timing of a connection that fails', () => {
  it('books a refused connection to connect, not to time to first byte', async () => {
    const closed = await startServer((_req, res) => res.end());
    const url = closed.url;
    await closed.close();
    const { result } = await runHttpStep(stepInput(`${url}/`), pool.session());
    expect(result.failure?.code).toBe('refused');
    expect(result.timings.ttfb).toBe(0);
    expect(result.timings.connect).toBeGreaterThan(0);
    expect(result.timings.connect).toBeLessThanOrEqual(result.timings.total);
  });
});
