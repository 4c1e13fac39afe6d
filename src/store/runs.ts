/**
 * Raw runs, the one read path for them: lists (newest first, keyset-paged) and one run with its steps.
 * The public monitor pages, the operator pages, the API and the CLI all read runs here, in these shapes.
 */
import type { AssetSummary, BrowserStepDetail, CertificateInfo, Evidence } from '../probes/types.js';
import { VITAL_BASE } from './vital-series.js';
import type { Sql } from './sql.js';

export type RunRow = {
  id: number;
  /** The monitor's key. */
  monitor: string;
  plannedAt: number;
  startedAt: number;
  durationMs: number;
  ok: boolean;
  failureCode: string | null;
  failureMessage: string | null;
  failureStep: number | null;
  persona: string | null;
  tasks: string[] | null;
  /** The event-loop delay the probes saw while this run was in flight (ms); null for runs stored before it was kept. */
  loopDelayMs: number | null;
  /** The W3C trace id the run's requests carried (null: not traced). */
  traceId: string | null;
  /** Where it was measured from (several nodes); '' on a single node. */
  location: string;
};

export type StepRow = {
  index: number;
  name: string;
  method: string;
  url: string;
  status: number | null;
  ok: boolean;
  failureCode: string | null;
  failureMessage: string | null;
  timings: { dns: number; connect: number; tls: number; ttfb: number; download: number; total: number };
  bytes: number;
  redirects: number;
  evidence: Evidence[];
  assets: AssetSummary | null;
  /** The certificate the step's https (or tls check's) connection presented; null for plain steps and runs stored before it was kept. */
  tls: CertificateInfo | null;
  /** A browser step: its action, the pages it opened (Web Vitals, requests, errors) and, on failure, the locator and last URL. */
  browser: BrowserStepDetail | null;
};

/** A file kept with a run (a browser run's screenshot), without its bytes. */
export type ArtifactInfo = { name: string; step: number; mime: string; size: number };

export type RunDetail = RunRow & { steps: StepRow[]; artifacts: ArtifactInfo[] };

/** Where a page of runs (or incidents) ends: older than `at`, or at `at` with a smaller id. */
export type PageCursor = { at: number; id?: number };

const RUN_COLS = `r.id, m.key AS monitor, r.planned_at, r.started_at, r.duration_ms, r.ok, r.failure_code, r.failure_message, r.failure_step, r.persona, r.tasks, r.loop_delay_ms, r.trace_id, r.location`;

type RawRun = {
  id: number;
  monitor: string;
  planned_at: number;
  started_at: number;
  duration_ms: number;
  ok: number;
  failure_code: string | null;
  failure_message: string | null;
  failure_step: number | null;
  persona: string | null;
  tasks: string | null;
  loop_delay_ms: number | null;
  trace_id: string | null;
  location: string;
};

type RawStep = {
  idx: number;
  name: string;
  method: string;
  url: string;
  status: number | null;
  ok: number;
  failure_code: string | null;
  failure_message: string | null;
  dns_ms: number;
  connect_ms: number;
  tls_ms: number;
  ttfb_ms: number;
  download_ms: number;
  total_ms: number;
  bytes: number;
  redirects: number;
  evidence: string;
  assets: string | null;
  tls: string | null;
  browser?: string | null;
};

function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

const toRun = (r: RawRun): RunRow => ({
  id: r.id,
  monitor: r.monitor,
  plannedAt: r.planned_at,
  startedAt: r.started_at,
  durationMs: r.duration_ms,
  ok: r.ok === 1,
  failureCode: r.failure_code,
  failureMessage: r.failure_message,
  failureStep: r.failure_step,
  persona: r.persona,
  tasks: parseJson<string[] | null>(r.tasks, null),
  loopDelayMs: r.loop_delay_ms,
  traceId: r.trace_id,
  location: r.location,
});

const toStep = (s: RawStep): StepRow => ({
  index: s.idx,
  name: s.name,
  method: s.method,
  url: s.url,
  status: s.status,
  ok: s.ok === 1,
  failureCode: s.failure_code,
  failureMessage: s.failure_message,
  timings: { dns: s.dns_ms, connect: s.connect_ms, tls: s.tls_ms, ttfb: s.ttfb_ms, download: s.download_ms, total: s.total_ms },
  bytes: s.bytes,
  redirects: s.redirects,
  evidence: (() => {
    const v = parseJson<unknown>(s.evidence, []);
    return Array.isArray(v) ? (v as Evidence[]) : [];
  })(),
  assets: parseJson<AssetSummary | null>(s.assets, null),
  tls: parseJson<CertificateInfo | null>(s.tls, null),
  browser: parseJson<BrowserStepDetail | null>(s.browser ?? null, null),
});

export type RunReader = {
  /**
   * Runs newest first, optionally of one monitor; paging back, only those after `before` in that
   * order (older than `before.at`, or at that very millisecond with a smaller id: runs share
   * milliseconds). `before.id` omitted: everything older than `before.at`.
   */
  list(opts?: { monitor?: string; before?: PageCursor; limit?: number }): Promise<RunRow[]>;
  /** One run with its steps; with `monitor`, only if it belongs to that monitor. */
  get(id: number, opts?: { monitor?: string }): Promise<RunDetail | undefined>;
  /** A file kept with a run (a screenshot), with its bytes; with `monitor`, only if the run belongs to it. */
  artifact(runId: number, name: string, opts?: { monitor?: string }): Promise<(ArtifactInfo & { data: Buffer }) | undefined>;
};

export function createRuns(sql: Sql): RunReader {
  // One monitor's runs straight from its (monitor_id, started_at) index.
  const OF_MONITOR = `SELECT ${RUN_COLS} FROM monitors m JOIN runs r ON r.monitor_id = m.id
     WHERE m.key = ? AND r.started_at <= ? AND (r.started_at < ? OR r.id < ?)
     ORDER BY r.started_at DESC, r.id DESC LIMIT ?`;
  const ALL = `SELECT ${RUN_COLS} FROM runs r JOIN monitors m ON m.id = r.monitor_id
     WHERE r.started_at <= ? AND (r.started_at < ? OR r.id < ?)
     ORDER BY r.started_at DESC, r.id DESC LIMIT ?`;
  const ONE = `SELECT ${RUN_COLS} FROM runs r JOIN monitors m ON m.id = r.monitor_id WHERE r.id = ?`;
  // Rows from VITAL_BASE on are a browser run's Web Vitals kept as series (vital-series.ts), not steps.
  const STEPS = `SELECT * FROM step_results WHERE run_id = ? AND idx < ${VITAL_BASE} ORDER BY idx`;
  const ARTIFACTS = 'SELECT name, step, mime, size FROM run_artifacts WHERE run_id = ? ORDER BY step, name';
  const ARTIFACT = `SELECT a.name, a.step, a.mime, a.size, a.data, m.key AS monitor FROM run_artifacts a JOIN monitors m ON m.id = a.monitor_id WHERE a.run_id = ? AND a.name = ?`;
  const FAR = 9e15;
  return {
    async list(opts = {}) {
      const limit = Math.min(1000, Math.max(1, Math.floor(opts.limit ?? 50)));
      const at = opts.before?.at ?? FAR;
      // Without an id, everything at `at` itself is excluded too (the strict "older than").
      const id = opts.before ? (opts.before.id ?? -Infinity) : FAR;
      const idArg = Number.isFinite(id) ? id : -1;
      const rows =
        opts.monitor !== undefined
          ? await sql.all<RawRun>(OF_MONITOR, [opts.monitor, at, at, idArg, limit])
          : await sql.all<RawRun>(ALL, [at, at, idArg, limit]);
      return rows.map(toRun);
    },
    async get(id, opts = {}) {
      const r = await sql.get<RawRun>(ONE, [id]);
      if (!r || (opts.monitor !== undefined && r.monitor !== opts.monitor)) return undefined;
      return { ...toRun(r), steps: (await sql.all<RawStep>(STEPS, [id])).map(toStep), artifacts: await sql.all<ArtifactInfo>(ARTIFACTS, [id]) };
    },
    async artifact(runId, name, opts = {}) {
      const a = await sql.get<ArtifactInfo & { data: Buffer; monitor: string }>(ARTIFACT, [runId, name]);
      if (!a || (opts.monitor !== undefined && a.monitor !== opts.monitor)) return undefined;
      return { name: a.name, step: a.step, mime: a.mime, size: a.size, data: a.data };
    },
  };
}
