/** Numbered migrations, applied in order, each once, each in its own transaction. Never edit one that has shipped: add a new one. */
export const migrations: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'monitors, runs, step results, daily uptime',
    sql: `
      CREATE TABLE monitors (
        id          INTEGER PRIMARY KEY,
        key         TEXT NOT NULL UNIQUE,
        name        TEXT NOT NULL,
        description TEXT,
        public      INTEGER NOT NULL DEFAULT 0,
        active      INTEGER NOT NULL DEFAULT 1,
        schedule    TEXT NOT NULL DEFAULT '',
        position    INTEGER NOT NULL DEFAULT 0,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      );
      CREATE TABLE runs (
        id              INTEGER PRIMARY KEY,
        monitor_id      INTEGER NOT NULL REFERENCES monitors(id),
        planned_at      INTEGER NOT NULL,
        started_at      INTEGER NOT NULL,
        duration_ms     REAL NOT NULL,
        ok              INTEGER NOT NULL,
        failure_code    TEXT,
        failure_message TEXT,
        failure_step    INTEGER
      );
      CREATE INDEX runs_by_monitor_time ON runs(monitor_id, started_at, ok);
      CREATE TABLE step_results (
        run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        idx             INTEGER NOT NULL,
        name            TEXT NOT NULL,
        method          TEXT NOT NULL,
        url             TEXT NOT NULL,
        status          INTEGER,
        ok              INTEGER NOT NULL,
        failure_code    TEXT,
        failure_message TEXT,
        dns_ms          REAL NOT NULL,
        connect_ms      REAL NOT NULL,
        tls_ms          REAL NOT NULL,
        ttfb_ms         REAL NOT NULL,
        download_ms     REAL NOT NULL,
        total_ms        REAL NOT NULL,
        bytes           INTEGER NOT NULL,
        redirects       INTEGER NOT NULL,
        evidence        TEXT NOT NULL,
        PRIMARY KEY (run_id, idx)
      ) WITHOUT ROWID;
      CREATE TABLE daily_uptime (
        monitor_id INTEGER NOT NULL REFERENCES monitors(id),
        day        TEXT NOT NULL,
        runs       INTEGER NOT NULL,
        failures   INTEGER NOT NULL,
        PRIMARY KEY (monitor_id, day)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'latency rollups per minute, hour and day (DDSketch blobs)',
    sql: ['rollup_minute', 'rollup_hour', 'rollup_day']
      .map(
        (table) => `
      CREATE TABLE ${table} (
        monitor_id   INTEGER NOT NULL REFERENCES monitors(id),
        ts           INTEGER NOT NULL, -- bucket start, epoch ms (UTC)
        step         INTEGER NOT NULL, -- step index; -1 = the whole run
        runs         INTEGER NOT NULL,
        failures     INTEGER NOT NULL,
        total_sketch BLOB NOT NULL,    -- latency of successful runs/steps (src/store/sketch.ts)
        ttfb_sketch  BLOB NOT NULL,
        dns_ms       REAL NOT NULL,    -- sums over successful runs/steps, for the phase breakdown
        connect_ms   REAL NOT NULL,
        tls_ms       REAL NOT NULL,
        ttfb_ms      REAL NOT NULL,
        download_ms  REAL NOT NULL,
        PRIMARY KEY (monitor_id, ts, step)
      ) WITHOUT ROWID;`,
      )
      .join('\n'),
  },
];
