/**
 * Web Vitals as series. Each vital a browser run measured on a page is kept as a row of step_results
 * named `vital:LCP` (`vital:FCP`, `vital:TTFB`, `vital:CLS`, `vital:INP`, `vital:TBT`), its value in
 * total_ms (CLS: the unitless score), at a position from VITAL_BASE on. So the step keys, the per-step
 * rollups (mergeable sketches), the raw windows of alert rules, the step selector of the charts and
 * degraded rules with `step: vital:LCP` (or the shorthand `lcp p75 > 2.5s over 15m`) read them exactly
 * as they read a step; the run reader leaves them out of a run's steps.
 */
import type { RunResult, StepResult } from '../probes/types.js';

/** Rows at this position and after are vital samples, not steps. */
export const VITAL_BASE = 1000;
/** The vitals, in the order they are kept (and listed). */
const VITALS = ['ttfb', 'fcp', 'lcp', 'cls', 'inp', 'tbt'] as const;
/** Pages per run whose vitals are kept (a run that navigates more keeps the first ones). */
const MAX_PAGES = 100;

export const vitalSeriesName = (vital: string) => `vital:${vital.toUpperCase()}`;
export const isVitalSeries = (name: string) => name.startsWith('vital:');

/** The run's vitals as series samples: one per page and vital measured, in page order. */
export function vitalSamples(run: RunResult): StepResult[] {
  const out: StepResult[] = [];
  let page = 0;
  for (const s of run.steps) {
    for (const p of s.browser?.pages ?? []) {
      if (page >= MAX_PAGES) return out;
      VITALS.forEach((v, i) => {
        const value = p.vitals[v];
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return;
        out.push({
          index: VITAL_BASE + page * VITALS.length + i,
          name: vitalSeriesName(v),
          method: 'VITAL',
          url: p.url,
          startedAt: s.startedAt,
          ok: true,
          timings: { dns: 0, connect: 0, tls: 0, ttfb: 0, download: 0, total: value },
          bytes: 0,
          redirects: 0,
          headers: {},
          evidence: [],
        });
      });
      page++;
    }
  }
  return out;
}

/** The run with its vital samples after its steps: what the writer stores and rolls up. */
export function withVitalSeries(run: RunResult): RunResult {
  if (!run.steps.some((s) => s.browser?.pages.length)) return run;
  return { ...run, steps: [...run.steps, ...vitalSamples(run)] };
}
