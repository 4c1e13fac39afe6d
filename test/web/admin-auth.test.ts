import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLoginLimiter } from '../../src/web/auth/login-limiter.js';
import { BACKENDS, storeSql } from '../support/backends.js';
import { adminFixture, ORIGIN, PASSWORD, type AdminFixture } from './admin-helpers.js';

describe.each(BACKENDS)('operator access on %s', (kind) => {
  let f: AdminFixture;
  beforeEach(async () => {
    f = await adminFixture({ kind });
  });
  afterEach(() => f.close());

  /** Every operator route the app has, with its parameters filled in. */
  function operatorRoutes(fx: AdminFixture) {
    const seen = new Set<string>();
    const out: { method: string; path: string }[] = [];
    for (const r of fx.app.routes) {
      if (r.method === 'ALL') continue;
      if (!r.path.startsWith('/admin') && !r.path.startsWith('/api/v1') && r.path !== '/logout') continue;
      // Every parameter filled with something that exists: the private monitor, run 1, incident 1.
      const path = r.path.replace(':key', 'private-db').replace(/:[A-Za-z]+/g, '1');
      const k = `${r.method} ${path}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push({ method: r.method, path });
    }
    return out;
  }

  describe('unauthenticated access', () => {
    it('is refused on every admin and API route', async () => {
      // Something private behind each route: a run (with history) and an open incident of the private monitor.
      f.store.writer.write({ monitorId: 'private-db', plannedAt: Date.now() - 1000, startedAt: Date.now() - 1000, durationMs: 42, ok: false, failure: { code: 'status', message: 'Private database said 503' }, steps: [] });
      await f.store.writer.flush();
      await f.store.alerts.commit({ monitorKey: 'private-db', status: 'down', state: {}, now: Date.now(), outbox: [], incidents: [{ op: 'open', kind: 'down', startedAt: Date.now() - 1000, worst: 2, summary: 'Private database is down', evidence: {} }] });
      const plan = { model: 'closed' as const, users: 2, spawnRate: 2, duration: 2000, shape: { type: 'ramp' as const } };
      await f.store.loadRuns.begin({ name: 'Private database burst', monitorKey: 'private-db', trigger: 'admin', plan, planText: 'ramp to 2 users' });
      const routes = operatorRoutes(f);
      expect(routes.length).toBeGreaterThanOrEqual(27);
      // The history, incident and acknowledge routes are among them.
      const listed = routes.map((r) => `${r.method} ${r.path}`);
      expect(listed).toEqual(
        expect.arrayContaining([
          'GET /admin/partials/monitors/private-db/chart',
          'GET /admin/partials/monitors/private-db/runs/1',
          'GET /admin/monitors/private-db/series',
          'GET /admin/partials/incidents',
          'POST /admin/incidents/1/acknowledge',
          'GET /api/v1/monitors/private-db/series',
          'GET /api/v1/incidents',
          'POST /api/v1/incidents/1/acknowledge',
          'GET /api/v1/load-runs',
          'GET /api/v1/load-runs/1',
        ]),
      );
      for (const { method, path } of routes) {
        const res = await f.request(path, { method, headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' }, body: method === 'GET' ? undefined : '' });
        const body = await res.text();
        expect([401, 403], `${method} ${path} answered ${res.status}`).toContain(res.status);
        expect(body).not.toContain('Private database');
      }
      expect((await f.store.alerts.incident(1))?.acknowledgedAt).toBeNull();
      // A browser asking for a page is sent to the login form, and back afterwards.
      const page = await f.request('/admin/monitors/private-db?x=1', { headers: { accept: 'text/html' } });
      expect(page.status).toBe(303);
      expect(page.headers.get('location')).toBe('/login?next=%2Fadmin%2Fmonitors%2Fprivate-db%3Fx%3D1');
    });

    it('refuses API calls with a session cookie but no token, and with a made-up token', async () => {
      const { cookie } = await f.login();
      expect((await f.request('/api/v1/monitors', { headers: { cookie } })).status).toBe(401);
      const res = await f.request('/api/v1/monitors', { headers: { authorization: 'Bearer ht_madeup' } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
    });
  });

  describe('login', () => {
    it('sets an httpOnly, SameSite=Lax session cookie and lets the user in', async () => {
      const res = await f.postLogin(PASSWORD);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/admin');
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('halftime_session='))!;
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Lax/i);
      expect(cookie).not.toMatch(/Secure/i);
      const session = cookie.split(';')[0];
      const page = await f.request('/admin', { headers: { cookie: session } });
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(await page.text()).toContain('Private database');
      // Only a hash of the session id is stored.
      const stored = await storeSql(f.store).pluck<string>('SELECT id_hash FROM sessions');
      expect(stored).toHaveLength(1);
      expect(stored[0]).not.toBe(session.split('=')[1]);
    });

    it('marks the cookie Secure when the public URL is https', async () => {
      const g = await adminFixture({ kind, publicUrl: 'https://status.example.com' });
      try {
        const res = await g.postLogin(PASSWORD);
        expect(res.headers.getSetCookie().find((c) => c.startsWith('halftime_session='))).toMatch(/Secure/);
      } finally {
        await g.close();
      }
    });

    it('rejects a wrong password or an unknown user with the same answer', async () => {
      const wrong = await f.postLogin('not the password');
      const nobody = await f.postLogin(PASSWORD, undefined, 'nobody');
      expect(wrong.status).toBe(401);
      expect(nobody.status).toBe(401);
      expect(await wrong.text()).toContain('Wrong username or password.');
      expect(wrong.headers.getSetCookie().some((c) => c.startsWith('halftime_session='))).toBe(false);
    });

    it('throttles failed logins per client address', async () => {
      const limiter = createLoginLimiter({ max: 3, windowMs: 60_000 });
      const g = await adminFixture({ kind, limiter });
      try {
        for (let i = 0; i < 3; i++) expect((await g.postLogin('guess ' + i, '198.51.100.1')).status).toBe(401);
        // Blocked now, even with the right password…
        const blocked = await g.postLogin(PASSWORD, '198.51.100.1');
        expect(blocked.status).toBe(429);
        expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(await blocked.text()).toContain('Too many failed logins');
        // …while another address is not affected.
        expect((await g.postLogin(PASSWORD, '198.51.100.2')).status).toBe(303);
        // The window ends and the address may try again.
        expect(limiter.retryAfter('198.51.100.1', Date.now() + 61_000)).toBe(0);
      } finally {
        await g.close();
      }
    });

    it('counts parallel guesses too', async () => {
      const g = await adminFixture({ kind, limiter: createLoginLimiter({ max: 3, windowMs: 60_000 }) });
      try {
        const forms = await Promise.all(Array.from({ length: 10 }, () => g.loginForm('198.51.100.9')));
        const statuses = await Promise.all(
          forms.map((form, i) =>
            g.request(
              '/login',
              { method: 'POST', headers: { origin: ORIGIN, cookie: form.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: form.token, username: 'admin', password: `guess ${i}` }) },
              '198.51.100.9',
            ).then((r) => r.status),
          ),
        );
        expect(statuses.filter((s) => s === 401)).toHaveLength(3);
        expect(statuses.filter((s) => s === 429)).toHaveLength(7);
      } finally {
        await g.close();
      }
    });

    it('needs the login form token and a same-origin request', async () => {
      const form = await f.loginForm();
      const post = (headers: Record<string, string>, token: string) =>
        f.request('/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ _csrf: token, username: 'admin', password: PASSWORD }) });
      expect((await post({ origin: ORIGIN }, form.token)).status).toBe(403); // no cookie
      expect((await post({ origin: ORIGIN, cookie: form.cookie }, 'wrong-token-wrong-token-wrong-token-xx')).status).toBe(403);
      expect((await post({ origin: 'https://evil.example', cookie: form.cookie }, form.token)).status).toBe(403);
      expect((await post({ origin: ORIGIN, cookie: form.cookie }, form.token)).status).toBe(303);
    });

    it('logs out: the session ends and the cookie is cleared', async () => {
      const { cookie, csrf } = await f.login();
      expect((await f.post('/logout', cookie, { _csrf: 'nope' })).status).toBe(403);
      const res = await f.post('/logout', cookie, { _csrf: csrf });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/login');
      expect(res.headers.getSetCookie().find((c) => c.startsWith('halftime_session='))).toMatch(/Max-Age=0/);
      expect((await f.request('/admin', { headers: { cookie } })).status).toBe(401);
      expect(await storeSql(f.store).pluck('SELECT count(*) FROM sessions')).toEqual([0]);
    });

    it('ends sessions when they expire', async () => {
      const { cookie } = await f.login();
      f.clock.now += 8 * 86_400_000;
      expect((await f.request('/admin', { headers: { cookie } })).status).toBe(401);
    });
  });

  describe('CSRF', () => {
    it('refuses a POST with a missing or wrong token, or from another origin', async () => {
      const { cookie, csrf } = await f.login();
      expect(csrf.length).toBeGreaterThan(20);
      expect((await f.post('/admin/tokens', cookie, { name: 'ci' })).status).toBe(403);
      expect((await f.post('/admin/tokens', cookie, { name: 'ci', _csrf: csrf.slice(0, -1) + 'x' })).status).toBe(403);
      expect((await f.post('/admin/tokens', cookie, { name: 'ci', _csrf: csrf }, { origin: 'https://evil.example' })).status).toBe(403);
      expect(await f.store.auth.listTokens()).toHaveLength(0);
      // htmx sends the token in a header.
      expect((await f.post('/admin/tokens', cookie, { name: 'ci' }, { 'x-csrf-token': csrf })).status).toBe(200);
      expect((await f.post('/admin/tokens', cookie, { name: 'ci2', _csrf: csrf })).status).toBe(200);
      expect(await f.store.auth.listTokens()).toHaveLength(2);
    });

    it("does not accept another session's token", async () => {
      const a = await f.login('192.0.2.1');
      const b = await f.login('192.0.2.2');
      expect(a.csrf).not.toBe(b.csrf);
      expect((await f.post('/admin/tokens', a.cookie, { name: 'x', _csrf: b.csrf })).status).toBe(403);
    });

    it('puts the token in every form and in the htmx headers', async () => {
      const { cookie, csrf } = await f.login();
      for (const path of ['/admin', '/admin/tokens', '/admin/monitors/shop']) {
        const html = await (await f.request(path, { headers: { cookie } })).text();
        const forms = html.match(/<form[^>]*method="post"[^>]*>/g) ?? [];
        const fields = html.match(new RegExp(`name="_csrf" value="${csrf}"`, 'g')) ?? [];
        expect(forms.length, path).toBeGreaterThan(0);
        expect(fields.length, path).toBe(forms.length);
        expect(html).toContain(`hx-headers="{&quot;X-CSRF-Token&quot;:&quot;${csrf}&quot;}"`);
      }
    });
  });

  describe('API tokens', () => {
    async function createToken(cookie: string, csrf: string, name: string) {
      const html = await (await f.post('/admin/tokens', cookie, { name, _csrf: csrf })).text();
      return /class="token-value"[^>]*value="(ht_[^"]+)"/.exec(html)?.[1] ?? /value="(ht_[^"]+)"/.exec(html)![1];
    }

    it('are shown once, stored hashed, work as Bearer tokens and stop working when revoked', async () => {
      const { cookie, csrf } = await f.login();
      const token = await createToken(cookie, csrf, 'deploy <pipeline>');
      expect(token).toMatch(/^ht_[A-Za-z0-9_-]{43}$/);
      const dump = JSON.stringify(await storeSql(f.store).all('SELECT * FROM api_tokens'));
      expect(dump).not.toContain(token);
      const list = await (await f.request('/admin/tokens', { headers: { cookie } })).text();
      expect(list).not.toContain(token);
      expect(list).toContain(token.slice(0, 10) + '…');
      expect(list).toContain('deploy &lt;pipeline&gt;');

      const auth = { authorization: `Bearer ${token}` };
      const res = await f.request('/api/v1/monitors', { headers: auth });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { rows: { key: string; public: boolean }[]; total: number };
      expect(body.total).toBe(3);
      expect(body.rows.map((r) => r.key)).toContain('private-db');
      expect((await f.request('/api/v1/status', { headers: auth })).status).toBe(200);
      expect((await f.store.auth.listTokens())[0].lastUsedAt).not.toBeNull();

      const id = (await f.store.auth.listTokens())[0].id;
      expect((await f.post(`/admin/tokens/${id}/revoke`, cookie, { _csrf: csrf })).status).toBe(303);
      const after = await f.request('/api/v1/monitors', { headers: auth });
      expect(after.status).toBe(401);
      expect(await after.json()).toEqual({ error: 'invalid or revoked token' });
    });

    it('revoking one token leaves the others working', async () => {
      const { cookie, csrf } = await f.login();
      const a = await createToken(cookie, csrf, 'a');
      const b = await createToken(cookie, csrf, 'b');
      const idA = (await f.store.auth.listTokens()).find((t) => t.name === 'a')!.id;
      await f.post(`/admin/tokens/${idA}/revoke`, cookie, { _csrf: csrf });
      expect((await f.request('/api/v1/runs', { headers: { authorization: `Bearer ${a}` } })).status).toBe(401);
      expect((await f.request('/api/v1/runs', { headers: { authorization: `Bearer ${b}` } })).status).toBe(200);
    });
  });

  describe('first-run setup', () => {
    it('is open only from loopback and only while no account exists', async () => {
      await storeSql(f.store).run('DELETE FROM users');
      expect((await f.request('/setup', {}, '203.0.113.9')).status).toBe(404);
      const page = await f.request('/setup', {}, '127.0.0.1');
      expect(page.status).toBe(200);
      const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
      const cookie = f.cookiesOf(page).join('; ');
      const submit = (password: string, ip = '127.0.0.1') =>
        f.request('/setup', { method: 'POST', headers: { origin: ORIGIN, cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: token, username: 'ops', password }) }, ip);
      expect((await submit('short')).status).toBe(400);
      expect((await submit('long enough password', '203.0.113.9')).status).toBe(404);
      const ok = await submit('long enough password');
      expect(ok.status).toBe(303);
      expect(ok.headers.get('location')).toBe('/admin');
      expect(await f.store.auth.userByName('ops')).toBeDefined();
      expect((await f.request('/setup', {}, '127.0.0.1')).status).toBe(404);
      expect((await submit('another password!')).status).toBe(404);
    });

    it('stays closed to requests a reverse proxy on this machine forwards from elsewhere', async () => {
      await storeSql(f.store).run('DELETE FROM users');
      for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
        const value = header === 'forwarded' ? 'for=203.0.113.9' : '203.0.113.9';
        expect((await f.request('/setup', { headers: { [header]: value } }, '127.0.0.1')).status, header).toBe(404);
      }
      expect((await f.request('/setup', {}, '127.0.0.1')).status).toBe(200);
    });
  });

  describe('behind a reverse proxy (server.trustProxy)', () => {
    /** A failed login as the proxy sends it: from the proxy's address, with the chain it built. */
    async function failVia(g: Awaited<ReturnType<typeof adminFixture>>, xff: string) {
      const form = await g.request('/login', { headers: { 'x-forwarded-for': xff } }, '127.0.0.1');
      const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
      const body = new URLSearchParams({ _csrf: token, username: 'admin', password: 'wrong guess', next: '/admin' });
      const headers = { origin: ORIGIN, cookie: g.cookiesOf(form).join('; '), 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': xff };
      return (await g.request('/login', { method: 'POST', headers, body }, '127.0.0.1')).status;
    }

    it('throttles each client apart by the address the proxy saw, and ignores what a client wrote itself', async () => {
      const g = await adminFixture({ kind, limiter: createLoginLimiter({ max: 2, windowMs: 60_000 }), operator: { trustProxy: 1 } });
      try {
        expect(await failVia(g, '198.51.100.1')).toBe(401);
        expect(await failVia(g, '198.51.100.1')).toBe(401);
        expect(await failVia(g, '198.51.100.1')).toBe(429);
        // A forged entry on the left does not reset the count: the proxy appended the real address.
        expect(await failVia(g, '10.9.9.9, 198.51.100.1')).toBe(429);
        // Another client behind the same proxy is not blocked.
        expect(await failVia(g, '198.51.100.2')).toBe(401);
      } finally {
        await g.close();
      }
    });

    it('without trustProxy, X-Forwarded-For is ignored: every client is the proxy', async () => {
      const g = await adminFixture({ kind, limiter: createLoginLimiter({ max: 2, windowMs: 60_000 }) });
      try {
        expect(await failVia(g, '198.51.100.1')).toBe(401);
        expect(await failVia(g, '198.51.100.2')).toBe(401);
        expect(await failVia(g, '198.51.100.3')).toBe(429);
      } finally {
        await g.close();
      }
    });
  });

  describe('extension points', () => {
    it('routes other features mount under /admin and /api/v1 get the same protection; sections render on the pages', async () => {
      const g = await adminFixture({
        kind,
        operator: {
          extraRoutes: (app, auth) => {
            app.get('/admin/load-runs', (c) => c.text(`load runs for ${c.get('admin').username}`));
            app.post('/admin/load-runs', (c) => c.text('started'));
            app.get('/api/v1/load-runs', (c) => c.json({ token: c.get('apiToken').name }));
            expect(typeof auth.requireToken).toBe('function');
          },
          dashboardSections: () => ['<section id="incidents">no incidents</section>'],
          monitorSections: (key) => [`charts for ${key}`],
        },
      });
      try {
        expect((await g.request('/admin/load-runs')).status).toBe(401);
        expect((await g.request('/api/v1/load-runs')).status).toBe(401);
        const { cookie, csrf } = await g.login();
        expect(await (await g.request('/admin/load-runs', { headers: { cookie } })).text()).toBe('load runs for admin');
        expect((await g.post('/admin/load-runs', cookie, {})).status).toBe(403);
        expect((await g.post('/admin/load-runs', cookie, { _csrf: csrf })).status).toBe(200);
        // Sections are escaped like everything else: features pass JSX, not strings of HTML.
        expect(await (await g.request('/admin', { headers: { cookie } })).text()).toContain('&lt;section id=&quot;incidents&quot;&gt;');
        expect(await (await g.request('/admin/monitors/shop', { headers: { cookie } })).text()).toContain('charts for shop');
      } finally {
        await g.close();
      }
    });
  });
});
