import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LEVELS, rowToBucket, type BucketRow, type Level } from '../../src/store/rollups.js';
import { createSketch, nearestRank, summarize } from '../../src/store/sketch.js';
import { BACKENDS, dropTestStore, openTestStore, storeSql, type TestStore } from '../support/backends.js';
import { logNormal, rng, runOf, step } from './history-fixtures.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);

describe.each(BACKENDS)('rollups written with the runs on %s', (kind) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(kind, [
      { key: 'one', name: 'One step', public: true, schedule: 'every 60s', steps: 1 },
      { key: 'two', name: 'Two steps', public: true, schedule: 'every 60s', steps: 2 },
    ], { flushMs: 60_000 });
  });
  afterEach(() => dropTestStore(store));

  const sql = () => storeSql(store);
  const idOf = async (key: string) => (await store.history.monitor(key))!.id;
  async function rows(level: Level, key: string, stepIdx?: number): Promise<BucketRow[]> {
    const text = `SELECT * FROM ${LEVELS[level].table} WHERE monitor_id = ?${stepIdx === undefined ? '' : ' AND step = ?'} ORDER BY ts, step`;
    return sql().all<BucketRow>(text, stepIdx === undefined ? [await idOf(key)] : [await idOf(key), stepIdx]);
  }

  it('aggregates a batch into minute, hour and day buckets of the whole run', async () => {
    // Three runs in minute 0, one failure in minute 1, one run the next hour.
    store.writer.write(runOf('one', T0 + 1_000, [step(0, T0, 100)]));
    store.writer.write(runOf('one', T0 + 20_000, [step(0, T0, 200)]));
    store.writer.write(runOf('one', T0 + 59_999, [step(0, T0, 300)]));
    store.writer.write(runOf('one', T0 + 60_000, [step(0, T0, 5000, false)]));
    store.writer.write(runOf('one', T0 + HOUR + 5, [step(0, T0, 50)]));
    await store.writer.flush();

    const minutes = await rows('minute', 'one');
    expect(minutes.map((r) => [r.ts - T0, r.step, r.runs, r.failures])).toEqual([
      [0, -1, 3, 0],
      [60_000, -1, 1, 1],
      [HOUR, -1, 1, 0],
    ]);
    const m0 = rowToBucket(minutes[0]);
    expect(summarize(m0.total)).toMatchObject({ count: 3, min: 100, max: 300, mean: 200 });
    expect(nearestRank(m0.total, 0.5)).toBeCloseTo(200, -1);
    expect(nearestRank(m0.total, 0.95)).toBe(300);
    expect(m0.phases).toEqual({ dns: 3, connect: 6, tls: 9, ttfb: 300, download: 3 });
    // The failure counts as a run, but its latency is not in the sketch.
    expect(rowToBucket(minutes[1]).total.count).toBe(0);

    const hours = await rows('hour', 'one');
    expect(hours.map((r) => [r.ts - T0, r.runs, r.failures])).toEqual([
      [0, 4, 1],
      [HOUR, 1, 0],
    ]);
    const days = await rows('day', 'one');
    expect(days).toHaveLength(1);
    expect(days[0].ts).toBe(Date.UTC(2026, 10, 26));
    expect([days[0].runs, days[0].failures]).toEqual([5, 1]);
    expect(summarize(rowToBucket(days[0]).total)).toMatchObject({ count: 4, min: 50, max: 300 });
    // One-step runs keep no separate step buckets.
    expect(await rows('minute', 'one', 0)).toHaveLength(0);
  });

  it('merges a later batch into existing buckets (read-merge-write) and equals writing it all at once', async () => {
    const rand = rng(3);
    const values = Array.from({ length: 120 }, () => logNormal(rand, 5, 1));
    values.slice(0, 60).forEach((v, i) => store.writer.write(runOf('one', T0 + i * 500, [step(0, T0, v)])));
    await store.writer.flush();
    values.slice(60).forEach((v, i) => store.writer.write(runOf('one', T0 + (60 + i) * 500, [step(0, T0, v)])));
    await store.writer.flush();

    const direct = createSketch();
    values.forEach((v) => direct.accept(v));
    for (const level of ['minute', 'hour', 'day'] as Level[]) {
      const r = await rows(level, 'one');
      const b = rowToBucket(r[0]);
      expect(r[0].runs + (r[1]?.runs ?? 0)).toBe(120);
      if (level !== 'minute') {
        expect(r).toHaveLength(1);
        for (const q of [0.5, 0.95, 0.99]) expect(nearestRank(b.total, q)).toBe(nearestRank(direct, q));
        expect(b.total.min).toBe(direct.min);
        expect(b.total.max).toBe(direct.max);
      }
    }
    // The hour's sketch is exactly the merge of its minutes'.
    const merged = createSketch();
    for (const r of await rows('minute', 'one')) merged.merge(rowToBucket(r).total);
    expect(nearestRank(rowToBucket((await rows('hour', 'one'))[0]).total, 0.95)).toBe(nearestRank(merged, 0.95));
  });

  it('keeps per-step buckets for multi-step runs, with step failures', async () => {
    store.writer.write(runOf('two', T0, [step(0, T0, 10), step(1, T0, 90)]));
    store.writer.write(runOf('two', T0 + 1000, [step(0, T0, 20), step(1, T0, 80, false)]));
    store.writer.write(runOf('two', T0 + 2000, [step(0, T0, 30, false)]));
    await store.writer.flush();
    const m = await rows('minute', 'two');
    expect(m.map((r) => [r.step, r.runs, r.failures])).toEqual([
      [-1, 3, 2],
      [0, 3, 1],
      [1, 2, 1],
    ]);
    expect(summarize(rowToBucket(m[0]).total)).toMatchObject({ count: 1, min: 100 });
    expect(summarize(rowToBucket(m[1]).total)).toMatchObject({ count: 2, min: 10, max: 20 });
    expect(summarize(rowToBucket(m[2]).ttfb)).toMatchObject({ count: 1, min: 45 });
  });

  it('replaces an unreadable stored bucket instead of failing every later batch', async () => {
    store.writer.write(runOf('one', T0, [step(0, T0, 10)]));
    await store.writer.flush();
    await sql().run('UPDATE rollup_minute SET total_sketch = ?', [Buffer.from('garbage')]);
    store.writer.write(runOf('one', T0 + 1000, [step(0, T0, 20)]));
    expect(await store.writer.flush()).toBe(1);
    expect(store.writer.pending).toBe(0);
    const m = await rows('minute', 'one');
    expect(summarize(rowToBucket(m[0]).total)).toMatchObject({ count: 1, min: 20 });
    // The hour and day buckets were fine and merged both runs.
    expect(summarize(rowToBucket((await rows('hour', 'one'))[0]).total)).toMatchObject({ count: 2, min: 10, max: 20 });
  });

  it('keys step buckets by step name, so persona journeys (each persona walks its own steps) keep per-step rollups', async () => {
    const named = (name: string, i: number, ms: number, ok = true) => ({ ...step(i, T0, ms, ok), name });
    store.writer.write({ ...runOf('two', T0, [named('home', 0, 10), named('pay', 1, 90)]), persona: 'buyer' });
    store.writer.write({ ...runOf('two', T0 + 1, [named('home', 0, 15), named('search', 1, 25), named('search', 2, 35, false)]), persona: 'browser' });
    await store.writer.flush();
    const keys = await sql().all('SELECT name, step FROM step_keys WHERE monitor_id = ? ORDER BY step', [await idOf('two')]);
    expect(keys).toEqual([
      { name: 'home', step: 0 },
      { name: 'pay', step: 1 },
      { name: 'search', step: 2 },
    ]);
    // "search" ran twice in one run (a task picked twice): both count, under one key.
    expect((await rows('minute', 'two')).map((r) => [r.step, r.runs, r.failures])).toEqual([
      [-1, 2, 1],
      [0, 2, 0],
      [1, 1, 0],
      [2, 2, 1],
    ]);
    expect(summarize(rowToBucket((await rows('minute', 'two', 0))[0]).total)).toMatchObject({ count: 2, min: 10, max: 15 });
    expect((await store.history.steps(await idOf('two'))).map((s) => [s.step, s.name, s.position, s.current])).toEqual([
      [0, 'home', null, true],
      [1, 'pay', null, true],
      [2, 'search', null, true],
    ]);
  });

  it('a key assigned in a batch that failed is not kept (keys commit with their rollups)', async () => {
    store.writer.write(runOf('two', T0, [{ ...step(0, T0, 10), name: 'a' }]));
    await store.writer.flush();
    // The day rollups unreachable (the same statement on both engines): the batch fails at its last write.
    await sql().exec('ALTER TABLE rollup_day RENAME TO rollup_day_away');
    store.writer.write(runOf('two', T0 + 1, [{ ...step(0, T0, 10), name: 'b' }]));
    expect(await store.writer.flush()).toBe(0);
    expect(await sql().pluck('SELECT name FROM step_keys ORDER BY step')).toEqual(['a']);
    await sql().exec('ALTER TABLE rollup_day_away RENAME TO rollup_day');
    store.writer.write(runOf('two', T0 + 2, [{ ...step(0, T0, 10), name: 'c' }]));
    expect(await store.writer.flush()).toBe(2);
    expect(await sql().all('SELECT name, step FROM step_keys ORDER BY step')).toEqual([
      { name: 'a', step: 0 },
      { name: 'b', step: 1 },
      { name: 'c', step: 2 },
    ]);
  });

  it('drops runs of unknown monitors from the rollups as from the runs', async () => {
    store.writer.write(runOf('gone', T0, [step(0, T0, 10)]));
    await store.writer.flush();
    expect(await sql().pluck('SELECT count(*) FROM rollup_minute')).toEqual([0]);
  });
});
