import type { History } from './history.js';
import type { Sql } from './sql.js';
import type { MonitorState } from './status.js';

/**
 * The state an operator sees: the alert engine's judgement (degraded, maintenance, and down only after
 * the configured number of failures), the same one the status page, the API and the alerts use. The
 * last run's result is the fallback for monitors the engine has not judged yet.
 */
export type OperatorState = MonitorState | 'degraded' | 'maintenance';

/** Given a monitor and its last run's state, the judged state (see OperatorState). */
export type StateJudge = (monitorKey: string, lastRunState: MonitorState) => OperatorState;

export type AdminMonitorRow = {
  id: number;
  key: string;
  name: string;
  description: string | null;
  public: boolean;
  schedule: string;
  state: OperatorState;
  lastRunAt: number | null;
  lastLatencyMs: number | null;
  lastFailure: string | null;
  /**
   * p95 of the successful runs' durations over the last 60 minute buckets (the current minute included),
   * merged from the per-minute DDSketches (1 % relative accuracy); null when none succeeded.
   */
  p95HourMs: number | null;
  /** Runs (passed or failed) in those 60 minutes. */
  runsHour: number;
  /** 24 hourly points, oldest first, the last one the current hour: p95 of successful runs from the hourly sketch, null for an hour without one. */
  spark: (number | null)[];
  /** Failed runs in each of those hours. */
  sparkFailures: number[];
};

export type MonitorPage = {
  rows: AdminMonitorRow[];
  /** Monitors matching the search and the state filter. */
  total: number;
  /** Monitors matching the search, by state (for the filter tabs). */
  counts: Record<OperatorState | 'all', number>;
  page: number;
  pageSize: number;
  pages: number;
};

/** Where a newest-first page ends (see runs.ts); written `<ms>:<id>` in the API. */
export type { PageCursor } from './runs.js';

/** Escapes % and _ so a search term matches literally inside LIKE (lower-cased: both engines compare the same way). */
const likeTerm = (q: string) => `%${q.toLowerCase().replace(/[\\%_]/g, (ch) => '\\' + ch)}%`;

/**
 * The operator's read model: every monitor (public or not), filtered, searched and paged. State and the
 * newest run come from the monitors table (the writer keeps them); percentiles come from the rollup
 * sketches through History (the last hour's p95, the 24-hour trend), the ones the charts read.
 */
export function createAdminQueries(sql: Sql, history: History) {
  const cols = 'm.id, m.key, m.name, m.description, m.public, m.schedule, m.last_run_at, m.last_ok, m.last_duration_ms, m.last_failure';
  const match = `m.active = 1 AND (CAST(? AS TEXT) IS NULL OR lower(m.name) LIKE ? ESCAPE '\\' OR lower(m.key) LIKE ? ESCAPE '\\')`;
  const EVERY = `SELECT ${cols} FROM monitors m WHERE ${match} ORDER BY m.position, m.id`;
  const ONE = `SELECT ${cols} FROM monitors m WHERE m.active = 1 AND m.key = ?`;

  type MonitorRow = { id: number; key: string; name: string; description: string | null; public: number; schedule: string; last_run_at: number | null; last_ok: number | null; last_duration_ms: number | null; last_failure: string | null };
  const runState = (m: MonitorRow): MonitorState => (m.last_ok === null ? 'unknown' : m.last_ok ? 'up' : 'down');

  async function enrich(m: MonitorRow, now: number, state: OperatorState): Promise<AdminMonitorRow> {
    const [hour, trend] = await Promise.all([history.lastHour(m.id, now), history.trend(m.id, now)]);
    return {
      id: m.id,
      key: m.key,
      name: m.name,
      description: m.description,
      public: m.public === 1,
      schedule: m.schedule,
      state,
      lastRunAt: m.last_run_at,
      lastLatencyMs: m.last_duration_ms,
      lastFailure: m.last_ok === 0 ? m.last_failure : null,
      p95HourMs: hour.p95,
      runsHour: hour.runs,
      spark: trend.p95,
      sparkFailures: trend.failures,
    };
  }

  return {
    /** With `judge`, states (and the state filter and counts) are the judged ones; without, the newest run's. */
    async monitorPage(opts: { state?: OperatorState; q?: string; page?: number; pageSize?: number; now?: number; judge?: StateJudge } = {}): Promise<MonitorPage> {
      const now = opts.now ?? Date.now();
      const pageSize = Math.min(500, Math.max(1, opts.pageSize ?? 50));
      const q = opts.q?.trim() ? likeTerm(opts.q.trim()) : null;
      const counts = { all: 0, up: 0, down: 0, unknown: 0, degraded: 0, maintenance: 0 };
      const judge = opts.judge ?? ((_key: string, s: MonitorState) => s);
      const judged = (await sql.all<MonitorRow>(EVERY, [q, q, q])).map((m) => ({ m, state: judge(m.key, runState(m)) }));
      for (const j of judged) {
        counts[j.state]++;
        counts.all++;
      }
      const shown = opts.state ? judged.filter((j) => j.state === opts.state) : judged;
      const pages = Math.max(1, Math.ceil(shown.length / pageSize));
      const pageNo = Math.min(pages, Math.max(1, Math.floor(opts.page ?? 1)));
      const rows = await Promise.all(shown.slice((pageNo - 1) * pageSize, pageNo * pageSize).map((j) => enrich(j.m, now, j.state)));
      return { rows, total: shown.length, counts, page: pageNo, pageSize, pages };
    },
    /** One monitor, public or not; undefined when unknown or no longer configured. */
    async monitor(key: string, now = Date.now(), judge?: StateJudge): Promise<AdminMonitorRow | undefined> {
      const m = await sql.get<MonitorRow>(ONE, [key]);
      return m ? enrich(m, now, judge ? judge(m.key, runState(m)) : runState(m)) : undefined;
    },
  };
}

export type AdminQueries = ReturnType<typeof createAdminQueries>;
