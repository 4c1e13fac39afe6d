import type { Db } from './db.js';

export type LatencyQuery = {
  monitorKey: string;
  /** A step name; omitted or null means the whole run's duration. */
  step?: string | null;
  /** 0 < p ≤ 1 (0.95 for p95, 1 for max). */
  percentile: number;
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
};

export type LatencyAnswer = { value: number | null; samples: number };

export type LatencySource = (q: LatencyQuery) => LatencyAnswer;

/**
 * Exact latency percentile (nearest rank) over [from, to) from the raw tables, counting successful
 * runs only (failures are judged by the down rule). Raw runs are kept 7 days; the signature is kept
 * small so it can be answered from per-minute sketches instead.
 */
export function createLatencySource(db: Db): LatencySource {
  const runCount = db.prepare(
    `SELECT count(*) FROM runs r JOIN monitors m ON m.id = r.monitor_id
     WHERE m.key = ? AND r.ok = 1 AND r.started_at >= ? AND r.started_at < ?`,
  );
  const runNth = db.prepare(
    `SELECT r.duration_ms FROM runs r JOIN monitors m ON m.id = r.monitor_id
     WHERE m.key = ? AND r.ok = 1 AND r.started_at >= ? AND r.started_at < ?
     ORDER BY r.duration_ms LIMIT 1 OFFSET ?`,
  );
  const stepCount = db.prepare(
    `SELECT count(*) FROM step_results s JOIN runs r ON r.id = s.run_id JOIN monitors m ON m.id = r.monitor_id
     WHERE m.key = ? AND s.name = ? AND s.ok = 1 AND r.started_at >= ? AND r.started_at < ?`,
  );
  const stepNth = db.prepare(
    `SELECT s.total_ms FROM step_results s JOIN runs r ON r.id = s.run_id JOIN monitors m ON m.id = r.monitor_id
     WHERE m.key = ? AND s.name = ? AND s.ok = 1 AND r.started_at >= ? AND r.started_at < ?
     ORDER BY s.total_ms LIMIT 1 OFFSET ?`,
  );
  return (q) => {
    if (!(q.percentile > 0 && q.percentile <= 1)) throw new RangeError(`percentile must be in (0, 1], got ${q.percentile}`);
    const step = q.step ?? null;
    const args = step === null ? [q.monitorKey, q.from, q.to] : [q.monitorKey, step, q.from, q.to];
    const samples = (step === null ? runCount : stepCount).pluck().get(...args) as number;
    if (samples === 0) return { value: null, samples: 0 };
    const rank = Math.max(1, Math.ceil(q.percentile * samples));
    const value = (step === null ? runNth : stepNth).pluck().get(...args, rank - 1) as number;
    return { value, samples };
  };
}
