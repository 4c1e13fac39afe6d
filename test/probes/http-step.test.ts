import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedactor } from '../../src/lang/redact.js';
import { runHttpStep } from '../../src/probes/http-step.js';
import { sleep, startServer, type TestServer } from '../helpers.js';
import { sessionPool, stepInput } from './step-input.js';

const pool = sessionPool();
afterEach(() => pool.closeAll());

const PAGE = '<html><body><h1>Welcome to Halftime Sports</h1><p>Match ball in stock</p></body></html>';
/** Compressible text with a marker at the end, so an assertion has to see the decoded whole. */
const LONG_TEXT = 'kick-off '.repeat(4_000) + 'FINAL WHISTLE';

/** What the server saw, for tests that check the probe's side of the conversation. */
const seen: { method: string; url: string; body: string; headers: IncomingMessage['headers'] }[] = [];

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** Writes until the client goes away (or a bounded total), honouring backpressure. Resolves with bytes written. */
async function firehose(res: ServerResponse, chunk: Buffer, maxBytes: number): Promise<{ written: number; closedEarly: boolean }> {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  let written = 0;
  let closed = false;
  res.once('close', () => (closed = true));
  while (!closed && written < maxBytes) {
    written += chunk.length;
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  if (!closed) res.end();
  return { written, closedEarly: closed };
}

let firehoseResult: Promise<{ written: number; closedEarly: boolean }> | undefined;

async function handler(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://x');
  const body = await readBody(req);
  seen.push({ method: req.method ?? '', url: req.url ?? '', body, headers: req.headers });
  const path = url.pathname;
  if (path === '/page') {
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end(PAGE);
  }
  if (path === '/broken') {
    res.writeHead(500, { 'content-type': 'text/plain' });
    return res.end('Internal Server Error');
  }
  if (path === '/hang') return; // never answers
  if (path === '/hang-body') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first part...');
    return; // headers and a little body, then nothing
  }
  if (path === '/reset') return req.socket.destroy();
  if (path === '/reset-mid-body') {
    res.writeHead(200, { 'content-length': '10000' });
    res.write('x'.repeat(100));
    setTimeout(() => req.socket.destroy(), 20);
    return;
  }
  const hop = /^\/chain\/(\d+)$/.exec(path);
  if (hop) {
    const n = Number(hop[1]);
    if (n === 0) return res.end('end of the chain');
    res.writeHead(302, { location: `/chain/${n - 1}` });
    return res.end('moved');
  }
  if (path === '/loop') {
    res.writeHead(301, { location: '/loop' });
    return res.end();
  }
  if (path === '/see-other') {
    res.writeHead(303, { location: '/echo' });
    return res.end();
  }
  if (path === '/temporary') {
    res.writeHead(307, { location: '/echo' });
    return res.end();
  }
  if (path === '/two-cookies') {
    res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
    res.setHeader('x-multi', ['one', 'two']);
    return res.end('cookies set');
  }
  if (path === '/echo') return res.end(`${req.method} body=${JSON.stringify(body)}`);
  if (path === '/trickle') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.flushHeaders();
    for (let i = 0; i < 5; i++) {
      await sleep(80);
      res.write(`part ${i};`);
    }
    return res.end('done');
  }
  if (path === '/huge') {
    firehoseResult = firehose(res, Buffer.alloc(16 * 1024, 'a'), 64 * 1024 * 1024);
    return;
  }
  if (path === '/gzip' || path === '/br') {
    const raw = Buffer.from(LONG_TEXT);
    const wire = path === '/gzip' ? gzipSync(raw) : brotliCompressSync(raw);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': path.slice(1), 'content-length': String(wire.length), 'x-wire-length': String(wire.length) });
    return res.end(wire);
  }
  if (path === '/gzip-bomb') {
    const wire = gzipSync(Buffer.alloc(5 * 1024 * 1024, 'z'));
    res.writeHead(200, { 'content-encoding': 'gzip', 'x-wire-length': String(wire.length) });
    return res.end(wire);
  }
  if (path === '/secret-redirect') {
    res.writeHead(302, { location: `/next?token=${url.searchParams.get('token')}`, 'x-echo-token': url.searchParams.get('token') ?? '' });
    return res.end();
  }
  if (path === '/next') return res.end(`token was ${url.searchParams.get('token')}`);
  res.writeHead(404);
  res.end('not found');
}

let server: TestServer;
beforeAll(async () => {
  server = await startServer((req, res) => void handler(req, res));
});
afterAll(() => server.close());

describe('runHttpStep: status and body checks', () => {
  it('passes a 200 whose body contains the expected text, with evidence for each check', async () => {
    const { result, body } = await runHttpStep(stepInput(`${server.url}/page`, { expect: { status: [200], bodyContains: ['Welcome to Halftime Sports'] } }), pool.session());
    expect(result.ok).toBe(true);
    expect(result.status).toBe(200);
    expect(result.failure).toBeUndefined();
    expect(body).toBe(PAGE);
    expect(result.bytes).toBe(Buffer.byteLength(PAGE));
    expect(result.headers['content-type']).toBe('text/html');
    expect(result.evidence).toEqual([
      { what: 'status', expected: '200', actual: '200', pass: true },
      { what: 'body contains', expected: '"Welcome to Halftime Sports"', actual: 'found', pass: true },
    ]);
  });

  it('fails a 200 whose body lacks the expected text as an assertion, naming the text', async () => {
    const { result } = await runHttpStep(stepInput(`${server.url}/page`, { expect: { bodyContains: ['Out of stock'], bodyNotContains: ['Match ball'] } }), pool.session());
    expect(result.ok).toBe(false);
    expect(result.status).toBe(200);
    expect(result.failure).toEqual({ code: 'assertion', message: 'body contains: expected "Out of stock", got not found' });
    expect(result.evidence).toEqual([
      { what: 'status', expected: '2xx or 3xx', actual: '200', pass: true },
      { what: 'body contains', expected: '"Out of stock"', actual: 'not found', pass: false },
      { what: 'body does not contain', expected: '"Match ball"', actual: 'found', pass: false },
    ]);
  });

  it('fails a 500 with code status, a clear message and the status evidence', async () => {
    const { result, body } = await runHttpStep(stepInput(`${server.url}/broken`), pool.session());
    expect(result.ok).toBe(false);
    expect(result.status).toBe(500);
    expect(result.failure).toEqual({ code: 'status', message: 'expected status 2xx or 3xx, got 500' });
    expect(result.evidence[0]).toEqual({ what: 'status', expected: '2xx or 3xx', actual: '500', pass: false });
    expect(body).toBe('Internal Server Error');
  });

  it('lists every accepted status in the message', async () => {
    const { result } = await runHttpStep(stepInput(`${server.url}/broken`, { expect: { status: [200, 204] } }), pool.session());
    expect(result.failure).toEqual({ code: 'status', message: 'expected status 200 or 204, got 500' });
  });

  it('sends the method, body and headers the step gives, over the default ones', async () => {
    seen.length = 0;
    const { result, body } = await runHttpStep(
      stepInput(`${server.url}/echo`, { method: 'POST', body: '{"q":1}', headers: { 'Content-Type': 'application/json', 'User-Agent': 'custom-agent' } }),
      pool.session(),
    );
    expect(result.ok).toBe(true);
    expect(body).toBe('POST body="{\\"q\\":1}"');
    const req = seen.find((s) => s.url === '/echo');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['user-agent']).toBe('custom-agent');
    expect(req?.headers['accept-encoding']).toBe('gzip, deflate, br');
  });
});

describe('runHttpStep: failures come back as data', () => {
  it('gives up on a server that hangs, promptly at the step timeout', async () => {
    const t = performance.now();
    const { result } = await runHttpStep(stepInput(`${server.url}/hang`, { timeoutMs: 300 }), pool.session());
    const took = performance.now() - t;
    expect(result.ok).toBe(false);
    expect(result.status).toBeUndefined();
    expect(result.failure).toEqual({ code: 'timeout', message: 'no complete response within 300 ms' });
    // The server never answers: only the step's own timer ends it, so it took that long and no
    // longer than a generous multiple of it (however busy the machine).
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(10 * 300);
    expect(result.timings.total).toBeGreaterThanOrEqual(290);
  });

  it('times out a body that stops half-way, keeping the status it saw', async () => {
    const t = performance.now();
    const { result } = await runHttpStep(stepInput(`${server.url}/hang-body`, { timeoutMs: 300 }), pool.session());
    expect(performance.now() - t).toBeLessThan(10 * 300);
    expect(result.failure?.code).toBe('timeout');
    expect(result.status).toBe(200);
    expect(result.bytes).toBe('first part...'.length);
    expect(result.evidence).toEqual([]);
  });

  it('reports a connection the server resets as reset', async () => {
    const { result } = await runHttpStep(stepInput(`${server.url}/reset`), pool.session());
    expect(result.ok).toBe(false);
    expect(result.failure?.code).toBe('reset');
    expect(result.failure?.message).toMatch(/^connection to 127\.0\.0\.1:\d+ was reset or closed before the response completed \(/);
  });

  it('reports a connection reset in the middle of the body as reset', async () => {
    const { result } = await runHttpStep(stepInput(`${server.url}/reset-mid-body`), pool.session());
    expect(result.failure?.code).toBe('reset');
    expect(result.status).toBe(200);
    expect(result.bytes).toBe(100);
  });

  it('reports a closed port as refused', async () => {
    const closed = await startServer(() => undefined);
    const url = closed.url;
    await closed.close();
    const { result } = await runHttpStep(stepInput(`${url}/`), pool.session());
    expect(result.ok).toBe(false);
    expect(result.failure).toEqual({ code: 'refused', message: `connection refused by ${new URL(url).host} (ECONNREFUSED)` });
    expect(result.status).toBeUndefined();
    expect(result.bytes).toBe(0);
  });

  it('reports an outside stop (shutdown) as aborted, not as a timeout', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    const t = performance.now();
    const { result } = await runHttpStep(stepInput(`${server.url}/hang`, { timeoutMs: 5_000 }), pool.session(), { signal: stop.signal });
    // Ended by the stop, before the step's own 5 s timeout.
    expect(performance.now() - t).toBeLessThan(5_000);
    expect(result.failure).toEqual({ code: 'aborted', message: 'run was stopped before the step finished' });
  });
});

describe('runHttpStep: redirects', () => {
  it('follows redirects, counts them and checks the final response', async () => {
    const { result, body } = await runHttpStep(stepInput(`${server.url}/chain/3`, { expect: { status: [200], bodyContains: ['end of the chain'] } }), pool.session());
    expect(result.ok).toBe(true);
    expect(result.redirects).toBe(3);
    expect(result.status).toBe(200);
    expect(body).toBe('end of the chain');
    expect(result.url).toBe(`${server.url}/chain/3`);
    // the three 'moved' bodies count as bytes on the wire, too
    expect(result.bytes).toBe(3 * 'moved'.length + 'end of the chain'.length);
  });

  it('turns a POST into a GET without body on 303', async () => {
    const { result, body } = await runHttpStep(stepInput(`${server.url}/see-other`, { method: 'POST', body: 'form=1' }), pool.session());
    expect(result.ok).toBe(true);
    expect(result.redirects).toBe(1);
    expect(body).toBe('GET body=""');
    expect(result.method).toBe('POST');
  });

  it('keeps method and body on 307', async () => {
    const { result, body } = await runHttpStep(stepInput(`${server.url}/temporary`, { method: 'POST', body: 'form=1' }), pool.session());
    expect(result.redirects).toBe(1);
    expect(body).toBe('POST body="form=1"');
  });

  it('fails with code redirects when the chain is longer than the limit', async () => {
    const { result } = await runHttpStep(stepInput(`${server.url}/chain/3`, { maxRedirects: 2 }), pool.session());
    expect(result.ok).toBe(false);
    expect(result.redirects).toBe(2);
    expect(result.status).toBe(302);
    expect(result.failure).toEqual({ code: 'redirects', message: 'more than 2 redirects (last to /chain/0)' });
  });

  it('stops a redirect loop at the limit', async () => {
    seen.length = 0;
    const { result } = await runHttpStep(stepInput(`${server.url}/loop`, { maxRedirects: 5 }), pool.session());
    expect(result.failure?.code).toBe('redirects');
    expect(result.redirects).toBe(5);
    expect(seen.filter((s) => s.url === '/loop')).toHaveLength(6);
  });

  it('returns the 3xx itself when followRedirects is false', async () => {
    seen.length = 0;
    const { result } = await runHttpStep(stepInput(`${server.url}/chain/2`, { followRedirects: false, expect: { status: [302] } }), pool.session());
    expect(result.ok).toBe(true);
    expect(result.status).toBe(302);
    expect(result.redirects).toBe(0);
    expect(result.headers.location).toBe('/chain/1');
    expect(seen.map((s) => s.url)).toEqual(['/chain/2']);
  });
});

describe('runHttpStep: bodies', () => {
  it('measures a trickling body as download time, with a small time to first byte', async () => {
    const { result, body } = await runHttpStep(stepInput(`${server.url}/trickle`), pool.session());
    expect(result.ok).toBe(true);
    expect(body).toBe('part 0;part 1;part 2;part 3;part 4;done');
    // five 80 ms pauses after the headers went out
    expect(result.timings.download).toBeGreaterThanOrEqual(350);
    expect(result.timings.ttfb).toBeLessThan(150);
    expect(result.timings.total).toBeGreaterThanOrEqual(result.timings.download);
  });

  it('stops reading a body over maxBodyBytes and fails with body_too_large', async () => {
    firehoseResult = undefined;
    const cap = 64 * 1024;
    const t = performance.now();
    const { result, body } = await runHttpStep(stepInput(`${server.url}/huge`, { maxBodyBytes: cap }), pool.session());
    expect(performance.now() - t).toBeLessThan(2_000);
    expect(result.ok).toBe(false);
    expect(result.failure).toEqual({ code: 'body_too_large', message: `response body larger than the ${cap} byte limit` });
    expect(result.status).toBe(200);
    expect(result.bytes).toBeGreaterThan(cap);
    expect(result.bytes).toBeLessThanOrEqual(cap + 128 * 1024); // at most one socket read past the cap
    expect(body).toBe('');
    // the probe hung up: the server saw the connection close long before its 64 MiB were sent
    const sent = await firehoseResult!;
    expect(sent.closedEarly).toBe(true);
    expect(sent.written).toBeLessThan(64 * 1024 * 1024);
  });

  it.each(['gzip', 'br'])('decodes a %s body for assertions and counts the compressed bytes', async (enc) => {
    const { result, body } = await runHttpStep(stepInput(`${server.url}/${enc}`, { expect: { bodyContains: ['FINAL WHISTLE'] } }), pool.session());
    expect(result.ok).toBe(true);
    expect(result.headers['content-encoding']).toBe(enc);
    expect(body).toBe(LONG_TEXT);
    const wire = Number(result.headers['x-wire-length']);
    expect(result.bytes).toBe(wire);
    expect(wire).toBeLessThan(LONG_TEXT.length / 10);
    expect(result.evidence[1]).toEqual({ what: 'body contains', expected: '"FINAL WHISTLE"', actual: 'found', pass: true });
  });

  it('fails a compressed body that decodes to more than maxBodyBytes', async () => {
    const { result } = await runHttpStep(stepInput(`${server.url}/gzip-bomb`, { maxBodyBytes: 1024 * 1024 }), pool.session());
    expect(result.failure?.code).toBe('body_too_large');
    expect(result.bytes).toBe(Number(result.headers['x-wire-length']));
    expect(result.bytes).toBeLessThan(1024 * 1024);
  });
});

describe('runHttpStep: secrets', () => {
  const SECRET = 'tok-9f8e7d6c5b4a';
  const redact = createRedactor(new Map([['API_TOKEN', SECRET]]));

  it('hides a secret in the stored URL, response headers and evidence', async () => {
    const { result, body } = await runHttpStep(
      stepInput(`${server.url}/secret-redirect?token=${SECRET}`, { expect: { bodyContains: [`token was ${SECRET}`] } }),
      pool.session(),
      { redact },
    );
    expect(result.ok).toBe(true);
    expect(body).toBe(`token was ${SECRET}`); // the body stays usable for later steps; it is never stored
    expect(result.url).toBe(`${server.url}/secret-redirect?token=[secret:API_TOKEN]`);
    expect(result.evidence[1].expected).toBe('"token was [secret:API_TOKEN]"');
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });

  it('hides a secret in failure messages', async () => {
    const { result } = await runHttpStep(stepInput(`${server.url}/secret-redirect?token=${SECRET}`, { maxRedirects: 0 }), pool.session(), { redact });
    expect(result.failure).toEqual({ code: 'redirects', message: 'more than 0 redirects (last to /next?token=[secret:API_TOKEN])' });
    expect(result.headers['x-echo-token']).toBe('[secret:API_TOKEN]');
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });

  it('leaves the secret visible without a redactor (so the checks above can fail)', async () => {
    const { result } = await runHttpStep(stepInput(`${server.url}/secret-redirect?token=${SECRET}`, { maxRedirects: 0 }), pool.session());
    expect(result.failure?.message).toContain(SECRET);
  });
});

describe('runHttpStep: response headers and lean runs', () => {
  it('joins repeated headers and stores every Set-Cookie line in the jar', async () => {
    const { createCookies } = await import('../../src/probes/cookies.js');
    const cookies = createCookies();
    const { result, headers } = await runHttpStep(stepInput(`${server.url}/two-cookies`), pool.session(), { cookies });
    expect(result.ok).toBe(true);
    expect(headers['x-multi']).toBe('one, two');
    expect(result.headers['x-multi']).toBe('one, two');
    expect(cookies.names(`${server.url}/`).sort()).toEqual(['a', 'b']);
  });

  it('lean: returns no body or headers, yet still checks the body and headers the step expects', async () => {
    const session = pool.session({ connectionsPerOrigin: 1 });
    const plain = await runHttpStep(stepInput(`${server.url}/page`), session, { lean: true });
    expect(plain.result.ok).toBe(true);
    expect(plain.body).toBe('');
    expect(plain.result.headers).toEqual({});
    const checked = await runHttpStep(stepInput(`${server.url}/page`, { expect: { bodyContains: ['Match ball'], headers: { 'content-type': 'text/html' } } }), session, { lean: true });
    expect(checked.result.ok).toBe(true);
    expect(checked.result.evidence.map((e) => `${e.what}:${e.pass}`)).toEqual(['status:true', 'body contains:true', 'header content-type:true']);
    const missing = await runHttpStep(stepInput(`${server.url}/page`, { expect: { bodyContains: ['Sold out'] } }), session, { lean: true });
    expect(missing.result.failure?.code).toBe('assertion');
    const gz = await runHttpStep(stepInput(`${server.url}/gzip`, { expect: { bodyContains: ['FINAL WHISTLE'] } }), session, { lean: true });
    expect(gz.result.ok).toBe(true);
  });

  it('times out a step still queued behind a hanging one on a single connection, at its own timeout', async () => {
    const session = pool.session({ connectionsPerOrigin: 1 });
    const hanging = runHttpStep(stepInput(`${server.url}/hang`, { timeoutMs: 600 }), session);
    const t0 = performance.now();
    const queued = await runHttpStep(stepInput(`${server.url}/page`, { timeoutMs: 150 }), session);
    const waited = performance.now() - t0;
    expect(queued.result.failure?.code).toBe('timeout');
    expect(waited).toBeGreaterThanOrEqual(140);
    expect(waited).toBeLessThan(550);
    expect((await hanging).result.failure?.code).toBe('timeout');
  });
});
