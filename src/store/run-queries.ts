import type { Evidence } from '../probes/types.js';
import type { Db } from './db.js';

export type RunRow = {
  id: number;
  startedAt: number;
  durationMs: number;
  ok: boolean;
  failureCode: string | null;
  failureMessage: string | null;
  failureStep: number | null;
  /** The W3C trace id the run's requests carried (null: not traced). */
  traceId: string | null;
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
};

type RawRun = { id: number; started_at: number; duration_ms: number; ok: number; failure_code: string | null; failure_message: string | null; failure_step: number | null; trace_id: string | null };
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
};

const toRun = (r: RawRun): RunRow => ({
  id: r.id,
  startedAt: r.started_at,
  durationMs: r.duration_ms,
  ok: r.ok === 1,
  failureCode: r.failure_code,
  failureMessage: r.failure_message,
  failureStep: r.failure_step,
  traceId: r.trace_id,
});

function parseEvidence(json: string): Evidence[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? (v as Evidence[]) : [];
  } catch {
    return [];
  }
}

/** Raw runs of one monitor for the monitor page: a list and one run's steps (the step selector's list is History.steps). */
export function createRunQueries(db: Db) {
  const list = db.prepare<[number, number], RawRun>(
    `SELECT id, started_at, duration_ms, ok, failure_code, failure_message, failure_step, trace_id FROM runs WHERE monitor_id = ? ORDER BY started_at DESC LIMIT ?`,
  );
  const one = db.prepare<[number, number], RawRun>(
    `SELECT id, started_at, duration_ms, ok, failure_code, failure_message, failure_step, trace_id FROM runs WHERE id = ? AND monitor_id = ?`,
  );
  const steps = db.prepare<[number], RawStep>(`SELECT * FROM step_results WHERE run_id = ? ORDER BY idx`);
  return {
    recent(monitorId: number, limit = 20): RunRow[] {
      return list.all(monitorId, Math.max(1, Math.min(500, limit))).map(toRun);
    },
    /** One run and its steps, only if it belongs to the monitor. */
    detail(monitorId: number, runId: number): (RunRow & { steps: StepRow[] }) | undefined {
      const r = one.get(runId, monitorId);
      if (!r) return undefined;
      return {
        ...toRun(r),
        steps: steps.all(r.id).map((s) => ({
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
          evidence: parseEvidence(s.evidence),
        })),
      };
    },
  };
}

export type RunQueries = ReturnType<typeof createRunQueries>;
