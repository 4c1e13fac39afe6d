/** Messages between the main thread (store, alerting, web) and the measuring thread (scheduler, probes). */
import type { Config } from '../config/schema.js';
import type { TraceSettings } from '../probes/trace-context.js';
import type { RunResult } from '../probes/types.js';
import type { SchedulerLag, SchedulerStats } from '../scheduler/scheduler.js';

export type MeasureInit = {
  /** The parsed config (plain data). */
  config: Config;
  /** Secret values by name, for the thread's own redactor. */
  secrets: [string, string][];
  /** Flag a run whose probe callbacks may have waited this long on a busy loop (ms). */
  stallMs: number;
  /** W3C trace context on every run's requests (tracestate from config); absent: not traced. */
  trace?: TraceSettings;
  /** This node's location (stamped on every run, sent as x-halftime-location); '' for a single node. */
  location: string;
  /** The monitors this location checks (ids); others are left to their locations. */
  monitors: string[];
};

/** Percentiles in ms over the last stats period. */
export type Spread = { p50: number; p99: number; max: number };

export type MeasureStats = SchedulerStats & {
  /** How late runs started against their plan (ms), over the last period. */
  lateness: Spread & { count: number };
  /** The measuring thread's event-loop delay (ms), over the last period. */
  loop: Spread;
  /** Runs whose probes saw the loop stalled longer than `stallMs`, since start. */
  stalledRuns: number;
  /** How far behind its schedule the thread's scheduler runs (for /healthz). */
  lag: SchedulerLag;
  at: number;
};

export type ToWorker = { type: 'start' } | { type: 'runNow'; id: string; req: number } | { type: 'stop'; graceMs: number };

export type FromWorker =
  /** Jobs built and probes warmed up (`warmUp`: what the warm-up did, for the log). */
  | { type: 'ready'; warmUp: unknown }
  /** `aborted`: the run was cut off by shutdown (stored with code `aborted`, left out of uptime and alerts). */
  | { type: 'run'; result: RunResult; aborted: boolean }
  | { type: 'ranNow'; req: number; started: boolean }
  | { type: 'stats'; stats: MeasureStats }
  | { type: 'skip'; id: string; plannedAt: number }
  | { type: 'crash'; id: string; message: string }
  | { type: 'stopped' };
