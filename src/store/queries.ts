import type { Db } from './db.js';
import { dayOf } from './writer.js';

export type MonitorState = 'up' | 'down' | 'unknown';

export type DayBar = { day: string; runs: number; failures: number; uptime: number | null };

/** What a status list needs of every monitor, read from one small table (the writer keeps it). */
export type MonitorIndexRow = {
  id: number;
  key: string;
  name: string;
  description: string | null;
  public: boolean;
  /** Status-page group, or null. */
  group: string | null;
  state: MonitorState;
  lastRunAt: number | null;
  lastLatencyMs: number | null;
  lastFailure: string | null;
};

/** The costlier figures, read only for the monitors a page shows. */
export type MonitorDetail = { uptime24h: number | null; runs24h: number; days: DayBar[] };

export type MonitorStatus = MonitorIndexRow & MonitorDetail;

const DAY = 86_400_000;

/** The read model the web uses. Only this module (and the writer) speak SQL. */
export function createQueries(db: Db) {
  const index = db.prepare(
    `SELECT id, key, name, description, public, grp, last_run_at, last_ok, last_duration_ms, last_failure
     FROM monitors WHERE active = 1 AND (public = 1 OR @all = 1) ORDER BY position, id`,
  );
  // Runs cut off by a shutdown (failure code 'aborted') say nothing about the target: not a state, not uptime.
  const window = db.prepare(`SELECT count(*) AS runs, coalesce(sum(ok), 0) AS ok FROM runs WHERE monitor_id = ? AND started_at >= ? AND failure_code IS NOT 'aborted'`);
  const days = db.prepare(`SELECT day, runs, failures FROM daily_uptime WHERE monitor_id = ? AND day >= ? ORDER BY day`);

  function dayBars(monitorId: number, now: number, count: number): DayBar[] {
    const first = dayOf(now - (count - 1) * DAY);
    const rows = new Map((days.all(monitorId, first) as { day: string; runs: number; failures: number }[]).map((r) => [r.day, r]));
    const out: DayBar[] = [];
    for (let i = count - 1; i >= 0; i--) {
      const day = dayOf(now - i * DAY);
      const r = rows.get(day);
      out.push(r ? { day, runs: r.runs, failures: r.failures, uptime: r.runs > 0 ? (r.runs - r.failures) / r.runs : null } : { day, runs: 0, failures: 0, uptime: null });
    }
    return out;
  }

  type IndexRow = { id: number; key: string; name: string; description: string | null; public: number; grp: string | null; last_run_at: number | null; last_ok: number | null; last_duration_ms: number | null; last_failure: string | null };
  const toIndex = (m: IndexRow): MonitorIndexRow => ({
    id: m.id,
    key: m.key,
    name: m.name,
    description: m.description,
    public: m.public === 1,
    group: m.grp,
    state: m.last_ok === null ? 'unknown' : m.last_ok ? 'up' : 'down',
    lastRunAt: m.last_run_at,
    lastLatencyMs: m.last_duration_ms,
    lastFailure: m.last_ok === 0 ? m.last_failure : null,
  });
  const detail = (id: number, now: number, count: number): MonitorDetail => {
    const w = window.get(id, now - DAY) as { runs: number; ok: number };
    return { uptime24h: w.runs > 0 ? w.ok / w.runs : null, runs24h: w.runs, days: dayBars(id, now, count) };
  };

  const statusIndex = (opts: { publicOnly: boolean }): MonitorIndexRow[] => (index.all({ all: opts.publicOnly ? 0 : 1 }) as IndexRow[]).map(toIndex);

  return {
    /** Every active monitor (public only unless asked), in config order, with its newest run: one small query. */
    statusIndex,
    /** 24-hour uptime and daily bars of the given monitors (the ones a page shows). */
    statusDetails(ids: number[], opts: { now?: number; days?: number } = {}): Map<number, MonitorDetail> {
      const now = opts.now ?? Date.now();
      return new Map(ids.map((id) => [id, detail(id, now, opts.days ?? 90)]));
    },
    /** Every active monitor (public only unless `all`), with state, last latency, 24h uptime and daily bars. */
    statusOverview(opts: { publicOnly: boolean; now?: number; days?: number }): MonitorStatus[] {
      const now = opts.now ?? Date.now();
      return statusIndex(opts).map((m) => ({ ...m, ...detail(m.id, now, opts.days ?? 90) }));
    },
    /** Cheap liveness probe for /healthz. */
    ping(): boolean {
      return db.prepare('SELECT 1').pluck().get() === 1;
    },
    /** Recent runs with their steps, newest first (for tests, CLI and later pages). */
    recentRuns(monitorKey: string, limit = 20) {
      const runs = db
        .prepare(
          `SELECT r.id, r.planned_at, r.started_at, r.duration_ms, r.ok, r.failure_code, r.failure_message, r.failure_step, r.persona, r.tasks
           FROM runs r JOIN monitors m ON m.id = r.monitor_id WHERE m.key = ? ORDER BY r.started_at DESC LIMIT ?`,
        )
        .all(monitorKey, limit) as { id: number; planned_at: number; started_at: number; duration_ms: number; ok: number; failure_code: string | null; failure_message: string | null; failure_step: number | null; persona: string | null; tasks: string | null }[];
      const steps = db.prepare(`SELECT * FROM step_results WHERE run_id = ? ORDER BY idx`);
      return runs.map((r) => ({
        ...r,
        ok: r.ok === 1,
        tasks: r.tasks ? (JSON.parse(r.tasks) as string[]) : null,
        steps: (steps.all(r.id) as Record<string, unknown>[]).map((s) => ({ ...s, ok: s.ok === 1, evidence: JSON.parse(String(s.evidence)), assets: s.assets ? JSON.parse(String(s.assets)) : null })),
      }));
    },
  };
}

export type Queries = ReturnType<typeof createQueries>;
