import type { Sql } from './sql.js';
import { bucketStart, LEVELS, PHASES, RUN_STEP, type Level, type Phase } from './rollups.js';
import { addBins, binsPercentiles, createSketch, decodeBins, decodeSketch, encodeSketch, nearestRank, summarize, type SketchSummary } from './sketch.js';
import { createStepKeys, type StepChoice } from './step-keys.js';

/** The chart ranges and the rollup level each one reads. */
export const RANGES = {
  '1h': { level: 'minute', span: 3_600_000 },
  '6h': { level: 'minute', span: 6 * 3_600_000 },
  '24h': { level: 'minute', span: 86_400_000 },
  '7d': { level: 'hour', span: 7 * 86_400_000 },
  '30d': { level: 'hour', span: 30 * 86_400_000 },
  '1y': { level: 'day', span: 365 * 86_400_000 },
} as const satisfies Record<string, { level: Level; span: number }>;
export type Range = keyof typeof RANGES;
export const isRange = (r: unknown): r is Range => typeof r === 'string' && Object.hasOwn(RANGES, r);

type Num = number | null;
/** ts, runs, failures, total_sketch, ttfb_sketch, then the phase sums dns, connect, tls, ttfb, download. */
type RawRow = [number, number, number, Buffer, Buffer, number, number, number, number, number];

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
  /** -1 for the whole run, else the step's key (see step-keys.ts). */
  step: number;
  /** The step's name; null for the whole run or a key the monitor does not have. */
  stepName: string | null;
  /** One location's history, or null for every location merged. */
  location: string | null;
  from: number;
  to: number;
  t: number[];
  runs: Num[];
  failures: Num[];
  /** Successful runs in each bucket: the samples its percentiles are computed from. */
  samples: Num[];
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
  /**
   * Over the whole range, from the merged sketches; `count` is the samples (successful runs) its
   * percentiles are computed from (nearest rank, lang/percentile.ts).
   */
  summary: SketchSummary & { runs: number; failures: number; uptime: Num };
};

export type MonitorInfo = { id: number; key: string; name: string; description: string | null; public: boolean; active: boolean };

const QS = [0.5, 0.95, 0.99] as const;
const TTFB_QS = [0.5, 0.95] as const;
const seriesKeys = ['runs', 'failures', 'samples', 'uptime', 'p50', 'p95', 'p99', 'max', 'min', 'mean', 'ttfbP50', 'ttfbP95'] as const;

export type HistoryOptions = {
  /** Monitor ids with a single step: they keep run rollups only, which stand for their current step. */
  singleStep?: ReadonlySet<number>;
};

/** The last 24 hours, hourly, oldest first: p95 of successful runs (null for an hour without one), failed and all runs. */
export type Trend = { p95: Num[]; failures: number[]; runs: number[] };

/**
 * Rows of several locations for the same bucket (ordered by ts) merged into one: counts and phase sums
 * add up, sketches merge (never an average of percentiles).
 */
function mergeLocations(rows: RawRow[]): RawRow[] {
  const out: RawRow[] = [];
  for (const r of rows) {
    const last = out[out.length - 1];
    if (!last || last[0] !== r[0]) {
      out.push(r);
      continue;
    }
    const total = decodeSketch(last[3]);
    total.merge(decodeSketch(r[3]));
    const ttfb = decodeSketch(last[4]);
    ttfb.merge(decodeSketch(r[4]));
    out[out.length - 1] = [r[0], last[1] + r[1], last[2] + r[2], encodeSketch(total), encodeSketch(ttfb), last[5] + r[5], last[6] + r[6], last[7] + r[7], last[8] + r[8], last[9] + r[9]];
  }
  return out;
}

/** The latency read model over the rollup tables. */
export function createHistory(sql: Sql, opts: HistoryOptions = {}) {
  const singleStep = opts.singleStep ?? new Set<number>();
  const stepKeys = createStepKeys(sql);
  const MONITOR = 'SELECT id, key, name, description, public, active FROM monitors WHERE key = ?';
  // One location's rows, or (location null) every location's, merged per bucket below.
  const range = (l: Level) =>
    `SELECT ts, runs, failures, total_sketch, ttfb_sketch, dns_ms, connect_ms, tls_ms, ttfb_ms, download_ms
     FROM ${LEVELS[l].table} WHERE monitor_id = ? AND ts >= ? AND ts <= ? AND step = ? AND (CAST(? AS TEXT) IS NULL OR loc = ?) ORDER BY ts`;
  const RANGE = { minute: range('minute'), hour: range('hour'), day: range('day') } satisfies Record<Level, string>;
  const fetch = async (level: Level, monitorId: number, from: number, to: number, step: number, location: string | null) =>
    mergeLocations(await sql.raw<RawRow>(RANGE[level], [monitorId, from, to, step, location, location]));

  // Rows as arrays: building an object per row costs more than the whole query.
  async function rows(level: Level, monitorId: number, from: number, to: number, step: number, location: string | null = null): Promise<RawRow[]> {
    const r = await fetch(level, monitorId, from, to, step, location);
    // One-step monitors keep only run buckets: they are the current step's.
    if (r.length === 0 && step >= 0 && singleStep.has(monitorId) && (await stepKeys.newest(monitorId)) === step) return fetch(level, monitorId, from, to, RUN_STEP, location);
    return r;
  }

  async function buildSeries(m: MonitorInfo, range: Range, step: number, now: number, location: string | null): Promise<Series> {
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
      stepName: step === RUN_STEP ? null : ((await stepKeys.byKey(m.id, step))?.name ?? null),
      location,
      from,
      to,
      t: [],
      runs: [],
      failures: [],
      samples: [],
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
    // The whole range: one sketch fed every bucket's bins (a merge), for the summary percentiles.
    const all = createSketch();
    let runs = 0;
    let failures = 0;
    let prev: number | undefined;
    const gap = (ts: number) => {
      s.t.push(ts);
      for (const k of seriesKeys) s[k].push(null);
      for (const p of PHASES) s.phases[p].push(null);
    };
    for (const [ts, bucketRuns, bucketFailures, totalBlob, ttfbBlob, dns, connect, tls, ttfbSum, download] of await rows(level, m.id, from, to, step, location)) {
      if (prev !== undefined && ts - prev > bucketMs) gap(prev + bucketMs);
      prev = ts;
      const total = decodeBins(totalBlob);
      const ttfb = decodeBins(ttfbBlob);
      const [p50, p95, p99] = binsPercentiles(total, QS);
      const [t50, t95] = binsPercentiles(ttfb, TTFB_QS);
      const ok = bucketRuns - bucketFailures;
      s.t.push(ts);
      s.runs.push(bucketRuns);
      s.failures.push(bucketFailures);
      s.samples.push(total.count);
      s.uptime.push(bucketRuns > 0 ? ok / bucketRuns : null);
      s.p50.push(p50);
      s.p95.push(p95);
      s.p99.push(p99);
      s.max.push(total.count > 0 ? total.max : null);
      s.min.push(total.count > 0 ? total.min : null);
      s.mean.push(total.count > 0 ? total.sum / total.count : null);
      s.ttfbP50.push(t50);
      s.ttfbP95.push(t95);
      s.phases.dns.push(ok > 0 ? dns / ok : null);
      s.phases.connect.push(ok > 0 ? connect / ok : null);
      s.phases.tls.push(ok > 0 ? tls / ok : null);
      s.phases.ttfb.push(ok > 0 ? ttfbSum / ok : null);
      s.phases.download.push(ok > 0 ? download / ok : null);
      addBins(all, total);
      runs += bucketRuns;
      failures += bucketFailures;
    }
    s.summary = { runs, failures, uptime: runs > 0 ? (runs - failures) / runs : null, ...summarize(all) };
    return s;
  }

  async function monitor(key: string): Promise<MonitorInfo | undefined> {
    const m = await sql.get<{ id: number; key: string; name: string; description: string | null; public: number; active: number }>(MONITOR, [key]);
    return m && { id: m.id, key: m.key, name: m.name, description: m.description, public: m.public === 1, active: m.active === 1 };
  }

  return {
    monitor,
    /**
     * The monitor's steps for the step selector (keys and names), current ones first. A one-step monitor
     * lists its current step only: its run rollups are that step's, and earlier names kept none of their own.
     */
    async steps(monitorId: number): Promise<StepChoice[]> {
      const all = await stepKeys.choices(monitorId);
      if (!singleStep.has(monitorId)) return all;
      const newest = await stepKeys.newest(monitorId);
      return all.filter((s) => s.step === newest);
    },
    /** Latency percentiles, uptime and phase means for a monitor (step -1) or one step (by key) over a range; undefined for an unknown monitor. */
    async series(key: string, range: Range, opts: { step?: number; now?: number; location?: string | null } = {}): Promise<Series | undefined> {
      const m = await monitor(key);
      if (!m) return undefined;
      return buildSeries(m, range, opts.step ?? RUN_STEP, opts.now ?? Date.now(), opts.location ?? null);
    },
    /**
     * The last 24 hours of whole runs, hourly, from the hourly sketches: the one trend the status page's
     * p95 line and the operator's sparkline both draw.
     */
    async trend(monitorId: number, now = Date.now()): Promise<Trend> {
      const to = bucketStart(now, LEVELS.hour.ms);
      const from = to - 23 * LEVELS.hour.ms;
      const byTs = new Map((await fetch('hour', monitorId, from, to, RUN_STEP, null)).map((r) => [r[0], r]));
      const out: Trend = { p95: [], failures: [], runs: [] };
      for (let ts = from; ts <= to; ts += LEVELS.hour.ms) {
        const r = byTs.get(ts);
        out.p95.push(r ? binsPercentiles(decodeBins(r[3]), [0.95])[0] : null);
        out.failures.push(r ? r[2] : 0);
        out.runs.push(r ? r[1] : 0);
      }
      return out;
    },
    /** Runs in the last 60 minute buckets (the current one included) and their p95, merged from the minute sketches. */
    async lastHour(monitorId: number, now = Date.now()): Promise<{ runs: number; p95: Num }> {
      const sketch = createSketch();
      let runs = 0;
      const from = bucketStart(now, LEVELS.minute.ms) - 59 * LEVELS.minute.ms;
      for (const r of await fetch('minute', monitorId, from, Number.MAX_SAFE_INTEGER, RUN_STEP, null)) {
        runs += r[1];
        addBins(sketch, decodeBins(r[3]));
      }
      return { runs, p95: nearestRank(sketch, 0.95) };
    },
  };
}

export type History = ReturnType<typeof createHistory>;
