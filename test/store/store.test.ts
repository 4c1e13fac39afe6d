import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/probes/types.js';
import { migrate, openDb, schemaVersion } from '../../src/store/db.js';
import { openStore, type Store } from '../../src/store/index.js';
import { migrations } from '../../src/store/migrations.js';
import { syncMonitors } from '../../src/store/monitors.js';
import { tempDir } from '../helpers.js';

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

let tmp: ReturnType<typeof tempDir>;
let store: Store;
beforeEach(() => {
  tmp = tempDir();
  store = openStore(join(tmp.dir, 'nested', 'halftime.db'), monitors, { flushMs: 60_000 });
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

describe('database', () => {
  it('uses WAL and applies every migration once', () => {
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(schemaVersion(store.db)).toBe(Math.max(...migrations.map((m) => m.version)));
    expect(migrate(store.db)).toBe(0);
  });

  it('refuses a database from a newer halftime', () => {
    const path = join(tmp.dir, 'newer.db');
    const db = openDb(path);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, 0)').run('future');
    db.close();
    expect(() => openDb(path)).toThrow(/schema version 999 is newer/);
  });
});

describe('monitors', () => {
  it('keeps ids across restarts and deactivates removed monitors', () => {
    const ids = syncMonitors(store.db, monitors);
    const again = syncMonitors(store.db, [{ ...monitors[0], name: 'Home page' }]);
    expect(again.get('home')).toBe(ids.get('home'));
    const rows = store.db.prepare('SELECT key, name, active FROM monitors ORDER BY id').all();
    expect(rows).toEqual([
      { key: 'home', name: 'Home page', active: 1 },
      { key: 'secret', name: 'Internal', active: 0 },
      { key: 'xss', name: '<script>alert(1)</script>', active: 0 },
    ]);
  });
});

describe('writer', () => {
  it('round-trips runs and steps with timings and evidence', () => {
    store.writer.write(run('home', NOW - 60_000, true, 42));
    store.writer.write(run('home', NOW - 30_000, false, 99));
    expect(store.writer.pending).toBe(2);
    expect(store.writer.flush()).toBe(2);
    const runs = store.queries.recentRuns('home');
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({ started_at: NOW - 30_000, planned_at: NOW - 30_003, ok: false, failure_code: 'status', failure_step: 0, duration_ms: 99 });
    expect(runs[0].steps[0]).toMatchObject({ name: 'home', status: 500, ok: false, connect_ms: 1.5, ttfb_ms: 30, bytes: 1234 });
    expect(runs[0].steps[0].evidence).toEqual([{ what: 'status', expected: '200', actual: '500', pass: false }]);
    expect(runs[1].ok).toBe(true);
  });

  it('writes a whole batch in one transaction when the batch size is reached', () => {
    const path = join(tmp.dir, 'batch.db');
    const s = openStore(path, monitors, { batchSize: 5, flushMs: 60_000 });
    const reader = new Database(path, { readonly: true });
    const count = () => reader.prepare('SELECT count(*) FROM runs').pluck().get();
    for (let i = 0; i < 4; i++) s.writer.write(run('home', NOW + i, true));
    expect(count()).toBe(0);
    s.writer.write(run('home', NOW + 5, true));
    expect(count()).toBe(5);
    s.writer.write(run('home', NOW + 6, true));
    s.close(); // flushes what is left
    expect(count()).toBe(6);
    reader.close();
  });

  it('keeps queued runs when a write fails, and writes them on the next flush', () => {
    const errors: unknown[] = [];
    const path = join(tmp.dir, 'retry.db');
    const s = openStore(path, monitors, { flushMs: 60_000, onError: (e) => errors.push(e) });
    const blocker = new Database(path);
    blocker.pragma('busy_timeout = 0');
    s.db.pragma('busy_timeout = 0');
    blocker.exec('BEGIN IMMEDIATE');
    s.writer.write(run('home', NOW, true));
    expect(s.writer.flush()).toBe(0);
    expect(errors).toHaveLength(1);
    expect(s.writer.pending).toBe(1);
    blocker.exec('COMMIT');
    blocker.close();
    expect(s.writer.flush()).toBe(1);
    expect(s.queries.recentRuns('home')).toHaveLength(1);
    s.close();
  });

  it('drops runs of monitors it does not know instead of failing the batch', () => {
    store.writer.write(run('unknown', NOW, true));
    store.writer.write(run('home', NOW, true));
    store.writer.flush();
    expect(store.queries.recentRuns('home')).toHaveLength(1);
  });
});

describe('status read model', () => {
  it('lists public monitors only, with state, last latency, 24h uptime and 90 daily bars', () => {
    store.writer.write(run('home', NOW - 2 * DAY, false));
    store.writer.write(run('home', NOW - 2 * DAY + 1000, true));
    store.writer.write(run('home', NOW - 2 * 3_600_000, false, 500));
    for (let i = 0; i < 3; i++) store.writer.write(run('home', NOW - 60_000 * (3 - i), true, 40 + i));
    store.writer.write(run('secret', NOW - 1000, true));
    store.writer.flush();

    const list = store.queries.statusOverview({ publicOnly: true, now: NOW });
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

    const all = store.queries.statusOverview({ publicOnly: false, now: NOW });
    expect(all.map((m) => m.key)).toEqual(['home', 'secret', 'xss']);
  });

  it('shows a monitor as down with its last failure', () => {
    store.writer.write(run('home', NOW - 1000, false));
    store.writer.flush();
    const [home] = store.queries.statusOverview({ publicOnly: true, now: NOW });
    expect(home.state).toBe('down');
    expect(home.lastFailure).toBe('expected status 200, got 500');
  });
});

describe('migrations', () => {
  it('are numbered 1, 2, 3… without gaps or repeats (branches that each add one must renumber)', () => {
    expect(migrations.map((m) => m.version).sort((a, b) => a - b)).toEqual(migrations.map((_, i) => i + 1));
  });
});
