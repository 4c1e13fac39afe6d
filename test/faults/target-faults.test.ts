/**
 * The fault matrix, target side: real servers on 127.0.0.1 that misbehave each in their own way.
 * Every fault goes through the journey runner, as a scheduled run does, and through the real SQLite
 * writer (openStore in a temp dir); the code read back from the store is the one a user sees. The
 * event loop is sampled while the faults run: none of them may stall it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorSchema, type MonitorConfig } from '../../src/config/schema.js';
import { createJourneyRunner } from '../../src/probes/journey.js';
import type { RunResult } from '../../src/probes/types.js';
import { warmUp } from '../../src/probes/warm-up.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { StepRow } from '../../src/store/runs.js';
import { sleep, tempDir } from '../helpers.js';

const MiB = 1024 * 1024;
const hasOpenssl = spawnSync('which', ['openssl']).status === 0;
const BOMB = gzipSync(Buffer.alloc(200 * MiB, 'halftime '), { level: 9 });
const tmp = tempDir('halftime-faults-');
const servers: Server[] = [];

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Writes `total` bytes in 64 KiB chunks, honouring backpressure, until done or the client leaves. */
async function pour(res: ServerResponse, total: number) {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let closed = false;
  res.once('close', () => (closed = true));
  for (let sent = 0; sent < total && !closed; sent += chunk.length) {
    if (!res.write(chunk)) await new Promise((r) => (res.once('drain', r), res.once('close', r)));
  }
  if (!closed) res.end();
}

async function httpFault(req: IncomingMessage, res: ServerResponse) {
  switch (req.url) {
    case '/hang':
      return; // never answers
    case '/trickle':
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 40 && !res.destroyed; i++) {
        res.write(`drip ${i}\n`);
        await sleep(100);
      }
      return res.end();
    case '/reset-mid-body':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100000' });
      res.write('x'.repeat(30_000));
      await sleep(20);
      return res.socket?.destroy();
    case '/fifty-mb':
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(50 * MiB) });
      return pour(res, 50 * MiB);
    case '/loop':
      return res.writeHead(302, { location: '/loop' }).end();
    case '/bomb':
      return res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': BOMB.length }).end(BOMB);
    case '/invalid-location':
      return res.writeHead(302, { location: 'http://[' }).end();
    case '/wrong-charset':
      // Says UTF-8, sends Latin-1: "café" is not what arrives.
      return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(Buffer.from('<p>Un café</p>', 'latin1'));
    case '/named-charset':
      return res.writeHead(200, { 'content-type': 'text/html; charset=iso-8859-1' }).end(Buffer.from('<p>Un café</p>', 'latin1'));
    default:
      return res.writeHead(404).end();
  }
}

/** A fault: the monitor that meets it and the code (and words) its stored run must carry. */
type Fault = { key: string; steps: object[]; code: string | null; message?: RegExp; timeout?: number };
let faults: Fault[] = [];
let monitors: MonitorConfig[] = [];
let store: Store;

beforeAll(async () => {
  const http = await listen(createHttpServer((req, res) => void httpFault(req, res)));
  const raw = (payload: string) =>
    listen(
      createNetServer((sock) => {
        sock.on('error', () => undefined);
        sock.once('data', () => {
          sock.write(payload);
          setTimeout(() => sock.end(), 50);
        });
      }),
    );
  const garbage = await raw('SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n');
  const overflow = await raw(`HTTP/1.1 200 OK\r\n${'X-Many: y\r\n'.repeat(8_000)}\r\nok`);
  const closed = createNetServer();
  const refusedPort = await listen(closed);
  await new Promise((r) => closed.close(r));
  servers.splice(servers.indexOf(closed), 1);
  let https: number | undefined;
  if (hasOpenssl) {
    const key = join(tmp.dir, 'key.pem');
    const cert = join(tmp.dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    https = await listen(createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => res.end('secure')));
  }
  const h = `http://127.0.0.1:${http}`;
  faults = [
    { key: 'refused', steps: [{ url: `http://127.0.0.1:${refusedPort}/` }], code: 'refused', message: /^connection refused by 127\.0\.0\.1:\d+/ },
    { key: 'hang', steps: [{ url: `${h}/hang`, timeout: 800 }], code: 'timeout', message: /^no complete response within 800 ms$/ },
    { key: 'trickle', steps: [{ url: `${h}/trickle`, timeout: 800 }], code: 'timeout' },
    { key: 'reset-mid-body', steps: [{ url: `${h}/reset-mid-body` }], code: 'reset', message: /reset or closed before the response completed/ },
    { key: 'fifty-mb', steps: [{ url: `${h}/fifty-mb` }], code: 'body_too_large', message: /^response body larger than the 10485760 byte limit$/ },
    { key: 'redirect-loop', steps: [{ url: `${h}/loop`, maxRedirects: 5 }], code: 'redirects', message: /^more than 5 redirects \(last to \/loop\)$/ },
    { key: 'garbage', steps: [{ url: `http://127.0.0.1:${garbage}/` }], code: 'protocol', message: /not valid HTTP\/1\.1/ },
    { key: 'gzip-bomb', steps: [{ url: `${h}/bomb`, expect: { bodyContains: 'goal' } }], code: 'body_too_large', message: /once decoded \(gzip\)$/ },
    { key: 'header-overflow', steps: [{ url: `http://127.0.0.1:${overflow}/` }], code: 'protocol', message: /response headers larger than halftime accepts/ },
    { key: 'invalid-location', steps: [{ url: `${h}/invalid-location` }], code: 'protocol', message: /^the redirect points to an invalid URL: Location "http:\/\/\["$/ },
    { key: 'wrong-charset', steps: [{ url: `${h}/wrong-charset`, expect: { bodyContains: 'café' } }], code: 'assertion', message: /^body contains: expected "café", got not found$/ },
    { key: 'named-charset', steps: [{ url: `${h}/named-charset`, expect: { bodyContains: 'café' } }], code: null },
    ...(https ? [{ key: 'self-signed-tls', steps: [{ url: `https://127.0.0.1:${https}/` }], code: 'tls', message: /self[- ]signed certificate/ }] : []),
  ];
  monitors = faults.map((f) => monitorSchema.parse({ id: f.key, name: f.key, steps: f.steps }));
  store = await openStore(join(tmp.dir, 'faults.db'), monitors.map((m) => ({ key: m.id!, name: m.name, public: false, schedule: 'test', steps: m.steps.length })));
  // As main does before its scheduler starts.
  expect((await warmUp(monitors)).error).toBeUndefined();
}, 60_000);

afterAll(async () => {
  await store?.close();
  for (const s of servers) {
    (s as { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise((r) => s.close(r));
  }
  tmp.cleanup();
});

/** All faults at once, as a scheduler with these monitors due together runs them; results stored. */
async function runMatrix(): Promise<{ runs: RunResult[]; maxDelayMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const runs = await Promise.all(monitors.map((m) => createJourneyRunner(m, { defaultTimeoutMs: 10_000 }).run()));
  delay.disable();
  for (const r of runs) store.writer.write(r);
  await store.writer.flush();
  return { runs, maxDelayMs: delay.max / 1e6 };
}

describe.skipIf(!hasOpenssl)('target fault matrix', () => {
  it('stores every fault with its code and a sentence, and the event loop stays under 100 ms', async () => {
    const delays: number[] = [];
    // A stall of our own shows in every pass; a machine busy with other work can stall a single
    // pass. The matrix runs up to three times (each pass fully checked) and the quietest counts.
    for (let pass = 0; pass < 3 && !(delays.length > 0 && Math.min(...delays) < 100); pass++) {
      const { runs, maxDelayMs } = await runMatrix();
      delays.push(maxDelayMs);
      for (const [i, f] of faults.entries()) {
        const [stored] = await store.runs.list({ monitor: f.key, limit: 1 });
        expect(stored, f.key).toBeDefined();
        expect(stored.failureCode, `${f.key}: ${stored.failureMessage}`).toBe(f.code);
        expect(stored.ok, f.key).toBe(f.code === null);
        if (f.message) expect(stored.failureMessage, f.key).toMatch(f.message);
        expect(runs[i].failure?.code ?? null, f.key).toBe(f.code);
        const step = (await store.runs.get(stored.id, { monitor: f.key }))!.steps[0];
        expect(step.failureCode, f.key).toBe(f.code);
      }
    }
    expect(Math.min(...delays), `event-loop delay max per pass: ${delays.map((d) => d.toFixed(0)).join(', ')} ms`).toBeLessThan(100);
  }, 90_000);

  it('keeps what was learnt before the fault: the status of a body cut short, the bytes of a body too large', async () => {
    const steps = new Map<string, StepRow>();
    for (const key of ['trickle', 'reset-mid-body', 'fifty-mb', 'gzip-bomb', 'invalid-location', 'refused', 'hang']) {
      const [run] = await store.runs.list({ monitor: key, limit: 1 });
      steps.set(key, (await store.runs.get(run.id, { monitor: key }))!.steps[0]);
    }
    const byKey = (key: string) => steps.get(key)!;
    expect(byKey('trickle').status).toBe(200);
    expect(byKey('reset-mid-body').status).toBe(200);
    expect(byKey('fifty-mb').bytes).toBeGreaterThan(10 * MiB);
    expect(byKey('fifty-mb').bytes).toBeLessThan(11 * MiB);
    // decoding stopped at the limit, before the rest of the bomb was even read
    expect(byKey('gzip-bomb').bytes).toBeGreaterThan(0);
    expect(byKey('gzip-bomb').bytes).toBeLessThan(BOMB.length);
    expect(byKey('invalid-location').status).toBe(302);
    expect(byKey('refused').timings.connect).toBeGreaterThan(0);
    expect(byKey('hang').timings.ttfb).toBeGreaterThanOrEqual(700);
  });
});
