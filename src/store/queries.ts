import type { Db } from './db.js';
import { dayOf } from './writer.js';

export type MonitorState = 'up' | 'down' | 'unknown';

export type DayBar = { day: string; runs: number; failures: number; uptime: number | null };

export type MonitorStatus = {
  id: number;
  key: string;
  name: string;
  description: string | null;
  public: boolean;
  state: MonitorState;
  lastRunAt: number | null;
  lastLatencyMs: number | null;
  lastFailure: string | null;
  uptime24h: number | null;
  runs24h: number;
  days: DayBar[];
};

const DAY = 86_400_000;

/** The read model the web uses. Only this module (and the writer) speak SQL. */
export function createQueries(db: Db) {
  const listMonitors = db.prepare(
    `SELECT id, key, name, description, public FROM monitors WHERE active = 1 AND (public = 1 OR @all = 1) ORDER BY position, id`,
  );
  // Runs cut off by a shutdown (failure code 'aborted') say nothing about the target: not a state, not uptime.
  const lastRun = db.prepare(`SELECT started_at, duration_ms, ok, failure_message FROM runs WHERE monitor_id = ? AND failure_code IS NOT 'aborted' ORDER BY started_at DESC LIMIT 1`);
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

  return {
    /** Every active monitor (public only unless `all`), with state, last latency, 24h uptime and daily bars. */
    statusOverview(opts: { publicOnly: boolean; now?: number; days?: number }): MonitorStatus[] {
      const now = opts.now ?? Date.now();
      const monitors = listMonitors.all({ all: opts.publicOnly ? 0 : 1 }) as { id: number; key: string; name: string; description: string | null; public: number }[];
      return monitors.map((m) => {
        const last = lastRun.get(m.id) as { started_at: number; duration_ms: number; ok: number; failure_message: string | null } | undefined;
        const w = window.get(m.id, now - DAY) as { runs: number; ok: number };
        return {
          id: m.id,
          key: m.key,
          name: m.name,
          description: m.description,
          public: m.public === 1,
          state: !last ? 'unknown' : last.ok ? 'up' : 'down',
          lastRunAt: last?.started_at ?? null,
          lastLatencyMs: last?.duration_ms ?? null,
          lastFailure: last && !last.ok ? last.failure_message : null,
          uptime24h: w.runs > 0 ? w.ok / w.runs : null,
          runs24h: w.runs,
          days: dayBars(m.id, now, opts.days ?? 90),
        };
      });
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
