import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { schemaVersion } from '../../src/store/db.js';
import { createApp } from '../../src/web/app.js';
import { ensureAdmin } from '../../src/web/auth/bootstrap.js';
import { createLoginLimiter } from '../../src/web/auth/login-limiter.js';
import { hashPassword, verifyPassword } from '../../src/web/auth/password.js';
import { safeNext } from '../../src/web/auth/auth.js';
import { createEventHub } from '../../src/web/events.js';
import { BACKENDS, dropTestStore, openTestStore, storeSql, type TestStore } from '../support/backends.js';

describe('passwords', () => {
  it('are hashed with scrypt and a fresh salt, and verified', async () => {
    const a = await hashPassword('hunter2 hunter2');
    const b = await hashPassword('hunter2 hunter2');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{86}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('hunter2 hunter2', a)).toBe(true);
    expect(await verifyPassword('hunter2 hunter3', a)).toBe(false);
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$99999999$8$1$abc$def')).toBe(false);
  });
});

describe.each(BACKENDS)('admin account at start on %s', (kind) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(kind, [{ key: 'shop', name: 'Shop', public: true, schedule: 'every 30s' }]);
  });
  afterEach(() => dropTestStore(store));

  it('is created from the password, updated when it changes, and left alone without one', async () => {
    expect(await schemaVersion(storeSql(store))).toBeGreaterThanOrEqual(6);
    expect(await ensureAdmin(store.auth, undefined)).toBe('setup-needed');
    await expect(ensureAdmin(store.auth, 'short')).rejects.toThrow(/at least 10 characters/);
    expect(await ensureAdmin(store.auth, 'first password')).toBe('created');
    expect(await ensureAdmin(store.auth, 'first password')).toBe('unchanged');
    const id = (await store.auth.userByName('admin'))!.id;
    await store.auth.createSession('h', id, 'csrf', Date.now() + 60_000);
    expect(await ensureAdmin(store.auth, 'second password')).toBe('updated');
    expect(await verifyPassword('second password', (await store.auth.userByName('admin'))!.passwordHash)).toBe(true);
    expect(await store.auth.session('h')).toBeUndefined(); // a new password ends old sessions
    expect(await ensureAdmin(store.auth, undefined)).toBe('exists');
  });
});

describe('login limiter', () => {
  it('blocks an address after max failures until its window ends, and forgets it after success', () => {
    const l = createLoginLimiter({ max: 2, windowMs: 1000 });
    l.fail('a', 0);
    expect(l.retryAfter('a', 10)).toBe(0);
    l.fail('a', 10);
    expect(l.retryAfter('a', 10)).toBe(990);
    expect(l.retryAfter('b', 10)).toBe(0);
    expect(l.retryAfter('a', 1000)).toBe(0);
    l.fail('c', 0);
    l.succeed('c');
    l.fail('c', 1);
    expect(l.retryAfter('c', 2)).toBe(0);
  });

  it('tracks a bounded number of addresses', () => {
    const l = createLoginLimiter({ max: 1, windowMs: 60_000, maxKeys: 100 });
    for (let i = 0; i < 1000; i++) l.fail(`10.0.${i >> 8}.${i & 255}`, 0);
    expect(l.retryAfter('10.0.3.231', 1)).toBeGreaterThan(0); // the newest is still there
    expect(l.retryAfter('10.0.0.0', 1)).toBe(0); // the oldest were dropped
  });
});

describe('redirect after login', () => {
  it('goes only to a path on this site', () => {
    expect(safeNext('/admin/monitors/x?y=1')).toBe('/admin/monitors/x?y=1');
    expect(safeNext('//evil.example/')).toBe('/admin');
    expect(safeNext('/\\evil.example')).toBe('/admin');
    expect(safeNext('https://evil.example/')).toBe('/admin');
    expect(safeNext(undefined)).toBe('/admin');
  });
});

describe.each(BACKENDS)('status page render cache on %s', (kind) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(kind, [{ key: 'shop', name: 'Shop', public: true, schedule: 'every 30s' }]);
  });
  afterEach(() => dropTestStore(store));

  it('serves the cached render until new runs are written (and it is a second old) or it expires', async () => {
    const events = createEventHub();
    const clock = { now: Date.now() };
    const app = createApp({
      status: store.status,
      title: 'Acme',
      schedulerAlive: () => true,
      now: () => clock.now,
      statusCacheMs: 1500,
      operator: { users: store.auth, admin: store.admin, runs: store.runs, events },
    });
    const first = await (await app.request('/')).text();
    expect(first).toContain('No data yet');
    store.writer.write({ monitorId: 'shop', plannedAt: clock.now, startedAt: clock.now, durationMs: 12, ok: true, steps: [] });
    await store.writer.flush();
    // Written but not announced: still the cached page.
    expect(await (await app.request('/')).text()).toBe(first);
    events.publish({ type: 'runs', monitors: ['shop'] });
    // Announced, but the render is younger than a second: a stream of writes cannot force a render per request.
    expect(await (await app.request('/')).text()).toBe(first);
    clock.now += 1000;
    const second = await (await app.request('/')).text();
    expect(second).toContain('badge-up');
    // Expiry alone also refreshes (the "x s ago" figures move on).
    clock.now += 1600;
    const third = await (await app.request('/')).text();
    expect(third).not.toBe(second);
    expect(await (await app.request('/partials/status')).text()).toContain('badge-up');
    // Gzipped for clients that accept it (the same bytes every time while cached).
    const gz = await app.request('/', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString()).toBe(third);
  });
});
