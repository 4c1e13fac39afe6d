import type { Migration } from './db.js';

/**
 * Migration 15 (SQLite): a rollup table rebuilt with the location in its key, data kept. SQLite cannot
 * change a primary key in place; the three levels get the same statements.
 */
const rollupWithLocation = (level: 'minute' | 'hour' | 'day') => `
      CREATE TABLE rollup_${level}_new (
        monitor_id   INTEGER NOT NULL REFERENCES monitors(id),
        ts           INTEGER NOT NULL, -- bucket start, epoch ms (UTC)
        step         INTEGER NOT NULL, -- step key (step_keys); -1 = the whole run
        loc          TEXT NOT NULL DEFAULT '', -- the location that measured (one node: '')
        runs         INTEGER NOT NULL,
        failures     INTEGER NOT NULL,
        total_sketch BLOB NOT NULL,
        ttfb_sketch  BLOB NOT NULL,
        dns_ms       REAL NOT NULL,
        connect_ms   REAL NOT NULL,
        tls_ms       REAL NOT NULL,
        ttfb_ms      REAL NOT NULL,
        download_ms  REAL NOT NULL,
        PRIMARY KEY (monitor_id, ts, step, loc)
      ) WITHOUT ROWID;
      INSERT INTO rollup_${level}_new (monitor_id, ts, step, loc, runs, failures, total_sketch, ttfb_sketch, dns_ms, connect_ms, tls_ms, ttfb_ms, download_ms)
        SELECT monitor_id, ts, step, '', runs, failures, total_sketch, ttfb_sketch, dns_ms, connect_ms, tls_ms, ttfb_ms, download_ms FROM rollup_${level};
      DROP TABLE rollup_${level};
      ALTER TABLE rollup_${level}_new RENAME TO rollup_${level};
`;

/** Numbered migrations, applied in order, each once, each in its own transaction. Never edit one that has shipped: add a new one. */
export const migrations: Migration[] = [
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
  {
    version: 3,
    name: 'alerting: alert state, incidents, outbox',
    sql: `
      CREATE TABLE alert_state (
        monitor_id INTEGER PRIMARY KEY REFERENCES monitors(id),
        status     TEXT NOT NULL,
        data       TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE incidents (
        id          INTEGER PRIMARY KEY,
        monitor_id  INTEGER NOT NULL REFERENCES monitors(id),
        kind        TEXT NOT NULL CHECK (kind IN ('down', 'degraded')),
        started_at  INTEGER NOT NULL,
        ended_at    INTEGER,
        worst_value REAL,
        summary     TEXT NOT NULL,
        evidence    TEXT NOT NULL
      );
      CREATE INDEX incidents_by_monitor ON incidents(monitor_id, started_at);
      CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY,
        channel         TEXT NOT NULL,
        event           TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error      TEXT,
        delivered_at    INTEGER
      );
      CREATE INDEX outbox_due ON outbox(channel, delivered_at, next_attempt_at, id);
      `,
    },
    {
    version: 4,
    name: 'journeys: persona and tasks per run, page assets per step',
    sql: `
      ALTER TABLE runs ADD COLUMN persona TEXT;
      ALTER TABLE runs ADD COLUMN tasks TEXT;
      ALTER TABLE step_results ADD COLUMN assets TEXT;
    `,
  },
  {
    version: 6,
    name: 'admin users, sessions and API tokens',
    sql: `
      CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        username      TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        last_login_at INTEGER
      );
      CREATE TABLE sessions (
        id_hash    TEXT PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX sessions_by_expiry ON sessions(expires_at);
      CREATE TABLE api_tokens (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL,
        token_hash   TEXT NOT NULL UNIQUE,
        prefix       TEXT NOT NULL,
        created_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
        created_at   INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at   INTEGER
      );
    `,
  },
  {
    version: 5,
    name: 'burst load runs and their per-second series',
    sql: `
      CREATE TABLE load_runs (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL,
        monitor_key  TEXT NOT NULL,
        trigger      TEXT NOT NULL,
        model        TEXT NOT NULL,
        plan         TEXT NOT NULL,
        plan_text    TEXT NOT NULL,
        started_at   INTEGER NOT NULL,
        duration_ms  REAL,
        status       TEXT NOT NULL,
        stop_message TEXT,
        requests     INTEGER NOT NULL DEFAULT 0,
        errors       INTEGER NOT NULL DEFAULT 0,
        polls        INTEGER NOT NULL DEFAULT 0,
        rps          REAL,
        p50_ms       REAL,
        p95_ms       REAL,
        p99_ms       REAL,
        max_ms       REAL,
        peak_users   INTEGER,
        knee_text    TEXT,
        summary      TEXT
      );
      CREATE INDEX load_runs_by_time ON load_runs(started_at);
      CREATE INDEX load_runs_by_name ON load_runs(name, started_at);
      CREATE TABLE load_series (
        run_id    INTEGER NOT NULL REFERENCES load_runs(id) ON DELETE CASCADE,
        t         INTEGER NOT NULL,
        step      TEXT NOT NULL,
        poll      INTEGER NOT NULL DEFAULT 0,
        users     INTEGER,
        rate      REAL,
        requests  INTEGER NOT NULL,
        errors    INTEGER NOT NULL,
        polls     INTEGER NOT NULL DEFAULT 0,
        p50_ms    REAL,
        p95_ms    REAL,
        p99_ms    REAL,
        max_ms    REAL,
        PRIMARY KEY (run_id, step, t)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    name: 'incidents: acknowledged by an operator',
    sql: `
      ALTER TABLE incidents ADD COLUMN acknowledged_at INTEGER;
      ALTER TABLE incidents ADD COLUMN acknowledged_by TEXT;
      CREATE INDEX incidents_open ON incidents(started_at) WHERE ended_at IS NULL;
    `,
  },
  {
    version: 8,
    name: 'runs by time, for the newest runs across all monitors',
    sql: `
      CREATE INDEX runs_by_time ON runs(started_at);
    `,
  },
  {
    version: 9,
    name: 'per-step history keyed by step name (step_keys), existing step indexes kept as keys',
    // Rollups used to key a step by its index. Each index found in a monitor's step rollups keeps its
    // number as the key of the name it has in the monitor's newest stored run without a persona (or
    // "step N" when no stored run has it any more); a one-step monitor's step (run rollups only) is
    // registered the same way. A name two indexes share goes to the one run last; the other becomes
    // "name (step N)". Persona journeys had no step rollups: their names get keys as runs come in.
    sql: `
      CREATE TABLE step_keys (
        monitor_id INTEGER NOT NULL REFERENCES monitors(id),
        step       INTEGER NOT NULL, -- the rollup tables' step column (from 0; -1 there is the whole run)
        name       TEXT NOT NULL,    -- the step's label (its name, else METHOD /path as written)
        first_seen INTEGER NOT NULL, -- epoch ms of the earliest run (or rollup bucket) holding it
        last_seen  INTEGER NOT NULL, -- epoch ms of the latest
        last_idx   INTEGER NOT NULL, -- its position (from 0) in the latest run that had it
        PRIMARY KEY (monitor_id, step)
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX step_keys_by_name ON step_keys(monitor_id, name);

      WITH held AS (
        SELECT monitor_id, step, min(ts) AS first_ts, max(ts) AS last_ts FROM (
          SELECT monitor_id, step, ts FROM rollup_minute WHERE step >= 0
          UNION ALL SELECT monitor_id, step, ts FROM rollup_hour WHERE step >= 0
          UNION ALL SELECT monitor_id, step, ts FROM rollup_day WHERE step >= 0
        ) GROUP BY monitor_id, step
      ),
      latest AS (
        SELECT m.id AS monitor_id,
          (SELECT r.id FROM runs r WHERE r.monitor_id = m.id AND r.persona IS NULL ORDER BY r.started_at DESC LIMIT 1) AS run_id,
          min(coalesce((SELECT min(ts) FROM rollup_minute WHERE monitor_id = m.id AND step = -1), 9e15),
              coalesce((SELECT min(ts) FROM rollup_hour WHERE monitor_id = m.id AND step = -1), 9e15),
              coalesce((SELECT min(ts) FROM rollup_day WHERE monitor_id = m.id AND step = -1), 9e15)) AS runs_from
        FROM monitors m
      ),
      named AS (
        SELECT h.monitor_id, h.step,
          coalesce((SELECT s.name FROM runs r JOIN step_results s ON s.run_id = r.id AND s.idx = h.step
                    WHERE r.monitor_id = h.monitor_id AND r.persona IS NULL ORDER BY r.started_at DESC LIMIT 1),
                   'step ' || (h.step + 1)) AS name,
          h.first_ts AS first_seen,
          max(h.last_ts, coalesce((SELECT r.started_at FROM runs r JOIN step_results s ON s.run_id = r.id AND s.idx = h.step
                    WHERE r.monitor_id = h.monitor_id AND r.persona IS NULL ORDER BY r.started_at DESC LIMIT 1), 0)) AS last_seen
        FROM held h
        UNION ALL
        SELECT l.monitor_id, s.idx, s.name, min(l.runs_from, r.started_at), r.started_at
        FROM latest l JOIN runs r ON r.id = l.run_id JOIN step_results s ON s.run_id = r.id
        WHERE NOT EXISTS (SELECT 1 FROM held h WHERE h.monitor_id = l.monitor_id AND h.step = s.idx)
      )
      INSERT OR IGNORE INTO step_keys (monitor_id, step, name, first_seen, last_seen, last_idx)
      SELECT monitor_id, step,
        CASE WHEN row_number() OVER (PARTITION BY monitor_id, name ORDER BY last_seen DESC, step) = 1 THEN name
             ELSE name || ' (step ' || (step + 1) || ')' END,
        first_seen, last_seen, step
      FROM named;
    `,
  },
  {
    version: 10,
    name: 'outbox: dead letters (gave up after a permanent failure or the retry limit)',
    sql: `
      ALTER TABLE outbox ADD COLUMN dead_at INTEGER;
      ALTER TABLE outbox ADD COLUMN dead_reason TEXT;
      CREATE INDEX outbox_dead ON outbox(dead_at) WHERE dead_at IS NOT NULL;
    `,
  },
  {
    version: 11,
    name: 'incidents: the evidence that opened it, its worst and its closing value kept apart',
    // Before this, evidence was overwritten by each update and by the close: for incidents recorded
    // then, the opening evidence is unknown (NULL) and the last evidence written is the closing one.
    sql: `
      ALTER TABLE incidents ADD COLUMN opened_value REAL;
      ALTER TABLE incidents ADD COLUMN opened_evidence TEXT;
      ALTER TABLE incidents ADD COLUMN worst_evidence TEXT;
      ALTER TABLE incidents ADD COLUMN closed_value REAL;
      ALTER TABLE incidents ADD COLUMN closed_evidence TEXT;
      UPDATE incidents SET closed_evidence = evidence WHERE ended_at IS NOT NULL;
    `,
  },
  {
    version: 12,
    name: 'runs: the event-loop delay the probes saw',
    sql: `ALTER TABLE runs ADD COLUMN loop_delay_ms REAL;`,
  },
  {
    version: 13,
    name: "monitors: each monitor's newest run and its group, kept by the writer for status pages",
    sql: `
      ALTER TABLE monitors ADD COLUMN grp TEXT;
      ALTER TABLE monitors ADD COLUMN last_run_at INTEGER;
      ALTER TABLE monitors ADD COLUMN last_ok INTEGER;
      ALTER TABLE monitors ADD COLUMN last_duration_ms REAL;
      ALTER TABLE monitors ADD COLUMN last_failure TEXT;
      UPDATE monitors SET
        last_run_at = (SELECT r.started_at FROM runs r WHERE r.monitor_id = monitors.id AND r.failure_code IS NOT 'aborted' ORDER BY r.started_at DESC LIMIT 1),
        last_ok = (SELECT r.ok FROM runs r WHERE r.monitor_id = monitors.id AND r.failure_code IS NOT 'aborted' ORDER BY r.started_at DESC LIMIT 1),
        last_duration_ms = (SELECT r.duration_ms FROM runs r WHERE r.monitor_id = monitors.id AND r.failure_code IS NOT 'aborted' ORDER BY r.started_at DESC LIMIT 1),
        last_failure = (SELECT r.failure_message FROM runs r WHERE r.monitor_id = monitors.id AND r.failure_code IS NOT 'aborted' ORDER BY r.started_at DESC LIMIT 1);
    `,
  },
  {
    version: 14,
    name: 'runs: the W3C trace id their requests carried',
    sql: `ALTER TABLE runs ADD COLUMN trace_id TEXT;`,
  },
  {
    version: 15,
    name: 'locations: each run and rollup bucket keeps the location that measured it; leases and nodes for several nodes',
    // Rollups get the location in their key (each location's writer has its own rows; reads merge the
    // sketches across locations), so the tables are rebuilt with their data.
    sql: `
      ALTER TABLE runs ADD COLUMN location TEXT NOT NULL DEFAULT '';
      CREATE INDEX runs_by_slot ON runs(monitor_id, location, planned_at);
      ${(['minute', 'hour', 'day'] as const).map(rollupWithLocation).join('')}
      CREATE TABLE leases (
        name       TEXT PRIMARY KEY,
        holder     TEXT NOT NULL,
        token      INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE nodes (
        id         TEXT PRIMARY KEY,
        location   TEXT NOT NULL,
        role       TEXT NOT NULL,
        version    TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        seen_at    INTEGER NOT NULL
      );
      CREATE TABLE duty_state (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    version: 16,
    name: 'certificates kept with steps; push tokens of heartbeat monitors (hashed)',
    sql: `
      ALTER TABLE step_results ADD COLUMN tls TEXT;
      CREATE TABLE push_tokens (
        monitor_id   INTEGER PRIMARY KEY REFERENCES monitors(id),
        token_hash   TEXT NOT NULL UNIQUE, -- SHA-256 of the token: the token itself is shown once, never stored
        prefix       TEXT NOT NULL,        -- its first characters, to tell tokens apart
        created_at   INTEGER NOT NULL,
        created_by   TEXT,
        last_ping_at INTEGER
      );
    `,
  },
  {
    version: 17,
    name: 'browser runs: per-step page detail (vitals, requests, evidence) and stored screenshots',
    // Web Vitals themselves are series rows of step_results (store/vital-series.ts): no table of their own.
    sql: `
      ALTER TABLE step_results ADD COLUMN browser TEXT;
      CREATE TABLE run_artifacts (
        run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        name       TEXT NOT NULL,
        monitor_id INTEGER NOT NULL REFERENCES monitors(id),
        created_at INTEGER NOT NULL,
        step       INTEGER NOT NULL,
        mime       TEXT NOT NULL,
        size       INTEGER NOT NULL,
        data       BLOB NOT NULL,
        PRIMARY KEY (run_id, name)
      );
      CREATE INDEX run_artifacts_by_time ON run_artifacts(monitor_id, created_at);
    `,
  },
];
