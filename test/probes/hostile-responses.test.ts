/**
 * Whatever bytes a target sends back, a journey run comes back as a result with a failure code and
 * a sentence: never a throw, never a lost run, never a stalled event loop. A raw TCP server on
 * 127.0.0.1 answers each request with one entry of a corpus of hostile responses (hand-written
 * cases plus seeded random mixtures of HTTP fragments and noise).
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorSchema } from '../../src/config/schema.js';
import { createJourneyRunner } from '../../src/probes/journey.js';
import { createRng } from '../../src/probes/random.js';
import { warmUp } from '../../src/probes/warm-up.js';
import type { RunResult } from '../../src/probes/types.js';

/** No response in the corpus contains it, so every run must fail, each with its own reason. */
const MARKER = 'never-in-any-response-7f3a';
const CRLF = '\r\n';
const ok = (headers: string, body = 'ok') => `HTTP/1.1 200 OK${CRLF}${headers}${CRLF}${body}`;
const redirect = (location: string) => `HTTP/1.1 302 Found${CRLF}Location: ${location}${CRLF}Content-Length: 0${CRLF}${CRLF}`;

const HANDWRITTEN: (string | Buffer)[] = [
  '',
  'hello there\r\n\r\n',
  Buffer.from([0, 1, 2, 3, 255, 254, 253, 10, 13, 10, 13]),
  'HTTP/1.1 200 OK\r\n',
  'HTTP/1.1 200 OK',
  'HTTP/1.1 999999 Too Big\r\n\r\n',
  'HTTP/1.1 -1 Negative\r\n\r\n',
  'HTTP/1.1 abc Letters\r\n\r\n',
  'HTTP/2 200\r\n\r\n',
  'HTTP/1.1 200 OK\r\nBad Header Name: x\r\nContent-Length: 2\r\n\r\nok',
  'HTTP/1.1 200 OK\r\nNoColonHere\r\nContent-Length: 2\r\n\r\nok',
  'HTTP/1.1 200 OK\r\nX-Nul: a\x00b\r\nContent-Length: 2\r\n\r\nok',
  'HTTP/1.1 200 OK\r\nX-Ctl: a\x01b\r\nContent-Length: 2\r\n\r\nok',
  'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok',
  'HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nok',
  'HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nok',
  'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a little',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nok\r\n',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\nok\r\n0\r\n\r\n',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=\x01\r\nok\r\n0\r\n\r\n',
  ok('Content-Encoding: gzip\r\nContent-Length: 9\r\n', 'not gzip!'),
  ok('Content-Encoding: br\r\nContent-Length: 9\r\n', 'not br!!!'),
  ok('Content-Encoding: deflate\r\nContent-Length: 9\r\n', 'not zlib!'),
  ok('Content-Encoding: gzip, br\r\nContent-Length: 2\r\n'),
  ok('Content-Encoding: compress\r\nContent-Length: 2\r\n'),
  Buffer.concat([Buffer.from(`HTTP/1.1 200 OK${CRLF}Content-Encoding: gzip${CRLF}Content-Length: 30${CRLF}${CRLF}`), gzipSync('a body cut short '.repeat(50)).subarray(0, 30)]),
  ok('Content-Type: text/plain; charset=\x7f\x7f\r\nContent-Length: 2\r\n'),
  ok('Content-Type: text/plain; charset=utf-16le\r\nContent-Length: 3\r\n', 'odd'),
  ok('Content-Type: text/plain; charset=\r\nContent-Length: 2\r\n'),
  ok('Set-Cookie: \x01\x02\x03\r\nSet-Cookie: =; Domain=..\r\nSet-Cookie: a=b; Expires=never; Max-Age=-1e400\r\nContent-Length: 2\r\n'),
  'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  `HTTP/1.1 200 OK\r\nX-Huge: ${'a'.repeat(70_000)}\r\n\r\n`,
  `HTTP/1.1 200 OK\r\n${'X-Many: y\r\n'.repeat(5_000)}\r\n`,
  'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\nsmuggled',
  redirect('http://['),
  redirect('http://[::1'),
  redirect('http://:99999/'),
  redirect('http://exa mple.com/'),
  redirect('javascript:alert(1)'),
  redirect('ftp://127.0.0.1/file'),
  redirect('data:text/html,hi'),
  redirect('\x00'),
  redirect(''),
  redirect('http://127.0.0.1:1/'),
  redirect('/%zz%'),
  redirect('//'),
  'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\nok',
  'HTTP/1.1 302 Found\r\nLocation: /a\r\nLocation: http://[\r\nContent-Length: 0\r\n\r\n',
  `HTTP/1.1 302 Found\r\nLocation: /${'x'.repeat(20_000)}\r\nContent-Length: 0\r\n\r\n`,
];

/** Pieces a broken server might put together, for the seeded random part of the corpus. */
const FRAGMENTS = [
  'HTTP/1.1 200 OK\r\n', 'HTTP/1.1 302 Found\r\n', 'HTTP/1.0 500 Oops\r\n', 'HTTP/1.1 204 No Content\r\n', 'HTTP/1.1 304 Not Modified\r\n',
  'Content-Length: 0\r\n', 'Content-Length: 5\r\n', 'Content-Length: x\r\n', 'Transfer-Encoding: chunked\r\n', 'Content-Encoding: gzip\r\n',
  'Content-Encoding: br\r\n', 'Content-Encoding: deflate\r\n', 'Content-Type: text/html; charset=iso-8859-1\r\n', 'Content-Type: text/html; charset=bogus\r\n',
  'Location: http://[\r\n', 'Location: /next\r\n', 'Location: \r\n', 'Set-Cookie: a=b\r\n', 'Connection: close\r\n', 'Connection: keep-alive\r\n',
  '\r\n', '\r\n\r\n', '\n', '5\r\nhello\r\n', '0\r\n\r\n', 'zz\r\n', ':\r\n', ' : \r\n', '\x00', '\xff\xfe', 'hello', '<html>', '{"json":',
];

function randomCorpus(count: number, seed: number): Buffer[] {
  const rng = createRng(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const parts: Buffer[] = [];
    const n = rng.int(1, 12);
    for (let j = 0; j < n; j++) {
      if (rng.next() < 0.15) {
        const noise = Buffer.alloc(rng.int(1, 64));
        for (let k = 0; k < noise.length; k++) noise[k] = rng.int(0, 255);
        parts.push(noise);
      } else parts.push(Buffer.from(FRAGMENTS[rng.int(0, FRAGMENTS.length - 1)], 'latin1'));
    }
    out.push(Buffer.concat(parts));
  }
  return out;
}

const CORPUS: Buffer[] = [...HANDWRITTEN.map((c) => (typeof c === 'string' ? Buffer.from(c, 'latin1') : c)), ...randomCorpus(120, 20261130)];

let server: Server;
let base: string;
const sockets = new Set<Socket>();
beforeAll(async () => {
  // Answers `GET /case/<n>` with corpus entry n, whatever it is, then closes the connection. Other
  // paths (where a hostile redirect may lead) get a plain response.
  server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let head = '';
    sock.on('data', (d) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const m = /^[A-Z]+ \/case\/(\d+)/.exec(head);
      head = '';
      if (!m) return void sock.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain');
      sock.write(CORPUS[Number(m[1])]);
      // Closed a little later: a response without framing ends there, and a redirect hop sent on
      // the same connection meanwhile gets its plain answer.
      setTimeout(() => sock.end(), 50);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

type Outcome = { i: number; run?: RunResult; threw?: unknown };

/** Runs the whole corpus, eight journeys at a time, measuring the event loop's delay meanwhile. */
async function runCorpus(): Promise<{ results: Outcome[]; maxDelayMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  const results: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < CORPUS.length) {
      const i = next++;
      const monitor = monitorSchema.parse({
        id: `hostile-${i}`,
        name: `hostile ${i}`,
        steps: [{ url: `${base}/case/${i}`, timeout: 3_000, maxRedirects: 3, expect: { bodyContains: MARKER } }],
      });
      try {
        results.push({ i, run: await createJourneyRunner(monitor).run() });
      } catch (err) {
        results.push({ i, threw: err });
      }
    }
  };
  delay.enable();
  await Promise.all(Array.from({ length: 8 }, worker));
  delay.disable();
  return { results, maxDelayMs: delay.max / 1e6 };
}

describe('hostile responses', () => {
  it(`every one of ${CORPUS.length} hostile responses ends as a run with a failure code, and the loop stays responsive`, async () => {
    // As main does before its scheduler starts: halftime's own first-use costs are paid here.
    expect((await warmUp()).error).toBeUndefined();
    const delays: number[] = [];
    // A stall of our own shows in every pass; a machine busy with other work can stall any single
    // pass. So the corpus runs up to three times (every pass fully checked) and the quietest counts.
    for (let attempt = 0; attempt < 3 && !(delays.length > 0 && Math.min(...delays) < 100); attempt++) {
      const { results, maxDelayMs } = await runCorpus();
      delays.push(maxDelayMs);
      expect(results).toHaveLength(CORPUS.length);
      const threw = results.filter((r) => r.threw !== undefined).map((r) => `#${r.i}: ${String(r.threw)}`);
      expect(threw).toEqual([]);
      const codes = new Map<string, number>();
      for (const { i, run } of results) {
        const what = `case #${i} ${JSON.stringify(CORPUS[i].toString('latin1').slice(0, 80))}`;
        expect(run!.ok, what).toBe(false);
        expect(run!.failure?.code, what).toMatch(/^[a-z_]+$/);
        expect(run!.failure?.message.length, what).toBeGreaterThan(10);
        expect(run!.steps).toHaveLength(1);
        expect(run!.steps[0].failure, what).toEqual({ code: run!.failure!.code, message: run!.failure!.message });
        // A failure of halftime itself would be a bug: none of these may end as 'internal'.
        expect(run!.failure?.code, `${what}: ${run!.failure?.message}`).not.toBe('internal');
        codes.set(run!.failure!.code, (codes.get(run!.failure!.code) ?? 0) + 1);
      }
      // The corpus reaches the different ways a response can be wrong, not one catch-all.
      expect([...codes.keys()], JSON.stringify(Object.fromEntries(codes))).toEqual(expect.arrayContaining(['protocol', 'reset', 'assertion', 'status']));
    }
    expect(Math.min(...delays), `event-loop delay max per pass: ${delays.map((d) => d.toFixed(0)).join(', ')} ms`).toBeLessThan(100);
  }, 120_000);

  it('a 302 to "http://[" is a stored failure that names the Location, not a thrown TypeError', async () => {
    const i = HANDWRITTEN.indexOf(redirect('http://['));
    const monitor = monitorSchema.parse({ id: 'bad-location', name: 'bad location', steps: [{ url: `${base}/case/${i}` }] });
    const run = await createJourneyRunner(monitor).run();
    expect(run.ok).toBe(false);
    expect(run.failure).toEqual({ code: 'protocol', step: 0, message: 'the redirect points to an invalid URL: Location "http://["' });
    expect(run.steps[0].status).toBe(302);
  });
});
