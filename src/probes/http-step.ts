import { performance } from 'node:perf_hooks';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { ExpectConfig } from '../config/schema.js';
import { evaluateExpect } from './assert.js';
import { classifyError } from './classify-error.js';
import type { Cookies } from './cookies.js';
import { BodyTooLarge, exchange, splitUrl, type Exchange } from './exchange.js';
import type { ConnectionTiming, Session } from './session.js';
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
  /**
   * Only the verdict and timings are wanted (a burst's plain steps): the response headers and body
   * are read only as far as the step's expectations need them, and not returned.
   */
  lean?: boolean;
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

/**
 * Runs one HTTP step on the session's connections. Never throws: every failure mode comes back as
 * a `failure` with a clear reason, and the timing breakdown of whatever happened.
 */
export async function runHttpStep(step: HttpStepInput, session: Session, opts: HttpStepOptions = {}): Promise<HttpStepOutcome> {
  const redact = opts.redact;
  const startedAt = Date.now();
  const t0 = opts.intendedStart ?? performance.now();
  const timings: Timings = zeroTimings();
  // One plain timer per step ends whatever exchange is in flight; an outer signal does the same.
  let current: Exchange | undefined;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    current?.abort(new DOMException('step timeout', 'TimeoutError'));
  }, step.timeoutMs);
  const outer = opts.signal;
  const onOuterAbort = () => current?.abort(outer?.reason ?? new DOMException('aborted', 'AbortError'));
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  const track = (x: Exchange) => {
    current = x;
    if (outer?.aborted) onOuterAbort();
  };

  let url = step.url;
  let method = step.method;
  let body = step.body;
  let sendHeaders = hasKeys(step.headers) ? { ...DEFAULT_HEADERS, ...lowerKeys(step.headers) } : DEFAULT_HEADERS;
  let redirects = 0;
  let bytes = 0;
  let status: number | undefined;
  let headers: Record<string, string> = {};
  let text = '';
  let failure: Failure | undefined;
  /** The exchange whose response the step ends with (its headers and body are read in `finish`). */
  let last: Exchange | undefined;
  const lean = opts.lean === true;
  // A lean step that checks nothing in the body only counts its bytes.
  const keepBodyBytes = lean && !needsBody(step.expect) ? 0 : step.maxBodyBytes;
  const tooLarge = (): Failure => ({ code: 'body_too_large', message: `response body larger than the ${step.maxBodyBytes} byte limit` });

  const finish = (): HttpStepOutcome => {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
    timings.total = performance.now() - t0;
    if (last && (!lean || step.expect.headers)) headers = last.headers().headers;
    if (last && !failure && (!lean || needsBody(step.expect))) {
      try {
        text = decode(last.body(), last.header('content-encoding')[0], step.maxBodyBytes).toString('utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') failure = tooLarge();
        else failure = { code: 'network', message: `could not decode ${last.header('content-encoding')[0]} body: ${(err as Error).message}` };
      }
    }
    const evidence = status !== undefined && !failure ? evaluateExpect(step.expect, { status, body: text, headers, bytes, latencyMs: timings.total }, redact) : [];
    if (!failure) {
      const bad = evidence.find((e) => !e.pass);
      if (bad) failure = bad.what === 'status'
        ? { code: 'status', message: `expected status ${bad.expected}, got ${bad.actual}` }
        : { code: 'assertion', message: `${bad.what}: expected ${bad.expected}, got ${bad.actual}` };
    }
    const hide = redact ?? ((s: string) => s);
    const result: StepResult = {
      index: step.index,
      name: step.name,
      method: step.method,
      url: hide(step.url),
      startedAt,
      ok: !failure,
      status,
      failure: failure ? { code: failure.code, message: hide(failure.message) } : undefined,
      timings,
      bytes,
      redirects,
      headers: redactValues(headers, redact),
      evidence,
    };
    return { result, body: text, headers, finalUrl: url };
  };

  for (;;) {
    // undici hands a finished connection back to its pool on a later tick; a request sent straight
    // after the previous one (next step, redirect hop) would otherwise open a second connection.
    // A single-connection session (an undici Client) queues it on that connection instead.
    if (session.connectionsPerOrigin > 1) await new Promise((resolve) => setImmediate(resolve));
    if (timedOut || outer?.aborted) {
      failure = timedOut ? classifyError(undefined, { timedOut, timeoutMs: step.timeoutMs, host: '' }) : { code: 'aborted', message: 'run was stopped before the step finished' };
      return finish();
    }
    let target: { origin: string; path: string; host: string };
    try {
      target = splitUrl(url);
    } catch {
      failure = { code: 'network', message: `not a valid URL: ${url}` };
      return finish();
    }
    let hopHeaders = sendHeaders;
    const jarCookies = opts.cookies?.header(url);
    if (jarCookies || (body === undefined && 'content-type' in sendHeaders)) {
      hopHeaders = { ...sendHeaders };
      if (body === undefined) delete hopHeaders['content-type'];
      if (jarCookies) hopHeaders.cookie = hopHeaders.cookie ? `${hopHeaders.cookie}; ${jarCookies}` : jarCookies;
    }
    const connBefore = session.connections.length;
    const hopStart = performance.now();
    const x = await exchange(
      session.dispatcher,
      { origin: target.origin, path: target.path, method, headers: hopHeaders, body: method === 'GET' || method === 'HEAD' ? undefined : body, maxBodyBytes: step.maxBodyBytes, keepBodyBytes },
      track,
    );
    current = undefined;
    bytes += x.bytes;
    const opened = session.connections.length > connBefore ? session.connections[session.connections.length - 1] : undefined;
    addHop(timings, opened, hopStart, x.tHeaders || x.tEnd, x.tEnd);
    if (x.tHeaders) {
      status = x.status;
      last = x;
      if (opts.cookies) {
        const setCookie = x.header('set-cookie');
        if (setCookie.length) opts.cookies.store(url, setCookie);
      }
    }
    if (x.error !== undefined) {
      if (x.error instanceof BodyTooLarge) failure = tooLarge();
      else failure = classifyError(x.error, { timedOut, timeoutMs: step.timeoutMs, host: target.host });
      return finish();
    }
    const location = step.followRedirects && REDIRECTS.has(x.status) ? x.header('location')[0] : undefined;
    if (location) {
      if (redirects >= step.maxRedirects) {
        failure = { code: 'redirects', message: `more than ${step.maxRedirects} redirects (last to ${location})` };
        return finish();
      }
      redirects++;
      const next = new URL(location, url);
      // Like a browser: credentials set for one origin are not sent to another.
      if (next.origin !== target.origin) sendHeaders = withoutCredentials(sendHeaders);
      url = next.toString();
      if (x.status === 303 || ((x.status === 301 || x.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      continue;
    }
    return finish();
  }
}

const needsBody = (e: ExpectConfig) => !!(e.bodyContains || e.bodyNotContains || e.bodyMatches || e.json);

/** A copy of the headers, each value passed through `redact` when given. */
function redactValues(headers: Record<string, string>, redact: ((s: string) => string) | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in headers) out[k] = redact ? redact(headers[k]) : headers[k];
  return out;
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
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
function addHop(t: Timings, conn: ConnectionTiming | undefined, hopStart: number, tHeaders: number, tEnd: number) {
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
