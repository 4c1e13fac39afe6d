import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/probes/types.js';
import { openSqlite, schemaVersion } from '../../src/store/db.js';
import { migrations } from '../../src/store/migrations.js';
import { openStore, storeSql, type MonitorDef, type Sql, type Store } from '../../src/store/index.js';
import { aggregateMinutes, bucketToRow, coarsen, LEVELS, mergeBucket, rowToBucket, type Bucket, type BucketRow } from '../../src/store/rollups.js';
import { RELATIVE_ACCURACY } from '../../src/store/sketch.js';
import { tempDir } from '../helpers.js';
import { DAY, HOUR, MIN, personaRun, rng, runOf, step } from './history-fixtures.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
/** The migration that keyed per-step rollups by step name. */
const BY_NAME = 9;

const MONITORS: MonitorDef[] = [
  { key: 'shop', name: 'Shop', public: true, schedule: 'every 10m', steps: 3 },
  { key: 'dup', name: 'Two steps share a label', public: true, schedule: 'every 10m', steps: 3 },
  { key: 'ping', name: 'Ping', public: true, schedule: 'every 10m', steps: 1 },
  { key: 'journey', name: 'Shopper journey', public: true, schedule: 'every 10m' },
];

/**
 * What the writer did before step keys: raw runs, and rollups with steps keyed by their index, none
 * for persona runs or one-step monitors (their run rows only).
 */
async function writeOld(sql: Sql, ids: Map<string, number>, runs: RunResult[]) {
  const INSERT_RUN =
    'INSERT INTO runs (monitor_id, planned_at, started_at, duration_ms, ok, failure_code, failure_message, failure_step, persona, tasks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id';
  const INSERT_STEP = `INSERT INTO step_results (run_id, idx, name, method, url, status, ok, failure_code, failure_message, dns_ms, connect_ms, tls_ms, ttfb_ms, download_ms, total_ms, bytes, redirects, evidence)
     VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, 0, 0, '[]')`;
  const runOnly = new Set([ids.get('ping')!, ids.get('journey')!]);
  // The rollup tables as they were then: no location in the key (added by migration 15).
  const COLS = 'monitor_id, ts, step, runs, failures, total_sketch, ttfb_sketch, dns_ms, connect_ms, tls_ms, ttfb_ms, download_ms';
  const putOld = async (tx: Sql, table: string, buckets: Bucket[]) => {
    for (const b of buckets) {
      const stored = await tx.get<BucketRow>(`SELECT ${COLS} FROM ${table} WHERE monitor_id = ? AND ts = ? AND step = ?`, [b.monitorId, b.ts, b.step]);
      const merged = stored ? rowToBucket(stored) : b;
      if (stored) mergeBucket(merged, b);
      const r = bucketToRow(merged);
      await tx.run(`INSERT OR REPLACE INTO ${table} (${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [r.monitor_id, r.ts, r.step, r.runs, r.failures, r.total_sketch, r.ttfb_sketch, r.dns_ms, r.connect_ms, r.tls_ms, r.ttfb_ms, r.download_ms]);
    }
  };
  await sql.tx(async (tx) => {
    for (const r of runs) {
      const id = ids.get(r.monitorId)!;
      const [runId] = await tx.pluck<number>(INSERT_RUN, [id, r.plannedAt, r.startedAt, r.durationMs, r.ok ? 1 : 0, null, null, r.failure?.step ?? null, r.persona ?? null, null]);
      for (const s of r.steps) {
        const t = s.timings;
        await tx.run(INSERT_STEP, [runId, s.index, s.name, s.method, s.url, s.status ?? null, s.ok ? 1 : 0, t.dns, t.connect, t.tls, t.ttfb, t.download, t.total]);
      }
    }
    // Keyed by index: each step renamed to its index for the aggregation.
    const byIndex = runs.map((r) => ({ monitorId: ids.get(r.monitorId)!, run: { ...r, steps: r.steps.map((s) => ({ ...s, name: String(s.index) })) } }));
    const minutes = aggregateMinutes(byIndex, (_, name) => Number(name), runOnly);
    const hours = coarsen(minutes, LEVELS.hour.ms);
    await putOld(tx, 'rollup_minute', minutes);
    await putOld(tx, 'rollup_hour', hours);
    await putOld(tx, 'rollup_day', coarsen(hours, LEVELS.day.ms));
  });
}

let tmp: ReturnType<typeof tempDir>;
let store: Store;
let oldRuns: RunResult[];
let stepRows: BucketRow[];
const path = () => join(tmp.dir, 'upgrade.db');

beforeEach(async () => {
  tmp = tempDir();
  const sql = await openSqlite(path(), { migrateTo: BY_NAME - 1 });
  expect(await schemaVersion(sql)).toBe(BY_NAME - 1);
  // The monitors table as it was before migration 9 (syncMonitors writes today's columns).
  const ids = new Map<string, number>();
  for (const [i, m] of MONITORS.entries()) {
    const [id] = await sql.pluck<number>('INSERT INTO monitors (key, name, public, schedule, position, created_at, updated_at) VALUES (?, ?, 0, ?, ?, 0, 0) RETURNING id', [m.key, m.name, m.schedule, i]);
    ids.set(m.key, id);
  }
  const rand = rng(5);
  const named = (name: string, i: number, t: number, ms: number, ok = true) => ({ ...step(i, t, ms, ok), name });
  oldRuns = [];
  for (let t = NOW - 3 * DAY; t < NOW - DAY; t += 10 * MIN) {
    const pay = rand() >= 0.05;
    oldRuns.push(runOf('shop', t, [named('home', 0, t, 10 + rand() * 5), named('search', 1, t, 100 + rand() * 50), named('pay', 2, t, 1000 + rand() * 500, pay)]));
    oldRuns.push(runOf('dup', t, [named('GET /', 0, t, 20), named('search', 1, t, 200), named('GET /', 2, t, 30)]));
    oldRuns.push(runOf('ping', t, [named('GET /health', 0, t, 5 + rand())]));
    oldRuns.push(personaRun('journey', t, rand));
  }
  // A fourth step the shop dropped three days ago: its raw runs are gone, its rollups kept.
  const t4 = NOW - 4 * DAY;
  await writeOld(sql, ids, [runOf('shop', t4, [named('home', 0, t4, 12), named('search', 1, t4, 120), named('pay', 2, t4, 1200), named('receipt', 3, t4, 7)])]);
  await sql.run('DELETE FROM runs WHERE started_at = ?', [t4]);
  await writeOld(sql, ids, oldRuns);
  stepRows = await sql.all<BucketRow>('SELECT * FROM rollup_hour WHERE step >= 0 ORDER BY monitor_id, ts, step');
  await sql.close();
  store = await openStore(path(), MONITORS, { flushMs: 60_000, batchSize: 5000 });
});
afterEach(async () => {
  await store.close();
  tmp.cleanup();
});

const idOf = async (key: string) => (await store.history.monitor(key))!.id;
const steps = async (key: string) => (await store.history.steps(await idOf(key))).map((s) => [s.step, s.name, s.current]);
const keyOf = async (monitor: string, name: string) => (await store.history.steps(await idOf(monitor))).find((s) => s.name === name)!.step;
function executions(runs: RunResult[], monitor: string, name: string, from: number, to: number) {
  const all = runs.filter((r) => r.monitorId === monitor && r.startedAt >= from && r.startedAt < to).flatMap((r) => r.steps.filter((s) => s.name === name));
  return { runs: all.length, failures: all.filter((s) => !s.ok).length, ok: all.filter((s) => s.ok).map((s) => s.timings.total) };
}
const nearestRank = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.max(1, Math.ceil(p * values.length)) - 1];

describe('upgrading a SQLite database whose per-step rollups are keyed by index', () => {
  it('keeps each index as the key of the name it has in the stored runs, and serves the same per-step series', async () => {
    // Upgraded through this migration to the newest.
    expect(await schemaVersion(storeSql(store))).toBe(Math.max(...migrations.map((m) => m.version)));
    // The rollup rows themselves are untouched (migration 15 added their location: '' for one node).
    expect(await storeSql(store).all('SELECT * FROM rollup_hour WHERE step >= 0 ORDER BY monitor_id, ts, step')).toEqual(stepRows.map((r) => ({ ...r, loc: '' })));
    expect(await steps('shop')).toEqual([
      [0, 'home', true],
      [1, 'search', true],
      [2, 'pay', true],
      // Index 3's runs were deleted: it keeps its history under a stand-in name.
      [3, 'step 4', false],
    ]);
    for (const range of ['7d', '30d'] as const) {
      for (const name of ['home', 'search', 'pay']) {
        const s = (await store.history.series('shop', range, { step: await keyOf('shop', name), now: NOW }))!;
        const want = executions(oldRuns, 'shop', name, s.from, s.to + s.bucketMs);
        expect(want.runs).toBe(288);
        expect(s.stepName).toBe(name);
        expect(s.summary).toMatchObject({ runs: want.runs + 1, failures: want.failures, count: want.ok.length + 1 });
        expect(s.summary.max).toBe(Math.max(...want.ok, { home: 12, search: 120, pay: 1200 }[name]!));
        expect(Math.abs(s.summary.p95! - nearestRank([...want.ok, { home: 12, search: 120, pay: 1200 }[name]!], 0.95))).toBeLessThanOrEqual(RELATIVE_ACCURACY * 1500);
      }
      expect((await store.history.series('shop', range, { step: 3, now: NOW }))!.summary).toMatchObject({ runs: 1, max: 7 });
    }
  });

  it('names a label two indexes shared after its last position, and keys a one-step monitor on its run rollups', async () => {
    expect(await steps('dup')).toEqual([
      [0, 'GET /', true],
      [1, 'search', true],
      [2, 'GET / (step 3)', true],
    ]);
    const dup2 = (await store.history.series('dup', '7d', { step: 2, now: NOW }))!;
    expect([dup2.summary.runs, dup2.summary.min, dup2.summary.max]).toEqual([288, 30, 30]);
    // From now on both "GET /" steps of a run count under one name, as the raw step queries count them.
    store.writer.write(runOf('dup', NOW - MIN, [{ ...step(0, 0, 21), name: 'GET /' }, { ...step(1, 0, 201), name: 'search' }, { ...step(2, 0, 31), name: 'GET /' }]));
    await store.writer.flush();
    expect((await store.history.series('dup', '24h', { step: 0, now: NOW }))!.summary).toMatchObject({ runs: 2, min: 21, max: 31 });
    expect(await steps('dup')).toEqual([
      [0, 'GET /', true],
      [1, 'search', true],
      [2, 'GET / (step 3)', false],
    ]);

    expect(await steps('ping')).toEqual([[0, 'GET /health', true]]);
    const ping = (await store.history.series('ping', '7d', { step: 0, now: NOW }))!;
    expect(ping.summary.runs).toBe(288);
    // A step rule on it reads the run rollups back to their start.
    const long = await store.latency({ monitorKey: 'ping', step: 'GET /health', percentile: 1, from: NOW - 3 * DAY - 7 * MIN, to: NOW });
    const pings = executions(oldRuns, 'ping', 'GET /health', 0, NOW).ok;
    expect(long.samples).toBe(pings.length);
    expect(Math.abs(long.value! - Math.max(...pings))).toBeLessThanOrEqual(1e-9);
  });

  it('a persona journey starts per-step history at the upgrade; step baselines count its older steps from the raw runs', async () => {
    // Persona runs kept no step rollups before, so no keys either.
    expect(await steps('journey')).toEqual([]);
    const rand = rng(9);
    const newRuns: RunResult[] = [];
    for (let t = NOW - DAY; t < NOW; t += 10 * MIN) newRuns.push(personaRun('journey', t, rand));
    newRuns.forEach((r) => store.writer.write(r));
    await store.writer.flush();
    expect((await store.history.steps(await idOf('journey'))).map((s) => s.name).sort()).toEqual(['home', 'log in', 'pay', 'search']);
    const s = (await store.history.series('journey', '24h', { step: await keyOf('journey', 'search'), now: NOW }))!;
    const want = executions(newRuns, 'journey', 'search', s.from, s.to + s.bucketMs);
    expect(s.summary).toMatchObject({ runs: want.runs, failures: want.failures, count: want.ok.length });

    // A 3-day baseline: the raw runs before the step's first key, the rollups after it (whole days, hours, minutes).
    const all = [...oldRuns, ...newRuns];
    const from = NOW - 3 * DAY + 3 * MIN;
    const to = NOW - 2 * MIN;
    const values = executions(all, 'journey', 'search', from, to).ok;
    for (const p of [0.5, 0.95, 1]) {
      const a = await store.latency({ monitorKey: 'journey', step: 'search', percentile: p, from, to });
      expect(a.samples).toBe(values.length);
      expect(Math.abs(a.value! - nearestRank(values, p))).toBeLessThanOrEqual(RELATIVE_ACCURACY * nearestRank(values, p) + 1e-9);
    }
  });
});
