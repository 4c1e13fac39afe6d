import { performance } from 'node:perf_hooks';
import type { ExpectConfig } from '../config/schema.js';
import { evaluateExpect } from './assert.js';
import { DecodedTooLarge, openBodyReader, type BodyRead, type BodyReader } from './body.js';
import { classifyError, internalFailure } from './classify-error.js';
import type { Cookies } from './cookies.js';
import { BodyTooLarge, exchange, splitUrl, type BodySink, type Exchange } from './exchange.js';
import { addHop } from './hop-timing.js';
import type { Session } from './session.js';
import { zeroTimings, type Evidence, type Failure, type StepResult, type Timings } from './types.js';

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
  /**
   * Return the decoded body (default true; lean steps never do). A caller that reads nothing from
   * it (no extraction, no HTML) passes false, and a large body is then only searched as it streams
   * by for the step's bodyContains/bodyNotContains, never held whole.
   */
  keepBody?: boolean;
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

/**
 * Runs one HTTP step on the session's connections. Never throws: every failure mode comes back as
 * a `failure` with a clear reason, and the timing breakdown of whatever happened.
 */
export async function runHttpStep(step: HttpStepInput, session: Session, opts: HttpStepOptions = {}): Promise<HttpStepOutcome> {
  const redact = opts.redact;
  const startedAt = Date.now();
  const t0 = opts.intendedStart ?? performance.now();
  const timings: Timings = zeroTimings();
  // One plain timer per step ends whatever exchange (or body decoding) is in flight; an outer signal does the same.
  let current: Exchange | undefined;
  /** The final response's body reader, once its headers are in (set from the exchange's callback). */
  const hop: { reading?: BodyReader } = {};
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    current?.abort(new DOMException('step timeout', 'TimeoutError'));
    hop.reading?.stop();
  }, step.timeoutMs);
  const outer = opts.signal;
  const onOuterAbort = () => {
    current?.abort(outer?.reason ?? new DOMException('aborted', 'AbortError'));
    hop.reading?.stop();
  };
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
  let read: BodyRead | undefined;
  let failure: Failure | undefined;
  /** The exchange whose response the step ends with (its headers are read in `finish`). */
  let last: Exchange | undefined;
  /** The certificate of the last hop's connection (https only). */
  let certificate: StepResult['tls'];
  /** performance.now() of the last byte of the last response (the step's end, before any decoding). */
  let lastByte = 0;
  const lean = opts.lean === true;
  const needs = bodyNeeds(step.expect);
  const keepText = needs.wholeBody || (!lean && opts.keepBody !== false);
  // Only the final response's body is read (not a redirect's); a step that reads nothing in it
  // (a lean one without body checks) only counts its bytes.
  const openBody =
    keepText || needs.needles.length > 0
      ? (x: Exchange): BodySink | undefined =>
          step.followRedirects && REDIRECTS.has(x.status) && x.header('location').length > 0
            ? undefined
            : (hop.reading = openBodyReader(x, { maxBytes: step.maxBodyBytes, keepText, needles: needs.needles }))
      : undefined;

  const finish = (): HttpStepOutcome => {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
    timings.total = (lastByte || performance.now()) - t0;
    let evidence: Evidence[] = [];
    try {
      if (last && (!lean || step.expect.headers)) headers = last.headers().headers;
      const text = read?.text ?? '';
      if (status !== undefined && !failure) {
        evidence = evaluateExpect(step.expect, { status, body: text, found: read?.found, headers, bytes, latencyMs: timings.total }, redact);
        const bad = evidence.find((e) => !e.pass);
        if (bad)
          failure = bad.what === 'status'
            ? { code: 'status', message: `expected status ${bad.expected}, got ${bad.actual}` }
            : { code: 'assertion', message: `${bad.what}: expected ${bad.expected}, got ${bad.actual}` };
      }
      if (read?.note) evidence.push(read.note);
    } catch (err) {
      failure = internalFailure(err);
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
      ...(certificate ? { tls: certificate } : {}),
    };
    return { result, body: lean ? '' : (read?.text ?? ''), headers, finalUrl: url };
  };

  try {
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
        failure = { code: 'config', message: `not a valid URL: ${url}` };
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
      hop.reading = undefined;
      const x = await exchange(
        session.dispatcher,
        { origin: target.origin, path: target.path, method, headers: hopHeaders, body: method === 'GET' || method === 'HEAD' ? undefined : body, maxBodyBytes: step.maxBodyBytes, keepBodyBytes: 0, openBody },
        track,
      );
      current = undefined;
      bytes += x.bytes;
      lastByte = x.tEnd;
      const opened = session.connections.length > connBefore ? session.connections[session.connections.length - 1] : undefined;
      addHop(timings, opened, hopStart, x);
      // A kept-alive connection showed its certificate when it was opened (earlier in the run).
      certificate = opened ? opened.certificate : target.origin.startsWith('https:') ? session.certificates.get(target.origin) : undefined;
      if (x.tHeaders) {
        status = x.status;
        last = x;
        if (opts.cookies) {
          const setCookie = x.header('set-cookie');
          if (setCookie.length) opts.cookies.store(url, setCookie);
        }
      }
      if (x.error !== undefined) {
        const r = readerOf(hop);
        r?.stop();
        const decoded = x.error instanceof DecodedTooLarge && r ? (await r.finish()).failure : undefined;
        if (decoded) failure = decoded;
        else if (x.error instanceof BodyTooLarge) failure = { code: 'body_too_large', message: `response body larger than the ${step.maxBodyBytes} byte limit` };
        else failure = classifyError(x.error, { timedOut, timeoutMs: step.timeoutMs, host: target.host });
        return finish();
      }
      const location = step.followRedirects && REDIRECTS.has(x.status) ? x.header('location')[0] : undefined;
      if (location) {
        if (redirects >= step.maxRedirects) {
          failure = { code: 'redirects', message: `more than ${step.maxRedirects} redirects (last to ${location})` };
          return finish();
        }
        const next = parseLocation(location, url);
        if (typeof next === 'string') {
          failure = { code: 'protocol', message: next };
          return finish();
        }
        redirects++;
        // Like a browser: credentials set for one origin are not sent to another.
        if (next.origin !== target.origin) sendHeaders = withoutCredentials(sendHeaders);
        url = next.toString();
        if (x.status === 303 || ((x.status === 301 || x.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      const reader = readerOf(hop);
      if (reader) {
        const done = reader.finish();
        const r = done instanceof Promise ? await done : done;
        read = r;
        if (timedOut || outer?.aborted) failure = timedOut ? classifyError(undefined, { timedOut, timeoutMs: step.timeoutMs, host: target.host }) : { code: 'aborted', message: 'run was stopped before the step finished' };
        else if (r.failure) failure = r.failure;
      }
      return finish();
    }
  } catch (err) {
    // Whatever was thrown on the way (a bug of ours included) ends the step, never the run.
    current?.abort(err as Error);
    hop.reading?.stop();
    failure = internalFailure(err);
    return finish();
  }
}

/** The hop's reader, as the exchange's callback left it (a plain read, which the type checker does not narrow). */
const readerOf = (hop: { reading?: BodyReader }) => hop.reading;

/** The URL a redirect points to, or a sentence saying why it cannot be followed. */
function parseLocation(location: string, base: string): URL | string {
  let next: URL;
  try {
    next = new URL(location, base);
  } catch {
    return `the redirect points to an invalid URL: Location ${JSON.stringify(location)}`;
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') return `the redirect points to a URL that is not http(s): Location ${JSON.stringify(location)}`;
  return next;
}

const needsCache = new WeakMap<ExpectConfig, { needles: string[]; wholeBody: boolean }>();

/** What a step's checks need of the body: strings to look for, or the whole text (regex, JSON). Kept per expect object (a burst reuses it). */
function bodyNeeds(e: ExpectConfig): { needles: string[]; wholeBody: boolean } {
  let n = needsCache.get(e);
  if (!n) needsCache.set(e, (n = { needles: [...(e.bodyContains ?? []), ...(e.bodyNotContains ?? [])], wholeBody: !!(e.bodyMatches || e.json) }));
  return n;
}

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
