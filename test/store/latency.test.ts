import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planTiles, type Retained } from '../../src/store/latency-plan.js';
import { createRawLatencySource, EXACT_SPAN_MS } from '../../src/store/latency.js';
import type { RetentionPolicy } from '../../src/store/index.js';
import { RELATIVE_ACCURACY } from '../../src/store/sketch.js';
import { BACKENDS, dropTestStore, openTestStore, storeSql, type TestStore } from '../support/backends.js';
import { logNormal, personaRun, rng, runOf, step } from './history-fixtures.js';
import type { RunResult } from '../../src/probes/types.js';

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const PS = [0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1];

/** The ⌈p·n⌉-th smallest value: the nearest-rank percentile the raw query answers. */
const nearestRank = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.max(1, Math.ceil(p * values.length)) - 1];

type Sample = { t: number; ok: boolean; home: number; pay: number };

describe('planTiles', () => {
  const all: Retained = { raw: 0, minute: 0, hour: 0, day: 0 };
  const tiers = (from: number, to: number, r: Retained) => planTiles(from, to, r).map((p) => [p.tier, p.from, p.to]);

  it('takes whole days, then hours, then minutes, then raw runs for the ragged ends', () => {
    const from = Date.UTC(2026, 10, 19, 10, 37, 20);
    const to = Date.UTC(2026, 10, 26, 11, 50, 30);
    expect(tiers(from, to, all)).toEqual([
      ['raw', from, Date.UTC(2026, 10, 19, 10, 38)],
      ['minute', Date.UTC(2026, 10, 19, 10, 38), Date.UTC(2026, 10, 19, 11)],
      ['hour', Date.UTC(2026, 10, 19, 11), Date.UTC(2026, 10, 20)],
      ['day', Date.UTC(2026, 10, 20), Date.UTC(2026, 10, 26)],
      ['hour', Date.UTC(2026, 10, 26), Date.UTC(2026, 10, 26, 11)],
      ['minute', Date.UTC(2026, 10, 26, 11), Date.UTC(2026, 10, 26, 11, 50)],
      ['raw', Date.UTC(2026, 10, 26, 11, 50), to],
    ]);
    // A range inside one minute is raw runs only; an empty one has no pieces.
    expect(tiers(from, from + 10 * SEC, all)).toEqual([['raw', from, from + 10 * SEC]]);
    expect(tiers(from, from, all)).toEqual([]);
  });

  it('uses finer levels where a coarser one is no longer kept, and marks what nothing keeps', () => {
    const from = Date.UTC(2026, 10, 19, 10, 30);
    const to = Date.UTC(2026, 10, 19, 14, 30);
    // Hours kept from 12:00 only, minutes from 13:00, raw runs from 11:15.
    const r: Retained = { day: Infinity, hour: Date.UTC(2026, 10, 19, 12), minute: Date.UTC(2026, 10, 19, 13), raw: Date.UTC(2026, 10, 19, 11, 15) };
    expect(tiers(from, to, r)).toEqual([
      [null, from, Date.UTC(2026, 10, 19, 11, 15)],
      ['raw', Date.UTC(2026, 10, 19, 11, 15), Date.UTC(2026, 10, 19, 12)],
      ['hour', Date.UTC(2026, 10, 19, 12), Date.UTC(2026, 10, 19, 14)],
      ['minute', Date.UTC(2026, 10, 19, 14), to],
    ]);
    // Nothing kept at all: the whole range is unanswerable.
    expect(tiers(from, to, { raw: Infinity, minute: Infinity, hour: Infinity, day: Infinity })).toEqual([[null, from, to]]);
  });

  it('tiles any range exactly: adjacent pieces from `from` to `to`, each aligned to its level', () => {
    const rand = rng(5);
    for (let i = 0; i < 300; i++) {
      const from = NOW - Math.floor(rand() * 10 * DAY);
      const to = from + Math.floor(rand() * 8 * DAY);
      const r: Retained = { raw: NOW - rand() * 9 * DAY, minute: NOW - Math.floor(rand() * 4) * DAY, hour: NOW - Math.floor(rand() * 12) * DAY, day: NOW - 30 * DAY };
      const pieces = planTiles(from, to, r);
      let at = from;
      for (const p of pieces) {
        expect(p.from).toBe(at);
        expect(p.to).toBeGreaterThan(p.from);
        if (p.tier === 'day' || p.tier === 'hour' || p.tier === 'minute') {
          const ms = { day: DAY, hour: HOUR, minute: MIN }[p.tier];
          expect(p.from % ms).toBe(0);
          expect(p.to % ms).toBe(0);
          expect(p.from).toBeGreaterThanOrEqual(r[p.tier]);
        }
        if (p.tier === 'raw') expect(p.from).toBeGreaterThanOrEqual(r.raw);
        at = p.to;
      }
      expect(at).toBe(from < to ? to : from);
    }
  });
});

// Days of runs seeded through the writer: on PostgreSQL every statement is a round trip, so allow minutes.
describe.each(BACKENDS)('latency source over rollups and raw runs on %s', { timeout: 180_000 }, (kind) => {
  let store: TestStore;
  let samples: Sample[];
  beforeEach(async () => {
    store = await openTestStore(kind, [
      { key: 'shop', name: 'Shop', public: true, schedule: 'every 5m', steps: 2 },
      { key: 'one', name: 'One', public: true, schedule: 'every 5m', steps: 1 },
      { key: 'journey', name: 'Shopper journey', public: true, schedule: 'every 5m' },
    ], { flushMs: 60_000, batchSize: 1000 });
    samples = [];
  });
  afterEach(() => dropTestStore(store));
  const raw = () => createRawLatencySource(storeSql(store));
  const retention = (policy: RetentionPolicy) => store.retention(policy, { pause: async () => {} }).run(NOW);

  /** Runs of "shop" (steps home and pay, log-normal) and "one" every `every` ms over [from, to); about 3 % fail at pay. */
  async function seed(from: number, to: number, every: number, seedNo = 1) {
    const rand = rng(seedNo);
    for (let t = from; t < to; t += every) {
      const ok = rand() >= 0.03;
      const s: Sample = { t, ok, home: logNormal(rand, 4, 0.6), pay: logNormal(rand, 5.5, 0.9) };
      samples.push(s);
      store.writer.write(runOf('shop', t, [{ ...step(0, t, s.home), name: 'home' }, { ...step(1, t, s.pay, ok), name: 'pay' }]));
      store.writer.write(runOf('one', t, [{ ...step(0, t, s.home), name: 'ping' }]));
    }
    await store.writer.flush();
  }
  const inRange = (from: number, to: number) => samples.filter((s) => s.ok && s.t >= from && s.t < to);
  const expectClose = (actual: number | null, exact: number) => {
    expect(actual).not.toBeNull();
    expect(Math.abs(actual! - exact)).toBeLessThanOrEqual(RELATIVE_ACCURACY * exact + 1e-9);
  };

  it('long ranges: exact sample counts and every percentile within 1 % of the exact nearest rank, per run and per step', async () => {
    await seed(NOW - 3 * DAY, NOW, MIN);
    // Ragged ends: every tier is used (day, hours, minutes, raw runs for the partial minutes).
    const from = NOW - 3 * DAY + 17 * MIN + 13 * SEC;
    const to = NOW - 7 * MIN - 29 * SEC;
    const want = inRange(from, to);
    // Samples are successful runs, or successful steps: "home" passed in the runs that failed at "pay".
    const homes = samples.filter((s) => s.t >= from && s.t < to).map((s) => s.home);
    expect(homes.length).toBeGreaterThan(want.length);
    for (const p of PS) {
      for (const [stepName, values] of [
        [null, want.map((s) => s.home + s.pay)],
        ['home', homes],
        ['pay', want.map((s) => s.pay)],
      ] as const) {
        const a = await store.latency({ monitorKey: 'shop', step: stepName, percentile: p, from, to });
        expect(a.samples).toBe(values.length);
        expectClose(a.value, nearestRank(values, p));
        // The raw tables (all still kept here) agree exactly with the in-memory truth.
        expect(await raw()({ monitorKey: 'shop', step: stepName, percentile: p, from, to })).toEqual({ value: nearestRank(values, p), samples: values.length });
      }
      // A one-step monitor keeps run rollups only; its step is read from them.
      const one = await store.latency({ monitorKey: 'one', step: 'ping', percentile: p, from, to });
      const pings = samples.filter((s) => s.t >= from && s.t < to).map((s) => s.home);
      expect(one.samples).toBe(pings.length);
      expectClose(one.value, nearestRank(pings, p));
    }
    expect(await store.latency({ monitorKey: 'shop', step: 'nope', percentile: 0.95, from, to })).toEqual({ value: null, samples: 0 });
    expect(await store.latency({ monitorKey: 'nope', percentile: 0.95, from, to })).toEqual({ value: null, samples: 0 });
  });

  it('an unreadable stored sketch is skipped, not counted and not thrown', async () => {
    await seed(NOW - 3 * DAY, NOW, 5 * MIN, 6);
    const day = NOW - 2 * DAY - 12 * HOUR; // 00:00 two days ago: a whole day inside the range
    expect((await storeSql(store).run('UPDATE rollup_day SET total_sketch = ? WHERE ts = ?', [Buffer.from('not a sketch'), day])).changes).toBeGreaterThan(0);
    const from = NOW - 3 * DAY;
    const a = await store.latency({ monitorKey: 'shop', percentile: 0.95, from, to: NOW });
    expect(a.samples).toBe(inRange(from, NOW).length - inRange(day, day + DAY).length);
  });

  it('short ranges within the kept raw runs stay exact', async () => {
    await seed(NOW - 3 * HOUR, NOW, MIN);
    const from = NOW - EXACT_SPAN_MS;
    const want = inRange(from, NOW).map((s) => s.pay);
    for (const p of PS) expect(await store.latency({ monitorKey: 'shop', step: 'pay', percentile: p, from, to: NOW })).toEqual({ value: nearestRank(want, p), samples: want.length });
    // Starting before the first run ever: nothing was cut, so still exact (a new monitor's first window).
    const early = inRange(NOW - 4 * HOUR, NOW - 2 * HOUR - 30 * SEC).map((s) => s.pay);
    for (const p of PS) {
      expect(await store.latency({ monitorKey: 'shop', step: 'pay', percentile: p, from: NOW - 4 * HOUR, to: NOW - 2 * HOUR - 30 * SEC })).toEqual({ value: nearestRank(early, p), samples: early.length });
    }
  });

  it('a 7-day baseline whose oldest runs retention deleted still counts every sample, from the rollups', async () => {
    await seed(NOW - 8 * DAY, NOW, 5 * MIN, 2);
    const policy: RetentionPolicy = { runs: DAY, minute: DAY, hourly: 90 * DAY, daily: 730 * DAY };
    const removed = await retention(policy);
    expect(removed.runs).toBeGreaterThan(0);
    const from = NOW - 7 * DAY;
    const to = NOW - 10 * MIN;
    const want = inRange(from, to);
    for (const p of [0.5, 0.95, 0.99]) {
      for (const [stepName, values] of [
        [null, want.map((s) => s.home + s.pay)],
        ['pay', want.map((s) => s.pay)],
      ] as const) {
        const a = await store.latency({ monitorKey: 'shop', step: stepName, percentile: p, from, to });
        expect(a.samples).toBe(want.length);
        expectClose(a.value, nearestRank(values, p));
      }
    }
    // A short range across the raw cut-off: the hour before it from the hourly rollup, the rest as kept.
    const across = inRange(NOW - DAY - HOUR, NOW - DAY + 30 * MIN);
    expect((await store.latency({ monitorKey: 'shop', percentile: 0.5, from: NOW - DAY - HOUR, to: NOW - DAY + 30 * MIN })).samples).toBe(across.length);
    // The raw tables alone now hold only the last day.
    const rawAnswer = await raw()({ monitorKey: 'shop', percentile: 0.95, from, to });
    expect(rawAnswer.samples).toBe(inRange(NOW - DAY, to).length);
    expect(rawAnswer.samples).toBeLessThan(want.length / 5);
  });

  it('the same hour a week ago answers from the hourly rollup with raw runs kept 1 day', async () => {
    await seed(NOW - 8 * DAY, NOW, 5 * MIN, 3);
    await retention({ runs: DAY, minute: DAY, hourly: 90 * DAY, daily: 730 * DAY });
    const from = NOW - 7 * DAY;
    const want = inRange(from, from + HOUR).map((s) => s.pay);
    expect(want.length).toBeGreaterThanOrEqual(10);
    const a = await store.latency({ monitorKey: 'shop', step: 'pay', percentile: 0.95, from, to: from + HOUR });
    expect(a.samples).toBe(want.length);
    expectClose(a.value, nearestRank(want, 0.95));
  });

  it('per-step baselines of a persona journey answer from the rollups, by step name', async () => {
    const rand = rng(8);
    const runs: RunResult[] = [];
    for (let t = NOW - 8 * DAY; t < NOW; t += 5 * MIN) runs.push(personaRun('journey', t, rand));
    runs.forEach((r) => store.writer.write(r));
    await store.writer.flush();
    // Raw runs kept one day: a 7-day baseline can only come from the rollups.
    await retention({ runs: DAY, minute: DAY, hourly: 90 * DAY, daily: 730 * DAY });
    // From a whole hour (the minutes and raw runs of that time are gone), to a ragged end the minutes hold.
    const from = NOW - 7 * DAY + HOUR;
    const to = NOW - 10 * MIN - 20 * SEC;
    for (const name of ['home', 'search', 'pay']) {
      // Every successful execution of that name, whichever persona ran it and at whatever position.
      const values = runs.filter((r) => r.startedAt >= from && r.startedAt < to).flatMap((r) => r.steps.filter((x) => x.name === name && x.ok).map((x) => x.timings.total));
      expect(values.length).toBeGreaterThan(300);
      for (const p of [0.5, 0.95, 0.99, 1]) {
        const a = await store.latency({ monitorKey: 'journey', step: name, percentile: p, from, to });
        expect(a.samples).toBe(values.length);
        expectClose(a.value, nearestRank(values, p));
      }
      expect((await raw()({ monitorKey: 'journey', step: name, percentile: 0.95, from, to })).samples).toBeLessThan(values.length / 5);
    }
  });

  it('reports only the samples still kept when a range reaches beyond every level', async () => {
    await seed(NOW - 8 * DAY, NOW, 5 * MIN, 4);
    // Everything kept 1 day: the day bucket of yesterday is gone, hours and minutes reach back 24 h.
    await retention({ runs: DAY, minute: DAY, hourly: DAY, daily: DAY });
    const from = NOW - 7 * DAY;
    const to = NOW - 10 * MIN;
    const kept = inRange(NOW - DAY, to);
    const a = await store.latency({ monitorKey: 'shop', percentile: 0.95, from, to });
    expect(a.samples).toBe(kept.length);
    expect(a.samples).toBeLessThan(inRange(from, to).length / 5);
    expectClose(a.value, nearestRank(kept.map((s) => s.home + s.pay), 0.95));
  });
});
