import type { Sql } from './sql.js';
import { LEVELS } from './rollups.js';
import { dayOf } from './writer.js';

/** How long each kind of data is kept, in milliseconds. */
export type RetentionPolicy = { runs: number; minute: number; hourly: number; daily: number; /** Browser runs' screenshots (default: as long as runs; they go with their runs anyway). */ screenshots?: number };

export const DEFAULT_RETENTION: RetentionPolicy = { runs: 7 * 86_400_000, minute: 2 * 86_400_000, hourly: 90 * 86_400_000, daily: 730 * 86_400_000 };

export type RetentionCounts = { runs: number; minute: number; hourly: number; daily: number; dailyUptime: number; stepNames: number; screenshots: number };

export type RetentionOptions = {
  /** Most rows one transaction deletes (step results of deleted runs come on top). Default 1000. */
  batchSize?: number;
  /** Called between batches; the default yields to the event loop so the scheduler and writer keep going. */
  pause?: () => Promise<void>;
};

const CHECKS_PER_PAUSE = 64;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

type Target = {
  name: keyof RetentionCounts;
  keep: (p: RetentionPolicy) => number;
  nth: string;
  del: string;
};

/**
 * Deletes data older than the policy, per monitor and in batches of at most `batchSize` rows, each in
 * its own short transaction, yielding between batches. Each batch finds the timestamp of the n-th
 * oldest expired row through the (monitor, time) index and deletes up to it, so no batch scans a table.
 */
export function createRetention(sql: Sql, policy: RetentionPolicy, opts: RetentionOptions = {}) {
  const batchSize = Math.max(1, opts.batchSize ?? 1000);
  const pause = opts.pause ?? yieldToLoop;
  const tsTarget = (name: keyof RetentionCounts, table: string, col: string, keep: (p: RetentionPolicy) => number): Target => ({
    name,
    keep,
    nth: `SELECT ${col} FROM ${table} WHERE monitor_id = ? AND ${col} < ? ORDER BY ${col} LIMIT 1 OFFSET ?`,
    del: `DELETE FROM ${table} WHERE monitor_id = ? AND ${col} < ? AND ${col} <= ?`,
  });
  const targets: Target[] = [
    // Screenshots may be kept shorter than their runs; first, so a run's deletion rarely has any left to cascade to.
    tsTarget('screenshots', 'run_artifacts', 'created_at', (p) => Math.min(p.screenshots ?? p.runs, p.runs)),
    // step_results (and any screenshots left) go with their runs (ON DELETE CASCADE).
    tsTarget('runs', 'runs', 'started_at', (p) => p.runs),
    tsTarget('minute', LEVELS.minute.table, 'ts', (p) => p.minute),
    tsTarget('hourly', LEVELS.hour.table, 'ts', (p) => p.hourly),
    tsTarget('daily', LEVELS.day.table, 'ts', (p) => p.daily),
  ];
  // The status page's daily bars: kept as long as the daily rollups.
  const DEL_DAYS = 'DELETE FROM daily_uptime WHERE monitor_id = ? AND day < ?';
  // A step name's key goes once no rollup level can still hold a bucket of it (a step not run for longer
  // than every level is kept, and a day more); should the name come back it starts a new history.
  const DEL_STEP_KEYS = 'DELETE FROM step_keys WHERE monitor_id = ? AND last_seen < ?';

  /** Deletes one batch; returns the rows deleted (0 when nothing older than `cutoff` is left). */
  const deleteBatch = (t: Target, monitorId: number, cutoff: number): Promise<number> =>
    sql.tx(async (tx) => {
      const [nth] = await tx.pluck<number>(t.nth, [monitorId, cutoff, batchSize - 1]);
      return (await tx.run(t.del, [monitorId, cutoff, nth ?? cutoff])).changes;
    });

  return {
    /** One full pass over every monitor and table. Resolves with the rows deleted per kind. */
    async run(now = Date.now(), signal?: AbortSignal): Promise<RetentionCounts> {
      const counts: RetentionCounts = { runs: 0, minute: 0, hourly: 0, daily: 0, dailyUptime: 0, stepNames: 0, screenshots: 0 };
      const ids = await sql.pluck<number>('SELECT id FROM monitors ORDER BY id');
      // Pause after every batch that deleted rows, and after every CHECKS_PER_PAUSE empty checks.
      let checks = 0;
      for (const t of targets) {
        const cutoff = now - t.keep(policy);
        for (const id of ids) {
          // Bounded: each batch deletes at least one row or ends the loop.
          for (;;) {
            if (signal?.aborted) return counts;
            const n = await deleteBatch(t, id, cutoff);
            counts[t.name] += n;
            if (n > 0 || ++checks >= CHECKS_PER_PAUSE) {
              checks = 0;
              await pause();
            }
            if (n === 0) break;
          }
        }
      }
      const firstDay = dayOf(now - policy.daily);
      for (const id of ids) counts.dailyUptime += (await sql.run(DEL_DAYS, [id, firstDay])).changes;
      // After the rollups' pass (an aborted pass returned above), so no row of a deleted key is left.
      const stepCutoff = now - Math.max(policy.minute, policy.hourly, policy.daily) - 86_400_000;
      for (const id of ids) counts.stepNames += (await sql.run(DEL_STEP_KEYS, [id, stepCutoff])).changes;
      return counts;
    },
  };
}

export type Retention = ReturnType<typeof createRetention>;

export type RetentionJob = { runNow(): Promise<RetentionCounts | undefined>; stop(): Promise<void> };

/** Runs retention every `everyMs` (and once `firstAfterMs` after start); one pass at a time. */
export function startRetentionJob(
  retention: Retention,
  opts: { everyMs: number; firstAfterMs?: number; onDone?: (c: RetentionCounts) => void; onError?: (err: unknown) => void },
): RetentionJob {
  const abort = new AbortController();
  let current: Promise<RetentionCounts | undefined> | undefined;
  const runNow = () => {
    current ??= retention
      .run(Date.now(), abort.signal)
      .then(
        (c) => {
          opts.onDone?.(c);
          return c;
        },
        (err) => {
          opts.onError?.(err);
          return undefined;
        },
      )
      .finally(() => {
        current = undefined;
      });
    return current;
  };
  const first = setTimeout(runNow, opts.firstAfterMs ?? 30_000);
  const timer = setInterval(runNow, opts.everyMs);
  first.unref();
  timer.unref();
  return {
    runNow,
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      abort.abort();
      await current;
    },
  };
}
