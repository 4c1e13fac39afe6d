import type { RunResult } from '../probes/types.js';
import type { Sql } from './sql.js';
import { createRollupWriter } from './rollups.js';
import { createStepKeys } from './step-keys.js';
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
  const health = (): WriterHealth => ({ failingSince, failures, lastError, dropped, pending: queue.length });
  const INSERT_RUN = `INSERT INTO runs (monitor_id, planned_at, started_at, duration_ms, ok, failure_code, failure_message, failure_step, persona, tasks, loop_delay_ms, trace_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`;
  const INSERT_STEP = `INSERT INTO step_results (run_id, idx, name, method, url, status, ok, failure_code, failure_message,
       dns_ms, connect_ms, tls_ms, ttfb_ms, download_ms, total_ms, bytes, redirects, evidence, assets, browser)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
  const INSERT_ARTIFACT = `INSERT INTO run_artifacts (run_id, name, monitor_id, created_at, step, mime, size, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
  const BUMP_DAY = `INSERT INTO daily_uptime (monitor_id, day, runs, failures) VALUES (?, ?, 1, ?)
     ON CONFLICT (monitor_id, day) DO UPDATE SET runs = daily_uptime.runs + 1, failures = daily_uptime.failures + excluded.failures`;
  // Each monitor's newest run, for status pages that must not scan the runs table per visit.
  const SET_LAST = `UPDATE monitors SET last_run_at = ?, last_ok = ?, last_duration_ms = ?, last_failure = ?
     WHERE id = ? AND (last_run_at IS NULL OR last_run_at <= ?)`;
  const rollups = createRollupWriter(opts.singleStep);
  const stepKeys = createStepKeys(sql);
  const writeBatch = (runs: RunResult[]) =>
    sql.tx(async (tx) => {
      const known: { monitorId: number; run: RunResult }[] = [];
      for (const given of runs) {
        const monitorId = monitorIds.get(given.monitorId);
        if (monitorId === undefined) continue;
        // A browser run's Web Vitals go in as series beside its steps (see vital-series.ts).
        const r = withVitalSeries(given);
        const aborted = isAborted(r);
        if (!aborted) known.push({ monitorId, run: r });
        const [runId] = await tx.pluck<number>(INSERT_RUN, [monitorId, r.plannedAt, r.startedAt, r.durationMs, r.ok ? 1 : 0, r.failure?.code ?? null, r.failure?.message ?? null, r.failure?.step ?? null,
          r.persona ?? null, r.tasks ? JSON.stringify(r.tasks) : null, r.loopDelayMs ?? null, r.traceId ?? null]);
        for (const s of r.steps) {
          const t = s.timings;
          await tx.run(INSERT_STEP, [runId, s.index, s.name, s.method, s.url, s.status ?? null, s.ok ? 1 : 0, s.failure?.code ?? null, s.failure?.message ?? null,
            t.dns, t.connect, t.tls, t.ttfb, t.download, t.total, s.bytes, s.redirects, JSON.stringify(s.evidence), s.assets ? JSON.stringify(assetRecord(s.assets)) : null,
            s.browser ? JSON.stringify(browserRecord(s.browser)) : null]);
        }
        for (const a of r.artifacts ?? []) {
          if (a.data.byteLength > MAX_ARTIFACT_BYTES) continue; // the probe caps screenshots far below this
          await tx.run(INSERT_ARTIFACT, [runId, a.name, monitorId, r.startedAt, a.step, a.mime, a.data.byteLength, Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)]);
        }
        if (!aborted) await tx.run(BUMP_DAY, [monitorId, dayOf(r.startedAt), r.ok ? 0 : 1]);
      }
      const newest = new Map<number, RunResult>();
      // Aborted runs are not in `known`: a run cut off by shutdown is not the monitor's state.
      for (const { monitorId, run } of known) if ((newest.get(monitorId)?.startedAt ?? -Infinity) <= run.startedAt) newest.set(monitorId, run);
      for (const [monitorId, r] of newest) await tx.run(SET_LAST, [r.startedAt, r.ok ? 1 : 0, r.durationMs, r.ok ? null : (r.failure?.message ?? null), monitorId, r.startedAt]);
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
