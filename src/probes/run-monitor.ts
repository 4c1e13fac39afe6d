import type { MonitorConfig } from '../config/schema.js';
import { createJourneyRunner } from './journey.js';
import type { RunResult } from './types.js';

export type RunOptions = {
  /** Epoch ms the run was planned for (default: now). */
  plannedAt?: number;
  /** Step timeout when a step gives none. */
  defaultTimeoutMs?: number;
  signal?: AbortSignal;
  redact?: (text: string) => string;
  noThink?: boolean;
  seed?: number;
};

/**
 * Runs a monitor's journey once, as one new visitor: fresh connections and cookies. Scheduled runs
 * use createJourneyRunner instead, which keeps data-pool positions (and kept sessions) between runs.
 */
export function runMonitor(monitor: MonitorConfig, opts: RunOptions = {}): Promise<RunResult> {
  return createJourneyRunner(monitor, { defaultTimeoutMs: opts.defaultTimeoutMs, redact: opts.redact }).run({
    plannedAt: opts.plannedAt,
    signal: opts.signal,
    noThink: opts.noThink,
    seed: opts.seed,
  });
}
