/** The burst engine's small injected interface and its plain, serializable results. */
import type { Session } from '../probes/session.js';
import type { Knee } from './knee.js';
import type { LoadPlan } from './shapes.js';
import type { StepStats } from './sketch-series.js';
import type { ThresholdResult } from './thresholds.js';

/** One simulated user: its own connections and cookies, kept for the whole burst. */
export type Vu = { id: number; session: Session };

export type StepTiming = {
  name: string;
  ms: number;
  ok: boolean;
  /** Short failure reason when not ok. */
  error?: string;
  /** In flight when the burst's hard stop came and ended by it: not a measurement, counted apart. */
  cutOff?: boolean;
};
export type IterationResult = {
  ok: boolean;
  steps: StepTiming[];
  /** The hard stop at the end of the burst came while this iteration ran: counted apart, not as done or failed. */
  cutOff?: boolean;
};

/**
 * One pass of the journey for one simulated user. `intendedStart` is the performance.now() time the
 * iteration was meant to start: the first request's latency counts from it (coordinated omission).
 * Must settle soon after `signal` aborts and never throw (a failing target is data).
 */
export type Iteration = (vu: Vu, signal: AbortSignal, intendedStart: number) => Promise<IterationResult>;

/**
 * What a simulated user runs once when it starts (`setup`, before its first iteration: log in once)
 * and once when it stops (`teardown`, within the graceful stop: log out), on its own session.
 */
export type UserSteps = { setup?: Iteration; teardown?: Iteration };

/** One background poll request of a simulated user (a tab left open), counted apart from the journey. */
export type Poll = (vu: Vu, signal: AbortSignal, intendedStart: number) => Promise<StepTiming>;

/** Pause between iterations: constant when min = max, else uniform in [min, max] (ms). */
export type ThinkTime = { min: number; max: number };

export type StopReason = 'completed' | 'errors' | 'stopped';

/** What a finished burst reports; plain data, safe to post between threads and to store. */
export type BurstSummary = {
  plan: LoadPlan;
  /** Epoch ms. */
  startedAt: number;
  durationMs: number;
  stopReason: StopReason;
  /** Why it stopped early, in words. */
  stopMessage?: string;
  requests: number;
  errors: number;
  polls: number;
  rps: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  avg: number | null;
  /** Iterations that ran to their end (cut-off ones are not among them). */
  iterations: number;
  failedIterations: number;
  /**
   * Cut off by the end: iterations the hard stop (after the graceful stop) ended while they ran, and
   * their requests it ended in flight. Left out of requests, errors, percentiles and thresholds.
   */
  cutOff: { iterations: number; requests: number };
  /** With setup/teardown steps: how many users ran them (once each), and how many of those runs failed. */
  userSteps?: { setup: number; setupFailed: number; teardown: number; teardownFailed: number };
  /** Open model: arrivals that found no free user within the queue limit and were never sent. */
  dropped: number;
  peakUsers: number;
  steps: StepStats[];
  /** How late the generator itself started iterations against their intended start (its own queueing). */
  generatorLag: { p50: number | null; p99: number | null; max: number | null };
  knee: Knee;
  thresholds: ThresholdResult[];
  /** Distinct failure messages with counts (bounded), for the summary. */
  failures: { message: string; count: number }[];
};
