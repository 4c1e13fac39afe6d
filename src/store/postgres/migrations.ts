/**
 * The PostgreSQL schema. Its versions follow the SQLite migrations (src/store/migrations.ts): the first
 * PostgreSQL migration creates the schema as SQLite has it at that version, and every later change is
 * added to both lists with the same number, so `halftime migrate --from` and "newer than this
 * halftime" mean the same on both engines. Types: epoch ms and counters BIGINT, durations DOUBLE
 * PRECISION, flags INTEGER 0/1 (the shared SQL compares them as numbers), sketches BYTEA.
 */
import type { Migration } from '../db.js';

const rollup = (table: string) => `
  CREATE TABLE ${table} (
    monitor_id   BIGINT NOT NULL REFERENCES monitors(id),
    ts           BIGINT NOT NULL,
    step         INTEGER NOT NULL,
    runs         BIGINT NOT NULL,
    failures     BIGINT NOT NULL,
    total_sketch BYTEA NOT NULL,
    ttfb_sketch  BYTEA NOT NULL,
    dns_ms       DOUBLE PRECISION NOT NULL,
    connect_ms   DOUBLE PRECISION NOT NULL,
    tls_ms       DOUBLE PRECISION NOT NULL,
    ttfb_ms      DOUBLE PRECISION NOT NULL,
    download_ms  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (monitor_id, ts, step)
  );`;

export const postgresMigrations: Migration[] = [
  {
    version: 13,
    name: 'the schema as of SQLite migration 13',
    sql: `
      CREATE TABLE monitors (
        id               BIGSERIAL PRIMARY KEY,
        key              TEXT NOT NULL UNIQUE,
        name             TEXT NOT NULL,
        description      TEXT,
        public           INTEGER NOT NULL DEFAULT 0,
        active           INTEGER NOT NULL DEFAULT 1,
        schedule         TEXT NOT NULL DEFAULT '',
        position         INTEGER NOT NULL DEFAULT 0,
        created_at       BIGINT NOT NULL,
        updated_at       BIGINT NOT NULL,
        grp              TEXT,
        last_run_at      BIGINT,
        last_ok          INTEGER,
        last_duration_ms DOUBLE PRECISION,
        last_failure     TEXT
      );
      CREATE TABLE runs (
        id              BIGSERIAL PRIMARY KEY,
        monitor_id      BIGINT NOT NULL REFERENCES monitors(id),
        planned_at      BIGINT NOT NULL,
        started_at      BIGINT NOT NULL,
        duration_ms     DOUBLE PRECISION NOT NULL,
        ok              INTEGER NOT NULL,
        failure_code    TEXT,
        failure_message TEXT,
        failure_step    INTEGER,
        persona         TEXT,
        tasks           TEXT,
        loop_delay_ms   DOUBLE PRECISION
      );
      CREATE INDEX runs_by_monitor_time ON runs(monitor_id, started_at, ok);
      CREATE INDEX runs_by_time ON runs(started_at);
      CREATE TABLE step_results (
        run_id          BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        idx             INTEGER NOT NULL,
        name            TEXT NOT NULL,
        method          TEXT NOT NULL,
        url             TEXT NOT NULL,
        status          INTEGER,
        ok              INTEGER NOT NULL,
        failure_code    TEXT,
        failure_message TEXT,
        dns_ms          DOUBLE PRECISION NOT NULL,
        connect_ms      DOUBLE PRECISION NOT NULL,
        tls_ms          DOUBLE PRECISION NOT NULL,
        ttfb_ms         DOUBLE PRECISION NOT NULL,
        download_ms     DOUBLE PRECISION NOT NULL,
        total_ms        DOUBLE PRECISION NOT NULL,
        bytes           BIGINT NOT NULL,
        redirects       INTEGER NOT NULL,
        evidence        TEXT NOT NULL,
        assets          TEXT,
        PRIMARY KEY (run_id, idx)
      );
      CREATE TABLE daily_uptime (
        monitor_id BIGINT NOT NULL REFERENCES monitors(id),
        day        TEXT NOT NULL,
        runs       BIGINT NOT NULL,
        failures   BIGINT NOT NULL,
        PRIMARY KEY (monitor_id, day)
      );
      ${rollup('rollup_minute')}
      ${rollup('rollup_hour')}
      ${rollup('rollup_day')}
      CREATE TABLE alert_state (
        monitor_id BIGINT PRIMARY KEY REFERENCES monitors(id),
        status     TEXT NOT NULL,
        data       TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE TABLE incidents (
        id              BIGSERIAL PRIMARY KEY,
        monitor_id      BIGINT NOT NULL REFERENCES monitors(id),
        kind            TEXT NOT NULL CHECK (kind IN ('down', 'degraded')),
        started_at      BIGINT NOT NULL,
        ended_at        BIGINT,
        worst_value     DOUBLE PRECISION,
        summary         TEXT NOT NULL,
        evidence        TEXT NOT NULL,
        acknowledged_at BIGINT,
        acknowledged_by TEXT,
        opened_value    DOUBLE PRECISION,
        opened_evidence TEXT,
        worst_evidence  TEXT,
        closed_value    DOUBLE PRECISION,
        closed_evidence TEXT
      );
      CREATE INDEX incidents_by_monitor ON incidents(monitor_id, started_at);
      CREATE INDEX incidents_open ON incidents(started_at) WHERE ended_at IS NULL;
      CREATE TABLE outbox (
        id              BIGSERIAL PRIMARY KEY,
        channel         TEXT NOT NULL,
        event           TEXT NOT NULL,
        created_at      BIGINT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        last_error      TEXT,
        delivered_at    BIGINT,
        dead_at         BIGINT,
        dead_reason     TEXT
      );
      CREATE INDEX outbox_due ON outbox(channel, delivered_at, next_attempt_at, id);
      CREATE INDEX outbox_dead ON outbox(dead_at) WHERE dead_at IS NOT NULL;
      CREATE TABLE load_runs (
        id           BIGSERIAL PRIMARY KEY,
        name         TEXT NOT NULL,
        monitor_key  TEXT NOT NULL,
        "trigger"    TEXT NOT NULL,
        model        TEXT NOT NULL,
        plan         TEXT NOT NULL,
        plan_text    TEXT NOT NULL,
        started_at   BIGINT NOT NULL,
        duration_ms  DOUBLE PRECISION,
        status       TEXT NOT NULL,
        stop_message TEXT,
        requests     BIGINT NOT NULL DEFAULT 0,
        errors       BIGINT NOT NULL DEFAULT 0,
        polls        BIGINT NOT NULL DEFAULT 0,
        rps          DOUBLE PRECISION,
        p50_ms       DOUBLE PRECISION,
        p95_ms       DOUBLE PRECISION,
        p99_ms       DOUBLE PRECISION,
        max_ms       DOUBLE PRECISION,
        peak_users   INTEGER,
        knee_text    TEXT,
        summary      TEXT
      );
      CREATE INDEX load_runs_by_time ON load_runs(started_at);
      CREATE INDEX load_runs_by_name ON load_runs(name, started_at);
      CREATE TABLE load_series (
        run_id    BIGINT NOT NULL REFERENCES load_runs(id) ON DELETE CASCADE,
        t         BIGINT NOT NULL,
        step      TEXT NOT NULL,
        poll      INTEGER NOT NULL DEFAULT 0,
        users     INTEGER,
        rate      DOUBLE PRECISION,
        requests  BIGINT NOT NULL,
        errors    BIGINT NOT NULL,
        polls     BIGINT NOT NULL DEFAULT 0,
        p50_ms    DOUBLE PRECISION,
        p95_ms    DOUBLE PRECISION,
        p99_ms    DOUBLE PRECISION,
        max_ms    DOUBLE PRECISION,
        PRIMARY KEY (run_id, step, t)
      );
      CREATE TABLE users (
        id            BIGSERIAL PRIMARY KEY,
        username      TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        created_at    BIGINT NOT NULL,
        last_login_at BIGINT
      );
      CREATE TABLE sessions (
        id_hash    TEXT PRIMARY KEY,
        user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX sessions_by_expiry ON sessions(expires_at);
      CREATE TABLE api_tokens (
        id           BIGSERIAL PRIMARY KEY,
        name         TEXT NOT NULL,
        token_hash   TEXT NOT NULL UNIQUE,
        prefix       TEXT NOT NULL,
        created_by   BIGINT REFERENCES users(id) ON DELETE SET NULL,
        created_at   BIGINT NOT NULL,
        last_used_at BIGINT,
        revoked_at   BIGINT
      );
      CREATE TABLE step_keys (
        monitor_id BIGINT NOT NULL REFERENCES monitors(id),
        step       INTEGER NOT NULL,
        name       TEXT NOT NULL,
        first_seen BIGINT NOT NULL,
        last_seen  BIGINT NOT NULL,
        last_idx   INTEGER NOT NULL,
        PRIMARY KEY (monitor_id, step)
      );
      CREATE UNIQUE INDEX step_keys_by_name ON step_keys(monitor_id, name);
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
    sql: `
      ALTER TABLE runs ADD COLUMN location TEXT NOT NULL DEFAULT '';
      -- One run per monitor, location and planned slot: a node that lost its lease cannot store a slot twice.
      CREATE UNIQUE INDEX runs_by_slot ON runs(monitor_id, location, planned_at);
      ALTER TABLE rollup_minute ADD COLUMN loc TEXT NOT NULL DEFAULT '';
      ALTER TABLE rollup_minute DROP CONSTRAINT rollup_minute_pkey;
      ALTER TABLE rollup_minute ADD PRIMARY KEY (monitor_id, ts, step, loc);
      ALTER TABLE rollup_hour ADD COLUMN loc TEXT NOT NULL DEFAULT '';
      ALTER TABLE rollup_hour DROP CONSTRAINT rollup_hour_pkey;
      ALTER TABLE rollup_hour ADD PRIMARY KEY (monitor_id, ts, step, loc);
      ALTER TABLE rollup_day ADD COLUMN loc TEXT NOT NULL DEFAULT '';
      ALTER TABLE rollup_day DROP CONSTRAINT rollup_day_pkey;
      ALTER TABLE rollup_day ADD PRIMARY KEY (monitor_id, ts, step, loc);
      CREATE TABLE leases (
        name       TEXT PRIMARY KEY,
        holder     TEXT NOT NULL,
        token      BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE TABLE nodes (
        id         TEXT PRIMARY KEY,
        location   TEXT NOT NULL,
        role       TEXT NOT NULL,
        version    TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        seen_at    BIGINT NOT NULL
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
        monitor_id   BIGINT PRIMARY KEY REFERENCES monitors(id),
        token_hash   TEXT NOT NULL UNIQUE,
        prefix       TEXT NOT NULL,
        created_at   BIGINT NOT NULL,
        created_by   TEXT,
        last_ping_at BIGINT
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
        run_id     BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        name       TEXT NOT NULL,
        monitor_id BIGINT NOT NULL REFERENCES monitors(id),
        created_at BIGINT NOT NULL,
        step       INTEGER NOT NULL,
        mime       TEXT NOT NULL,
        size       INTEGER NOT NULL,
        data       BYTEA NOT NULL,
        PRIMARY KEY (run_id, name)
      );
      CREATE INDEX run_artifacts_by_time ON run_artifacts(monitor_id, created_at);
    `,
  },
];
