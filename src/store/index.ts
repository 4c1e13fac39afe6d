import { createAdminQueries, type AdminQueries } from './admin-queries.js';
import { createAlertStore, type AlertStore } from './alerts.js';
import { createAuthStore, type AuthStore } from './auth-store.js';
import { openDb, type Db } from './db.js';
import { createLatencySource, type LatencySource } from './latency.js';
import { createLoadRuns, type LoadRuns } from './load-runs.js';
import { syncMonitors, type MonitorDef } from './monitors.js';
import { createHistory, type History } from './history.js';
import { createQueries, type Queries } from './queries.js';
import { createRunQueries, type RunQueries } from './run-queries.js';
import { createWriter, type Writer, type WriterOptions } from './writer.js';

export type Store = {
  db: Db;
  queries: Queries;
  history: History;
  runs: RunQueries;
  writer: Writer;
  alerts: AlertStore;
  latency: LatencySource;
  auth: AuthStore;
  admin: AdminQueries;
  loadRuns: LoadRuns;
  close(): void;
};

/** Opens the database, syncs the configured monitors and returns the writer and the read model. */
export function openStore(path: string, monitors: MonitorDef[], writerOpts: WriterOptions = {}): Store {
  const db = openDb(path);
  const ids = syncMonitors(db, monitors);
  const singleStep = new Set(monitors.filter((m) => m.steps === 1).map((m) => ids.get(m.key)!));
  const writer = createWriter(db, ids, { singleStep, ...writerOpts });
  const queries = createQueries(db);
  const history = createHistory(db, { singleStep });
  const runs = createRunQueries(db);
  let closed = false;
  return {
    db,
    queries,
    history,
    runs,
    writer,
    alerts: createAlertStore(db),
    latency: createLatencySource(db, { singleStep }),
    auth: createAuthStore(db),
    admin: createAdminQueries(db),
    loadRuns: createLoadRuns(db),
    close() {
      if (closed) return;
      closed = true;
      writer.close();
      db.close();
    },
  };
}

export type { MonitorDef, Db, History, RunQueries };
export { createRetention, startRetentionJob, DEFAULT_RETENTION, type RetentionPolicy, type RetentionCounts } from './retention.js';
export { RANGES, isRange, type Range, type Series } from './history.js';
