import type { Failure } from './types.js';

type ErrLike = { name?: string; code?: string; message?: string; cause?: unknown; errors?: unknown[] };

/** Every error in the chain: the error, its causes, and the members of AggregateErrors (happy eyeballs). */
function chain(err: unknown): ErrLike[] {
  const out: ErrLike[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 20) {
    const e = queue.shift();
    if (!e || typeof e !== 'object') continue;
    const el = e as ErrLike;
    out.push(el);
    if (el.cause) queue.push(el.cause);
    if (Array.isArray(el.errors)) queue.push(...el.errors);
  }
  return out;
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_OSSL_|HOSTNAME_MISMATCH)/;

/** Turns whatever a request threw into a clear reason. `timeoutMs` is the step's limit, for the message. */
export function classifyError(err: unknown, ctx: { timedOut: boolean; timeoutMs: number; host: string }): Failure {
  if (ctx.timedOut) return { code: 'timeout', message: `no complete response within ${ctx.timeoutMs} ms` };
  const all = chain(err);
  const codes = all.map((e) => e.code).filter((c): c is string => typeof c === 'string');
  const has = (...cs: string[]) => codes.find((c) => cs.includes(c));
  const first = all[0] ?? {};
  const detail = (code?: string) => (code ? ` (${code})` : '');
  // A burst's session refused to connect outside load.allowHosts: its message says so.
  const blocked = all.find((e) => e.name === 'HostNotAllowedError');
  if (blocked) return { code: 'config', message: blocked.message ?? 'host not in load.allowHosts' };

  // An outside signal stopped us (the step's own timeout was handled above). A signal made by
  // AbortSignal.timeout() (such as a whole-run timeout) aborts with a 'TimeoutError' DOMException.
  if (all.some((e) => e.name === 'AbortError' || e.name === 'TimeoutError' || e.code === 'ABORT_ERR')) return { code: 'aborted', message: 'run was stopped before the step finished' };
  let c: string | undefined;
  if ((c = has('ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA')))
    return { code: 'dns', message: `DNS lookup failed for ${ctx.host}${detail(c)}` };
  if ((c = has('ECONNREFUSED'))) return { code: 'refused', message: `connection refused by ${ctx.host}${detail(c)}` };
  if ((c = has('UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT')))
    return { code: 'timeout', message: `timed out talking to ${ctx.host}${detail(c)}` };
  const tls = codes.find((x) => TLS_CODE.test(x));
  if (tls) return { code: 'tls', message: `TLS handshake with ${ctx.host} failed: ${all.find((e) => e.code === tls)?.message ?? tls}${detail(tls)}` };
  // The target answered, but not with HTTP halftime can read.
  const parser = all.find((e) => e.name === 'HTTPParserError' || (typeof e.code === 'string' && e.code.startsWith('HPE_')));
  if (parser) return { code: 'protocol', message: `${ctx.host} sent a response that is not valid HTTP/1.1: ${parserReason(parser.message)}${detail(parser.code)}` };
  if (all.some((e) => e.name === 'HeadersTooLarge') || (c = has('UND_ERR_HEADERS_OVERFLOW')))
    return { code: 'protocol', message: `${ctx.host} sent response headers larger than halftime accepts (16 KiB)${detail(c)}` };
  if ((c = has('UND_ERR_RES_CONTENT_LENGTH_MISMATCH'))) return { code: 'protocol', message: `${ctx.host} sent a body whose length does not match its Content-Length header${detail(c)}` };
  if (all.some((e) => e.code === 'UND_ERR_SOCKET' && e.message === 'bad response'))
    return { code: 'protocol', message: `${ctx.host} sent a response halftime cannot use (an informational 1xx response, or bytes before any request)${detail('UND_ERR_SOCKET')}` };
  // undici refused to send what the step asked for (a header value with a line break, a bad method).
  if ((c = has('UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED')))
    return { code: 'config', message: `the request could not be sent: ${all.find((e) => e.code === c)?.message ?? c}${detail(c)}` };
  if ((c = has('ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED', 'UND_ERR_CLOSED')))
    return { code: 'reset', message: `connection to ${ctx.host} was reset or closed before the response completed${detail(c)}` };
  if ((c = has('EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL')))
    return { code: 'network', message: `${ctx.host} is unreachable${detail(c)}` };
  return { code: 'network', message: `request failed: ${first.message ?? String(err)}${detail(first.code)}` };
}

/** undici's parser says "Response does not match the HTTP/1.1 protocol (Invalid header token)": keep the reason. */
function parserReason(message: string | undefined): string {
  const m = /\(([^)]*)\)\s*$/.exec(message ?? '');
  return m ? m[1].charAt(0).toLowerCase() + m[1].slice(1) : (message ?? 'unreadable response');
}

/**
 * Something threw inside halftime while it ran a step: the step fails with this (stored and shown
 * like any failure) instead of the run being lost. It names the error so it can be reported.
 */
export function internalFailure(err: unknown): Failure {
  const e = err as { name?: string; message?: string } | undefined;
  const what = e && typeof e === 'object' ? `${e.name ?? 'Error'}: ${e.message ?? ''}` : String(err);
  return { code: 'internal', message: `halftime failed while running this step (${what}); this is a bug in halftime, please report it` };
}
