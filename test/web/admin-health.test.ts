/**
 * The operator sees what /healthz says: the dashboard banner and /admin/health list each problem with
 * its reason; the outbox's waiting and dead messages are listed there and at GET /api/v1/outbox.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHealth } from '../../src/health/registry.js';
import { newApiToken } from '../../src/web/auth/secrets.js';
import { BACKENDS, type Backend } from '../support/backends.js';
import { adminFixture, type AdminFixture } from './admin-helpers.js';

let f: AdminFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

const T0 = Date.parse('2026-11-23T10:00:00Z');

async function withOperations(kind: Backend) {
  const health = createHealth({ now: () => T0 + 60_000 });
  const fx = await adminFixture({
    kind,
    operatorWith: (store) => ({
      operations: {
        health,
        outbox: store.alerts.outbox,
        writer: () => store.writer.health(),
        integrity: () => ({ at: T0, result: { status: 'ok', ms: 42 } }),
        scheduler: () => ({ started: 10, finished: 9, skipped: 0, inFlight: 1, queued: 0 }),
      },
    }),
  });
  fx.clock.now = T0 + 60_000;
  return { fx, health };
}

describe.each(BACKENDS)('halftime health for the operator on %s', (kind) => {
  it('the dashboard banner and /admin/health show the same reasons as /healthz', async () => {
    const { fx, health } = await withOperations(kind);
    f = fx;
    const { cookie } = await fx.login();
    const get = async (path: string) => (await fx.request(path, { headers: { cookie, accept: 'text/html' } })).text();
    expect(await get('/admin')).toContain('halftime is healthy.');
    health.fail('writes', 'writes failing since 2026-11-23T10:00:00.000Z: database or disk is full — 12 check results wait in memory', T0);
    const dashboard = await get('/admin');
    expect(dashboard).toContain('halftime is unhealthy');
    expect(dashboard).toContain('<strong>writes</strong>: writes failing since 2026-11-23T10:00:00.000Z: database or disk is full — 12 check results wait in memory');
    const page = await get('/admin/health');
    expect(page).toContain('Unhealthy');
    expect(page).toContain('database or disk is full');
    expect(page).toContain('passed');
    expect(await get('/admin/partials/health')).toContain('data-check="writes"');
    // The same list on /healthz, with 503.
    const hz = await fx.request('/healthz');
    expect(hz.status).toBe(503);
    expect(((await hz.json()) as { problems: { check: string }[] }).problems.map((p) => p.check)).toEqual(['writes']);
    // Behind the login.
    expect((await fx.request('/admin/health', { headers: { accept: 'text/html' } })).status).toBe(303);
  });

  it('lists waiting and dead outbox messages on /admin/health and at GET /api/v1/outbox', async () => {
    const { fx } = await withOperations(kind);
    f = fx;
    const event = (id: string, kind: string) => JSON.stringify({ id, kind, monitor: { key: 'shop' } });
    await fx.store.alerts.enqueue('ops-mail', event('evt-dead', 'down'), T0);
    await fx.store.alerts.enqueue('ops-mail', event('evt-wait', 'recovered'), T0 + 1);
    const dead = (await fx.store.alerts.outbox.head('ops-mail'))!;
    await fx.store.alerts.outbox.dead(dead.id, T0 + 2, 'permanent failure: webhook answered HTTP 400', { error: 'webhook answered HTTP 400' });
    const { cookie } = await fx.login();
    const page = await (await fx.request('/admin/health', { headers: { cookie, accept: 'text/html' } })).text();
    expect(page).toMatch(/data-outbox="\d+"[\s\S]*?recovered[\s\S]*?evt-wait[\s\S]*?waiting; next try now/);
    expect(page).toMatch(/evt-dead[\s\S]*?<strong class="error">dead<\/strong>[\s\S]*?permanent failure: webhook answered HTTP 400/);

    const user = (await fx.store.auth.userByName('admin'))!;
    const t = newApiToken();
    await fx.store.auth.createToken('ci', t.hash, t.prefix, user.id, T0);
    const api = async (path: string) => fx.request(path, { headers: { authorization: `Bearer ${t.token}` } });
    const pending = (await (await api('/api/v1/outbox')).json()) as { messages: Record<string, unknown>[]; backlog: unknown[] };
    expect(pending.messages).toMatchObject([{ state: 'pending', eventId: 'evt-wait', kind: 'recovered', monitor: 'shop', channel: 'ops-mail', deadAt: null }]);
    expect(pending.messages[0]).not.toHaveProperty('event');
    expect(pending.backlog).toEqual([{ channel: 'ops-mail', count: 1, oldest: T0 + 1, lastError: null }]);
    const deadList = (await (await api('/api/v1/outbox?state=dead')).json()) as { messages: Record<string, unknown>[] };
    expect(deadList.messages).toMatchObject([{ state: 'dead', eventId: 'evt-dead', deadReason: 'permanent failure: webhook answered HTTP 400', attempts: 1 }]);
    expect((await (await api('/api/v1/outbox?state=all&limit=1')).json()) as { next: number }).toMatchObject({ next: expect.any(Number) });
    expect((await api('/api/v1/outbox?state=lost')).status).toBe(400);
    expect((await api('/api/v1/health')).status).toBe(200);
    expect((await fx.request('/api/v1/outbox')).status).toBe(401);
  });
});
