/**
 * Burst load runs: one row per run, one row per second (overall and per step) in load_series.
 * Points are written as they arrive (one small transaction a second), never held in memory.
 */
import type { SeriesPoint } from '../load/sketch-series.js';
import type { LoadPlan } from '../load/shapes.js';
import type { BurstSummary } from '../load/types.js';
import type { Sql } from './sql.js';

export type LoadRunStatus = 'running' | 'passed' | 'failed' | 'aborted' | 'stopped' | 'error';

export type LoadRunRow = {
  id: number;
  name: string;
  monitorKey: string;
  trigger: string;
  model: string;
  planText: string;
  startedAt: number;
  durationMs: number | null;
  status: LoadRunStatus;
  stopMessage: string | null;
  requests: number;
  errors: number;
  polls: number;
  rps: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  peakUsers: number | null;
  kneeText: string | null;
};

export type LoadRunDetail = LoadRunRow & { plan: LoadPlan; summary: BurstSummary | null };

export type SeriesRow = { t: number; users: number | null; rate: number | null; requests: number; errors: number; polls: number; p50: number | null; p95: number | null; p99: number | null; max: number | null };

/** Status of a finished run: stopped by hand, or aborted on errors, beats failed thresholds beats passed. */
export function statusOf(s: Pick<BurstSummary, 'stopReason' | 'thresholds'>): LoadRunStatus {
  if (s.stopReason === 'stopped') return 'stopped';
  if (s.stopReason !== 'completed') return 'aborted';
  return s.thresholds.every((t) => t.pass) ? 'passed' : 'failed';
}

const COLS = `id, name, monitor_key AS "monitorKey", "trigger", model, plan_text AS "planText", started_at AS "startedAt", duration_ms AS "durationMs",
  status, stop_message AS "stopMessage", requests, errors, polls, rps, p50_ms AS p50, p95_ms AS p95, p99_ms AS p99, max_ms AS max,
  peak_users AS "peakUsers", knee_text AS "kneeText"`;

export function createLoadRuns(sql: Sql) {
  const INSERT_RUN = `INSERT INTO load_runs (name, monitor_key, "trigger", model, plan, plan_text, started_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'running') RETURNING id`;
  const INSERT_POINT = `INSERT INTO load_series (run_id, t, step, poll, users, rate, requests, errors, polls, p50_ms, p95_ms, p99_ms, max_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, step, t) DO UPDATE SET poll = excluded.poll, users = excluded.users, rate = excluded.rate, requests = excluded.requests,
       errors = excluded.errors, polls = excluded.polls, p50_ms = excluded.p50_ms, p95_ms = excluded.p95_ms, p99_ms = excluded.p99_ms, max_ms = excluded.max_ms`;
  const FINISH = `UPDATE load_runs SET duration_ms = ?, status = ?, stop_message = ?, requests = ?, errors = ?, polls = ?, rps = ?,
       p50_ms = ?, p95_ms = ?, p99_ms = ?, max_ms = ?, peak_users = ?, knee_text = ?, summary = ? WHERE id = ?`;

  return {
    async begin(r: { name: string; monitorKey: string; trigger: 'cli' | 'schedule' | string; plan: LoadPlan; planText: string; startedAt?: number }): Promise<number> {
      const [id] = await sql.pluck<number>(INSERT_RUN, [r.name, r.monitorKey, r.trigger, r.plan.model, JSON.stringify(r.plan), r.planText, r.startedAt ?? Date.now()]);
      return id;
    },
    /** One second of a burst: the whole run's row and one per step, in one small transaction. */
    async addPoint(runId: number, p: SeriesPoint): Promise<void> {
      await sql.tx(async (tx) => {
        await tx.run(INSERT_POINT, [runId, p.t, '', 0, p.users, p.rate ?? null, p.requests, p.errors, p.polls, p.p50, p.p95, p.p99, p.max]);
        for (const s of p.steps) await tx.run(INSERT_POINT, [runId, p.t, s.name, s.poll ? 1 : 0, null, null, s.count, s.errors, 0, s.p50, s.p95, s.p99, s.max]);
      });
    },
    async finish(runId: number, s: BurstSummary, status: LoadRunStatus = statusOf(s)): Promise<void> {
      await sql.run(FINISH, [s.durationMs, status, s.stopMessage ?? null, s.requests, s.errors, s.polls, s.rps, s.p50, s.p95, s.p99, s.max, s.peakUsers, s.knee.sentence, JSON.stringify(s), runId]);
    },
    /** A run that ended without a summary (the worker failed). */
    async fail(runId: number, message: string): Promise<void> {
      await sql.run(`UPDATE load_runs SET status = 'error', stop_message = ? WHERE id = ?`, [message, runId]);
    },
    list(opts: { limit?: number; name?: string } = {}): Promise<LoadRunRow[]> {
      const limit = opts.limit ?? 50;
      return opts.name
        ? sql.all<LoadRunRow>(`SELECT ${COLS} FROM load_runs WHERE name = ? ORDER BY started_at DESC, id DESC LIMIT ?`, [opts.name, limit])
        : sql.all<LoadRunRow>(`SELECT ${COLS} FROM load_runs ORDER BY started_at DESC, id DESC LIMIT ?`, [limit]);
    },
    async get(id: number): Promise<LoadRunDetail | undefined> {
      const row = await sql.get<LoadRunRow & { plan: string; summary: string | null }>(`SELECT ${COLS}, plan, summary FROM load_runs WHERE id = ?`, [id]);
      if (!row) return undefined;
      return { ...row, plan: JSON.parse(row.plan) as LoadPlan, summary: row.summary ? (JSON.parse(row.summary) as BurstSummary) : null };
    },
    /** Per-second rows: `step` '' is the whole run; otherwise one step (or poll). */
    series: (id: number, step = '') =>
      sql.all<SeriesRow>(`SELECT t, users, rate, requests, errors, polls, p50_ms AS p50, p95_ms AS p95, p99_ms AS p99, max_ms AS max FROM load_series WHERE run_id = ? AND step = ? ORDER BY t`, [id, step]),
    steps: (id: number) => sql.pluck<string>(`SELECT DISTINCT step FROM load_series WHERE run_id = ? AND step <> '' ORDER BY step`, [id]),
  };
}

export type LoadRuns = ReturnType<typeof createLoadRuns>;
