/**
 * halftime's own first-use costs, paid before anything is measured. A fresh process runs its code
 * cold: every function compiled on first call, undici's HTTP parser instantiated, zlib and the
 * socket paths set up for the first time. Left alone, all of that lands in the first runs after
 * `serve` starts (tens of milliseconds against a steady few). `warmUp()` sends a handful of real
 * journeys through the same journey runner, step, exchange and body code to a loopback server of
 * its own, decodes gzip and brotli bodies (in one call and streamed), parses HTML, resolves
 * `localhost` and loads the TLS root store, so the first scheduled run measures the target. Given
 * the monitors, it also loads what their journeys load on first use (the HTML parser, faker and its
 * locales), which would otherwise delay their first run.
 */
import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { monitorSchema, type MonitorConfig } from '../config/schema.js';
import { createJourneyRunner, needsHtml } from './journey.js';

export type WarmUpReport = { ms: number; runs: number; failed: number; error?: string };

const PAGE = `<!doctype html><html><head><title>warm-up</title></head><body><h1>halftime warm-up</h1>
<form method="post" action="/done"><input type="hidden" name="csrf" value="token"><input name="q"></form>
<a href="/plain">plain</a></body></html>`;
/** Text that compresses poorly (base64 of random bytes), so the streamed decoder runs too, not only the one-call one. */
const noisyText = (bytes: number) => randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64');

function handler(bodies: { gzip: Buffer; br: Buffer; big: Buffer }) {
  return (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const send = (type: string, body: Buffer | string, encoding?: string) => {
      res.writeHead(200, { 'content-type': type, ...(encoding ? { 'content-encoding': encoding } : {}), 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    switch (req.url) {
      case '/redirect':
        return res.writeHead(302, { location: '/page', 'set-cookie': 'warm=1; Path=/' }).end();
      case '/page':
        return send('text/html; charset=utf-8', PAGE);
      case '/gzip':
        return send('text/html; charset=iso-8859-1', bodies.gzip, 'gzip');
      case '/br':
        return send('application/json', bodies.br, 'br');
      case '/big':
        return send('text/plain', bodies.big, 'gzip');
      default:
        return send('text/plain', 'halftime warm-up');
    }
  };
}

/**
 * Warms the probe code paths on a loopback server of its own. Never throws and never leaves the
 * machine; a problem comes back in the report (and is then only a missed warm-up, not a failure).
 */
export async function warmUp(monitors: readonly MonitorConfig[] = [], opts: { rounds?: number } = {}): Promise<WarmUpReport> {
  const t0 = performance.now();
  const rounds = opts.rounds ?? 4;
  const html = monitors.some(needsHtml);
  let runs = 0;
  let failed = 0;
  let error: string | undefined;
  const bodies = {
    gzip: gzipSync(Buffer.from(PAGE.replace('warm-up</h1>', 'warm-up café</h1>'), 'latin1')),
    br: brotliCompressSync(JSON.stringify({ ok: true, items: [1, 2, 3] })),
    big: gzipSync(`${noisyText(120_000)} END`, { level: 1 }),
  };
  const server = createServer(handler(bodies));
  server.keepAliveTimeout = 1_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const monitor = monitorSchema.parse({
      id: 'halftime-warm-up',
      name: 'halftime warm-up',
      steps: [
        // CSS extraction only when a monitor reads HTML: the parser is a large module to load for nothing.
        { url: `${base}/redirect`, expect: { status: 200, bodyContains: 'warm-up' }, extract: { token: html ? { css: 'input[name=csrf]', attr: 'value' } : { regex: 'value="([a-z]+)"' } } },
        { url: `${base}/gzip`, expect: { bodyContains: 'café', bodyNotContains: 'error' } },
        { url: `${base}/br`, expect: { json: [{ path: '$.ok', equals: true }] } },
        { url: `${base}/big`, expect: { bodyContains: ' END' }, maxBodyBytes: 1_000_000 },
        { method: 'POST', url: `${base}/plain`, form: { q: '{{ token }}' }, expect: { status: 200 } },
      ],
    });
    const runner = createJourneyRunner(monitor, { defaultTimeoutMs: 5_000 });
    // What the monitors' own journeys load on first use (faker and its locale, the HTML parser).
    for (const m of monitors) await createJourneyRunner(m).ready();
    for (let i = 0; i < rounds; i++) {
      const r = await runner.run({ noThink: true });
      runs++;
      if (!r.ok) {
        failed++;
        error ??= `warm-up run failed at step ${r.failure?.step}: ${r.failure?.message}`;
      }
    }
    // Name resolution (the thread pool's first getaddrinfo) and the TLS root store, loaded on first use.
    await lookup('localhost').catch(() => undefined);
    const tls = await import('node:tls');
    tls.createSecureContext();
  } catch (err) {
    error ??= `warm-up could not run: ${(err as Error).message}`;
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return { ms: Math.round(performance.now() - t0), runs, failed, ...(error ? { error } : {}) };
}
