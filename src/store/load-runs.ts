/**
 * Burst load runs: one row per run, one row per second (overall and per step) in load_series.
 * Points are written as they arrive (one small transaction a second), never held in memory.
 */
import type { SeriesPoint } from '../load/sketch-series.js';
import type { LoadPlan } from '../load/shapes.js';
import type { BurstSummary } from '../load/types.js';
import type { Db } from './db.js';

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

const COLS = `id, name, monitor_key AS monitorKey, trigger, model, plan_text AS planText, started_at AS startedAt, duration_ms AS durationMs,
  status, stop_message AS stopMessage, requests, errors, polls, rps, p50_ms AS p50, p95_ms AS p95, p99_ms AS p99, max_ms AS max,
  peak_users AS peakUsers, knee_text AS kneeText`;

export function createLoadRuns(db: Db) {
  const insertRun = db.prepare(
    `INSERT INTO load_runs (name, monitor_key, trigger, model, plan, plan_text, started_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'running')`,
  );
  const insertPoint = db.prepare(
    `INSERT OR REPLACE INTO load_series (run_id, t, step, poll, users, rate, requests, errors, polls, p50_ms, p95_ms, p99_ms, max_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const finishRun = db.prepare(
    `UPDATE load_runs SET duration_ms = @durationMs, status = @status, stop_message = @stopMessage, requests = @requests, errors = @errors,
       polls = @polls, rps = @rps, p50_ms = @p50, p95_ms = @p95, p99_ms = @p99, max_ms = @max, peak_users = @peakUsers,
       knee_text = @kneeText, summary = @summary WHERE id = @id`,
  );
  const writePoint = db.transaction((runId: number, p: SeriesPoint) => {
    insertPoint.run(runId, p.t, '', 0, p.users, p.rate ?? null, p.requests, p.errors, p.polls, p.p50, p.p95, p.p99, p.max);
    for (const s of p.steps) insertPoint.run(runId, p.t, s.name, s.poll ? 1 : 0, null, null, s.count, s.errors, 0, s.p50, s.p95, s.p99, s.max);
  });

  return {
    begin(r: { name: string; monitorKey: string; trigger: 'cli' | 'schedule' | string; plan: LoadPlan; planText: string; startedAt?: number }): number {
      return Number(insertRun.run(r.name, r.monitorKey, r.trigger, r.plan.model, JSON.stringify(r.plan), r.planText, r.startedAt ?? Date.now()).lastInsertRowid);
    },
    addPoint(runId: number, p: SeriesPoint): void {
      writePoint(runId, p);
    },
    finish(runId: number, s: BurstSummary, status: LoadRunStatus = statusOf(s)): void {
      finishRun.run({
        id: runId,
        durationMs: s.durationMs,
        status,
        stopMessage: s.stopMessage ?? null,
        requests: s.requests,
        errors: s.errors,
        polls: s.polls,
        rps: s.rps,
        p50: s.p50,
        p95: s.p95,
        p99: s.p99,
        max: s.max,
        peakUsers: s.peakUsers,
        kneeText: s.knee.sentence,
        summary: JSON.stringify(s),
      });
    },
    /** A run that ended without a summary (the worker failed). */
    fail(runId: number, message: string): void {
      db.prepare(`UPDATE load_runs SET status = 'error', stop_message = ? WHERE id = ?`).run(message, runId);
    },
    list(opts: { limit?: number; name?: string } = {}): LoadRunRow[] {
      const where = opts.name ? 'WHERE name = @name' : '';
      return db.prepare(`SELECT ${COLS} FROM load_runs ${where} ORDER BY started_at DESC, id DESC LIMIT @limit`).all({ name: opts.name, limit: opts.limit ?? 50 }) as LoadRunRow[];
    },
    get(id: number): LoadRunDetail | undefined {
      const row = db.prepare(`SELECT ${COLS}, plan, summary FROM load_runs WHERE id = ?`).get(id) as (LoadRunRow & { plan: string; summary: string | null }) | undefined;
      if (!row) return undefined;
      return { ...row, plan: JSON.parse(row.plan) as LoadPlan, summary: row.summary ? (JSON.parse(row.summary) as BurstSummary) : null };
    },
    /** Per-second rows: `step` '' is the whole run; otherwise one step (or poll). */
    series(id: number, step = ''): SeriesRow[] {
      return db
        .prepare(`SELECT t, users, rate, requests, errors, polls, p50_ms AS p50, p95_ms AS p95, p99_ms AS p99, max_ms AS max FROM load_series WHERE run_id = ? AND step = ? ORDER BY t`)
        .all(id, step) as SeriesRow[];
    },
    steps(id: number): string[] {
      return db.prepare(`SELECT DISTINCT step FROM load_series WHERE run_id = ? AND step <> '' ORDER BY step`).pluck().all(id) as string[];
    },
  };
}

export type LoadRuns = ReturnType<typeof createLoadRuns>;
