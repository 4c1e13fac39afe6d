import type { Sql } from './sql.js';
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
/** A location's newest run of a monitor (several nodes): where it passes and where it fails. */
export type LocationState = { location: string; ok: boolean; at: number };

export type MonitorDetail = { uptime24h: number | null; runs24h: number; days: DayBar[]; locations: LocationState[] };

export type MonitorStatus = MonitorIndexRow & MonitorDetail;

const DAY = 86_400_000;

/**
 * The status read model: every monitor's state and newest run from one small table (the writer keeps
 * it), and the costlier figures (24-hour uptime, daily bars) only for the monitors a page shows.
 */
export function createStatus(sql: Sql) {
  const INDEX = `SELECT id, key, name, description, public, grp, last_run_at, last_ok, last_duration_ms, last_failure
     FROM monitors WHERE active = 1 AND (public = 1 OR ? = 1) ORDER BY position, id`;
  // Runs cut off by a shutdown (failure code 'aborted') say nothing about the target: not a state, not uptime.
  const WINDOW = `SELECT count(*) AS runs, coalesce(sum(ok), 0) AS ok FROM runs WHERE monitor_id = ? AND started_at >= ? AND failure_code IS DISTINCT FROM 'aborted'`;
  const DAYS = `SELECT day, runs, failures FROM daily_uptime WHERE monitor_id = ? AND day >= ? ORDER BY day`;
  // Each location's newest run of the last day (runs_by_slot: monitor, location, planned time).
  const WHERE = `SELECT r.location, r.ok, r.started_at AS at FROM runs r
     JOIN (SELECT location, max(planned_at) AS p FROM runs
           WHERE monitor_id = ? AND location <> '' AND planned_at >= ? AND failure_code IS DISTINCT FROM 'aborted' GROUP BY location) x
       ON r.location = x.location AND r.planned_at = x.p
     WHERE r.monitor_id = ? ORDER BY r.location`;

  async function dayBars(monitorId: number, now: number, count: number): Promise<DayBar[]> {
    const first = dayOf(now - (count - 1) * DAY);
    const rows = new Map((await sql.all<{ day: string; runs: number; failures: number }>(DAYS, [monitorId, first])).map((r) => [r.day, r]));
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
  const detail = async (id: number, now: number, count: number): Promise<MonitorDetail> => {
    const w = (await sql.get<{ runs: number; ok: number }>(WINDOW, [id, now - DAY]))!;
    const where = await sql.all<{ location: string; ok: number | boolean; at: number }>(WHERE, [id, now - DAY, id]);
    return {
      uptime24h: w.runs > 0 ? w.ok / w.runs : null,
      runs24h: w.runs,
      days: await dayBars(id, now, count),
      locations: where.map((l) => ({ location: l.location, ok: !!l.ok, at: Number(l.at) })),
    };
  };

  const statusIndex = async (opts: { publicOnly: boolean }): Promise<MonitorIndexRow[]> => (await sql.all<IndexRow>(INDEX, [opts.publicOnly ? 0 : 1])).map(toIndex);

  return {
    /** Every active monitor (public only unless asked), in config order, with its newest run: one small query. */
    statusIndex,
    /** 24-hour uptime and daily bars of the given monitors (the ones a page shows). */
    async statusDetails(ids: number[], opts: { now?: number; days?: number } = {}): Promise<Map<number, MonitorDetail>> {
      const now = opts.now ?? Date.now();
      const out = new Map<number, MonitorDetail>();
      for (const id of ids) out.set(id, await detail(id, now, opts.days ?? 90));
      return out;
    },
    /** Every active monitor (public only unless `all`), with state, last latency, 24h uptime and daily bars. */
    async statusOverview(opts: { publicOnly: boolean; now?: number; days?: number }): Promise<MonitorStatus[]> {
      const now = opts.now ?? Date.now();
      const out: MonitorStatus[] = [];
      for (const m of await statusIndex(opts)) out.push({ ...m, ...(await detail(m.id, now, opts.days ?? 90)) });
      return out;
    },
    /** Cheap liveness probe for /healthz. */
    async ping(): Promise<boolean> {
      return (await sql.pluck<number>('SELECT 1'))[0] === 1;
    },
  };
}

export type StatusReader = ReturnType<typeof createStatus>;
