/**
 * `halftime migrate --from`: a SQLite database with history, incidents and accounts copied into an
 * empty PostgreSQL database answers the same questions there, and goes on from where it stopped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/probes/types.js';
import { CopyRefused, copyIntoPostgres, openStore, storeSql, type Store } from '../../src/store/index.js';
import { halftime } from '../cli/cli-helpers.js';
import { testDatabase, type TestDatabase } from '../support/backends.js';

const NOW = Date.now();
const monitors = [
  { key: 'home', name: 'Home', public: true, schedule: 'every 30s' },
  { key: 'api', name: 'API', public: false, schedule: 'every 60s' },
];

function run(monitorId: string, startedAt: number, ok: boolean, durationMs: number): RunResult {
  const step = (index: number, name: string, total: number) => ({
    index,
    name,
    method: 'GET',
    url: `http://127.0.0.1/${name}`,
    startedAt,
    ok,
    status: ok ? 200 : 503,
    failure: ok ? undefined : { code: 'status' as const, message: 'expected status 200, got 503' },
    timings: { dns: 0, connect: 1, tls: 0, ttfb: total - 3, download: 2, total },
    bytes: 100,
    redirects: 0,
    headers: {},
    evidence: [],
  });
  return {
    monitorId,
    plannedAt: startedAt,
    startedAt,
    durationMs,
    ok,
    failure: ok ? undefined : { code: 'status', message: 'expected status 200, got 503', step: 1 },
    steps: [step(0, 'home', durationMs / 2), step(1, 'search', durationMs / 2)],
  };
}

describe('copying SQLite into PostgreSQL', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  async function db(kind: 'sqlite' | 'postgres'): Promise<TestDatabase> {
    const d = await testDatabase(kind);
    cleanup.push(d.drop);
    return d;
  }
  async function open(where: string): Promise<Store> {
    const s = await openStore(where, monitors, { flushMs: 60_000 });
    cleanup.push(() => s.close());
    return s;
  }

  async function filledSqlite(): Promise<string> {
    const file = (await db('sqlite')).location;
    const s = await openStore(file, monitors, { flushMs: 60_000 });
    // Two days of runs every 10 minutes, with failures and varied latency: minute, hour and day rollups.
    for (let t = NOW - 2 * 86_400_000, i = 0; t < NOW; t += 600_000, i++) {
      s.writer.write(run('home', t, i % 17 !== 0, 40 + (i % 23) * 7));
      s.writer.write(run('api', t + 1_000, true, 80 + (i % 5) * 11));
    }
    await s.writer.flush();
    await s.alerts.commit({ monitorKey: 'home', status: 'down', state: { n: 1 }, now: NOW, incidents: [{ op: 'open', kind: 'down', startedAt: NOW - 3_600_000, worst: 3, summary: 'Home is down', evidence: [] }], outbox: [{ channel: 'ops', event: '{"id":"e1"}' }] });
    await s.auth.createUser('admin', 'hash-of-a-password', NOW);
    await s.close();
    return file;
  }

  it('copies every table, keeps the answers the same and continues the ids', async () => {
    const file = await filledSqlite();
    const pg = (await db('postgres')).location;
    const r = await copyIntoPostgres(file, pg);

    const before = await open(file);
    const after = await open(pg);
    // Every table the same size on both sides (node-local tables are not copied).
    for (const t of r.tables) {
      const a = (await storeSql(before).pluck<number>(`SELECT count(*) FROM "${t.table}"`))[0];
      expect({ table: t.table, rows: t.rows }).toEqual({ table: t.table, rows: a });
    }
    expect(r.tables.map((t) => t.table)).toEqual(expect.arrayContaining(['monitors', 'runs', 'step_results', 'rollup_minute', 'rollup_hour', 'rollup_day', 'incidents', 'users', 'step_keys']));
    expect(r.tables.map((t) => t.table)).not.toContain('leases');
    expect(r.tables.find((t) => t.table === 'runs')!.rows).toBe(2 * 288);
    // Parents before children.
    const order = r.tables.map((t) => t.table);
    expect(order.indexOf('monitors')).toBeLessThan(order.indexOf('runs'));
    expect(order.indexOf('runs')).toBeLessThan(order.indexOf('step_results'));

    // The same history, percentiles and incidents on both.
    for (const range of ['24h', '7d', '30d'] as const) {
      const a = await before.history.series('home', range, { now: NOW });
      const b = await after.history.series('home', range, { now: NOW });
      expect(b!.summary).toEqual(a!.summary);
      expect(b!.p95).toEqual(a!.p95);
    }
    const stepA = await before.history.series('home', '24h', { now: NOW, step: 1 });
    const stepB = await after.history.series('home', '24h', { now: NOW, step: 1 });
    expect(stepB!.p99).toEqual(stepA!.p99);
    expect(stepB!.stepName).toBe('search');
    expect((await after.alerts.listIncidents({ open: true, limit: 10 })).map((i) => i.summary)).toEqual(['Home is down']);
    expect((await after.auth.userByName('admin'))?.passwordHash).toBe('hash-of-a-password');
    expect(await after.alerts.outbox.pending()).toBe(1);

    // New rows get new ids (the sequences went on after the copied ones).
    const maxId = (await storeSql(after).pluck<number>('SELECT max(id) FROM runs'))[0];
    after.writer.write(run('home', NOW + 1_000, true, 50));
    await after.writer.flush();
    expect((await storeSql(after).pluck<number>('SELECT max(id) FROM runs'))[0]).toBeGreaterThan(maxId);
  });

  it('refuses a PostgreSQL database that already holds history, and copies nothing', async () => {
    const file = await filledSqlite();
    const pg = (await db('postgres')).location;
    const existing = await open(pg);
    existing.writer.write(run('home', NOW, true, 10));
    await existing.writer.flush();
    await expect(copyIntoPostgres(file, pg)).rejects.toThrow(CopyRefused);
    await expect(copyIntoPostgres(file, pg)).rejects.toThrow(/already holds monitors or runs/);
    expect((await storeSql(existing).pluck<number>('SELECT count(*) FROM runs'))[0]).toBe(1);
  });

  it('on the command line: a table of rows, and the password never printed', async () => {
    const file = await filledSqlite();
    const pg = (await db('postgres')).location;
    const u = new URL(pg);
    u.password = 'hunter2secret';
    const withPassword = u.toString();
    const bad = await halftime(['migrate', '--from', file, '--db', withPassword], { timeoutMs: 60_000 });
    // The test cluster trusts local connections: the password is ignored, the copy works.
    expect(bad.stderr).not.toContain('hunter2secret');
    expect(bad.stdout).not.toContain('hunter2secret');
    expect(bad.stdout).toMatch(/runs\s+576 rows/);
    expect(bad.stdout).toMatch(/copied \d+ rows in \d+ tables/);
    expect(bad.status).toBe(0);

    const again = await halftime(['migrate', '--from', file, '--db', pg], { timeoutMs: 60_000 });
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already holds monitors or runs/);

    const missing = await halftime(['migrate', '--from', `${file}.nope`, '--db', pg], { timeoutMs: 30_000 });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no SQLite database at .*\.nope/);

    const schemaOnly = await halftime(['migrate', '--db', pg], { timeoutMs: 30_000 });
    expect(schemaOnly.status).toBe(0);
    expect(schemaOnly.stdout).toMatch(/schema version \d+, up to date/);
  });
});
