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
  if ((c = has('ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED', 'UND_ERR_CLOSED')))
    return { code: 'reset', message: `connection to ${ctx.host} was reset or closed before the response completed${detail(c)}` };
  if ((c = has('EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL')))
    return { code: 'network', message: `${ctx.host} is unreachable${detail(c)}` };
  return { code: 'network', message: `request failed: ${first.message ?? String(err)}${detail(first.code)}` };
}
