/**
 * Leases and duties on both engines: one holder at a time, a new fencing token for every new holder,
 * takeover once a lease lapses, a duty that stops at once when its renewal is refused, and a duty
 * that failed to start gives its lease back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDuty, type Duty } from '../../src/cluster/duty.js';
import { checkClock } from '../../src/cluster/node.js';
import { sleep } from '../helpers.js';
import { BACKENDS, dropTestStore, openTestStore, storeSql, type TestStore } from '../support/backends.js';

describe.each(BACKENDS)('leases on %s', (kind) => {
  let store: TestStore;
  const duties: Duty[] = [];
  beforeEach(async () => {
    store = await openTestStore(kind, null);
  });
  afterEach(async () => {
    for (const d of duties.splice(0)) await d.close();
    await dropTestStore(store);
  });

  it('one holder at a time; the token grows only when the holder changes; a lapsed lease is taken over', async () => {
    const c = store.cluster;
    const a1 = await c.acquire('outbox', 'a', 300);
    expect(a1).toBe(1);
    expect(await c.acquire('outbox', 'b', 300)).toBeNull();
    // Renewal keeps the token.
    expect(await c.acquire('outbox', 'a', 300)).toBe(a1);
    expect(await c.holds('outbox', 'a', a1!)).toBe(true);
    await sleep(400);
    // Lapsed: b takes it with a new token; a's token no longer holds, and a cannot renew.
    const b1 = await c.acquire('outbox', 'b', 10_000);
    expect(b1).toBe(2);
    expect(await c.holds('outbox', 'a', a1!)).toBe(false);
    expect(await c.acquire('outbox', 'a', 300)).toBeNull();
    await c.release('outbox', 'b');
    expect(await c.acquire('outbox', 'a', 300)).toBe(1);
    expect((await c.leases()).map((l) => [l.name, l.holder])).toEqual([['outbox', 'a']]);
  });

  it('a duty runs on one of two nodes; when its holder stops answering, the other starts it', async () => {
    const events: string[] = [];
    const duty = (holder: string, ttlMs = 600) => {
      const d = startDuty({ cluster: store.cluster, name: 'scheduler:fra', holder, ttlMs, start: (t) => void events.push(`${holder} start ${t}`), stop: () => void events.push(`${holder} stop`) });
      duties.push(d);
      return d;
    };
    const a = duty('a');
    await a.tick();
    const b = duty('b');
    await b.tick();
    expect(a.token()).toBe(1);
    expect(b.token()).toBeNull();
    // a's node freezes: its lease is taken from under it after it lapses. Simulated by stealing the lease row.
    await storeSql(store).run("UPDATE leases SET expires_at = 0 WHERE name = 'scheduler:fra'");
    await b.tick();
    expect(b.token()).toBe(2);
    // a's next renewal is refused: it stops at once.
    await a.tick();
    expect(a.token()).toBeNull();
    expect(events).toEqual(['a start 1', 'b start 2', 'a stop']);
  });

  it('a start slower than the lease (a thread warming up) keeps the lease: renewals do not wait for it', async () => {
    let started = false;
    const a = startDuty({ cluster: store.cluster, name: 'scheduler:fra', holder: 'a', ttlMs: 300, start: async () => void (await sleep(1_200), (started = true)), stop: () => undefined });
    duties.push(a);
    while (a.token() === null) await sleep(10);
    const b = startDuty({ cluster: store.cluster, name: 'scheduler:fra', holder: 'b', ttlMs: 300, start: () => undefined, stop: () => undefined });
    duties.push(b);
    for (let i = 0; i < 8 && !started; i++) {
      await sleep(200);
      await b.tick();
      expect(b.token()).toBeNull();
    }
    await a.tick();
    expect(started).toBe(true);
    expect(a.token()).toBe(1);
  });

  it('a duty whose start fails gives the lease back, so it is tried again', async () => {
    let attempts = 0;
    const d = startDuty({
      cluster: store.cluster,
      name: 'housekeeping',
      holder: 'a',
      ttlMs: 60_000,
      start: () => {
        if (++attempts === 1) throw new Error('disk full');
      },
      stop: () => undefined,
    });
    duties.push(d);
    // The first try fails: the lease is given back at once, not held for its 60 s doing nothing.
    await d.tick();
    expect(attempts).toBe(1);
    expect(d.token()).toBeNull();
    expect(await store.cluster.leases()).toEqual([]);
    // The next tick takes it again.
    await d.tick();
    expect(attempts).toBe(2);
    expect(d.token()).not.toBeNull();
    expect((await store.cluster.leases()).map((l) => l.holder)).toEqual(['a']);
  });

  it("the node's clock agrees with the database's", async () => {
    expect(Math.abs(await checkClock(store.cluster, 5_000))).toBeLessThan(5_000);
    const live = { id: 'n1', location: 'fra', role: 'all', version: '0.1.0', startedAt: Date.now() };
    await store.cluster.heartbeat(live);
    expect((await store.cluster.nodes(10_000)).map((n) => n.id)).toEqual(['n1']);
    await store.cluster.leave('n1');
    expect(await store.cluster.nodes(10_000)).toEqual([]);
  });
});
