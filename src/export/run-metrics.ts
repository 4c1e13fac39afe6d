/**
 * What each finished run adds to `/metrics`: latency histograms per monitor, per step and per timing
 * phase (exemplars carry the run's trace id), run and failure counters, the last run's verdict.
 * Labels are bounded by the config: monitor key, step name, phase, outcome, failure code; never a URL
 * or a query string (docs/observability.md lists the cardinality).
 */
import client from 'prom-client';
import type { RunResult } from '../probes/types.js';

/**
 * Histogram buckets (seconds) for web latency: 50 ms apart from 100 to 200 ms and at most 1.5× apart
 * up to a second, where page and API latencies live and where p95 regressions show first; coarser
 * up to 10 s (the default step timeout). 14 buckets: each series is 17 samples, and a scrape of
 * 1,000 monitors × 5 steps stays near 170,000 samples.
 */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10];

/** Buckets for the timing phases: DNS, connect and TLS are usually a few ms; TTFB and download can take seconds. */
export const PHASE_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

const PHASES = ['dns', 'connect', 'tls', 'ttfb', 'download'] as const;

export type RunMetrics = {
  record(run: RunResult): void;
  /** Last run per monitor: 1 passed, 0 failed (for the OTLP gauge too). */
  up(): Iterable<[string, number]>;
};

export function createRunMetrics(registry: client.Registry<client.OpenMetricsContentType>): RunMetrics {
  const registers = [registry];
  const check = new client.Histogram({
    name: 'halftime_check_duration_seconds',
    help: 'Duration of successful runs (think time excluded), by monitor; exemplars carry the trace id',
    labelNames: ['monitor'],
    buckets: LATENCY_BUCKETS,
    enableExemplars: true,
    registers,
  });
  const step = new client.Histogram({
    name: 'halftime_step_duration_seconds',
    help: 'Duration of successful steps (redirects included, page assets apart), by monitor and step name',
    labelNames: ['monitor', 'step'],
    buckets: LATENCY_BUCKETS,
    enableExemplars: true,
    registers,
  });
  const phase = new client.Histogram({
    name: 'halftime_phase_duration_seconds',
    help: 'Timing phases of successful steps (dns, connect, tls, ttfb, download; 0 when a phase did not happen), by monitor',
    labelNames: ['monitor', 'phase'],
    buckets: PHASE_BUCKETS,
    registers,
  });
  const runs = new client.Counter({ name: 'halftime_check_runs_total', help: 'Finished runs by monitor and outcome (ok, failed)', labelNames: ['monitor', 'outcome'], registers });
  const failures = new client.Counter({ name: 'halftime_check_failures_total', help: 'Failed runs by monitor and failure code (timeout, status, assertion, …)', labelNames: ['monitor', 'code'], registers });
  const upGauge = new client.Gauge({ name: 'halftime_check_up', help: '1 when the monitor\'s last run passed, 0 when it failed', labelNames: ['monitor'], registers });
  const lastRun = new client.Gauge({ name: 'halftime_check_last_run_timestamp_seconds', help: 'When the monitor\'s last finished run started (Unix seconds)', labelNames: ['monitor'], registers });
  const last = new Map<string, number>();
  const NO_EXEMPLAR = {};

  return {
    record(r) {
      const monitor = r.monitorId;
      const exemplarLabels = r.traceId ? { trace_id: r.traceId } : NO_EXEMPLAR;
      runs.inc({ monitor, outcome: r.ok ? 'ok' : 'failed' });
      if (r.ok) check.observe({ labels: { monitor }, value: r.durationMs / 1000, exemplarLabels });
      else failures.inc({ monitor, code: r.failure?.code ?? 'unknown' });
      for (const s of r.steps) {
        if (!s.ok) continue;
        step.observe({ labels: { monitor, step: s.name }, value: s.timings.total / 1000, exemplarLabels });
        for (const p of PHASES) phase.observe({ monitor, phase: p }, s.timings[p] / 1000);
      }
      const v = r.ok ? 1 : 0;
      if (last.get(monitor) !== v) {
        last.set(monitor, v);
        upGauge.set({ monitor }, v);
      }
      lastRun.set({ monitor }, r.startedAt / 1000);
    },
    up: () => last.entries(),
  };
}
