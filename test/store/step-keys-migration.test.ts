import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/probes/types.js';
import { openDb, schemaVersion, type Db } from '../../src/store/db.js';
import { openStore, type MonitorDef, type Store } from '../../src/store/index.js';
import { syncMonitors } from '../../src/store/monitors.js';
import { createRollupWriter, type BucketRow } from '../../src/store/rollups.js';
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
function writeOld(db: Db, ids: Map<string, number>, runs: RunResult[]) {
  const insertRun = db.prepare(
    'INSERT INTO runs (monitor_id, planned_at, started_at, duration_ms, ok, failure_code, failure_message, failure_step, persona, tasks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertStep = db.prepare(
    `INSERT INTO step_results (run_id, idx, name, method, url, status, ok, failure_code, failure_message, dns_ms, connect_ms, tls_ms, ttfb_ms, download_ms, total_ms, bytes, redirects, evidence)
     VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, 0, 0, '[]')`,
  );
  const runOnly = new Set([ids.get('ping')!, ids.get('journey')!]);
  const rollups = createRollupWriter(db, runOnly);
  db.transaction(() => {
    for (const r of runs) {
      const id = ids.get(r.monitorId)!;
      const runId = insertRun.run(id, r.plannedAt, r.startedAt, r.durationMs, r.ok ? 1 : 0, null, null, r.failure?.step ?? null, r.persona ?? null, null).lastInsertRowid;
      for (const s of r.steps) {
        const t = s.timings;
        insertStep.run(runId, s.index, s.name, s.method, s.url, s.status ?? null, s.ok ? 1 : 0, t.dns, t.connect, t.tls, t.ttfb, t.download, t.total);
      }
    }
    // Keyed by index: each step renamed to its index for the aggregation.
    const byIndex = runs.map((r) => ({ monitorId: ids.get(r.monitorId)!, run: { ...r, steps: r.steps.map((s) => ({ ...s, name: String(s.index) })) } }));
    rollups.apply(byIndex, (_, name) => Number(name));
  })();
}

let tmp: ReturnType<typeof tempDir>;
let store: Store;
let oldRuns: RunResult[];
let stepRows: BucketRow[];
const path = () => join(tmp.dir, 'upgrade.db');

beforeEach(() => {
  tmp = tempDir();
  const db = openDb(path(), { migrateTo: BY_NAME - 1 });
  expect(schemaVersion(db)).toBe(BY_NAME - 1);
  const ids = syncMonitors(db, MONITORS);
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
  writeOld(db, ids, [runOf('shop', t4, [named('home', 0, t4, 12), named('search', 1, t4, 120), named('pay', 2, t4, 1200), named('receipt', 3, t4, 7)])]);
  db.prepare('DELETE FROM runs WHERE started_at = ?').run(t4);
  writeOld(db, ids, oldRuns);
  stepRows = db.prepare('SELECT * FROM rollup_hour WHERE step >= 0 ORDER BY monitor_id, ts, step').all() as BucketRow[];
  db.close();
  store = openStore(path(), MONITORS, { flushMs: 60_000, batchSize: 5000 });
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

const idOf = (key: string) => store.history.monitor(key)!.id;
const steps = (key: string) => store.history.steps(idOf(key)).map((s) => [s.step, s.name, s.current]);
const keyOf = (monitor: string, name: string) => store.history.steps(idOf(monitor)).find((s) => s.name === name)!.step;
function executions(runs: RunResult[], monitor: string, name: string, from: number, to: number) {
  const all = runs.filter((r) => r.monitorId === monitor && r.startedAt >= from && r.startedAt < to).flatMap((r) => r.steps.filter((s) => s.name === name));
  return { runs: all.length, failures: all.filter((s) => !s.ok).length, ok: all.filter((s) => s.ok).map((s) => s.timings.total) };
}
const nearestRank = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.max(1, Math.ceil(p * values.length)) - 1];

describe('upgrading a database whose per-step rollups are keyed by index', () => {
  it('keeps each index as the key of the name it has in the stored runs, and serves the same per-step series', () => {
    // Migrated through step keys (and whatever later migrations there are).
    expect(schemaVersion(store.db)).toBeGreaterThanOrEqual(BY_NAME);
    // The rollup rows themselves are untouched.
    expect(store.db.prepare('SELECT * FROM rollup_hour WHERE step >= 0 ORDER BY monitor_id, ts, step').all()).toEqual(stepRows);
    expect(steps('shop')).toEqual([
      [0, 'home', true],
      [1, 'search', true],
      [2, 'pay', true],
      // Index 3's runs were deleted: it keeps its history under a stand-in name.
      [3, 'step 4', false],
    ]);
    for (const range of ['7d', '30d'] as const) {
      for (const name of ['home', 'search', 'pay']) {
        const s = store.history.series('shop', range, { step: keyOf('shop', name), now: NOW })!;
        const want = executions(oldRuns, 'shop', name, s.from, s.to + s.bucketMs);
        expect(want.runs).toBe(288);
        expect(s.stepName).toBe(name);
        expect(s.summary).toMatchObject({ runs: want.runs + 1, failures: want.failures, count: want.ok.length + 1 });
        expect(s.summary.max).toBe(Math.max(...want.ok, { home: 12, search: 120, pay: 1200 }[name]!));
        expect(Math.abs(s.summary.p95! - nearestRank([...want.ok, { home: 12, search: 120, pay: 1200 }[name]!], 0.95))).toBeLessThanOrEqual(RELATIVE_ACCURACY * 1500);
      }
      expect(store.history.series('shop', range, { step: 3, now: NOW })!.summary).toMatchObject({ runs: 1, max: 7 });
    }
  });

  it('names a label two indexes shared after its last position, and keys a one-step monitor on its run rollups', () => {
    expect(steps('dup')).toEqual([
      [0, 'GET /', true],
      [1, 'search', true],
      [2, 'GET / (step 3)', true],
    ]);
    const dup2 = store.history.series('dup', '7d', { step: 2, now: NOW })!;
    expect([dup2.summary.runs, dup2.summary.min, dup2.summary.max]).toEqual([288, 30, 30]);
    // From now on both "GET /" steps of a run count under one name, as the raw step queries count them.
    store.writer.write(runOf('dup', NOW - MIN, [{ ...step(0, 0, 21), name: 'GET /' }, { ...step(1, 0, 201), name: 'search' }, { ...step(2, 0, 31), name: 'GET /' }]));
    store.writer.flush();
    expect(store.history.series('dup', '24h', { step: 0, now: NOW })!.summary).toMatchObject({ runs: 2, min: 21, max: 31 });
    expect(steps('dup')).toEqual([
      [0, 'GET /', true],
      [1, 'search', true],
      [2, 'GET / (step 3)', false],
    ]);

    expect(steps('ping')).toEqual([[0, 'GET /health', true]]);
    const ping = store.history.series('ping', '7d', { step: 0, now: NOW })!;
    expect(ping.summary.runs).toBe(288);
    // A step rule on it reads the run rollups back to their start.
    const long = store.latency({ monitorKey: 'ping', step: 'GET /health', percentile: 1, from: NOW - 3 * DAY - 7 * MIN, to: NOW });
    const pings = executions(oldRuns, 'ping', 'GET /health', 0, NOW).ok;
    expect(long.samples).toBe(pings.length);
    expect(Math.abs(long.value! - Math.max(...pings))).toBeLessThanOrEqual(1e-9);
  });

  it('a persona journey starts per-step history at the upgrade; step baselines count its older steps from the raw runs', () => {
    // Persona runs kept no step rollups before, so no keys either.
    expect(steps('journey')).toEqual([]);
    const rand = rng(9);
    const newRuns: RunResult[] = [];
    for (let t = NOW - DAY; t < NOW; t += 10 * MIN) newRuns.push(personaRun('journey', t, rand));
    newRuns.forEach((r) => store.writer.write(r));
    store.writer.flush();
    expect(store.history.steps(idOf('journey')).map((s) => s.name).sort()).toEqual(['home', 'log in', 'pay', 'search']);
    const s = store.history.series('journey', '24h', { step: keyOf('journey', 'search'), now: NOW })!;
    const want = executions(newRuns, 'journey', 'search', s.from, s.to + s.bucketMs);
    expect(s.summary).toMatchObject({ runs: want.runs, failures: want.failures, count: want.ok.length });

    // A 3-day baseline: the raw runs before the step's first key, the rollups after it (whole days, hours, minutes).
    const all = [...oldRuns, ...newRuns];
    const from = NOW - 3 * DAY + 3 * MIN;
    const to = NOW - 2 * MIN;
    const values = executions(all, 'journey', 'search', from, to).ok;
    for (const p of [0.5, 0.95, 1]) {
      const a = store.latency({ monitorKey: 'journey', step: 'search', percentile: p, from, to });
      expect(a.samples).toBe(values.length);
      expect(Math.abs(a.value! - nearestRank(values, p))).toBeLessThanOrEqual(RELATIVE_ACCURACY * nearestRank(values, p) + 1e-9);
    }
  });
});
