import type { Sql } from './sql.js';
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
  /** One location's runs only; omitted or null: every location's. */
  location?: string | null;
};

/** `samples`: the successful runs (or steps) actually found in the range, never more than are kept. */
export type LatencyAnswer = { value: number | null; samples: number };

export type LatencySource = (q: LatencyQuery) => Promise<LatencyAnswer>;

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
export function createRawLatencySource(sql: Sql): LatencySource {
  const LOC = '(CAST(? AS TEXT) IS NULL OR r.location = ?)';
  const RUN_COUNT = `SELECT count(*) FROM runs r JOIN monitors m ON m.id = r.monitor_id
     WHERE m.key = ? AND r.ok = 1 AND r.started_at >= ? AND r.started_at < ? AND ${LOC}`;
  const RUN_NTH = `SELECT r.duration_ms FROM runs r JOIN monitors m ON m.id = r.monitor_id
     WHERE m.key = ? AND r.ok = 1 AND r.started_at >= ? AND r.started_at < ? AND ${LOC}
     ORDER BY r.duration_ms LIMIT 1 OFFSET ?`;
  const STEP_COUNT = `SELECT count(*) FROM step_results s JOIN runs r ON r.id = s.run_id JOIN monitors m ON m.id = r.monitor_id
     WHERE m.key = ? AND s.name = ? AND s.ok = 1 AND r.started_at >= ? AND r.started_at < ? AND ${LOC}`;
  const STEP_NTH = `SELECT s.total_ms FROM step_results s JOIN runs r ON r.id = s.run_id JOIN monitors m ON m.id = r.monitor_id
     WHERE m.key = ? AND s.name = ? AND s.ok = 1 AND r.started_at >= ? AND r.started_at < ? AND ${LOC}
     ORDER BY s.total_ms LIMIT 1 OFFSET ?`;
  return async (q) => {
    checkPercentile(q.percentile);
    const step = q.step ?? null;
    const loc = q.location ?? null;
    const args = step === null ? [q.monitorKey, q.from, q.to, loc, loc] : [q.monitorKey, step, q.from, q.to, loc, loc];
    const [samples] = await sql.pluck<number>(step === null ? RUN_COUNT : STEP_COUNT, args);
    if (!samples) return { value: null, samples: 0 };
    const rank = rankOf(q.percentile, samples);
    const [value] = await sql.pluck<number>(step === null ? RUN_NTH : STEP_NTH, [...args, rank - 1]);
    return { value, samples };
  };
}

const ROLLUP_LEVELS = Object.keys(LEVELS) as Level[];

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
export function createLatencySource(sql: Sql, opts: LatencySourceOptions = {}): LatencySource {
  const raw = createRawLatencySource(sql);
  const singleStep = opts.singleStep ?? new Set<number>();
  const one = async (text: string, params: unknown[]) => (await sql.pluck<number | null>(text, params))[0] ?? null;
  const sketchesOf = (l: Level) => `SELECT total_sketch FROM ${LEVELS[l].table} WHERE monitor_id = ? AND ts >= ? AND ts < ? AND step = ? AND (CAST(? AS TEXT) IS NULL OR loc = ?)`;
  const oldestOf = (l: Level) => `SELECT min(ts) FROM ${LEVELS[l].table} WHERE monitor_id = ?`;
  const stepKeys = createStepKeys(sql);
  /** The rollup key of a step name and when it was first run; a one-step monitor's current step reads the run rows. */
  const stepRows = async (id: number, name: string) => {
    const key = await stepKeys.byName(id, name);
    if (!key) return undefined;
    return { step: singleStep.has(id) && (await stepKeys.newest(id)) === key.step ? RUN_STEP : key.step, since: key.firstSeen };
  };
  const RAW_RUNS = 'SELECT duration_ms FROM runs r WHERE monitor_id = ? AND ok = 1 AND started_at >= ? AND started_at < ? AND (CAST(? AS TEXT) IS NULL OR r.location = ?)';
  const RAW_STEPS = `SELECT s.total_ms FROM runs r JOIN step_results s ON s.run_id = r.id
       WHERE r.monitor_id = ? AND s.name = ? AND s.ok = 1 AND r.started_at >= ? AND r.started_at < ? AND (CAST(? AS TEXT) IS NULL OR r.location = ?)`;
  const found = (v: number | null | undefined) => (v === null || v === undefined ? Infinity : v);

  return async (q) => {
    checkPercentile(q.percentile);
    const id = await one('SELECT id FROM monitors WHERE key = ?', [q.monitorKey]);
    if (id === null || q.from >= q.to) return { value: null, samples: 0 };
    const step = q.step ?? null;
    const rollupFrom: Record<Level, number> = { minute: found(await one(oldestOf('minute'), [id])), hour: found(await one(oldestOf('hour'), [id])), day: found(await one(oldestOf('day'), [id])) };
    // The raw runs hold everything from their oldest one on. Before it they hold nothing, and that is
    // a loss only if a rollup level kept something from before that run's bucket (else there never was anything).
    const oldestRaw = found(await one('SELECT min(started_at) FROM runs WHERE monitor_id = ?', [id]));
    const cut = ROLLUP_LEVELS.some((l) => rollupFrom[l] < bucketStart(oldestRaw, LEVELS[l].ms));
    const rawFrom = cut ? oldestRaw : -Infinity;
    if (q.to - q.from <= EXACT_SPAN_MS && rawFrom <= q.from) return raw(q);

    // Which rollup rows stand for this series (none for a step name never run).
    const rows = step === null ? { step: RUN_STEP, since: -Infinity } : await stepRows(id, step);
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
        const loc = q.location ?? null;
        const values = step === null ? await sql.pluck<number>(RAW_RUNS, [id, p.from, p.to, loc, loc]) : await sql.pluck<number>(RAW_STEPS, [id, step, p.from, p.to, loc, loc]);
        for (const v of values) merged.accept(Math.max(0, v));
        continue;
      }
      for (const blob of await sql.pluck<Buffer>(sketchesOf(p.tier), [id, p.from, p.to, rows!.step, q.location ?? null, q.location ?? null])) {
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
