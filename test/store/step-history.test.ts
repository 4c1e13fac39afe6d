import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/probes/types.js';
import type { Range, Series } from '../../src/store/history.js';
import { BACKENDS, dropTestStore, openTestStore, storeSql, type TestStore } from '../support/backends.js';
import { DAY, HOUR, MIN, personaRun, rng, runOf, step } from './history-fixtures.js';

const NOW = Date.UTC(2026, 10, 26, 12, 30, 15);

/** Every execution of a named step in [from, to): all of them, and the latencies of those that passed. */
function executions(runs: RunResult[], name: string, from: number, to: number) {
  const all = runs.filter((r) => r.startedAt >= from && r.startedAt < to).flatMap((r) => r.steps.filter((s) => s.name === name));
  return { runs: all.length, failures: all.filter((s) => !s.ok).length, ok: all.filter((s) => s.ok).map((s) => s.timings.total) };
}
const sum = (a: (number | null)[]) => a.reduce<number>((x, v) => x + (v ?? 0), 0);
function expectExact(s: Series, want: ReturnType<typeof executions>) {
  expect(s.summary).toMatchObject({ runs: want.runs, failures: want.failures, count: want.ok.length, min: Math.min(...want.ok), max: Math.max(...want.ok) });
  expect(sum(s.runs)).toBe(want.runs);
  expect(sum(s.failures)).toBe(want.failures);
}

// Eight days of persona runs go through the writer: on PostgreSQL every statement is a round trip, so allow minutes.
describe.each(BACKENDS)('per-step history keyed by step name on %s', { timeout: 180_000 }, (kind) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(kind, [
      { key: 'journey', name: 'Shopper journey', public: true, schedule: 'every 5m' },
      { key: 'plain', name: 'Plain', public: true, schedule: 'every 60s', steps: 3 },
    ], { flushMs: 60_000, batchSize: 1000 });
  });
  afterEach(() => dropTestStore(store));

  const idOf = async (key: string) => (await store.history.monitor(key))!.id;
  const stepsOf = async (key: string) => store.history.steps(await idOf(key));
  const keyOf = async (monitor: string, name: string) => {
    const c = (await stepsOf(monitor)).find((s) => s.name === name);
    if (!c) throw new Error(`no step "${name}" in ${monitor}`);
    return c.step;
  };
  const series = async (monitor: string, range: Range, name: string) => (await store.history.series(monitor, range, { step: await keyOf(monitor, name), now: NOW }))!;

  it('a persona journey keeps per-step rollups per name, read as 24h and 7d series with exact counts', async () => {
    const rand = rng(11);
    const runs: RunResult[] = [];
    for (let t = NOW - 8 * DAY; t < NOW; t += 5 * MIN) runs.push(personaRun('journey', t, rand));
    runs.forEach((r) => store.writer.write(r));
    await store.writer.flush();

    // Keys in order of first appearance; every name listed, the persona journey's without positions.
    const steps = await stepsOf('journey');
    expect(steps.map((s) => s.name).sort()).toEqual(['home', 'log in', 'pay', 'search']);
    expect(steps.map((s) => s.step)).toEqual([0, 1, 2, 3]);
    expect(steps.every((s) => s.current && s.position === null)).toBe(true);

    for (const range of ['24h', '7d'] as const) {
      for (const name of ['home', 'search', 'log in', 'pay']) {
        const s = await series('journey', range, name);
        expect(s.stepName).toBe(name);
        const want = executions(runs, name, s.from, s.to + s.bucketMs);
        expect(want.runs).toBeGreaterThan(range === '24h' ? 50 : 300);
        expectExact(s, want);
      }
    }
    // Searches ran several times in some runs and failed in some: they count per execution, not per run.
    const searches = executions(runs, 'search', NOW - 8 * DAY, NOW);
    const searchRuns = runs.filter((r) => r.steps.some((x) => x.name === 'search')).length;
    expect(searches.runs).toBeGreaterThan(searchRuns);
    expect(searches.failures).toBeGreaterThan(0);
    // The whole run is still step -1.
    const whole = (await store.history.series('journey', '24h', { now: NOW }))!;
    expect(whole.summary.runs).toBe(runs.filter((r) => r.startedAt >= whole.from).length);
  });

  it('a plain monitor whose steps were reordered, renamed or inserted keeps each named step apart', async () => {
    const named = (name: string, i: number, t: number, ms: number) => ({ ...step(i, t, ms), name });
    const runs: RunResult[] = [];
    // Two hours of [home 10 ms, search 100 ms, pay 1000 ms], then two of [search, home, pay], then [login, home, search, checkout].
    for (let i = 0; i < 360; i++) {
      const t = NOW - 6 * HOUR + i * MIN;
      const jitter = i % 7;
      const stepsOf =
        i < 120
          ? [named('home', 0, t, 10 + jitter), named('search', 1, t, 100 + jitter), named('pay', 2, t, 1000 + jitter)]
          : i < 240
            ? [named('search', 0, t, 100 + jitter), named('home', 1, t, 10 + jitter), named('pay', 2, t, 1000 + jitter)]
            : [named('login', 0, t, 50 + jitter), named('home', 1, t, 10 + jitter), named('search', 2, t, 100 + jitter), named('checkout', 3, t, 1000 + jitter)];
      runs.push(runOf('plain', t, stepsOf));
    }
    runs.forEach((r) => store.writer.write(r));
    await store.writer.flush();

    for (const [name, lo, hi] of [['home', 10, 16], ['search', 100, 106], ['pay', 1000, 1006], ['checkout', 1000, 1006], ['login', 50, 56]] as const) {
      const s = await series('plain', '24h', name);
      const want = executions(runs, name, s.from, s.to + s.bucketMs);
      expectExact(s, want);
      // Only that step's latencies: a mixed history would reach into another step's range.
      expect([s.summary.min, s.summary.max]).toEqual([lo, hi]);
    }
    expect((await series('plain', '24h', 'home')).summary.runs).toBe(360);
    expect((await series('plain', '24h', 'pay')).summary.runs).toBe(240);
    // The selector: the current journey in its order, then the renamed step under earlier steps.
    expect((await stepsOf('plain')).map((s) => [s.name, s.position, s.current])).toEqual([
      ['login', 0, true],
      ['home', 1, true],
      ['search', 2, true],
      ['checkout', 3, true],
      ['pay', null, false],
    ]);
    // Keys never change: home, search and pay kept theirs from the first run, new names took the next ones.
    expect(await Promise.all(['home', 'search', 'pay', 'login', 'checkout'].map((n) => keyOf('plain', n)))).toEqual([0, 1, 2, 3, 4]);
  });

  it('retention drops a step name only once no rollup can hold it any more', async () => {
    const named = (name: string, t: number, i = 0) => ({ ...step(i, t, 10), name });
    store.writer.write(runOf('plain', NOW - 40 * DAY, [named('old', NOW - 40 * DAY), named('kept', NOW - 40 * DAY, 1)]));
    store.writer.write(runOf('plain', NOW - HOUR, [named('kept', NOW - HOUR)]));
    await store.writer.flush();
    const policy = { runs: DAY, minute: DAY, hourly: 30 * DAY, daily: 35 * DAY };
    const counts = await store.retention(policy, { pause: async () => {} }).run(NOW);
    expect(counts.stepNames).toBe(1);
    expect(counts.daily).toBe(3);
    expect((await stepsOf('plain')).map((s) => s.name)).toEqual(['kept']);
    // Nothing of the dropped key is left in any rollup level.
    for (const t of ['rollup_minute', 'rollup_hour', 'rollup_day']) expect(await storeSql(store).pluck(`SELECT count(*) FROM ${t} WHERE step = 0`)).toEqual([0]);
    // A name seen again gets a fresh key and a fresh history.
    store.writer.write(runOf('plain', NOW - MIN, [named('old', NOW - MIN)]));
    await store.writer.flush();
    expect((await series('plain', '1y', 'old')).summary.runs).toBe(1);
    expect((await store.retention(policy, { pause: async () => {} }).run(NOW)).stepNames).toBe(0);
  });
});
