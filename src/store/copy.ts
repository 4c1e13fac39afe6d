/**
 * `halftime migrate --from`: copies a SQLite database (the embedded default) into an empty PostgreSQL
 * one, so a single box can grow into several nodes without losing its history. Both are first
 * migrated to this halftime's schema (the versions are kept in step, see postgres/migrations.ts);
 * then every table is copied in foreign-key order, in one PostgreSQL transaction: either all of it
 * arrives or none. Rows are read from one SQLite snapshot and counted on both sides at the end.
 * Node-local tables (leases, live nodes) are not copied: they describe running processes.
 */
import type Database from 'better-sqlite3';
import { knownVersion, migrate, openSqliteFile, schemaVersion } from './db.js';
import { postgresMigrations } from './postgres/migrations.js';
import { sqliteSql, type Sql } from './sql.js';

/** Tables that describe running nodes, not history: never copied. */
const NODE_LOCAL = new Set(['schema_migrations', 'leases', 'nodes', 'duty_state']);

export type CopiedTable = { table: string; rows: number };
export type CopyResult = { tables: CopiedTable[]; rows: number; ms: number; version: number };

/** A copy that cannot go ahead, for a reason the operator can fix (exit code 2 on the command line). */
export class CopyRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyRefused';
  }
}

type Column = { name: string; pk: number };

function tablesInOrder(db: Database.Database): string[] {
  const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[]).filter((t) => !NODE_LOCAL.has(t));
  const deps = new Map(names.map((t) => [t, (db.prepare(`PRAGMA foreign_key_list("${t}")`).all() as { table: string }[]).map((f) => f.table).filter((p) => p !== t)]));
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (t: string) => {
    if (seen.has(t)) return;
    seen.add(t);
    for (const p of deps.get(t) ?? []) if (deps.has(p)) visit(p);
    out.push(t);
  };
  names.forEach(visit);
  return out;
}

/**
 * Copies everything in the SQLite file at `from` into the PostgreSQL executor `to`, which must hold
 * no monitors or runs yet. `onTable` hears of each table once it is copied.
 */
export async function copySqliteToPostgres(from: string, to: Sql, opts: { batchRows?: number; onTable?: (t: CopiedTable) => void } = {}): Promise<CopyResult> {
  if (to.dialect !== 'postgres') throw new CopyRefused('the target of a copy must be a PostgreSQL database (a postgres:// URL)');
  const t0 = Date.now();
  const db = openSqliteFile(from);
  try {
    const source = sqliteSql(db);
    await migrate(source);
    await migrate(to);
    const version = await schemaVersion(source);
    const target = await schemaVersion(to);
    if (version !== target || target !== knownVersion(postgresMigrations)) throw new CopyRefused(`schema versions differ: ${from} is at ${version}, PostgreSQL at ${target}`);
    const already = (await to.pluck<number>('SELECT (SELECT count(*) FROM monitors) + (SELECT count(*) FROM runs)'))[0];
    if (already > 0) throw new CopyRefused('the PostgreSQL database already holds monitors or runs; --from copies into an empty database only (create a new one, or drop its tables)');

    const tables = tablesInOrder(db);
    const copied: CopiedTable[] = [];
    // One read snapshot of the file and one write transaction on PostgreSQL.
    db.exec('BEGIN');
    try {
      await to.tx(async (tx) => {
        for (const table of tables) {
          const cols = db.prepare(`PRAGMA table_info("${table}")`).all() as Column[];
          const theirs = new Set(await tx.pluck<string>('SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?', [table]));
          if (theirs.size === 0) throw new CopyRefused(`PostgreSQL has no table "${table}" (schema version ${target}); this halftime cannot copy it`);
          const missing = cols.filter((c) => !theirs.has(c.name));
          if (missing.length) throw new CopyRefused(`PostgreSQL's "${table}" lacks column(s) ${missing.map((c) => c.name).join(', ')}`);
          const names = cols.map((c) => `"${c.name}"`).join(', ');
          // PostgreSQL takes at most 65535 parameters per statement.
          const perBatch = Math.max(1, Math.min(opts.batchRows ?? 2_000, Math.floor(30_000 / cols.length)));
          const rowSql = `(${cols.map(() => '?').join(', ')})`;
          let rows = 0;
          let batch: unknown[][] = [];
          const flush = async () => {
            if (!batch.length) return;
            try {
              await tx.run(`INSERT INTO "${table}" (${names}) VALUES ${batch.map(() => rowSql).join(', ')}`, batch.flat());
            } catch (err) {
              throw new Error(`copying "${table}" (rows ${rows + 1}–${rows + batch.length}): ${(err as Error).message}`, { cause: err });
            }
            rows += batch.length;
            batch = [];
          };
          for (const row of db.prepare(`SELECT ${names} FROM "${table}"`).raw().iterate() as IterableIterator<unknown[]>) {
            batch.push(row);
            if (batch.length >= perBatch) await flush();
          }
          await flush();
          // Serial ids go on after the highest copied one.
          if (cols.some((c) => c.name === 'id' && c.pk === 1) && rows > 0) {
            await tx.run(`SELECT setval(pg_get_serial_sequence(?, 'id'), (SELECT max(id) FROM "${table}"))`, [table]);
          }
          const counted = (await tx.pluck<number>(`SELECT count(*) FROM "${table}"`))[0];
          if (counted !== rows) throw new Error(`copying "${table}": wrote ${rows} rows but PostgreSQL counts ${counted}`);
          const t = { table, rows };
          copied.push(t);
          opts.onTable?.(t);
        }
      });
    } finally {
      db.exec('COMMIT');
    }
    return { tables: copied, rows: copied.reduce((s, t) => s + t.rows, 0), ms: Date.now() - t0, version };
  } finally {
    db.close();
  }
}
