import type { Db } from './db.js';
import { bucketStart, LEVELS, mergeBucket, PHASES, rowToBucket, RUN_STEP, type Bucket, type BucketRow, type Level, type Phase } from './rollups.js';
import { createSketch, quantile, summarize, type SketchSummary } from './sketch.js';

/** The chart ranges and the rollup level each one reads. */
export const RANGES = {
  '24h': { level: 'minute', span: 86_400_000 },
  '7d': { level: 'hour', span: 7 * 86_400_000 },
  '30d': { level: 'hour', span: 30 * 86_400_000 },
  '1y': { level: 'day', span: 365 * 86_400_000 },
} as const satisfies Record<string, { level: Level; span: number }>;
export type Range = keyof typeof RANGES;
export const isRange = (r: unknown): r is Range => typeof r === 'string' && Object.hasOwn(RANGES, r);

type Num = number | null;

/**
 * Column-wise series, ready for uPlot: `t[i]` is the bucket start (epoch ms) and every other array
 * holds that bucket's value. Buckets without runs are left out; where one or more are missing a null
 * point is inserted so charts break the line instead of drawing across the gap.
 */
export type Series = {
  monitor: string;
  range: Range;
  level: Level;
  bucketMs: number;
  /** -1 for the whole run, else the step index. */
  step: number;
  from: number;
  to: number;
  t: number[];
  runs: Num[];
  failures: Num[];
  /** Share of runs that passed, 0..1. */
  uptime: Num[];
  p50: Num[];
  p95: Num[];
  p99: Num[];
  max: Num[];
  min: Num[];
  mean: Num[];
  ttfbP50: Num[];
  ttfbP95: Num[];
  /** Mean milliseconds per successful run in each phase. */
  phases: Record<Phase, Num[]>;
  /** Over the whole range, from the merged sketches. */
  summary: SketchSummary & { runs: number; failures: number; uptime: Num };
};

export type MonitorInfo = { id: number; key: string; name: string; description: string | null; public: boolean; active: boolean };

const seriesKeys = ['runs', 'failures', 'uptime', 'p50', 'p95', 'p99', 'max', 'min', 'mean', 'ttfbP50', 'ttfbP95'] as const;

/** The latency read model over the rollup tables. */
export function createHistory(db: Db) {
  const monitorStmt = db.prepare<[string], { id: number; key: string; name: string; description: string | null; public: number; active: number }>(
    'SELECT id, key, name, description, public, active FROM monitors WHERE key = ?',
  );
  const rangeStmts = Object.fromEntries(
    (Object.keys(LEVELS) as Level[]).map((l) => [
      l,
      db.prepare<[number, number, number, number], BucketRow>(`SELECT * FROM ${LEVELS[l].table} WHERE monitor_id = ? AND ts >= ? AND ts <= ? AND step = ? ORDER BY ts`),
    ]),
  ) as Record<Level, ReturnType<typeof db.prepare<[number, number, number, number], BucketRow>>>;

  function rows(level: Level, monitorId: number, from: number, to: number, step: number): BucketRow[] {
    const r = rangeStmts[level].all(monitorId, from, to, step);
    // One-step monitors keep only run buckets: step 0 is the run.
    if (r.length === 0 && step === 0) return rangeStmts[level].all(monitorId, from, to, RUN_STEP);
    return r;
  }

  function buildSeries(m: MonitorInfo, range: Range, step: number, now: number): Series {
    const { level, span } = RANGES[range];
    const bucketMs = LEVELS[level].ms;
    const to = bucketStart(now, bucketMs);
    const from = to - span + bucketMs;
    const s: Series = {
      monitor: m.key,
      range,
      level,
      bucketMs,
      step,
      from,
      to,
      t: [],
      runs: [],
      failures: [],
      uptime: [],
      p50: [],
      p95: [],
      p99: [],
      max: [],
      min: [],
      mean: [],
      ttfbP50: [],
      ttfbP95: [],
      phases: { dns: [], connect: [], tls: [], ttfb: [], download: [] },
      summary: { runs: 0, failures: 0, uptime: null, ...summarize(createSketch()) },
    };
    const all: Bucket = { monitorId: m.id, step, ts: from, runs: 0, failures: 0, total: createSketch(), ttfb: createSketch(), phases: { dns: 0, connect: 0, tls: 0, ttfb: 0, download: 0 } };
    let prev: number | undefined;
    const gap = (ts: number) => {
      s.t.push(ts);
      for (const k of seriesKeys) s[k].push(null);
      for (const p of PHASES) s.phases[p].push(null);
    };
    for (const row of rows(level, m.id, from, to, step)) {
      const b = rowToBucket(row);
      if (prev !== undefined && b.ts - prev > bucketMs) gap(prev + bucketMs);
      prev = b.ts;
      const sum = summarize(b.total);
      const ok = b.runs - b.failures;
      s.t.push(b.ts);
      s.runs.push(b.runs);
      s.failures.push(b.failures);
      s.uptime.push(b.runs > 0 ? ok / b.runs : null);
      s.p50.push(sum.p50);
      s.p95.push(sum.p95);
      s.p99.push(sum.p99);
      s.max.push(sum.max);
      s.min.push(sum.min);
      s.mean.push(sum.mean);
      s.ttfbP50.push(quantile(b.ttfb, 0.5));
      s.ttfbP95.push(quantile(b.ttfb, 0.95));
      for (const p of PHASES) s.phases[p].push(ok > 0 ? b.phases[p] / ok : null);
      mergeBucket(all, b);
    }
    s.summary = { runs: all.runs, failures: all.failures, uptime: all.runs > 0 ? (all.runs - all.failures) / all.runs : null, ...summarize(all.total) };
    return s;
  }

  function monitor(key: string): MonitorInfo | undefined {
    const m = monitorStmt.get(key);
    return m && { id: m.id, key: m.key, name: m.name, description: m.description, public: m.public === 1, active: m.active === 1 };
  }

  return {
    monitor,
    /** Latency percentiles, uptime and phase means for a monitor (step -1) or one step over a range; undefined for an unknown monitor. */
    series(key: string, range: Range, opts: { step?: number; now?: number } = {}): Series | undefined {
      const m = monitor(key);
      if (!m) return undefined;
      return buildSeries(m, range, opts.step ?? RUN_STEP, opts.now ?? Date.now());
    },
    /** The last 24 hours' hourly p95 of whole runs, oldest first (null where an hour had no successful run). */
    p95Trend(monitorId: number, now = Date.now()): Num[] {
      const to = bucketStart(now, LEVELS.hour.ms);
      const from = to - 23 * LEVELS.hour.ms;
      const byTs = new Map(rangeStmts.hour.all(monitorId, from, to, RUN_STEP).map((r) => [r.ts, r]));
      const out: Num[] = [];
      for (let ts = from; ts <= to; ts += LEVELS.hour.ms) {
        const r = byTs.get(ts);
        out.push(r ? quantile(rowToBucket(r).total, 0.95) : null);
      }
      return out;
    },
  };
}

export type History = ReturnType<typeof createHistory>;
