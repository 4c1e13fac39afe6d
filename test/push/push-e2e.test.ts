/** Heartbeat monitors end to end, on both stores: token from the admin page, pings as runs, state, rotation, hashed at rest. */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { createLogger } from '../../src/log.js';
import { startHalftime, type Halftime } from '../../src/main.js';
import { BACKENDS, storeSql, testDatabase, type TestDatabase } from '../support/backends.js';

const PASSWORD = 'a long admin passphrase';

describe.each(BACKENDS)('heartbeat monitors on %s', (kind) => {
  let db: TestDatabase;
  let ht: Halftime;
  let session: { cookie: string; csrf: string };
  const cookies = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const form = (path: string, fields: Record<string, string>, cookie = session.cookie) =>
    fetch(`${ht.url}${path}`, { method: 'POST', redirect: 'manual', headers: { origin: ht.url, cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });
  const newToken = async () => {
    const res = await form('/admin/monitors/backup/push-token', { _csrf: session.csrf });
    expect(res.status).toBe(200);
    const url = /class="token-value push-url" readonly="" value="([^"]+)"/.exec(await res.text())?.[1];
    expect(url).toMatch(new RegExp(`^${ht.url}/api/push/htp_[A-Za-z0-9_-]{43}$`));
    return url!;
  };
  const runs = async () => {
    await ht.store.writer.flush();
    return ht.store.runs.list({ monitor: 'backup' });
  };

  beforeAll(async () => {
    db = await testDatabase(kind);
    const yaml = `
monitors:
  - { name: Nightly backup, id: backup, type: heartbeat, every: 1h, grace: 10m, public: true }
`;
    ht = await startHalftime({ loaded: parseConfigText(yaml, 'test.yaml', {}), dbPath: db.location, port: 0, host: '127.0.0.1', adminPassword: PASSWORD, logger: createLogger({ quiet: true }) });
    const loginPage = await fetch(`${ht.url}/login`);
    const pre = cookies(loginPage);
    const formToken = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())![1];
    const login = await form('/login', { _csrf: formToken, username: 'admin', password: PASSWORD, next: '/admin' }, pre);
    expect(login.status).toBe(303);
    const cookie = cookies(login);
    const admin = await (await fetch(`${ht.url}/admin/monitors/backup`, { headers: { cookie, accept: 'text/html' } })).text();
    session = { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(admin)![1] };
    expect(admin).toContain('Create push URL');
    expect(admin).toContain('pinged every 3600s (+600s grace)');
  });
  afterAll(async () => {
    await ht?.stop(2000);
    await db?.drop();
  });

  it('creates a push URL only with the session\'s CSRF token, shows it once and keeps only its hash', async () => {
    expect((await form('/admin/monitors/backup/push-token', {})).status).toBe(403);
    expect((await form('/admin/monitors/backup/push-token', { _csrf: 'wrong' })).status).toBe(403);
    const url = await newToken();
    const token = url.split('/').pop()!;
    const rows = await storeSql(ht.store).all<Record<string, unknown>>('SELECT * FROM push_tokens');
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(rows[0].prefix).toBe(token.slice(0, 12));
    expect(JSON.stringify(rows)).not.toContain(token.slice(12));
    const page = await (await fetch(`${ht.url}/admin/monitors/backup`, { headers: { cookie: session.cookie, accept: 'text/html' } })).text();
    expect(page).toContain(`<code>${token.slice(0, 12)}…</code>`);
    expect(page).not.toContain(token);
    expect(page).toContain('Rotate push URL');
  });

  it('stores each ping as a run; status=fail makes it down, a good ping brings it back up', async () => {
    const url = await newToken();
    const ok = await fetch(`${url}?duration=1500`, { method: 'POST' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, monitor: 'backup', status: 'up' });
    let list = await runs();
    expect(list[0]).toMatchObject({ ok: true, durationMs: 1500 });
    const detail = await ht.store.runs.get(list[0].id);
    expect(detail!.steps).toHaveLength(1);
    expect(detail!.steps[0]).toMatchObject({ name: 'ping', method: 'PUSH', url: 'push', ok: true });
    for (let i = 0; i < 2; i++) expect((await fetch(`${url}?status=fail&msg=${encodeURIComponent('disk full')}`, { method: 'POST' })).status).toBe(200);
    list = await runs();
    expect(list[0]).toMatchObject({ ok: false, failureCode: 'reported', failureMessage: 'the job reported a failure: disk full' });
    // Judged in the background, as every run is: two failed runs in a row make it down (the default).
    for (let i = 0; i < 20 && ht.alerting.status('backup') !== 'down'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(ht.alerting.status('backup')).toBe('down');
    // GET works too, for jobs that can only fetch.
    expect((await fetch(url)).status).toBe(200);
    for (let i = 0; i < 20 && ht.alerting.status('backup') !== 'up'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(ht.alerting.status('backup')).toBe('up');
    const status = await (await fetch(`${ht.url}/`)).text();
    expect(status).toContain('Nightly backup');
  });

  it('refuses unknown and rotated tokens alike, and a bad query with a sentence', async () => {
    const old = await newToken();
    const fresh = await newToken();
    expect((await fetch(old, { method: 'POST' })).status).toBe(404);
    expect(await (await fetch(`${ht.url}/api/push/htp_${'x'.repeat(43)}`, { method: 'POST' })).json()).toEqual({ ok: false, error: 'unknown push token' });
    expect((await fetch(`${ht.url}/api/push/nonsense`, { method: 'POST' })).status).toBe(404);
    const bad = await fetch(`${fresh}?status=maybe&duration=soon`, { method: 'POST' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toBe('status: status must be ok (or up) or fail (or down, error); duration: duration must be milliseconds or a duration such as 90s (got "soon")');
    expect((await fetch(fresh, { method: 'POST' })).status).toBe(200);
  });

  it('answers 404 for the push form of a monitor that is not a heartbeat monitor', async () => {
    expect((await form('/admin/monitors/nope/push-token', { _csrf: session.csrf })).status).toBe(404);
  });
});
