/**
 * The store: halftime's declared contracts over one database, SQLite (a file path, the embedded
 * default) or PostgreSQL (a `postgres://` URL, shared by several nodes). Everything outside
 * src/store/ sees these read models and the writer, never a database handle; both engines run the
 * same code (see sql.ts), so they answer the same.
 */
import { createAdminQueries, type AdminQueries } from './admin-queries.js';
import { createAlertStore, type AlertStore } from './alerts.js';
import { createAuthStore, type AuthStore } from './auth-store.js';
import { createCluster, type Cluster } from './cluster.js';
import { existsSync } from 'node:fs';
import { CopyRefused, copySqliteToPostgres, type CopyResult } from './copy.js';
import { migrate, openSqliteFile, schemaVersion } from './db.js';
import { createHistory, type History } from './history.js';
import { createLatencySource, type LatencySource } from './latency.js';
import { createLoadRuns, type LoadRuns } from './load-runs.js';
import { syncMonitors, type MonitorDef } from './monitors.js';
import { postgresSql } from './postgres/pg-sql.js';
import { createPushTokens, type PushTokens } from './push-tokens.js';
import { createRetention, type Retention, type RetentionOptions, type RetentionPolicy } from './retention.js';
import { createRuns, type RunReader } from './runs.js';
import { sqliteSql, type Dialect, type Sql } from './sql.js';
import { createStatus, type StatusReader } from './status.js';
import { createWriter, type Writer, type WriterOptions } from './writer.js';

export type Store = {
  /** Which engine: `sqlite` (embedded) or `postgres` (shared). */
  kind: Dialect;
  /** Where the data is, for messages: the file path, or host:port/database (never a password). */
  where: string;
  status: StatusReader;
  runs: RunReader;
  history: History;
  writer: Writer;
  alerts: AlertStore;
  latency: LatencySource;
  auth: AuthStore;
  admin: AdminQueries;
  loadRuns: LoadRuns;
  /** Leases, fencing tokens and live nodes, for several nodes on one PostgreSQL database. */
  cluster: Cluster;
  /** Push tokens of heartbeat monitors (hashed). */
  pushTokens: PushTokens;
  /** The retention job's deletes, with this store's policy. */
  retention(policy: RetentionPolicy, opts?: RetentionOptions): Retention;
  /** A cheap round trip (for /healthz). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
};

export type OpenStoreOptions = WriterOptions & {
  /** Migrate up to this version only (tests of migrations). */
  migrateTo?: number;
  /** PostgreSQL: most pooled connections (default 10). */
  poolSize?: number;
  /** PostgreSQL: errors of idle pooled connections (a restarted server). */
  onConnectionError?: (err: Error) => void;
};

/** True for a PostgreSQL URL (`postgres://` or `postgresql://`). */
export const isPostgresUrl = (database: string) => /^postgres(ql)?:\/\//i.test(database);

/** `host:port/database` of a PostgreSQL URL, without user or password. */
export function describeDatabase(database: string): string {
  if (!isPostgresUrl(database)) return database;
  try {
    const u = new URL(database);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'postgres (unparsable URL)';
  }
}

const handles = new WeakMap<Store, Sql>();

/**
 * The executor under a store, for tests and benchmarks that check what was written (nothing in src/
 * outside the store uses it).
 */
export function storeSql(store: Store): Sql {
  const sql = handles.get(store);
  if (!sql) throw new Error('not a store opened by openStore');
  return sql;
}

/**
 * Opens the database (a SQLite path or a PostgreSQL URL), migrates it and syncs the configured
 * monitors. Without `monitors` (null) nothing is synced: for a process that only reads, or only
 * stores load runs, beside a server that owns the monitor list.
 */
export async function openStore(database: string, monitors: MonitorDef[] | null, opts: OpenStoreOptions = {}): Promise<Store> {
  const sql = isPostgresUrl(database) ? postgresSql(database, { max: opts.poolSize, onError: opts.onConnectionError }) : sqliteSql(openSqliteFile(database));
  try {
    await migrate(sql, opts.migrateTo);
    return await storeOn(sql, database, monitors, opts);
  } catch (err) {
    await sql.close().catch(() => undefined);
    throw err;
  }
}

/** The store's read models and writer over an open, migrated database. */
export async function storeOn(sql: Sql, database: string, monitors: MonitorDef[] | null, opts: WriterOptions = {}): Promise<Store> {
  const ids = monitors ? await syncMonitors(sql, monitors) : new Map<string, number>();
  const singleStep = new Set((monitors ?? []).filter((m) => m.steps === 1).map((m) => ids.get(m.key)!));
  const writer = createWriter(sql, ids, { singleStep, ...opts });
  const history = createHistory(sql, { singleStep });
  const status = createStatus(sql);
  let closed: Promise<void> | undefined;
  const store: Store = {
    kind: sql.dialect,
    where: describeDatabase(database),
    status,
    runs: createRuns(sql),
    history,
    writer,
    alerts: createAlertStore(sql),
    latency: createLatencySource(sql, { singleStep }),
    auth: createAuthStore(sql),
    admin: createAdminQueries(sql, history),
    loadRuns: createLoadRuns(sql),
    pushTokens: createPushTokens(sql),
    retention: (policy, ropts) => createRetention(sql, policy, ropts),
    cluster: createCluster(sql),
    ping: () => status.ping(),
    close() {
      closed ??= (async () => {
        await writer.close();
        await sql.close();
      })();
      return closed;
    },
  };
  handles.set(store, sql);
  return store;
}

/**
 * `halftime migrate`: brings the database (a SQLite path or a PostgreSQL URL) to this halftime's
 * schema; the versions before and after.
 */
export async function migrateDatabase(database: string): Promise<{ before: number; after: number }> {
  const sql = isPostgresUrl(database) ? postgresSql(database, { max: 2 }) : sqliteSql(openSqliteFile(database));
  try {
    const before = await schemaVersionIfAny(sql);
    await migrate(sql);
    return { before, after: await schemaVersion(sql) };
  } finally {
    await sql.close();
  }
}

async function schemaVersionIfAny(sql: Sql): Promise<number> {
  const exists = sql.dialect === 'postgres' ? await sql.pluck<string | null>("SELECT to_regclass('schema_migrations')::text") : await sql.pluck<string>("SELECT name FROM sqlite_master WHERE name = 'schema_migrations'");
  return exists[0] ? schemaVersion(sql) : 0;
}

/** `halftime migrate --from`: the SQLite file's history copied into an empty PostgreSQL database (see copy.ts). */
export async function copyIntoPostgres(fromSqlite: string, toUrl: string, opts: Parameters<typeof copySqliteToPostgres>[2] = {}): Promise<CopyResult> {
  if (!isPostgresUrl(toUrl)) throw new CopyRefused(`the target must be a PostgreSQL URL (postgres://…), not ${toUrl}`);
  if (isPostgresUrl(fromSqlite)) throw new CopyRefused('--from takes a SQLite file: the copy goes from the embedded database to PostgreSQL');
  if (!existsSync(fromSqlite)) throw new CopyRefused(`no SQLite database at ${fromSqlite}`);
  const to = postgresSql(toUrl, { max: 2 });
  try {
    return await copySqliteToPostgres(fromSqlite, to, opts);
  } finally {
    await to.close();
  }
}

export { CopyRefused, type CopyResult, type CopiedTable } from './copy.js';
export type { MonitorDef, History, RunReader, StatusReader, Sql };
export { startRetentionJob, DEFAULT_RETENTION, type RetentionJob, type RetentionPolicy, type RetentionCounts } from './retention.js';
export { RANGES, isRange, type Range, type Series } from './history.js';
