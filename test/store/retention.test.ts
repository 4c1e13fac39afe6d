import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { startRetentionJob, type RetentionPolicy } from '../../src/store/index.js';
import { BACKENDS, dropTestStore, openTestStore, storeSql, type TestStore } from '../support/backends.js';
import { DAY, HOUR, MIN, runOf, step } from './history-fixtures.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const POLICY: RetentionPolicy = { runs: 7 * DAY, minute: 2 * DAY, hourly: 90 * DAY, daily: 730 * DAY };
const tables = ['runs', 'step_results', 'rollup_minute', 'rollup_hour', 'rollup_day', 'daily_uptime'];

describe.each(BACKENDS)('retention on %s', (kind) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(kind, [
      { key: 'a', name: 'A', public: true, schedule: 'every 60s', steps: 2 },
      { key: 'b', name: 'B', public: false, schedule: 'every 60s', steps: 1 },
    ], { flushMs: 60_000 });
  });
  afterEach(() => dropTestStore(store));

  const count = async (text: string, ...args: unknown[]) => (await storeSql(store).pluck<number>(text, args))[0];
  const snapshot = async () => Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await count(`SELECT count(*) FROM ${t}`)] as const)));

  /** Runs of both monitors at the given ages (one per age, each in its own minute). */
  async function seed(ages: number[]) {
    for (const age of ages) {
      store.writer.write(runOf('a', NOW - age, [step(0, 0, 10), step(1, 0, 20)]));
      store.writer.write(runOf('b', NOW - age, [step(0, 0, 30)]));
    }
    await store.writer.flush();
  }

  it('deletes exactly the rows older than each limit, in small batches, and nothing else', async () => {
    // Ages straddling every limit: 1 ms inside and 1 ms beyond, plus clearly old and clearly new rows.
    const ages = [MIN, DAY, 2 * DAY - MIN, 2 * DAY + MIN, 7 * DAY - MIN, 7 * DAY + MIN, 30 * DAY, 89 * DAY, 91 * DAY, 729 * DAY, 731 * DAY, 800 * DAY];
    await seed(ages);
    const before = await snapshot();
    const expectLeft = (table: string, col: string, keep: number) =>
      count(`SELECT count(*) FROM ${table} WHERE ${col} >= ?`, NOW - keep);

    const want = {
      runs: await expectLeft('runs', 'started_at', POLICY.runs),
      minute: await expectLeft('rollup_minute', 'ts', POLICY.minute),
      hour: await expectLeft('rollup_hour', 'ts', POLICY.hourly),
      day: await expectLeft('rollup_day', 'ts', POLICY.daily),
    };
    let pauses = 0;
    const counts = await store.retention(POLICY, { batchSize: 3, pause: async () => void pauses++ }).run(NOW);

    expect(await count('SELECT count(*) FROM runs')).toBe(want.runs);
    expect(await count('SELECT count(*) FROM runs WHERE started_at < ?', NOW - POLICY.runs)).toBe(0);
    expect(want.runs).toBe(2 * 5); // MIN, DAY, 2d-1m, 2d+1m, 7d-1m for both monitors
    expect(await count('SELECT count(*) FROM rollup_minute')).toBe(want.minute);
    expect(await count('SELECT count(*) FROM rollup_minute WHERE ts < ?', NOW - POLICY.minute)).toBe(0);
    expect(await count('SELECT count(*) FROM rollup_hour')).toBe(want.hour);
    expect(await count('SELECT count(*) FROM rollup_day')).toBe(want.day);
    expect(await count('SELECT count(*) FROM rollup_day WHERE ts < ?', NOW - POLICY.daily)).toBe(0);
    // Step results went with their runs (3 per run pair: two steps of a, one of b).
    expect(await count('SELECT count(*) FROM step_results')).toBe(5 * 3);
    expect(await count('SELECT count(*) FROM step_results WHERE run_id NOT IN (SELECT id FROM runs)')).toBe(0);
    // Daily uptime bars are kept as long as daily rollups.
    expect(await count('SELECT count(*) FROM daily_uptime WHERE day < ?', new Date(NOW - POLICY.daily).toISOString().slice(0, 10))).toBe(0);
    expect(await count('SELECT count(*) FROM daily_uptime')).toBeGreaterThan(0);

    const after = await snapshot();
    expect(counts.runs).toBe(before.runs - after.runs);
    expect(counts.minute).toBe(before.rollup_minute - after.rollup_minute);
    expect(counts.hourly).toBe(before.rollup_hour - after.rollup_hour);
    expect(counts.daily).toBe(before.rollup_day - after.rollup_day);
    expect(counts.dailyUptime).toBe(before.daily_uptime - after.daily_uptime);
    expect(counts.runs).toBe(14);
    // Batches of at most 3 rows: many of them, with a pause after each.
    expect(pauses).toBeGreaterThanOrEqual(Math.ceil((counts.runs + counts.minute + counts.hourly + counts.daily) / 3) - 8);

    // A second pass finds nothing more.
    expect(await store.retention(POLICY, { batchSize: 3 }).run(NOW)).toEqual({ runs: 0, minute: 0, hourly: 0, daily: 0, dailyUptime: 0, stepNames: 0, screenshots: 0 });
    // What is left still serves the pages.
    expect((await store.status.statusOverview({ publicOnly: false, now: NOW }))[0].runs24h).toBe(2);
    // The 24h chart holds the 1440 minutes ending with the current one, so the run exactly a day old is not in it.
    expect((await store.history.series('a', '24h', { now: NOW }))!.summary.runs).toBe(1);
    expect((await store.history.series('a', '7d', { now: NOW }))!.summary.runs).toBe(4); // 168 hours: the run 7 d − 1 min old is just outside
  });

  it('never deletes more than the batch size in one transaction', async () => {
    for (let i = 0; i < 25; i++) store.writer.write(runOf('b', NOW - 10 * DAY - i * 1000, [step(0, 0, 5)]));
    await store.writer.flush();
    const seen: number[] = [];
    let last = await count('SELECT count(*) FROM runs');
    await store.retention(POLICY, {
      batchSize: 10,
      pause: async () => {
        const now = await count('SELECT count(*) FROM runs');
        seen.push(last - now);
        last = now;
      },
    }).run(NOW);
    expect(seen.slice(0, 3)).toEqual([10, 10, 5]);
    expect(await count('SELECT count(*) FROM runs')).toBe(0);
  });

  it('yields now and then even when there is nothing to delete', async () => {
    const many = await openTestStore(kind, Array.from({ length: 160 }, (_, i) => ({ key: `m${i}`, name: `M${i}`, public: false, schedule: '' })));
    try {
      let pauses = 0;
      const c = await many.retention(POLICY, { pause: async () => void pauses++ }).run(NOW);
      expect(c).toEqual({ runs: 0, minute: 0, hourly: 0, daily: 0, dailyUptime: 0, stepNames: 0, screenshots: 0 });
      // One pause per 64 monitors visited, over five per-monitor deletes (runs, three rollup levels, screenshots).
      expect(pauses).toBe(Math.floor((160 * 5) / 64));
    } finally {
      await dropTestStore(many);
    }
  });

  it('runs as a job that can be triggered and stopped', async () => {
    await seed([10 * DAY]);
    const done: number[] = [];
    const job = startRetentionJob(store.retention(POLICY), { everyMs: 3_600_000, firstAfterMs: 3_600_000, onDone: (c) => done.push(c.runs) });
    const c = await job.runNow();
    await job.stop();
    expect(c?.runs).toBe(2);
    expect(done).toEqual([2]);
  });
});

describe('retention config', () => {
  it('has the documented defaults and accepts weeks and years', () => {
    expect(parseConfigText('monitors: []', 'x.yaml').config.retention).toEqual({ runs: 7 * DAY, minute: 2 * DAY, hourly: 90 * DAY, daily: 730 * DAY, every: HOUR, batchSize: 1000 });
    const c = parseConfigText('retention:\n  runs: 2w\n  daily: 1y\n', 'x.yaml').config.retention;
    expect([c.runs, c.daily, c.minute]).toEqual([14 * DAY, 365 * DAY, 2 * DAY]);
  });

  it('names the path when a limit is too short or unknown', () => {
    expect(() => parseConfigText('retention:\n  minute: 2h\n', 'x.yaml')).toThrow(/retention\.minute: must be at least 86400000 ms/);
    expect(() => parseConfigText('retention:\n  forever: true\n', 'x.yaml')).toThrow(/retention/);
  });
});
