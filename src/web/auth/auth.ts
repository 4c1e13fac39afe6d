import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import type { AuthStore } from '../../store/auth-store.js';
import { createLoginLimiter, type LoginLimiter } from './login-limiter.js';
import { dummyHash, verifyPassword } from './password.js';
import { randomToken, safeEqual, sha256 } from './secrets.js';

export type AdminSession = { userId: number; username: string; csrfToken: string };
export type AdminEnv = { Variables: { admin: AdminSession; apiToken: { id: number; name: string } } };

export type AuthOptions = {
  auth: AuthStore;
  /** `server.publicUrl`: its origin is accepted in Origin checks, and https there makes cookies Secure. */
  publicUrl?: string;
  limiter?: LoginLimiter;
  /** `server.trustProxy`: reverse proxies in front, whose X-Forwarded-For entries name the client. */
  trustProxy?: number;
  sessionTtlMs?: number;
  now?: () => number;
};

export const SESSION_COOKIE = 'halftime_session';
export const PRE_AUTH_COOKIE = 'halftime_form';
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const UNSAFE = /^(POST|PUT|PATCH|DELETE)$/;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** The peer address of the connection itself; 'unknown' outside a real server. */
function peerIp(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Headers a reverse proxy adds: a request carrying one came from elsewhere, whatever its peer. */
const FORWARDED = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

/**
 * The client's address. With `trustProxy` = n (the reverse proxies in front of halftime), the
 * address is taken n entries from the right of X-Forwarded-For plus the peer, as each proxy appends
 * the address it saw; entries a client wrote itself further left are never used. 0: the peer.
 */
export function clientIp(c: Context, trustProxy = 0): string {
  const peer = peerIp(c);
  if (trustProxy <= 0) return peer;
  const chain = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  chain.push(peer);
  return chain[Math.max(0, chain.length - 1 - trustProxy)];
}

/**
 * A request from this machine itself: loopback peer and no proxy headers. A reverse proxy on the
 * same machine connects from loopback too, but adds X-Forwarded-For (or Forwarded / X-Real-IP).
 */
export const isLoopback = (c: Context) => LOOPBACK.has(peerIp(c)) && !FORWARDED.some((h) => c.req.header(h) !== undefined);

const DUMMY_ORIGIN = 'http://halftime.invalid';
/** C0 and C1 control characters (tab and newline included): browsers drop some of them from a Location, which turns `/\t/evil` into `//evil`. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Where to go after login. Judged on the parsed URL, not on its text: `next` is resolved against a
 * dummy origin and kept only when it stays on that origin (so `//evil`, `/\evil`, `https:evil` and
 * the like are not); what is returned is the parsed path, query and fragment. Anything off-site or
 * unparsable becomes /admin; control characters are refused (the caller answers 400).
 */
export function parseNext(next: string | undefined): { ok: true; path: string } | { ok: false; reason: string } {
  if (next === undefined || next === '') return { ok: true, path: '/admin' };
  if (CONTROL.test(next)) return { ok: false, reason: 'the next parameter holds control characters' };
  if (!next.startsWith('/')) return { ok: true, path: '/admin' };
  let url: URL;
  try {
    url = new URL(next, `${DUMMY_ORIGIN}/`);
  } catch {
    return { ok: true, path: '/admin' };
  }
  if (url.origin !== DUMMY_ORIGIN) return { ok: true, path: '/admin' };
  return { ok: true, path: url.pathname + url.search + url.hash };
}

/** A same-origin path to go back to after login; anything else (control characters too) becomes /admin. */
export function safeNext(next: string | undefined): string {
  const r = parseNext(next);
  return r.ok ? r.path : '/admin';
}

/** Reads the synchronizer token from the form field or the header htmx sends. */
async function submittedToken(c: Context): Promise<string> {
  const header = c.req.header(CSRF_HEADER);
  if (header) return header;
  const type = c.req.header('content-type') ?? '';
  if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
    const body = await c.req.parseBody();
    const v = body[CSRF_FIELD];
    return typeof v === 'string' ? v : '';
  }
  return '';
}

export function createAuth(opts: AuthOptions) {
  const now = opts.now ?? Date.now;
  const ttl = opts.sessionTtlMs ?? 7 * 86_400_000;
  const limiter = opts.limiter ?? createLoginLimiter();
  const publicOrigin = opts.publicUrl ? new URL(opts.publicUrl).origin : undefined;

  const secure = (c: Context) => new URL(c.req.url).protocol === 'https:' || publicOrigin?.startsWith('https:') === true;
  const cookieOpts = (c: Context, maxAge: number) => ({ path: '/', httpOnly: true, sameSite: 'Lax' as const, secure: secure(c), maxAge });

  async function session(c: Context): Promise<AdminSession | undefined> {
    const id = getCookie(c, SESSION_COOKIE);
    if (!id) return undefined;
    const s = await opts.auth.session(sha256(id), now());
    return s ? { userId: s.userId, username: s.username, csrfToken: s.csrfToken } : undefined;
  }

  /** Origin / Sec-Fetch-Site check for form posts (hono's csrf middleware), accepting the public URL too. */
  const originCheck = csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin || origin === publicOrigin });

  /** Session required; on unsafe methods the session's CSRF token must come with the request. */
  const requireAdmin: MiddlewareHandler<AdminEnv> = async (c, next) => {
    const s = await session(c);
    if (!s) {
      const wantsPage = c.req.method === 'GET' && !c.req.header('hx-request') && (c.req.header('accept') ?? '').includes('text/html');
      if (wantsPage) return c.redirect(`/login?next=${encodeURIComponent(new URL(c.req.url).pathname + new URL(c.req.url).search)}`, 303);
      return c.text('Log in first', 401);
    }
    if (UNSAFE.test(c.req.method) && !safeEqual(await submittedToken(c), s.csrfToken)) return c.text('Missing or wrong CSRF token', 403);
    c.set('admin', s);
    await next();
    c.header('cache-control', 'no-store');
  };

  /** `Authorization: Bearer <token>` with a token created in the admin UI and not revoked. */
  const requireToken: MiddlewareHandler<AdminEnv> = async (c, next) => {
    const m = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
    const t = m ? await opts.auth.tokenByHash(sha256(m[1])) : undefined;
    if (!t || t.revokedAt !== null) {
      c.header('www-authenticate', 'Bearer realm="halftime"');
      return c.json({ error: m ? 'invalid or revoked token' : 'send Authorization: Bearer <token>' }, 401);
    }
    // Record use at most once a minute per token.
    if (t.lastUsedAt === null || now() - t.lastUsedAt > 60_000) await opts.auth.touchToken(t.id, now());
    c.set('apiToken', { id: t.id, name: t.name });
    await next();
    c.header('cache-control', 'no-store');
  };

  /** A token for forms shown before login (double-submit cookie); returns the value to put in the form. */
  function preAuthToken(c: Context): string {
    const existing = getCookie(c, PRE_AUTH_COOKIE);
    if (existing && existing.length >= 32) return existing;
    const t = randomToken();
    setCookie(c, PRE_AUTH_COOKIE, t, cookieOpts(c, 3600));
    return t;
  }
  const preAuthValid = (c: Context, submitted: unknown) => {
    const cookie = getCookie(c, PRE_AUTH_COOKIE);
    return !!cookie && typeof submitted === 'string' && safeEqual(submitted, cookie);
  };

  async function startSession(c: Context, userId: number): Promise<void> {
    const id = randomToken();
    await opts.auth.createSession(sha256(id), userId, randomToken(), now() + ttl, now());
    await opts.auth.recordLogin(userId, now());
    setCookie(c, SESSION_COOKIE, id, cookieOpts(c, Math.floor(ttl / 1000)));
    deleteCookie(c, PRE_AUTH_COOKIE, { path: '/' });
  }

  /** Checks the credentials, throttled per client address. */
  async function login(c: Context, username: string, password: string): Promise<{ ok: true } | { ok: false; retryAfterMs?: number }> {
    const ip = clientIp(c, opts.trustProxy);
    const wait = limiter.retryAfter(ip, now());
    if (wait > 0) return { ok: false, retryAfterMs: wait };
    // Count the attempt before the (slow, async) check, so parallel guesses cannot all slip past the limit.
    limiter.fail(ip, now());
    const user = await opts.auth.userByName(username);
    const good = user ? await verifyPassword(password, user.passwordHash) : (await verifyPassword(password, await dummyHash()), false);
    if (!user || !good) return { ok: false };
    limiter.succeed(ip);
    await opts.auth.purgeExpiredSessions(now());
    await startSession(c, user.id);
    return { ok: true };
  }

  async function logout(c: Context): Promise<void> {
    const id = getCookie(c, SESSION_COOKIE);
    if (id) await opts.auth.deleteSession(sha256(id));
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: secure(c) });
  }

  return { session, requireAdmin, requireToken, originCheck, preAuthToken, preAuthValid, startSession, login, logout };
}

export type Auth = ReturnType<typeof createAuth>;
