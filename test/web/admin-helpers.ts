import { createMaintenanceCalendar } from '../../src/alerting/maintenance.js';
import type { MaintenanceWindowConfig } from '../../src/config/alerts-schema.js';
import type { Store } from '../../src/store/index.js';
import { createApp, type OperatorDeps } from '../../src/web/app.js';
import type { RunNow } from '../../src/web/admin/admin-routes.js';
import { createLoginLimiter, type LoginLimiter } from '../../src/web/auth/login-limiter.js';
import { hashPassword } from '../../src/web/auth/password.js';
import { createEventHub, type EventHub } from '../../src/web/events.js';
import { dropTestStore, openTestStore, type Backend } from '../support/backends.js';

export const PASSWORD = 'correct horse battery';
export const ORIGIN = 'http://localhost';

/**
 * A store with monitors and an `admin` user, the app with its operator side, and a clock the test moves.
 * `kind` picks the backend (default SQLite); `close()` drops the database.
 */
export async function adminFixture(opts: { kind?: Backend; operator?: Partial<OperatorDeps>; /** Operator parts that need the fixture's store. */ operatorWith?: (store: Store) => Partial<OperatorDeps>; publicUrl?: string; runNow?: (store: Store) => RunNow; limiter?: LoginLimiter; monitors?: { key: string; name: string; public: boolean }[]; maintenance?: MaintenanceWindowConfig[] } = {}) {
  const events: EventHub = createEventHub();
  const store = await openTestStore(
    opts.kind ?? 'sqlite',
    (opts.monitors ?? [
      { key: 'shop', name: 'Shop', public: true },
      { key: 'private-db', name: 'Private database', public: false },
      { key: 'xss', name: '<img src=x onerror=alert(1)>', public: false },
    ]).map((m) => ({ ...m, schedule: 'every 30s' })),
    { onWritten: (runs) => events.publish({ type: 'runs', monitors: runs.map((r) => r.monitorId) }) },
  );
  await store.auth.createUser('admin', await hashPassword(PASSWORD));
  const clock = { now: Date.now() };
  const app = createApp({
    status: store.status,
    history: store.history,
    runs: store.runs,
    title: 'Acme',
    schedulerAlive: () => true,
    now: () => clock.now,
    operator: {
      users: store.auth,
      admin: store.admin,
      runs: store.runs,
      incidents: store.alerts,
      maintenance: createMaintenanceCalendar(opts.maintenance ?? []),
      events,
      publicUrl: opts.publicUrl,
      limiter: opts.limiter ?? createLoginLimiter({ max: 5, windowMs: 15 * 60_000 }),
      runNow: opts.runNow?.(store),
      loadRuns: store.loadRuns,
      ...opts.operatorWith?.(store),
      ...opts.operator,
    },
  });

  /** A request from a given client address (the app reads it from the Node socket). */
  const request = async (path: string, init: RequestInit = {}, ip = '203.0.113.7'): Promise<Response> => app.request(path, init, { incoming: { socket: { remoteAddress: ip } } });

  /** Cookies a response sets, as `name=value` pairs for a Cookie header. */
  const cookiesOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]);

  async function loginForm(ip?: string) {
    const res = await request('/login', {}, ip);
    const html = await res.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    return { cookie: cookiesOf(res).join('; '), token };
  }

  async function postLogin(password: string, ip?: string, username = 'admin') {
    const form = await loginForm(ip);
    return request(
      '/login',
      { method: 'POST', headers: { origin: ORIGIN, cookie: form.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: form.token, username, password, next: '/admin' }) },
      ip,
    );
  }

  /** Logs in; returns the session cookie and the session's CSRF token. */
  async function login(ip?: string) {
    const res = await postLogin(PASSWORD, ip);
    if (res.status !== 303) throw new Error(`login failed: ${res.status}`);
    const cookie = cookiesOf(res).filter((c) => c.startsWith('halftime_session=')).join('; ');
    const page = await (await request('/admin', { headers: { cookie, accept: 'text/html' } }, ip)).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    return { cookie, csrf };
  }

  /** A same-origin form POST with the session cookie. */
  const post = (path: string, cookie: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    request(path, { method: 'POST', headers: { origin: ORIGIN, cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields) });

  return {
    app,
    store,
    events,
    clock,
    request,
    cookiesOf,
    loginForm,
    postLogin,
    login,
    post,
    async close() {
      events.close();
      await dropTestStore(store);
    },
  };
}

export type AdminFixture = Awaited<ReturnType<typeof adminFixture>>;
