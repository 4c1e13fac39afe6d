import type { ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runHttpStep } from '../../src/probes/http-step.js';
import { charsetOf } from '../../src/probes/body.js';
import { sleep, startServer, type TestServer } from '../helpers.js';
import { sessionPool, stepInput } from './step-input.js';

const pool = sessionPool();
afterEach(() => pool.closeAll());

const MiB = 1024 * 1024;
/** 200 MiB of text once decoded, about 200 KB on the wire: a gzip bomb. */
const BOMB = gzipSync(Buffer.alloc(200 * MiB, 'halftime '), { level: 9 });
/** 96 MiB of text ending in a marker, compressed: a large body a raised maxBodyBytes allows. */
const LARGE = gzipSync(Buffer.concat([Buffer.alloc(96 * MiB - 8, 'goal '), Buffer.from(' WHISTLE')]), { level: 9 });

function send(res: ServerResponse, headers: Record<string, string>, body: Buffer | string) {
  res.writeHead(200, { 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

let server: TestServer;
beforeAll(async () => {
  server = await startServer(async (req, res) => {
    switch (req.url) {
      case '/latin1':
        return send(res, { 'content-type': 'text/html; charset=ISO-8859-1' }, Buffer.from('<p>Un café, s\'il vous plaît</p>', 'latin1'));
      case '/quoted-charset':
        return send(res, { 'content-type': 'text/plain; charset="windows-1251"' }, Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2])); // "Привет"
      case '/unknown-charset':
        return send(res, { 'content-type': 'text/plain; charset=x-klingon' }, 'plain ascii words');
      case '/bad-utf8':
        return send(res, { 'content-type': 'text/plain; charset=utf-8' }, Buffer.from([0x6f, 0x6b, 0x20, 0xff, 0xfe, 0x20, 0x6f, 0x6b]));
      case '/bomb':
        return send(res, { 'content-encoding': 'gzip', 'content-type': 'text/plain' }, BOMB);
      case '/large':
        return send(res, { 'content-encoding': 'gzip', 'content-type': 'text/plain' }, LARGE);
      case '/zlib-deflate':
        return send(res, { 'content-encoding': 'deflate' }, deflateSync('deflated with a zlib header'));
      case '/raw-deflate':
        return send(res, { 'content-encoding': 'deflate' }, deflateRawSync('deflated without a header'));
      case '/not-gzip':
        return send(res, { 'content-encoding': 'gzip' }, 'this is not gzip at all');
      case '/truncated-gzip':
        return send(res, { 'content-encoding': 'gzip' }, gzipSync('a body cut short '.repeat(100)).subarray(0, 40));
      case '/zstd':
        return send(res, { 'content-encoding': 'zstd' }, Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
      case '/split': {
        // The marker straddles two writes (two socket reads on our side).
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write(`${'x'.repeat(70_000)} FINAL WHI`);
        await sleep(30);
        return res.end(`STLE ${'y'.repeat(1000)}`);
      }
      default:
        res.writeHead(404).end();
    }
  });
});
afterAll(() => server.close());

/** Runs `fn` while sampling the event loop every 5 ms; returns the longest delay seen (ms). */
async function loopDelayDuring<T>(fn: () => Promise<T>): Promise<{ value: T; maxMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  try {
    const value = await fn();
    return { value, maxMs: h.max / 1e6 };
  } finally {
    h.disable();
  }
}

describe('bodies are decoded in the charset the response names', () => {
  it('reads charset=ISO-8859-1 as Latin-1, so bodyContains: café passes', async () => {
    const { result, body } = await runHttpStep(stepInput(`${server.url}/latin1`, { expect: { bodyContains: ['café', 'plaît'] } }), pool.session());
    expect(result.ok, result.failure?.message).toBe(true);
    expect(body).toBe("<p>Un café, s'il vous plaît</p>");
  });

  it('takes a quoted charset parameter and any WHATWG encoding', async () => {
    expect(charsetOf('text/plain; charset="Windows-1251"')).toBe('windows-1251');
    const { result, body } = await runHttpStep(stepInput(`${server.url}/quoted-charset`, { expect: { bodyContains: ['Привет'] } }), pool.session());
    expect(result.ok).toBe(true);
    expect(body).toBe('Привет');
  });

  it('reads an unknown charset as UTF-8 and says so in the evidence', async () => {
    const { result } = await runHttpStep(stepInput(`${server.url}/unknown-charset`, { expect: { bodyContains: ['ascii'] } }), pool.session());
    expect(result.ok).toBe(true);
    expect(result.evidence).toContainEqual({ what: 'body charset', expected: 'a charset halftime can decode', actual: 'unknown charset "x-klingon"; body read as UTF-8', pass: true });
  });

  it('replaces bytes that are not valid in the charset instead of failing', async () => {
    const { result, body } = await runHttpStep(stepInput(`${server.url}/bad-utf8`, { expect: { bodyContains: ['ok'] } }), pool.session());
    expect(result.ok).toBe(true);
    expect(body).toBe('ok \uFFFD\uFFFD ok');
  });
});

describe('bodies never block the event loop', () => {
  it('stops a gzip bomb at maxBodyBytes (64 MiB) while decoding it, without stalling the loop', async () => {
    const { value, maxMs } = await loopDelayDuring(() => runHttpStep(stepInput(`${server.url}/bomb`, { maxBodyBytes: 64 * MiB, expect: { bodyContains: ['never there'] } }), pool.session()));
    expect(value.result.failure?.code).toBe('body_too_large');
    expect(value.result.failure?.message).toContain(`${64 * MiB} byte limit once decoded`);
    expect(value.result.bytes).toBeLessThan(BOMB.length + 1);
    expect(maxMs).toBeLessThan(100);
  });

  it('decodes and searches a 96 MiB body under a raised limit in chunks, without stalling the loop', async () => {
    const { value, maxMs } = await loopDelayDuring(() =>
      runHttpStep(stepInput(`${server.url}/large`, { maxBodyBytes: 256 * MiB, expect: { bodyContains: ['WHISTLE'], bodyNotContains: ['offside'] } }), pool.session(), { keepBody: false }),
    );
    expect(value.result.ok, value.result.failure?.message).toBe(true);
    expect(value.result.evidence.map((e) => `${e.what}: ${e.actual}`)).toEqual(['status: 200', 'body contains: found', 'body does not contain: not found']);
    expect(value.body).toBe(''); // searched as it streamed by, never held whole
    expect(maxMs).toBeLessThan(100);
  });

  it('finds a string split across two socket reads', async () => {
    const hit = await runHttpStep(stepInput(`${server.url}/split`, { expect: { bodyContains: ['FINAL WHISTLE'] } }), pool.session(), { keepBody: false });
    expect(hit.result.ok, hit.result.failure?.message).toBe(true);
    const miss = await runHttpStep(stepInput(`${server.url}/split`, { expect: { bodyNotContains: ['FINAL WHISTLE'] } }), pool.session(), { keepBody: false });
    expect(miss.result.failure).toEqual({ code: 'assertion', message: 'body does not contain: expected "FINAL WHISTLE", got found' });
  });
});

describe('content encodings', () => {
  it.each([
    ['zlib-deflate', 'deflated with a zlib header'],
    ['raw-deflate', 'deflated without a header'],
  ])('decodes %s', async (path, text) => {
    const { result, body } = await runHttpStep(stepInput(`${server.url}/${path}`), pool.session());
    expect(result.ok, result.failure?.message).toBe(true);
    expect(body).toBe(text);
  });

  it.each([
    ['not-gzip', /^could not decode the gzip body: /],
    ['truncated-gzip', /^could not decode the gzip body: unexpected end of file$/],
    ['zstd', /^the response is sent with content-encoding "zstd", which halftime cannot decode$/],
  ])('fails %s with code protocol and a sentence', async (path, message) => {
    const { result } = await runHttpStep(stepInput(`${server.url}/${path}`, { expect: { bodyContains: ['x'] } }), pool.session());
    expect(result.ok).toBe(false);
    expect(result.failure?.code).toBe('protocol');
    expect(result.failure?.message).toMatch(message);
    expect(result.status).toBe(200);
  });
});
