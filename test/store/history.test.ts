import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openSqlite } from '../../src/store/db.js';
import { openStore, type MonitorDef } from '../../src/store/index.js';
import { migrations } from '../../src/store/migrations.js';
import { BACKENDS, dropTestStore, openTestStore, storeSql, type TestStore } from '../support/backends.js';
import { DAY, HOUR, MIN, runOf, step } from './history-fixtures.js';

const NOW = Date.UTC(2026, 10, 26, 12, 30, 15);
const MONITORS: MonitorDef[] = [
  { key: 'one', name: 'One', public: true, schedule: 'every 60s', steps: 1 },
  { key: 'two', name: 'Two', public: true, schedule: 'every 60s', steps: 2 },
];

describe('rollups migration on SQLite', () => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore('sqlite', MONITORS, { flushMs: 60_000 });
  });
  afterEach(() => dropTestStore(store));

  it('is applied to a database whose later migrations (3, 4, 6) ran before it existed', async () => {
    // A database from before migration 15 (which rebuilt the rollup tables with a location).
    const path = join(dirname(store.db.location), 'older.db');
    await store.close();
    const sql = await openSqlite(path, { migrateTo: 14 });
    for (const t of ['rollup_minute', 'rollup_hour', 'rollup_day']) await sql.exec(`DROP TABLE ${t}`);
    await sql.run('DELETE FROM schema_migrations WHERE version = 2');
    // Migration 2 now, then the ones after 14.
    expect(await migrate(sql)).toBe(1 + migrations.filter((m) => m.version > 14).length);
    await sql.close();
    store = Object.assign(await openStore(path, MONITORS, { flushMs: 60_000 }), { db: store.db });
    store.writer.write(runOf('one', NOW - MIN, [step(0, 0, 12)]));
    await store.writer.flush();
    expect((await store.history.series('one', '24h', { now: NOW }))!.summary.runs).toBe(1);
  });
});

describe.each(BACKENDS)('history series on %s', (kind) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(kind, MONITORS, { flushMs: 60_000 });
  });
  afterEach(() => dropTestStore(store));

  it('reads the right level and window for each range', async () => {
    const expected = { '24h': [MIN, 1440], '7d': [HOUR, 168], '30d': [HOUR, 720], '1y': [DAY, 365] } as const;
    for (const [range, [bucketMs, points]] of Object.entries(expected)) {
      const s = (await store.history.series('one', range as keyof typeof expected, { now: NOW }))!;
      expect(s.bucketMs).toBe(bucketMs);
      expect(s.to).toBe(Math.floor(NOW / bucketMs) * bucketMs);
      expect((s.to - s.from) / bucketMs + 1).toBe(points);
      expect(s.t).toEqual([]);
      expect(s.summary).toMatchObject({ runs: 0, uptime: null, p95: null });
    }
    expect(await store.history.series('nope', '24h', { now: NOW })).toBeUndefined();
  });

  it('returns percentiles, uptime and phase means per bucket, with a null point over gaps', async () => {
    // Minute -10: two runs (100, 300 ms); minute -5: one failure; minute -4: 50 ms. Minute -2000: outside 24h.
    store.writer.write(runOf('one', NOW - 10 * MIN, [step(0, 0, 100)]));
    store.writer.write(runOf('one', NOW - 10 * MIN + 1, [step(0, 0, 300)]));
    store.writer.write(runOf('one', NOW - 5 * MIN, [step(0, 0, 900, false)]));
    store.writer.write(runOf('one', NOW - 4 * MIN, [step(0, 0, 50)]));
    store.writer.write(runOf('one', NOW - 2000 * MIN, [step(0, 0, 70)]));
    await store.writer.flush();
    const s = (await store.history.series('one', '24h', { now: NOW }))!;
    const m = (k: number) => Math.floor((NOW - k * MIN) / MIN) * MIN;
    expect(s.t).toEqual([m(10), m(9), m(5), m(4)]);
    expect(s.runs).toEqual([2, null, 1, 1]);
    expect(s.failures).toEqual([0, null, 1, 0]);
    expect(s.uptime).toEqual([1, null, 0, 1]);
    expect(s.min[0]).toBe(100);
    expect(s.max[0]).toBe(300);
    expect(s.mean[0]).toBe(200);
    expect(s.p50[2]).toBeNull();
    expect(s.p99[3]).toBe(50);
    expect(s.phases.ttfb[0]).toBe(100);
    expect(s.phases.dns[3]).toBe(1);
    expect(s.summary).toMatchObject({ runs: 4, failures: 1, uptime: 0.75, min: 50, max: 300, count: 3 });

    const week = (await store.history.series('one', '7d', { now: NOW }))!;
    const h1 = Math.floor((NOW - 2000 * MIN) / HOUR) * HOUR;
    expect(week.t).toEqual([h1, h1 + HOUR, Math.floor(NOW / HOUR) * HOUR]);
    expect(week.runs).toEqual([1, null, 4]);
    expect(week.summary.runs).toBe(5);
    const year = (await store.history.series('one', '1y', { now: NOW }))!;
    expect(year.summary).toMatchObject({ runs: 5, failures: 1, max: 300 });
  });

  it('reads one step of a multi-step monitor, and step 0 of a one-step monitor from its run buckets', async () => {
    store.writer.write(runOf('two', NOW - MIN, [step(0, 0, 10), step(1, 0, 90)]));
    // Two runs in one millisecond (a "run now" beside a scheduled one): different planned times.
    store.writer.write({ ...runOf('two', NOW - MIN, [step(0, 0, 12, false)]), plannedAt: NOW - MIN - 1 });
    store.writer.write(runOf('one', NOW - MIN, [step(0, 0, 33)]));
    await store.writer.flush();
    const whole = (await store.history.series('two', '24h', { now: NOW }))!;
    expect([whole.runs[0], whole.failures[0], whole.max[0]]).toEqual([2, 1, 100]);
    const s0 = (await store.history.series('two', '24h', { now: NOW, step: 0 }))!;
    expect([s0.runs[0], s0.failures[0], s0.max[0]]).toEqual([2, 1, 10]);
    const s1 = (await store.history.series('two', '24h', { now: NOW, step: 1 }))!;
    expect([s1.runs[0], s1.failures[0], s1.max[0]]).toEqual([1, 0, 90]);
    expect((await store.history.series('two', '24h', { now: NOW, step: 5 }))!.t).toEqual([]);
    const one0 = (await store.history.series('one', '24h', { now: NOW, step: 0 }))!;
    expect([one0.runs[0], one0.max[0]]).toEqual([1, 33]);
    expect(await store.history.steps((await store.history.monitor('one'))!.id)).toEqual([{ step: 0, name: 'step <0>', position: 0, current: true }]);
  });

  it('a one-step monitor whose step was renamed reads the run rollups for its current name, and lists only that', async () => {
    store.writer.write(runOf('one', NOW - 3 * MIN, [{ ...step(0, 0, 30), name: 'GET /' }]));
    store.writer.write(runOf('one', NOW - 2 * MIN, [{ ...step(0, 0, 40), name: 'home' }]));
    await store.writer.flush();
    const id = (await store.history.monitor('one'))!.id;
    expect((await store.history.steps(id)).map((s) => [s.step, s.name])).toEqual([[1, 'home']]);
    // The run rows stand for the current step (the one-step optimisation keeps no step rows).
    expect((await store.history.series('one', '24h', { now: NOW, step: 1 }))!.summary).toMatchObject({ runs: 2, min: 30, max: 40 });
    expect((await store.history.series('one', '24h', { now: NOW, step: 0 }))!.summary.runs).toBe(0);
    expect(await storeSql(store).pluck('SELECT count(*) FROM rollup_minute WHERE step >= 0')).toEqual([0]);
  });

  it('gives the status page an hourly p95 line for the last 24 hours, with failures and runs per hour', async () => {
    for (let i = 0; i < 100; i++) store.writer.write(runOf('one', NOW - 2 * HOUR + i * 1000, [step(0, 0, i + 1)]));
    store.writer.write(runOf('one', NOW - 2 * HOUR + 100_000, [step(0, 0, 5000, false)]));
    await store.writer.flush();
    const trend = await store.history.trend((await store.history.monitor('one'))!.id, NOW);
    const line = trend.p95;
    expect(line).toHaveLength(24);
    expect(line.filter((v) => v !== null)).toHaveLength(1);
    expect(line[21]).toBeGreaterThanOrEqual(94 * 0.99);
    expect(line[21]).toBeLessThanOrEqual(95 * 1.01);
    expect(trend.runs).toEqual(line.map((_, i) => (i === 21 ? 101 : 0)));
    expect(trend.failures).toEqual(line.map((_, i) => (i === 21 ? 1 : 0)));
  });
});
