import type { Db } from './db.js';
import type { RunRow } from './run-queries.js';
import type { MonitorState } from './queries.js';
import { bucketStart, LEVELS, RUN_STEP } from './rollups.js';
import { addBins, binsPercentiles, createSketch, decodeBins, nearestRank } from './sketch.js';

const MINUTE = LEVELS.minute.ms;
const HOUR = LEVELS.hour.ms;

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

/**
 * Where a newest-first page ends, for the next one: a (time, id) keyset, since several rows can share
 * a millisecond. Written `<ms>:<id>` in the API (`<ms>` alone: everything older than that time).
 */
export type PageCursor = { at: number; id?: number };

/** A run as the operator API lists it: the history's run row plus its monitor and planned start. */
export type RunSummary = RunRow & { monitor: string; plannedAt: number };

/** Escapes % and _ so a search term matches literally inside LIKE. */
const likeTerm = (q: string) => `%${q.replace(/[\\%_]/g, (ch) => '\\' + ch)}%`;

/**
 * The operator's read model: every monitor (public or not), filtered, searched and paged. State and the
 * last run come from the raw runs; percentiles come from the rollup sketches (minutes for the last hour,
 * hours for the 24-hour sparkline), the same ones the history charts read.
 */
export function createAdminQueries(db: Db) {
  // The newest run's ok flag, straight from the (monitor_id, started_at, ok) index: NULL when there is none.
  // Runs cut off by a shutdown (failure code 'aborted') are listed but say nothing about the target's state.
  const lastOk = `(SELECT ok FROM runs WHERE monitor_id = m.id AND failure_code IS NOT 'aborted' ORDER BY started_at DESC LIMIT 1)`;
  const match = `m.active = 1 AND (@q IS NULL OR m.name LIKE @q ESCAPE '\\' OR m.key LIKE @q ESCAPE '\\')`;
  const cols = 'm.id, m.key, m.name, m.description, m.public, m.schedule';
  const pageAll = db.prepare(`SELECT ${cols} FROM monitors m WHERE ${match} ORDER BY m.position, m.id LIMIT @limit OFFSET @offset`);
  const pageByState = db.prepare(`SELECT ${cols} FROM monitors m WHERE ${match} AND coalesce(${lastOk}, -1) = @ok ORDER BY m.position, m.id LIMIT @limit OFFSET @offset`);
  const counts = db.prepare(`SELECT coalesce(${lastOk}, -1) AS ok, count(*) AS n FROM monitors m WHERE ${match} GROUP BY 1`);
  const one = db.prepare(`SELECT ${cols} FROM monitors m WHERE m.active = 1 AND m.key = ?`);
  const everyMatch = db.prepare(`SELECT ${cols}, coalesce(${lastOk}, -1) AS ok FROM monitors m WHERE ${match} ORDER BY m.position, m.id`);
  const lastRun = db.prepare(`SELECT started_at, duration_ms, ok, failure_message FROM runs WHERE monitor_id = ? AND failure_code IS NOT 'aborted' ORDER BY started_at DESC LIMIT 1`);
  // Rollup rows as arrays: (ts, runs, failures, total_sketch).
  const minutes = db
    .prepare<[number, number], [number, number, number, Buffer]>(`SELECT ts, runs, failures, total_sketch FROM ${LEVELS.minute.table} WHERE monitor_id = ? AND step = ${RUN_STEP} AND ts >= ?`)
    .raw();
  const hours = db
    .prepare<[number, number, number], [number, number, number, Buffer]>(
      `SELECT ts, runs, failures, total_sketch FROM ${LEVELS.hour.table} WHERE monitor_id = ? AND step = ${RUN_STEP} AND ts >= ? AND ts <= ?`,
    )
    .raw();
  const runsAll = db.prepare(
    `SELECT r.id, m.key AS monitor, r.planned_at, r.started_at, r.duration_ms, r.ok, r.failure_code, r.failure_message, r.failure_step, r.trace_id
     FROM runs r JOIN monitors m ON m.id = r.monitor_id
     WHERE (@key IS NULL OR m.key = @key) AND (@before IS NULL OR (r.started_at <= @before AND (r.started_at < @before OR r.id < @beforeId)))
     ORDER BY r.started_at DESC, r.id DESC LIMIT @limit`,
  );
  // One monitor's runs straight from its (monitor_id, started_at) index; the OR in runsAll would make SQLite sort every run.
  const runsOfMonitor = db.prepare(
    `SELECT r.id, m.key AS monitor, r.planned_at, r.started_at, r.duration_ms, r.ok, r.failure_code, r.failure_message, r.failure_step, r.trace_id
     FROM monitors m JOIN runs r ON r.monitor_id = m.id
     WHERE m.key = @key AND r.started_at <= coalesce(@before, 9e15) AND (@before IS NULL OR r.started_at < @before OR r.id < @beforeId)
     ORDER BY r.started_at DESC, r.id DESC LIMIT @limit`,
  );
  const runById = db.prepare(
    `SELECT r.id, m.key AS monitor, r.planned_at, r.started_at, r.duration_ms, r.ok, r.failure_code, r.failure_message, r.failure_step, r.trace_id
     FROM runs r JOIN monitors m ON m.id = r.monitor_id WHERE r.id = ?`,
  );
  const steps = db.prepare('SELECT * FROM step_results WHERE run_id = ? ORDER BY idx');

  type MonitorRow = { id: number; key: string; name: string; description: string | null; public: number; schedule: string };
  const OK_OF: Record<MonitorState, number> = { up: 1, down: 0, unknown: -1 };
  const STATE_OF: Record<number, MonitorState> = { 1: 'up', 0: 'down', [-1]: 'unknown' };

  function enrich(m: MonitorRow, now: number, judge?: StateJudge): AdminMonitorRow {
    const last = lastRun.get(m.id) as { started_at: number; duration_ms: number; ok: number; failure_message: string | null } | undefined;
    const runState: MonitorState = !last ? 'unknown' : last.ok ? 'up' : 'down';
    const state = judge ? judge(m.key, runState) : runState;
    // The last hour: the minute sketches merged (bin counts add up, so this is a true p95, not an average of p95s).
    const hourSketch = createSketch();
    let runsHour = 0;
    for (const [, runs, , blob] of minutes.all(m.id, bucketStart(now, MINUTE) - 59 * MINUTE)) {
      runsHour += runs;
      addBins(hourSketch, decodeBins(blob));
    }
    // 24 hourly p95 points straight from the hourly sketches.
    const to = bucketStart(now, HOUR);
    const from = to - 23 * HOUR;
    const spark: (number | null)[] = Array(24).fill(null);
    const sparkFailures: number[] = Array(24).fill(0);
    for (const [ts, , failures, blob] of hours.all(m.id, from, to)) {
      const i = (ts - from) / HOUR;
      spark[i] = binsPercentiles(decodeBins(blob), [0.95])[0];
      sparkFailures[i] = failures;
    }
    return {
      id: m.id,
      key: m.key,
      name: m.name,
      description: m.description,
      public: m.public === 1,
      schedule: m.schedule,
      state,
      lastRunAt: last?.started_at ?? null,
      lastLatencyMs: last?.duration_ms ?? null,
      lastFailure: last && !last.ok ? last.failure_message : null,
      p95HourMs: nearestRank(hourSketch, 0.95),
      runsHour,
      spark,
      sparkFailures,
    };
  }

  type RawRun = { id: number; monitor: string; planned_at: number; started_at: number; duration_ms: number; ok: number; failure_code: string | null; failure_message: string | null; failure_step: number | null; trace_id: string | null };
  const toRun = (r: RawRun): RunSummary => ({
    id: r.id,
    monitor: r.monitor,
    plannedAt: r.planned_at,
    startedAt: r.started_at,
    durationMs: r.duration_ms,
    ok: r.ok === 1,
    failureCode: r.failure_code,
    failureMessage: r.failure_message,
    failureStep: r.failure_step,
    traceId: r.trace_id,
  });

  return {
    /** With `judge`, states (and the state filter and counts) are the judged ones; without, the last run's. */
    monitorPage(opts: { state?: OperatorState; q?: string; page?: number; pageSize?: number; now?: number; judge?: StateJudge } = {}): MonitorPage {
      const now = opts.now ?? Date.now();
      const pageSize = Math.min(500, Math.max(1, opts.pageSize ?? 50));
      const q = opts.q?.trim() ? likeTerm(opts.q.trim()) : null;
      const byState = { all: 0, up: 0, down: 0, unknown: 0, degraded: 0, maintenance: 0 };
      if (opts.judge) {
        // The judged state lives outside SQL: judge every matching monitor (one indexed lookup each), then page.
        const judge = opts.judge;
        const judged = (everyMatch.all({ q }) as (MonitorRow & { ok: number })[]).map((m) => ({ m, state: judge(m.key, STATE_OF[m.ok]) }));
        for (const j of judged) {
          byState[j.state]++;
          byState.all++;
        }
        const shown = opts.state ? judged.filter((j) => j.state === opts.state) : judged;
        const pages = Math.max(1, Math.ceil(shown.length / pageSize));
        const pageNo = Math.min(pages, Math.max(1, Math.floor(opts.page ?? 1)));
        const rows = shown.slice((pageNo - 1) * pageSize, pageNo * pageSize).map((j) => ({ ...enrich(j.m, now), state: j.state }));
        return { rows, total: shown.length, counts: byState, page: pageNo, pageSize, pages };
      }
      for (const c of counts.all({ q }) as { ok: number; n: number }[]) {
        byState[STATE_OF[c.ok]] += c.n;
        byState.all += c.n;
      }
      const total = opts.state ? byState[opts.state] : byState.all;
      if (opts.state === 'degraded' || opts.state === 'maintenance') return { rows: [], total: 0, counts: byState, page: 1, pageSize, pages: 1 };
      const pages = Math.max(1, Math.ceil(total / pageSize));
      const pageNo = Math.min(pages, Math.max(1, Math.floor(opts.page ?? 1)));
      const window = { q, limit: pageSize, offset: (pageNo - 1) * pageSize };
      const rows = (opts.state ? pageByState.all({ ...window, ok: OK_OF[opts.state as MonitorState] }) : pageAll.all(window)) as MonitorRow[];
      return { rows: rows.map((m) => enrich(m, now)), total, counts: byState, page: pageNo, pageSize, pages };
    },
    /** One monitor, public or not; undefined when unknown or no longer configured. */
    monitor(key: string, now = Date.now(), judge?: StateJudge): AdminMonitorRow | undefined {
      const m = one.get(key) as MonitorRow | undefined;
      return m ? enrich(m, now, judge) : undefined;
    },
    /**
     * Runs newest first, optionally of one monitor, and for paging back only those after `before` in
     * that order: older than `before.at`, or at that very millisecond with a smaller id (runs share
     * milliseconds). `before.id` omitted: everything older than `before.at`.
     */
    runs(opts: { monitor?: string; before?: PageCursor; limit?: number } = {}): RunSummary[] {
      const limit = Math.min(1000, Math.max(1, opts.limit ?? 50));
      const stmt = opts.monitor !== undefined ? runsOfMonitor : runsAll;
      return (stmt.all({ key: opts.monitor ?? null, before: opts.before?.at ?? null, beforeId: opts.before?.id ?? null, limit }) as RawRun[]).map(toRun);
    },
    /** One run with its steps and their evidence. */
    run(id: number) {
      const r = runById.get(id) as RawRun | undefined;
      if (!r) return undefined;
      return {
        ...toRun(r),
        steps: (steps.all(id) as Record<string, unknown>[]).map((s) => ({
          index: s.idx as number,
          name: s.name as string,
          method: s.method as string,
          url: s.url as string,
          status: s.status as number | null,
          ok: s.ok === 1,
          failureCode: s.failure_code as string | null,
          failureMessage: s.failure_message as string | null,
          timings: { dns: s.dns_ms, connect: s.connect_ms, tls: s.tls_ms, ttfb: s.ttfb_ms, download: s.download_ms, total: s.total_ms } as Record<string, number>,
          bytes: s.bytes as number,
          redirects: s.redirects as number,
          evidence: JSON.parse(String(s.evidence)) as { what: string; expected: string; actual: string; pass: boolean }[],
        })),
      };
    },
  };
}

export type AdminQueries = ReturnType<typeof createAdminQueries>;
export type RunDetail = NonNullable<ReturnType<AdminQueries['run']>>;
