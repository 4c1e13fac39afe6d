import type { Db } from './db.js';
import { planTiles, type Piece, type Retained } from './latency-plan.js';
import { bucketStart, LEVELS, RUN_STEP, type Level } from './rollups.js';
import { addBins, createSketch, decodeBins, nearestRank } from './sketch.js';
import { createStepKeys } from './step-keys.js';
import { nearestRank as rankOf } from '../lang/percentile.js';

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

/** `samples`: the successful runs (or steps) actually found in the range, never more than are kept. */
export type LatencyAnswer = { value: number | null; samples: number };

export type LatencySource = (q: LatencyQuery) => LatencyAnswer;

/** Ranges up to this long, wholly within the kept raw runs, are answered exactly from them. */
export const EXACT_SPAN_MS = 2 * 3_600_000;

export type LatencySourceOptions = {
  /** Monitor ids with a single step: they keep no per-step rollups, their run rollups stand in (as the writer does). */
  singleStep?: ReadonlySet<number>;
};

function checkPercentile(p: number) {
  if (!(p > 0 && p <= 1)) throw new RangeError(`percentile must be in (0, 1], got ${p}`);
}

/**
 * Exact nearest-rank percentile (lang/percentile.ts) over [from, to) from the raw tables, counting successful runs
 * (or successful steps of that name) only: failures are judged by the down rule. It sorts the
 * range, so it is cheap for short windows only; raw runs are kept `retention.runs` (default 7 days).
 */
export function createRawLatencySource(db: Db): LatencySource {
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
    checkPercentile(q.percentile);
    const step = q.step ?? null;
    const args = step === null ? [q.monitorKey, q.from, q.to] : [q.monitorKey, step, q.from, q.to];
    const samples = (step === null ? runCount : stepCount).pluck().get(...args) as number;
    if (samples === 0) return { value: null, samples: 0 };
    const rank = rankOf(q.percentile, samples);
    const value = (step === null ? runNth : stepNth).pluck().get(...args, rank - 1) as number;
    return { value, samples };
  };
}

const ROLLUP_LEVELS = Object.keys(LEVELS) as Level[];
const perLevel = <T>(make: (l: Level) => T): Record<Level, T> => ({ minute: make('minute'), hour: make('hour'), day: make('day') });

/**
 * The latency source the alert rules read: a percentile over [from, to) of successful runs (or
 * successful steps of that name), with the count of samples found.
 *
 * - Short ranges (≤ EXACT_SPAN_MS) wholly within the kept raw runs: exact nearest rank from the raw
 *   tables (the current window of a rule).
 * - Anything else (baselines): the range is tiled with the coarsest rollup buckets kept for it
 *   (whole days, whole hours, then minutes at the ragged ends, see planTiles), their DDSketches are
 *   merged, and raw runs fill what is left of a minute at either end. The rollups count the same
 *   samples as the raw tables (successful runs; successful steps of that name), so the count is exact
 *   and the percentile is the nearest-rank one within 1 % relative (DDSketch accuracy; max is exact).
 * - Parts of the range that neither a kept rollup level nor the raw runs still hold are left out:
 *   `samples` says how many were actually found.
 *
 * Steps are named in rules and in rollups (step-keys.ts), persona journeys' included. A step's
 * rollups begin when its name was first run: before that only raw runs hold it (steps of persona
 * journeys stored before per-step keys existed, for one).
 */
export function createLatencySource(db: Db, opts: LatencySourceOptions = {}): LatencySource {
  const raw = createRawLatencySource(db);
  const singleStep = opts.singleStep ?? new Set<number>();
  const monitorId = db.prepare<[string], number>('SELECT id FROM monitors WHERE key = ?').pluck();
  const oldestRun = db.prepare<[number], number | null>('SELECT min(started_at) FROM runs WHERE monitor_id = ?').pluck();
  const oldest = perLevel((l) => db.prepare<[number], number | null>(`SELECT min(ts) FROM ${LEVELS[l].table} WHERE monitor_id = ?`).pluck());
  const sketches = perLevel((l) =>
    db.prepare<[number, number, number, number], Buffer>(`SELECT total_sketch FROM ${LEVELS[l].table} WHERE monitor_id = ? AND ts >= ? AND ts < ? AND step = ?`).pluck(),
  );
  const stepKeys = createStepKeys(db);
  /** The rollup key of a step name and when it was first run; a one-step monitor's current step reads the run rows. */
  const stepRows = (id: number, name: string) => {
    const key = stepKeys.byName(id, name);
    if (!key) return undefined;
    return { step: singleStep.has(id) && stepKeys.newest(id) === key.step ? RUN_STEP : key.step, since: key.firstSeen };
  };
  const rawRuns = db.prepare<[number, number, number], number>('SELECT duration_ms FROM runs WHERE monitor_id = ? AND ok = 1 AND started_at >= ? AND started_at < ?').pluck();
  const rawSteps = db
    .prepare<[number, string, number, number], number>(
      `SELECT s.total_ms FROM runs r JOIN step_results s ON s.run_id = r.id
       WHERE r.monitor_id = ? AND s.name = ? AND s.ok = 1 AND r.started_at >= ? AND r.started_at < ?`,
    )
    .pluck();
  const found = (v: number | null | undefined) => (v === null || v === undefined ? Infinity : v);

  return (q) => {
    checkPercentile(q.percentile);
    const id = monitorId.get(q.monitorKey);
    if (id === undefined || q.from >= q.to) return { value: null, samples: 0 };
    const step = q.step ?? null;
    const rollupFrom = perLevel((l) => found(oldest[l].get(id)));
    // The raw runs hold everything from their oldest one on. Before it they hold nothing, and that is
    // a loss only if a rollup level kept something from before that run's bucket (else there never was anything).
    const oldestRaw = found(oldestRun.get(id));
    const cut = ROLLUP_LEVELS.some((l) => rollupFrom[l] < bucketStart(oldestRaw, LEVELS[l].ms));
    const rawFrom = cut ? oldestRaw : -Infinity;
    if (q.to - q.from <= EXACT_SPAN_MS && rawFrom <= q.from) return raw(q);

    // Which rollup rows stand for this series (none for a step name never run).
    const rows = step === null ? { step: RUN_STEP, since: -Infinity } : stepRows(id, step);
    // A step's rows hold it from when it was first run. Where raw runs still hold that moment, the bucket
    // it falls in is left to them (exact, and they also hold any older steps of that name the rollups
    // never saw); else that bucket is all there is.
    const since = rows?.since ?? -Infinity;
    const from = (l: Level) => Math.max(rollupFrom[l], rawFrom <= since ? since : bucketStart(since, LEVELS[l].ms));
    const retained: Retained = rows ? { raw: rawFrom, day: from('day'), hour: from('hour'), minute: from('minute') } : { raw: rawFrom, day: Infinity, hour: Infinity, minute: Infinity };
    const pieces = planTiles(q.from, q.to, retained);
    const rawPieces = pieces.filter((p): p is Piece & { tier: 'raw' } => p.tier === 'raw');
    // Nothing from rollups: the raw runs are all there is, so answer exactly from them.
    if (rawPieces.length === pieces.filter((p) => p.tier !== null).length) {
      return rawPieces.length === 1 ? raw({ ...q, from: rawPieces[0].from, to: rawPieces[0].to }) : { value: null, samples: 0 };
    }

    const merged = createSketch();
    for (const p of pieces) {
      if (p.tier === null) continue;
      if (p.tier === 'raw') {
        const values = step === null ? rawRuns.all(id, p.from, p.to) : rawSteps.all(id, step, p.from, p.to);
        for (const v of values) merged.accept(Math.max(0, v));
        continue;
      }
      for (const blob of sketches[p.tier].all(id, p.from, p.to, rows!.step)) {
        let bins;
        try {
          bins = decodeBins(blob);
        } catch {
          continue; // an unreadable bucket counts as not kept (the rollup writer replaces it on its next write)
        }
        addBins(merged, bins);
      }
    }
    return { value: nearestRank(merged, q.percentile), samples: Math.round(merged.count) };
  };
}
