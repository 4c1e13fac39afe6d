import type { Hono } from 'hono';
import type { AuthStore } from '../../store/auth-store.js';
import { CSRF_FIELD, isLoopback, parseNext, type AdminEnv, type Auth } from './auth.js';
import { LoginPage, SetupPage } from './auth-pages.js';
import { hashPassword, MIN_PASSWORD_LENGTH } from './password.js';

export type AuthRouteDeps = { auth: Auth; users: AuthStore; title: string };

const page = (el: { toString(): string | Promise<string> }) => '<!doctype html>' + el.toString();
const field = (v: unknown) => (typeof v === 'string' ? v : '');
const USERNAME = /^[A-Za-z0-9_.@-]{1,64}$/;

/** /login, /logout and the one-time /setup (loopback only, only while no account exists). */
export function authRoutes(app: Hono<AdminEnv>, deps: AuthRouteDeps) {
  const { auth } = deps;
  for (const path of ['/login', '/logout', '/setup']) app.use(path, auth.originCheck);

  app.get('/login', async (c) => {
    const target = parseNext(c.req.query('next'));
    if (!target.ok) return c.text(`Bad request: ${target.reason}.`, 400);
    if (await auth.session(c)) return c.redirect(target.path, 303);
    if ((await deps.users.countUsers()) === 0 && isLoopback(c)) return c.redirect('/setup', 303);
    c.header('cache-control', 'no-store');
    return c.html(page(<LoginPage title={deps.title} formToken={auth.preAuthToken(c)} next={target.path} />));
  });

  app.post('/login', async (c) => {
    const body = await c.req.parseBody();
    const target = parseNext(field(body.next));
    if (!target.ok) return c.text(`Bad request: ${target.reason}.`, 400);
    const next = target.path;
    if (!auth.preAuthValid(c, body[CSRF_FIELD])) return c.text('Missing or wrong CSRF token: reload the login page', 403);
    const result = await auth.login(c, field(body.username), field(body.password));
    if (result.ok) return c.redirect(next, 303);
    c.header('cache-control', 'no-store');
    if (result.retryAfterMs) {
      const s = Math.ceil(result.retryAfterMs / 1000);
      c.header('retry-after', String(s));
      return c.html(page(<LoginPage title={deps.title} formToken={auth.preAuthToken(c)} next={next} error={`Too many failed logins from your address; try again in ${Math.ceil(s / 60)} min.`} />), 429);
    }
    return c.html(page(<LoginPage title={deps.title} formToken={auth.preAuthToken(c)} next={next} error="Wrong username or password." />), 401);
  });

  app.post('/logout', auth.requireAdmin, async (c) => {
    await auth.logout(c);
    return c.redirect('/login', 303);
  });

  const setupOpen = async (c: Parameters<typeof isLoopback>[0]) => isLoopback(c) && (await deps.users.countUsers()) === 0;

  app.get('/setup', async (c) => {
    if (!(await setupOpen(c))) return c.notFound();
    c.header('cache-control', 'no-store');
    return c.html(page(<SetupPage title={deps.title} formToken={auth.preAuthToken(c)} />));
  });

  app.post('/setup', async (c) => {
    if (!(await setupOpen(c))) return c.notFound();
    const body = await c.req.parseBody();
    if (!auth.preAuthValid(c, body[CSRF_FIELD])) return c.text('Missing or wrong CSRF token: reload the setup page', 403);
    const username = field(body.username).trim();
    const password = field(body.password);
    const error = !USERNAME.test(username)
      ? 'Username: 1 to 64 letters, digits or . _ @ -'
      : password.length < MIN_PASSWORD_LENGTH
        ? `Password: at least ${MIN_PASSWORD_LENGTH} characters`
        : undefined;
    if (error) return c.html(page(<SetupPage title={deps.title} formToken={auth.preAuthToken(c)} error={error} />), 400);
    const hash = await hashPassword(password);
    // Re-check after the slow hash: two browsers may race.
    if ((await deps.users.countUsers()) !== 0) return c.notFound();
    const id = await deps.users.createUser(username, hash);
    await auth.startSession(c, id);
    return c.redirect('/admin', 303);
  });
}
