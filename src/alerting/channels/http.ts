/**
 * The one way a channel talks to a provider's HTTP API: a timeout on every request, no redirects
 * followed, and every failure turned into a `ChannelError` that carries the HTTP status and the
 * provider's own words, with the channel's secrets taken out.
 */

/**
 * A delivery that did not succeed. `status` is the provider's HTTP status (absent when no answer
 * came: timeout, refused connection), so the outbox can tell a permanent refusal (most 4xx) from a
 * transient one (408, 429, 5xx, no answer); `retryAfterMs` is the wait the provider asked for.
 */
export class ChannelError extends Error {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, opts: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'ChannelError';
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

export type ProviderRequest = {
  /** Names the provider in error messages: `Slack answered HTTP 404: no_service`. */
  provider: string;
  url: string;
  headers?: Record<string, string>;
  /** A string is sent as is (set its content-type); an object as JSON; URLSearchParams as a form. */
  body: string | URLSearchParams | object;
  timeoutMs: number;
  /** Values that must never appear in an error: tokens, keys, secret URLs. */
  secrets: (string | undefined)[];
};

export type ProviderResponse = { status: number; text: string; json: unknown };

const REDACTED = '[redacted]';

/** Takes each secret (and its URL-encoded form) out of a text. */
export function withoutSecrets(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  const all = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  // Longest first, so a secret URL goes before the token inside it.
  for (const s of [...new Set(all.flatMap((s) => [s, encodeURIComponent(s)]))].sort((a, b) => b.length - a.length)) out = out.split(s).join(REDACTED);
  return out;
}

/** The secret parts of a webhook URL: the whole URL, its query values and its long path segments (tokens). */
export function urlSecrets(url: string): string[] {
  try {
    const u = new URL(url);
    return [url, ...[...u.searchParams.values()].filter((v) => v.length >= 8), ...u.pathname.split('/').filter((p) => p.length >= 16)];
  } catch {
    return [url];
  }
}

/** `Retry-After` as seconds or an HTTP date, in ms from now. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const pick = (o: unknown, key: string): unknown => (o && typeof o === 'object' ? (o as Record<string, unknown>)[key] : undefined);

/**
 * The provider's own explanation, from the error bodies they document: Telegram `description`,
 * Google/Teams `error.message`, ntfy `error`, PagerDuty/Opsgenie/Discord/Mattermost `message` (+ `errors`),
 * Pushover `errors`, Slack's plain-text code.
 */
export function providerErrorText(text: string, json: unknown): string {
  if (json && typeof json === 'object') {
    const err = pick(json, 'error');
    const main = [pick(json, 'description'), pick(err, 'message'), typeof err === 'string' ? err : undefined, pick(json, 'message')].find((v) => typeof v === 'string' && v.length > 0) as string | undefined;
    const errors = pick(json, 'errors');
    const details = Array.isArray(errors)
      ? errors.map(String).join('; ')
      : errors && typeof errors === 'object'
        ? Object.entries(errors as Record<string, unknown>).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('; ')
        : '';
    const both = [main, details].filter(Boolean).join(': ');
    if (both) return both.slice(0, 500);
  }
  return text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 500);
}

/** A provider's hint in the body: Telegram `parameters.retry_after`, Discord `retry_after` (seconds). */
function bodyRetryAfter(json: unknown): number | undefined {
  const s = pick(pick(json, 'parameters'), 'retry_after') ?? pick(json, 'retry_after');
  return typeof s === 'number' && s >= 0 ? Math.round(s * 1000) : undefined;
}

function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

/** POSTs to a provider; resolves on 2xx, throws a `ChannelError` otherwise. */
export async function postToProvider(req: ProviderRequest): Promise<ProviderResponse> {
  const headers: Record<string, string> = { 'user-agent': 'halftime', ...req.headers };
  let body: string | URLSearchParams;
  if (typeof req.body === 'string' || req.body instanceof URLSearchParams) body = req.body;
  else {
    body = JSON.stringify(req.body);
    headers['content-type'] ??= 'application/json';
  }
  const clean = (s: string) => withoutSecrets(s, req.secrets);
  let res: Response;
  try {
    res = await fetch(req.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(req.timeoutMs), redirect: 'manual' });
  } catch (err) {
    const timedOut = (err as Error)?.name === 'TimeoutError' || (err as Error)?.name === 'AbortError';
    throw new ChannelError(clean(timedOut ? `${req.provider}: no answer within ${req.timeoutMs} ms (timeout)` : `${req.provider}: request failed: ${describeCause(err)}`));
  }
  let text = '';
  try {
    text = await res.text();
  } catch (err) {
    if (res.ok) throw new ChannelError(clean(`${req.provider}: the answer was cut off: ${describeCause(err)}`));
  }
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.status >= 200 && res.status < 300) return { status: res.status, text, json };
  const retryAfterMs = parseRetryAfter(res.headers.get('retry-after')) ?? bodyRetryAfter(json);
  const why = res.status >= 300 && res.status < 400 ? 'a redirect (give the final URL)' : providerErrorText(text, json);
  const wait = retryAfterMs !== undefined ? ` (retry after ${Math.ceil(retryAfterMs / 1000)} s)` : '';
  throw new ChannelError(clean(`${req.provider} answered HTTP ${res.status}${why ? `: ${why}` : ''}${wait}`), { status: res.status, retryAfterMs });
}

/** The request timeout: the channel's own, shortened when the caller allows less. */
export function timeoutFor(optionMs: number, ctx?: { timeoutMs?: number }): number {
  return Math.max(1, Math.min(optionMs, ctx?.timeoutMs ?? optionMs));
}

/** `base` + `path` without doubling or losing the slash between them (base URLs may carry a path prefix). */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + '/' + path.replace(/^\/+/, '');
}
