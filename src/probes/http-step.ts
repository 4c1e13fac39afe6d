import { performance } from 'node:perf_hooks';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { request } from 'undici';
import type { ExpectConfig } from '../config/schema.js';
import { evaluateExpect } from './assert.js';
import { classifyError } from './classify-error.js';
import type { Cookies } from './cookies.js';
import type { Session } from './session.js';
import { zeroTimings, type Failure, type StepResult, type Timings } from './types.js';

export type HttpStepInput = {
  index: number;
  name: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  followRedirects: boolean;
  maxRedirects: number;
  maxBodyBytes: number;
  expect: ExpectConfig;
};

export type HttpStepOptions = {
  /** Stops the step early (whole-run timeout, shutdown). */
  signal?: AbortSignal;
  /** Hides secrets in what we return (URL, error messages, headers). */
  redact?: (text: string) => string;
  /** performance.now() time the step was meant to start; waiting before it counts in `total`. */
  intendedStart?: number;
  /** The visitor's cookie jar: each hop sends its cookies and stores what the response sets. */
  cookies?: Cookies;
};

/**
 * The step's result plus the decoded body and unredacted headers of the last response, for later
 * steps to extract from (never stored), and the URL that answered.
 */
export type HttpStepOutcome = { result: StepResult; body: string; headers: Record<string, string>; finalUrl: string };

export const DEFAULT_HEADERS: Record<string, string> = {
  'user-agent': 'halftime/0.1 (synthetic monitor)',
  accept: '*/*',
  'accept-encoding': 'gzip, deflate, br',
};

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

class BodyTooLarge extends Error {}

function decode(buf: Buffer, encoding: string | undefined, cap: number): Buffer {
  const opts = { maxOutputLength: cap };
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(buf, opts);
    case 'deflate':
      return inflateSync(buf, opts);
    case 'br':
      return brotliDecompressSync(buf, opts);
    default:
      return buf;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function headerObject(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * Runs one HTTP step on the session's connections. Never throws: every failure mode comes back as
 * a `failure` with a clear reason, and the timing breakdown of whatever happened.
 */
export async function runHttpStep(step: HttpStepInput, session: Session, opts: HttpStepOptions = {}): Promise<HttpStepOutcome> {
  const redact = opts.redact ?? ((s: string) => s);
  const startedAt = Date.now();
  const t0 = opts.intendedStart ?? performance.now();
  const timings: Timings = zeroTimings();
  // One plain timer per step, cleared when the step ends (cheaper than AbortSignal.timeout + any).
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('step timeout', 'TimeoutError')), step.timeoutMs);
  const outer = opts.signal;
  const onOuterAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  const timedOut = () => controller.signal.aborted && !outer?.aborted;
  const signal = controller.signal;

  let url = step.url;
  let method = step.method;
  let body = step.body;
  let sendHeaders = { ...DEFAULT_HEADERS, ...lowerKeys(step.headers) };
  let redirects = 0;
  let bytes = 0;
  let status: number | undefined;
  let headers: Record<string, string> = {};
  let text = '';
  let failure: Failure | undefined;

  const finish = (): HttpStepOutcome => {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
    timings.total = performance.now() - t0;
    const evidence = status !== undefined && !failure ? evaluateExpect(step.expect, { status, body: text, headers, bytes, latencyMs: timings.total }) : [];
    if (!failure) {
      const bad = evidence.find((e) => !e.pass);
      if (bad) failure = bad.what === 'status'
        ? { code: 'status', message: `expected status ${bad.expected}, got ${bad.actual}` }
        : { code: 'assertion', message: `${bad.what}: expected ${bad.expected}, got ${bad.actual}` };
    }
    const result: StepResult = {
      index: step.index,
      name: step.name,
      method: step.method,
      url: redact(step.url),
      startedAt,
      ok: !failure,
      status,
      failure: failure ? { code: failure.code, message: redact(failure.message) } : undefined,
      timings,
      bytes,
      redirects,
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, redact(v)])),
      evidence: evidence.map((e) => ({ ...e, expected: redact(e.expected), actual: redact(e.actual) })),
    };
    return { result, body: text, headers, finalUrl: url };
  };

  for (;;) {
    // undici hands a finished connection back to its pool on a later tick; a request sent straight
    // after the previous one (next step, redirect hop) would otherwise open a second connection.
    // A single-connection session (an undici Client) queues it on that connection instead.
    if (session.connectionsPerOrigin > 1) await new Promise((resolve) => setImmediate(resolve));
    const hopStart = performance.now();
    const connBefore = session.connections.length;
    let tHeaders = 0;
    try {
      const hopHeaders = { ...sendHeaders };
      if (body === undefined) delete hopHeaders['content-type'];
      const jarCookies = opts.cookies?.header(url);
      if (jarCookies) hopHeaders.cookie = hopHeaders.cookie ? `${hopHeaders.cookie}; ${jarCookies}` : jarCookies;
      const res = await request(url, {
        method: method as 'GET',
        headers: hopHeaders,
        body: method === 'GET' || method === 'HEAD' ? undefined : body,
        dispatcher: session.dispatcher,
        signal,
      });
      tHeaders = performance.now();
      status = res.statusCode;
      headers = headerObject(res.headers);
      opts.cookies?.store(url, res.headers['set-cookie']);
      const chunks: Buffer[] = [];
      let hopBytes = 0;
      try {
        for await (const chunk of res.body) {
          hopBytes += chunk.length;
          if (hopBytes > step.maxBodyBytes) throw new BodyTooLarge();
          chunks.push(chunk);
        }
      } finally {
        bytes += hopBytes;
      }
      const tEnd = performance.now();
      addHop(timings, session.connections.slice(connBefore), hopStart, tHeaders, tEnd);
      const location = headers.location;
      if (step.followRedirects && REDIRECTS.has(status) && location) {
        if (redirects >= step.maxRedirects) {
          failure = { code: 'redirects', message: `more than ${step.maxRedirects} redirects (last to ${location})` };
          return finish();
        }
        redirects++;
        const next = new URL(location, url);
        // Like a browser: credentials set for one origin are not sent to another.
        if (next.origin !== new URL(url).origin) sendHeaders = withoutCredentials(sendHeaders);
        url = next.toString();
        if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      try {
        text = decode(Buffer.concat(chunks), headers['content-encoding'], step.maxBodyBytes).toString('utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new BodyTooLarge();
        failure = { code: 'network', message: `could not decode ${headers['content-encoding']} body: ${(err as Error).message}` };
      }
      return finish();
    } catch (err) {
      const tEnd = performance.now();
      addHop(timings, session.connections.slice(connBefore), hopStart, tHeaders || tEnd, tEnd);
      if (err instanceof BodyTooLarge) failure = { code: 'body_too_large', message: `response body larger than the ${step.maxBodyBytes} byte limit` };
      else failure = classifyError(err, { timedOut: timedOut(), timeoutMs: step.timeoutMs, host: hostOf(url) });
      return finish();
    }
  }
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);
function withoutCredentials(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).filter(([k]) => !CREDENTIAL_HEADERS.has(k)));
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

/**
 * Adds one hop's phases. A connection opened during the hop is the one the hop used (a session's
 * steps run one at a time); its socket events split the wait before the first byte into DNS,
 * connect and TLS. Otherwise the request went out on a kept-alive connection.
 */
function addHop(t: Timings, opened: { start: number; lookup?: number; connected?: number; secured?: number; ready?: number }[], hopStart: number, tHeaders: number, tEnd: number) {
  const conn = opened.at(-1);
  let sent = hopStart;
  if (conn && conn.ready === undefined) {
    // The connection never became usable: its time belongs to the phase that failed, not to TTFB.
    const dnsEnd = conn.lookup ?? conn.start;
    t.dns += dnsEnd - conn.start;
    if (conn.connected === undefined) t.connect += tEnd - dnsEnd;
    else t.tls += tEnd - conn.connected;
    return;
  }
  if (conn) {
    const dnsEnd = conn.lookup ?? conn.start;
    const tcpEnd = conn.connected ?? conn.ready;
    if (conn.lookup !== undefined) t.dns += conn.lookup - conn.start;
    if (tcpEnd !== undefined) t.connect += tcpEnd - dnsEnd;
    if (conn.secured !== undefined && tcpEnd !== undefined) t.tls += conn.secured - tcpEnd;
    sent = conn.ready ?? conn.secured ?? tcpEnd ?? hopStart;
  }
  t.ttfb += Math.max(0, tHeaders - sent);
  t.download += Math.max(0, tEnd - tHeaders);
}
