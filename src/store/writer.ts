import type { RunResult } from '../probes/types.js';
import type { Sql } from './sql.js';
import { createRollupWriter } from './rollups.js';
import { createStepKeys } from './step-keys.js';
import { insertRows, rowChunks } from './batch.js';
import { withVitalSeries } from './vital-series.js';

export type WriterOptions = {
  /** Flush when this many runs are queued (default 200). */
  batchSize?: number;
  /** Flush at least this often (default 500 ms). */
  flushMs?: number;
  /** A batch could not be written (it stays queued and is tried again); `state` says since when writes fail. */
  onError?: (err: unknown, state?: WriterHealth) => void;
  /** Writes work again after failing: everything queued meanwhile is written. */
  onRecovered?: (state: { failedSince: number; failures: number }) => void;
  /** Most runs kept in memory while writes fail (default 100,000); beyond it the oldest are dropped, counted. */
  maxQueue?: number;
  now?: () => number;
  /** Called after each batch is committed (e.g. to push live updates); errors it throws are reported to onError. */
  onWritten?: (runs: RunResult[]) => void;
  /** Monitor ids with a single step: no per-step rollups for them. */
  singleStep?: ReadonlySet<number>;
};

export type WriterHealth = {
  /** When the current streak of failed writes began (null: the last write worked). */
  failingSince: number | null;
  /** Failed flushes in a row. */
  failures: number;
  lastError: string | null;
  /** Runs dropped because the queue was full while writes failed (since start). */
  dropped: number;
  /** Runs not stored because their monitor, location and planned slot were stored already (since start). */
  duplicates: number;
  pending: number;
};

/** A run cut off by shutdown: stored and shown, but no part of uptime, latency or alert rules. */
export const isAborted = (r: Pick<RunResult, 'ok' | 'failure'>) => !r.ok && r.failure?.code === 'aborted';

export type Writer = {
  write(run: RunResult): void;
  /** Writes everything queued now, in one transaction; resolves with how many runs it wrote. */
  flush(): Promise<number>;
  /** Stops the timer and writes what is queued. */
  close(): Promise<void>;
  readonly pending: number;
  readonly written: number;
  health(): WriterHealth;
};

/** What is kept of a step's assets: the summary and the ten slowest. */
const assetRecord = (a: NonNullable<RunResult['steps'][number]['assets']>) => ({ ...a, items: [...a.items].sort((x, y) => y.ms - x.ms).slice(0, 10) });

/** What is kept of a browser step: its detail, at most 20 pages (each page's lists are capped by the probe). */
const browserRecord = (b: NonNullable<RunResult['steps'][number]['browser']>) => (b.pages.length > 20 ? { ...b, pages: b.pages.slice(0, 20) } : b);

/** No stored file is larger than this, whatever a probe sends. */
const MAX_ARTIFACT_BYTES = 20 * 1024 * 1024;

export const dayOf = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 10);

/**
 * The only way results reach the database: queued in memory, written one transaction per batch.
 * Runs of monitors it does not know (removed from config meanwhile) are dropped with a count.
 */
export function createWriter(sql: Sql, monitorIds: Map<string, number>, opts: WriterOptions = {}): Writer {
  const batchSize = opts.batchSize ?? 200;
  const maxQueue = opts.maxQueue ?? 100_000;
  const now = opts.now ?? Date.now;
  const queue: RunResult[] = [];
  let written = 0;
  let failingSince: number | null = null;
  let failures = 0;
  let lastError: string | null = null;
  let dropped = 0;
  let duplicates = 0;
  const health = (): WriterHealth => ({ failingSince, failures, lastError, dropped, duplicates, pending: queue.length });
  // One run per monitor, location and planned slot: a slot measured twice (a node that lost its lease
  // while the database was away) is stored once. Every statement takes many rows (see batch.ts).
  const RUN_COLS = 'monitor_id, planned_at, started_at, duration_ms, ok, failure_code, failure_message, failure_step, persona, tasks, loop_delay_ms, trace_id, location';
  const STEP_COLS = 'run_id, idx, name, method, url, status, ok, failure_code, failure_message, dns_ms, connect_ms, tls_ms, ttfb_ms, download_ms, total_ms, bytes, redirects, evidence, assets, tls, browser';
  const BUMP_DAYS = 'ON CONFLICT (monitor_id, day) DO UPDATE SET runs = daily_uptime.runs + excluded.runs, failures = daily_uptime.failures + excluded.failures';
  // Each monitor's newest run, for status pages that must not scan the runs table per visit. VALUES
  // columns are column1… on both engines; the casts give PostgreSQL their types.
  const lastRow = '(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS INTEGER), CAST(? AS DOUBLE PRECISION), CAST(? AS TEXT))';
  const setLast = (n: number) => `UPDATE monitors SET last_run_at = v.column2, last_ok = v.column3, last_duration_ms = v.column4, last_failure = v.column5
     FROM (VALUES ${Array.from({ length: n }, () => lastRow).join(', ')}) AS v
     WHERE monitors.id = v.column1 AND (monitors.last_run_at IS NULL OR monitors.last_run_at <= v.column2)`;
  const INSERT_ARTIFACT = `INSERT INTO run_artifacts (run_id, name, monitor_id, created_at, step, mime, size, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
  const rollups = createRollupWriter(opts.singleStep);
  const stepKeys = createStepKeys(sql);
  const slotOf = (monitorId: number, location: string, plannedAt: number) => `${monitorId}\u0000${location}\u0000${plannedAt}`;

  const writeBatch = (runs: RunResult[]) =>
    sql.tx(async (tx) => {
      // Known monitors, one run per slot.
      const slots = new Map<string, { monitorId: number; run: RunResult }>();
      for (const given of runs) {
        const monitorId = monitorIds.get(given.monitorId);
        if (monitorId === undefined) continue;
        // A browser run's Web Vitals go in as series beside its steps (see vital-series.ts).
        const r = withVitalSeries(given);
        const slot = slotOf(monitorId, r.location ?? '', r.plannedAt);
        if (slots.has(slot)) duplicates++;
        else slots.set(slot, { monitorId, run: r });
      }
      if (slots.size === 0) return;
      // Slots stored before. PostgreSQL's unique index turns them away at the insert (ON CONFLICT below);
      // SQLite's index is not unique (databases from before it may hold duplicates), so ask it: one index
      // probe per slot, joined against the batch's own slots.
      if (tx.dialect === 'sqlite') {
        for (const chunk of rowChunks([...slots.values()])) {
          const text = `SELECT r.monitor_id, r.location, r.planned_at FROM runs r JOIN (VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}) AS v
             ON r.monitor_id = v.column1 AND r.location = v.column2 AND r.planned_at = v.column3`;
          const params = chunk.flatMap(({ monitorId, run }) => [monitorId, run.location ?? '', run.plannedAt]);
          for (const [m, loc, planned] of await tx.raw<[number, string, number]>(text, params)) if (slots.delete(slotOf(m, loc, planned))) duplicates++;
        }
      }
      const toStore = [...slots.values()];
      // Another node may store a slot meanwhile (PostgreSQL's unique index): that row is not returned.
      const ids = new Map(
        (
          await insertRows<[number, number, string, number]>(
            tx,
            `runs (${RUN_COLS})`,
            13,
            toStore.map(({ monitorId, run: r }) => [monitorId, r.plannedAt, r.startedAt, r.durationMs, r.ok ? 1 : 0, r.failure?.code ?? null, r.failure?.message ?? null, r.failure?.step ?? null,
              r.persona ?? null, r.tasks ? JSON.stringify(r.tasks) : null, r.loopDelayMs ?? null, r.traceId ?? null, r.location ?? '']),
            'ON CONFLICT DO NOTHING RETURNING id, monitor_id, location, planned_at',
          )
        ).map(([id, m, loc, planned]) => [slotOf(m, loc, planned), id]),
      );
      const stored = toStore.filter(({ monitorId, run }) => ids.has(slotOf(monitorId, run.location ?? '', run.plannedAt)));
      duplicates += toStore.length - stored.length;

      const steps: unknown[][] = [];
      for (const { monitorId, run: r } of stored) {
        const runId = ids.get(slotOf(monitorId, r.location ?? '', r.plannedAt));
        for (const s of r.steps) {
          const t = s.timings;
          steps.push([runId, s.index, s.name, s.method, s.url, s.status ?? null, s.ok ? 1 : 0, s.failure?.code ?? null, s.failure?.message ?? null,
            t.dns, t.connect, t.tls, t.ttfb, t.download, t.total, s.bytes, s.redirects, JSON.stringify(s.evidence), s.assets ? JSON.stringify(assetRecord(s.assets)) : null,
            s.tls ? JSON.stringify(s.tls) : null, s.browser ? JSON.stringify(browserRecord(s.browser)) : null]);
        }
        for (const a of r.artifacts ?? []) {
          if (a.data.byteLength > MAX_ARTIFACT_BYTES) continue; // the probe caps screenshots far below this
          await tx.run(INSERT_ARTIFACT, [runId, a.name, monitorId, r.startedAt, a.step, a.mime, a.data.byteLength, Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)]);
        }
      }
      await insertRows(tx, `step_results (${STEP_COLS})`, 21, steps);

      // Aborted runs are stored and shown, but are no part of uptime, the monitor's state or rollups.
      const known = stored.filter(({ run }) => !isAborted(run));
      const days = new Map<string, [number, string, number, number]>();
      const newest = new Map<number, RunResult>();
      for (const { monitorId, run } of known) {
        const day = dayOf(run.startedAt);
        const d = days.get(`${monitorId}:${day}`) ?? days.set(`${monitorId}:${day}`, [monitorId, day, 0, 0]).get(`${monitorId}:${day}`)!;
        d[2]++;
        if (!run.ok) d[3]++;
        if ((newest.get(monitorId)?.startedAt ?? -Infinity) <= run.startedAt) newest.set(monitorId, run);
      }
      await insertRows(tx, 'daily_uptime (monitor_id, day, runs, failures)', 4, [...days.values()], BUMP_DAYS);
      for (const chunk of rowChunks([...newest])) {
        await tx.run(setLast(chunk.length), chunk.flatMap(([monitorId, r]) => [monitorId, r.startedAt, r.ok ? 1 : 0, r.durationMs, r.ok ? null : (r.failure?.message ?? null)]));
      }
      // Same transaction: the rollups never disagree with the raw runs, and step keys commit with the rollups using them.
      await rollups.apply(tx, known, await stepKeys.assign(tx, known));
    });

  let flushing: Promise<number> | undefined;
  /** One flush at a time; a flush asked for meanwhile runs after it (runs queued since are in it). */
  const flush = (): Promise<number> => {
    const run = async (): Promise<number> => {
      if (queue.length === 0) return 0;
      const batch = queue.splice(0, queue.length);
      try {
        await writeBatch(batch);
      } catch (err) {
        // Keep the runs: put them back so the next flush tries again (within the cap, newest kept).
        queue.unshift(...batch);
        if (queue.length > maxQueue) dropped += queue.splice(0, queue.length - maxQueue).length;
        failingSince ??= now();
        failures++;
        lastError = err instanceof Error ? err.message : String(err);
        opts.onError?.(err, health());
        return 0;
      }
      written += batch.length;
      if (failingSince !== null) {
        const was = { failedSince: failingSince, failures };
        failingSince = null;
        failures = 0;
        lastError = null;
        opts.onRecovered?.(was);
      }
      try {
        opts.onWritten?.(batch);
      } catch (err) {
        opts.onError?.(err);
      }
      return batch.length;
    };
    const next: Promise<number> = (flushing ?? Promise.resolve(0)).then(run, run);
    flushing = next;
    void next.finally(() => {
      if (flushing === next) flushing = undefined;
    });
    return next;
  };
  const timer = setInterval(() => void flush(), opts.flushMs ?? 500);
  timer.unref();

  return {
    write(run) {
      queue.push(run);
      if (queue.length > maxQueue) dropped += queue.splice(0, queue.length - maxQueue).length;
      // While writes fail, only the timer tries again (not every new run).
      if (queue.length >= batchSize && failingSince === null && !flushing) void flush();
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
    get pending() {
      return queue.length;
    },
    get written() {
      return written;
    },
    health,
  };
}
