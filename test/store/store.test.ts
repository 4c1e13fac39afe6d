import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/probes/types.js';
import { knownVersion, migrate, migrationsFor, schemaVersion } from '../../src/store/db.js';
import { openStore } from '../../src/store/index.js';
import { migrations } from '../../src/store/migrations.js';
import { syncMonitors } from '../../src/store/monitors.js';
import { postgresMigrations } from '../../src/store/postgres/migrations.js';
import { tempDir } from '../helpers.js';
import { BACKENDS, dropTestStore, openTestStore, storeSql, type TestStore } from '../support/backends.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

function run(monitorId: string, startedAt: number, ok: boolean, durationMs = 42): RunResult {
  return {
    monitorId,
    plannedAt: startedAt - 3,
    startedAt,
    durationMs,
    ok,
    failure: ok ? undefined : { code: 'status', message: 'expected status 200, got 500', step: 0 },
    steps: [
      {
        index: 0,
        name: 'home',
        method: 'GET',
        url: 'http://127.0.0.1/',
        startedAt,
        ok,
        status: ok ? 200 : 500,
        failure: ok ? undefined : { code: 'status', message: 'expected status 200, got 500' },
        timings: { dns: 0, connect: 1.5, tls: 0, ttfb: 30, download: 2, total: durationMs },
        bytes: 1234,
        redirects: 0,
        headers: {},
        evidence: [{ what: 'status', expected: '200', actual: ok ? '200' : '500', pass: ok }],
      },
    ],
  };
}

const monitors = [
  { key: 'home', name: 'Home', public: true, schedule: 'every 30s' },
  { key: 'secret', name: 'Internal', public: false, schedule: 'every 60s' },
  { key: 'xss', name: '<script>alert(1)</script>', public: true, schedule: 'every 60s' },
];

describe.each(BACKENDS)('store on %s', (kind) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(kind, monitors, { flushMs: 60_000 });
  });
  afterEach(() => dropTestStore(store));
  const sql = () => storeSql(store);

  describe('database', () => {
    it('applies every migration once', async () => {
      expect(await schemaVersion(sql())).toBe(knownVersion(migrationsFor(sql())));
      expect(await migrate(sql())).toBe(0);
    });

    it('refuses a database from a newer halftime', async () => {
      await sql().run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, 0)', ['future']);
      await expect(migrate(sql())).rejects.toThrow(/schema version 999 is newer/);
    });
  });

  describe('monitors', () => {
    it('keeps ids across restarts and deactivates removed monitors', async () => {
      const ids = await syncMonitors(sql(), monitors);
      const again = await syncMonitors(sql(), [{ ...monitors[0], name: 'Home page' }]);
      expect(again.get('home')).toBe(ids.get('home'));
      expect(await sql().all('SELECT key, name, active FROM monitors ORDER BY id')).toEqual([
        { key: 'home', name: 'Home page', active: 1 },
        { key: 'secret', name: 'Internal', active: 0 },
        { key: 'xss', name: '<script>alert(1)</script>', active: 0 },
      ]);
    });
  });

  describe('writer', () => {
    it('round-trips runs and steps with timings and evidence', async () => {
      store.writer.write(run('home', NOW - 60_000, true, 42));
      store.writer.write(run('home', NOW - 30_000, false, 99));
      expect(store.writer.pending).toBe(2);
      expect(await store.writer.flush()).toBe(2);
      const runs = await store.runs.list({ monitor: 'home' });
      expect(runs).toHaveLength(2);
      expect(runs[0]).toMatchObject({ startedAt: NOW - 30_000, plannedAt: NOW - 30_003, ok: false, failureCode: 'status', failureStep: 0, durationMs: 99 });
      const detail = (await store.runs.get(runs[0].id))!;
      expect(detail.steps[0]).toMatchObject({ name: 'home', status: 500, ok: false, bytes: 1234, timings: { connect: 1.5, ttfb: 30 } });
      expect(detail.steps[0].evidence).toEqual([{ what: 'status', expected: '200', actual: '500', pass: false }]);
      expect(runs[1].ok).toBe(true);
    });

    it('writes a whole batch in one transaction when the batch size is reached', async () => {
      const s = await openTestStore(kind, monitors, { batchSize: 5, flushMs: 60_000 });
      try {
        const count = async () => (await storeSql(s).pluck<number>('SELECT count(*) FROM runs'))[0];
        for (let i = 0; i < 4; i++) s.writer.write(run('home', NOW + i, true));
        expect(await count()).toBe(0);
        s.writer.write(run('home', NOW + 5, true));
        await s.writer.flush(); // the batch the fifth run started, awaited
        expect(await count()).toBe(5);
        s.writer.write(run('home', NOW + 6, true));
        await s.close(); // flushes what is left
        const reopened = await openStore(s.db.location, null);
        expect((await storeSql(reopened).pluck<number>('SELECT count(*) FROM runs'))[0]).toBe(6);
        await reopened.close();
      } finally {
        await s.db.drop();
      }
    });

    it('drops runs of monitors it does not know instead of failing the batch', async () => {
      store.writer.write(run('unknown', NOW, true));
      store.writer.write(run('home', NOW, true));
      await store.writer.flush();
      expect(await store.runs.list({ monitor: 'home' })).toHaveLength(1);
    });
  });

  describe('status read model', () => {
    it('lists public monitors only, with state, last latency, 24h uptime and 90 daily bars', async () => {
      store.writer.write(run('home', NOW - 2 * DAY, false));
      store.writer.write(run('home', NOW - 2 * DAY + 1000, true));
      store.writer.write(run('home', NOW - 2 * 3_600_000, false, 500));
      for (let i = 0; i < 3; i++) store.writer.write(run('home', NOW - 60_000 * (3 - i), true, 40 + i));
      store.writer.write(run('secret', NOW - 1000, true));
      await store.writer.flush();

      const list = await store.status.statusOverview({ publicOnly: true, now: NOW });
      expect(list.map((m) => m.key)).toEqual(['home', 'xss']);
      const home = list[0];
      expect(home.state).toBe('up');
      expect(home.lastLatencyMs).toBe(42);
      expect(home.runs24h).toBe(4);
      expect(home.uptime24h).toBeCloseTo(0.75, 5);
      expect(home.days).toHaveLength(90);
      expect(home.days.at(-1)).toEqual({ day: '2026-11-26', runs: 4, failures: 1, uptime: 0.75 });
      expect(home.days.at(-3)).toEqual({ day: '2026-11-24', runs: 2, failures: 1, uptime: 0.5 });
      expect(home.days.at(-2)!.uptime).toBeNull();
      expect(home.days[0].day).toBe('2026-08-29');

      const xss = list[1];
      expect(xss.state).toBe('unknown');
      expect(xss.uptime24h).toBeNull();
      expect(xss.lastRunAt).toBeNull();

      const all = await store.status.statusOverview({ publicOnly: false, now: NOW });
      expect(all.map((m) => m.key)).toEqual(['home', 'secret', 'xss']);
    });

    it('shows a monitor as down with its last failure', async () => {
      store.writer.write(run('home', NOW - 1000, false));
      await store.writer.flush();
      const [home] = await store.status.statusOverview({ publicOnly: true, now: NOW });
      expect(home.state).toBe('down');
      expect(home.lastFailure).toBe('expected status 200, got 500');
    });
  });
});

describe('SQLite specifics', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('uses WAL, and creates the folder of a new database file', async () => {
    const store = await openStore(join(tmp.dir, 'nested', 'halftime.db'), monitors);
    expect(await storeSql(store).pluck('PRAGMA journal_mode')).toEqual(['wal']);
    await store.close();
  });

  it('keeps queued runs when a write fails, and writes them on the next flush', async () => {
    const errors: unknown[] = [];
    const path = join(tmp.dir, 'retry.db');
    const s = await openStore(path, monitors, { flushMs: 60_000, onError: (e) => errors.push(e) });
    const blocker = new Database(path);
    blocker.pragma('busy_timeout = 0');
    await storeSql(s).exec('PRAGMA busy_timeout = 0');
    blocker.exec('BEGIN IMMEDIATE');
    s.writer.write(run('home', NOW, true));
    expect(await s.writer.flush()).toBe(0);
    expect(errors).toHaveLength(1);
    expect(s.writer.pending).toBe(1);
    blocker.exec('COMMIT');
    blocker.close();
    expect(await s.writer.flush()).toBe(1);
    expect(await s.runs.list({ monitor: 'home' })).toHaveLength(1);
    await s.close();
  });
});

describe('migrations', () => {
  it('are numbered 1, 2, 3… without gaps or repeats (branches that each add one must renumber)', () => {
    expect(migrations.map((m) => m.version).sort((a, b) => a - b)).toEqual(migrations.map((_, i) => i + 1));
  });

  it('keep both engines at the same newest version', () => {
    expect(knownVersion(postgresMigrations)).toBe(knownVersion(migrations));
  });
});
