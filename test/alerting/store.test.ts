import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { schemaVersion } from '../../src/store/db.js';
import { BACKENDS, dropTestStore, openTestStore, storeSql, type TestStore } from '../support/backends.js';
import { makeRun, writeHistory } from './fixtures.js';

const T0 = Date.parse('2026-11-23T10:00:00Z');

describe.each(BACKENDS)('alert tables and latency windows on %s', (kind) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(kind, [{ key: 'm', name: 'M', public: true, schedule: '' }]);
  });
  afterEach(() => dropTestStore(store));

  it('the alert tables exist (SQLite: migration 3 is applied)', async () => {
    const sql = storeSql(store);
    expect(await schemaVersion(sql)).toBeGreaterThanOrEqual(3);
    // PostgreSQL's first migration creates the schema as SQLite has it at a later version (see postgres/migrations.ts).
    if (kind === 'sqlite') expect(await sql.pluck('SELECT version FROM schema_migrations')).toContain(3);
    const tables = await sql.pluck(
      kind === 'sqlite' ? "SELECT name FROM sqlite_master WHERE type = 'table'" : "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
    );
    expect(tables).toEqual(expect.arrayContaining(['alert_state', 'incidents', 'outbox']));
  });

  it('exact nearest-rank percentiles over [from, to), successful runs only, per run or per step', async () => {
    // Durations 1..200 ms in shuffled order, one per second; plus failed runs that must not count.
    const durations = Array.from({ length: 200 }, (_, i) => i + 1).sort((a, b) => ((a * 7919) % 200) - ((b * 7919) % 200));
    const runs = durations.map((d, i) => makeRun('m', T0 + i * 1000, { steps: [{ name: 'a', totalMs: d }, { name: 'b', totalMs: 1000 - d }] }));
    runs.push(makeRun('m', T0 + 50_500, { ok: false, durationMs: 99_999 }));
    await writeHistory(store, runs);
    const q = (percentile: number, from = T0, to = T0 + 200_000, step?: string) => store.latency({ monitorKey: 'm', percentile, from, to, step });
    expect(await q(0.95, T0, T0 + 200_000, 'a')).toEqual({ value: 190, samples: 200 });
    expect(await q(0.5, T0, T0 + 200_000, 'a')).toEqual({ value: 100, samples: 200 });
    expect(await q(1, T0, T0 + 200_000, 'a')).toEqual({ value: 200, samples: 200 });
    expect(await q(0.99, T0, T0 + 200_000, 'b')).toEqual({ value: 997, samples: 200 });
    // Whole runs: a + b = 1000 ms each.
    expect(await q(0.95)).toEqual({ value: 1000, samples: 200 });
    // [from, to): the run at `to` is excluded, the one at `from` included.
    const window = durations.slice(10, 20).sort((a, b) => a - b);
    expect(await q(0.95, T0 + 10_000, T0 + 20_000, 'a')).toEqual({ value: window[Math.ceil(0.95 * 10) - 1], samples: 10 });
    expect(await q(0.95, T0 - 10_000, T0, 'a')).toEqual({ value: null, samples: 0 });
    expect(await q(0.95, T0, T0 + 200_000, 'nope')).toEqual({ value: null, samples: 0 });
    await expect(q(0)).rejects.toThrow(/percentile/);
  });

  it('outbox: per-channel order, delivery marks, pruning', async () => {
    const { outbox } = store.alerts;
    await store.alerts.enqueue('a', '{"n":1}', T0);
    await store.alerts.enqueue('b', '{"n":2}', T0);
    await store.alerts.enqueue('a', '{"n":3}', T0);
    expect((await outbox.channelsWithPending()).sort()).toEqual(['a', 'b']);
    const first = (await outbox.head('a'))!;
    expect(first.event).toBe('{"n":1}');
    await outbox.failed(first.id, T0 + 5000, 'nope');
    // A failed head keeps its place: order within a channel is kept.
    expect(await outbox.head('a')).toMatchObject({ id: first.id, attempts: 1, nextAttemptAt: T0 + 5000, lastError: 'nope' });
    await outbox.delivered(first.id, T0 + 6000);
    expect((await outbox.head('a'))!.event).toBe('{"n":3}');
    expect(await outbox.pending()).toBe(2);
    expect(await outbox.prune(T0 + 6000)).toBe(0);
    expect(await outbox.prune(T0 + 6001)).toBe(1);
    expect(await outbox.all()).toHaveLength(2);
  });
});
