import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrations as sqliteMigrations } from './migrations.js';
import { postgresMigrations } from './postgres/migrations.js';
import { sqliteSql, type Sql } from './sql.js';

export type Migration = { version: number; name: string; sql: string };

/** Opens (creating if needed) a SQLite file with WAL, as the store uses it; no migrations. */
export function openSqliteFile(path: string): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

export const migrationsFor = (sql: Sql): Migration[] => (sql.dialect === 'postgres' ? postgresMigrations : sqliteMigrations);

/** The newest schema version this halftime knows for either engine (they are kept in step). */
export const knownVersion = (list: Migration[] = sqliteMigrations) => Math.max(0, ...list.map((m) => m.version));

/**
 * Applies the migrations not yet applied, in version order, up to `upTo` (default: all), each in its
 * own transaction. Refuses a database whose schema is newer than this halftime. Returns how many ran.
 * On PostgreSQL, nodes starting together take turns (an advisory lock), so each migration runs once.
 */
export async function migrate(sql: Sql, upTo = Infinity): Promise<number> {
  const list = migrationsFor(sql);
  const run = async (tx: Sql) => {
    await tx.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const applied = new Set(await tx.pluck<number>('SELECT version FROM schema_migrations'));
    const known = knownVersion(list);
    const newest = Math.max(0, ...applied);
    if (newest > known) throw new Error(`database schema version ${newest} is newer than this halftime knows (${known}); upgrade halftime`);
    let count = 0;
    for (const m of [...list].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version) || m.version > upTo) continue;
      await tx.tx(async (t) => {
        await t.exec(m.sql);
        await t.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
      });
      count++;
    }
    return count;
  };
  if (sql.dialect !== 'postgres') return run(sql);
  // One transaction holding a transaction-level advisory lock: a second node waits, then finds nothing to do.
  return sql.tx(async (tx) => {
    await tx.run('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
    return run(tx);
  });
}

/** The advisory lock key migrations hold on PostgreSQL ("halftime" in ASCII, as a number). */
const MIGRATION_LOCK = 0x68616c6674696d;

export async function schemaVersion(sql: Sql): Promise<number> {
  return (await sql.pluck<number | null>('SELECT max(version) FROM schema_migrations'))[0] ?? 0;
}

/** A SQLite file opened and migrated (up to `migrateTo`), behind the store's executor. */
export async function openSqlite(path: string, opts: { migrateTo?: number } = {}): Promise<Sql> {
  const sql = sqliteSql(openSqliteFile(path));
  await migrate(sql, opts.migrateTo);
  return sql;
}
