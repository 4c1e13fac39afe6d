import type { RunResult } from '../probes/types.js';
import type { Sql } from './sql.js';
import { insertRows, inLists } from './batch.js';
import { createSketch, decodeSketch, encodeSketch, type Sketch } from './sketch.js';

/** The three rollup levels: table and bucket width. Days and hours are UTC. */
export const LEVELS = {
  minute: { table: 'rollup_minute', ms: 60_000 },
  hour: { table: 'rollup_hour', ms: 3_600_000 },
  day: { table: 'rollup_day', ms: 86_400_000 },
} as const;
export type Level = keyof typeof LEVELS;

/** Step key used for the whole run (steps' own keys, from 0, stand for their names: see step-keys.ts). */
export const RUN_STEP = -1;

export const PHASES = ['dns', 'connect', 'tls', 'ttfb', 'download'] as const;
export type Phase = (typeof PHASES)[number];
export type PhaseSums = Record<Phase, number>;

/** One bucket of one monitor and one step (or the whole run), measured from one location, in memory. */
export type Bucket = {
  monitorId: number;
  step: number;
  ts: number;
  /** The location that measured ('' for a single node). */
  loc: string;
  runs: number;
  failures: number;
  /** Latency of the successful runs (or steps). */
  total: Sketch;
  ttfb: Sketch;
  /** Phase sums over the successful runs (or steps). */
  phases: PhaseSums;
};

const zeroPhases = (): PhaseSums => ({ dns: 0, connect: 0, tls: 0, ttfb: 0, download: 0 });
export const bucketStart = (t: number, ms: number) => Math.floor(t / ms) * ms;

function emptyBucket(monitorId: number, step: number, ts: number, loc: string): Bucket {
  return { monitorId, step, ts, loc, runs: 0, failures: 0, total: createSketch(), ttfb: createSketch(), phases: zeroPhases() };
}

function addSample(b: Bucket, ok: boolean, total: number, phases: PhaseSums) {
  b.runs++;
  if (!ok) {
    b.failures++;
    return;
  }
  b.total.accept(Math.max(0, total));
  b.ttfb.accept(Math.max(0, phases.ttfb));
  for (const p of PHASES) b.phases[p] += phases[p];
}

/** Merges `src` into `dst` (same bucket key). */
export function mergeBucket(dst: Bucket, src: Bucket) {
  dst.runs += src.runs;
  dst.failures += src.failures;
  dst.total.merge(src.total);
  dst.ttfb.merge(src.ttfb);
  for (const p of PHASES) dst.phases[p] += src.phases[p];
}

const bucketKey = (monitorId: number, step: number, ts: number, loc: string) => `${monitorId}:${step}:${ts}:${loc}`;

/** The rollup key of a monitor's step name (see step-keys.ts). */
export type StepKeyOf = (monitorId: number, name: string) => number;

/**
 * Aggregates a batch of runs into minute buckets: one per (monitor, minute) for the whole run and one
 * per (monitor, step key, minute), the key standing for the step's name (`keyOf`), whatever its
 * position and whichever persona walked it. For monitors in `singleStep` the step bucket would repeat
 * the run bucket, so it is not kept; readers use the run bucket for such a monitor's step.
 */
export function aggregateMinutes(runs: { monitorId: number; run: RunResult }[], keyOf: StepKeyOf, singleStep: ReadonlySet<number> = new Set()): Bucket[] {
  const buckets = new Map<string, Bucket>();
  const get = (monitorId: number, step: number, ts: number, loc: string) => {
    const k = bucketKey(monitorId, step, ts, loc);
    let b = buckets.get(k);
    if (!b) buckets.set(k, (b = emptyBucket(monitorId, step, ts, loc)));
    return b;
  };
  for (const { monitorId, run } of runs) {
    const ts = bucketStart(run.startedAt, LEVELS.minute.ms);
    const loc = run.location ?? '';
    const sums = zeroPhases();
    for (const s of run.steps) for (const p of PHASES) sums[p] += s.timings[p];
    addSample(get(monitorId, RUN_STEP, ts, loc), run.ok, run.durationMs, sums);
    if (singleStep.has(monitorId)) continue;
    for (const s of run.steps) addSample(get(monitorId, keyOf(monitorId, s.name), ts, loc), s.ok, s.timings.total, s.timings);
  }
  return [...buckets.values()];
}

/** Merges finer buckets into coarser ones (minutes → hours → days). */
export function coarsen(buckets: Bucket[], ms: number): Bucket[] {
  const out = new Map<string, Bucket>();
  for (const b of buckets) {
    const ts = bucketStart(b.ts, ms);
    const k = bucketKey(b.monitorId, b.step, ts, b.loc);
    let d = out.get(k);
    if (!d) out.set(k, (d = emptyBucket(b.monitorId, b.step, ts, b.loc)));
    mergeBucket(d, b);
  }
  return [...out.values()];
}

export type BucketRow = {
  monitor_id: number;
  ts: number;
  step: number;
  loc: string;
  runs: number;
  failures: number;
  total_sketch: Buffer;
  ttfb_sketch: Buffer;
  dns_ms: number;
  connect_ms: number;
  tls_ms: number;
  ttfb_ms: number;
  download_ms: number;
};

export function rowToBucket(r: BucketRow): Bucket {
  return {
    monitorId: r.monitor_id,
    step: r.step,
    ts: r.ts,
    loc: r.loc ?? '',
    runs: r.runs,
    failures: r.failures,
    total: decodeSketch(r.total_sketch),
    ttfb: decodeSketch(r.ttfb_sketch),
    phases: { dns: r.dns_ms, connect: r.connect_ms, tls: r.tls_ms, ttfb: r.ttfb_ms, download: r.download_ms },
  };
}

export function bucketToRow(b: Bucket): BucketRow {
  return {
    monitor_id: b.monitorId,
    ts: b.ts,
    step: b.step,
    loc: b.loc,
    runs: b.runs,
    failures: b.failures,
    total_sketch: encodeSketch(b.total),
    ttfb_sketch: encodeSketch(b.ttfb),
    dns_ms: b.phases.dns,
    connect_ms: b.phases.connect,
    tls_ms: b.phases.tls,
    ttfb_ms: b.phases.ttfb,
    download_ms: b.phases.download,
  };
}

export type RollupWriter = {
  /** Folds a batch of runs into the minute, hour and day tables, steps under `keyOf` their names. Call inside the writer's transaction, with its executor. */
  apply(tx: Sql, runs: { monitorId: number; run: RunResult }[], keyOf: StepKeyOf): Promise<void>;
  /** Read-merge-writes buckets of one level (each bucket once). */
  upsert(tx: Sql, level: Level, buckets: Bucket[]): Promise<void>;
};

const BUCKET_COLS = 'monitor_id, ts, step, loc, runs, failures, total_sketch, ttfb_sketch, dns_ms, connect_ms, tls_ms, ttfb_ms, download_ms';
const rowValues = (r: BucketRow) => [r.monitor_id, r.ts, r.step, r.loc, r.runs, r.failures, r.total_sketch, r.ttfb_sketch, r.dns_ms, r.connect_ms, r.tls_ms, r.ttfb_ms, r.download_ms];
const rowKey = (r: { monitor_id: number; ts: number; step: number; loc: string }) => bucketKey(r.monitor_id, r.step, r.ts, r.loc ?? '');
const keyOfBucket = (b: Bucket) => bucketKey(b.monitorId, b.step, b.ts, b.loc);

/** A stored bucket with `b` merged in; an unreadable stored bucket is replaced rather than allowed to fail every later batch. */
function mergedWith(stored: BucketRow | undefined, b: Bucket): Bucket {
  if (!stored) return b;
  try {
    const merged = rowToBucket(stored);
    mergeBucket(merged, b);
    return merged;
  } catch {
    return b;
  }
}

/**
 * Each bucket touched by a batch is read, merged and written once per level; hours and days are
 * merged from the batch's minutes. Reads and writes are multi-row statements (see batch.ts): a batch
 * costs a few round trips per level, not two per bucket.
 */
export function createRollupWriter(singleStep?: ReadonlySet<number>): RollupWriter {
  const SET = `runs = excluded.runs, failures = excluded.failures, total_sketch = excluded.total_sketch, ttfb_sketch = excluded.ttfb_sketch,
    dns_ms = excluded.dns_ms, connect_ms = excluded.connect_ms, tls_ms = excluded.tls_ms, ttfb_ms = excluded.ttfb_ms, download_ms = excluded.download_ms`;

  async function read(tx: Sql, table: string, buckets: Bucket[], lock: string): Promise<Map<string, BucketRow>> {
    const wanted = new Set(buckets.map(keyOfBucket));
    const found = new Map<string, BucketRow>();
    // A superset (every step and location of those monitors and bucket starts), narrowed here.
    for (const [mIn, mParams] of inLists(buckets.map((b) => b.monitorId))) {
      for (const [tIn, tParams] of inLists(buckets.map((b) => b.ts))) {
        for (const r of await tx.all<BucketRow>(`SELECT ${BUCKET_COLS} FROM ${table} WHERE monitor_id IN (${mIn}) AND ts IN (${tIn})${lock}`, [...mParams, ...tParams])) {
          const k = rowKey(r);
          if (wanted.has(k)) found.set(k, r);
        }
      }
    }
    return found;
  }

  async function upsert(tx: Sql, level: Level, buckets: Bucket[]) {
    if (buckets.length === 0) return;
    const table = LEVELS[level].table;
    // On PostgreSQL two nodes of one location (a takeover) may write the same bucket: the read locks
    // the rows that exist, and a row another node creates meanwhile is merged in a second pass.
    const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const stored = await read(tx, table, buckets, lock);
    const updates = buckets.filter((b) => stored.has(keyOfBucket(b)));
    const inserts = buckets.filter((b) => !stored.has(keyOfBucket(b)));
    await insertRows(tx, `${table} (${BUCKET_COLS})`, 13, updates.map((b) => rowValues(bucketToRow(mergedWith(stored.get(keyOfBucket(b)), b)))), `ON CONFLICT (monitor_id, ts, step, loc) DO UPDATE SET ${SET}`);
    if (inserts.length === 0) return;
    const created = new Set(
      (await insertRows<[number, number, number, string]>(tx, `${table} (${BUCKET_COLS})`, 13, inserts.map((b) => rowValues(bucketToRow(b))), 'ON CONFLICT DO NOTHING RETURNING monitor_id, ts, step, loc')).map(
        ([monitor_id, ts, step, loc]) => rowKey({ monitor_id, ts, step, loc }),
      ),
    );
    const late = inserts.filter((b) => !created.has(keyOfBucket(b)));
    if (late.length === 0) return;
    const now = await read(tx, table, late, lock);
    await insertRows(tx, `${table} (${BUCKET_COLS})`, 13, late.map((b) => rowValues(bucketToRow(mergedWith(now.get(keyOfBucket(b)), b)))), `ON CONFLICT (monitor_id, ts, step, loc) DO UPDATE SET ${SET}`);
  }

  return {
    upsert,
    async apply(tx, runs, keyOf) {
      if (runs.length === 0) return;
      const minutes = aggregateMinutes(runs, keyOf, singleStep);
      await upsert(tx, 'minute', minutes);
      const hours = coarsen(minutes, LEVELS.hour.ms);
      await upsert(tx, 'hour', hours);
      await upsert(tx, 'day', coarsen(hours, LEVELS.day.ms));
    },
  };
}
