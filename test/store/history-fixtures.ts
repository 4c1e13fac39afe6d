import { createRng } from '../../src/probes/random.js';
import type { RunResult, StepResult } from '../../src/probes/types.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** Deterministic pseudo-random numbers (the journeys' seeded generator), so failures reproduce. */
export function rng(seed: number): () => number {
  const r = createRng(seed);
  return () => r.next();
}

/** Log-normal samples: heavy right tail like real latencies. */
export function logNormal(rand: () => number, mu: number, sigma: number): number {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  return Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

export function step(index: number, startedAt: number, total: number, ok = true, phases: Partial<StepResult['timings']> = {}): StepResult {
  return {
    index,
    name: `step <${index}>`,
    method: 'GET',
    url: `http://127.0.0.1/s${index}`,
    startedAt,
    ok,
    status: ok ? 200 : 500,
    failure: ok ? undefined : { code: 'status', message: 'expected status 200, got 500' },
    timings: { dns: 1, connect: 2, tls: 3, ttfb: total / 2, download: 1, total, ...phases },
    bytes: 100,
    redirects: 0,
    headers: {},
    evidence: [{ what: 'status', expected: '200', actual: ok ? '200' : '500', pass: ok }],
  };
}

/** A run whose duration is the sum of its steps' totals; it fails at the first failing step. */
export function runOf(monitorId: string, startedAt: number, steps: StepResult[]): RunResult {
  const failAt = steps.findIndex((s) => !s.ok);
  return {
    monitorId,
    plannedAt: startedAt,
    startedAt,
    durationMs: steps.reduce((a, s) => a + s.timings.total, 0),
    ok: failAt < 0,
    failure: failAt < 0 ? undefined : { code: 'status', message: 'expected status 200, got 500', step: failAt },
    steps,
  };
}

/**
 * A persona journey's run: "browser" (home, then one to three searches; about 5 % of searches fail and
 * end the run) or, one run in three, "buyer" (home, log in, pay). Step names repeat within and across personas.
 */
export function personaRun(monitorId: string, startedAt: number, rand: () => number): RunResult {
  const steps: StepResult[] = [];
  const add = (name: string, ms: number, ok = true) => {
    steps.push({ ...step(steps.length, startedAt, ms, ok), name });
    return ok;
  };
  if (rand() < 2 / 3) {
    add('home', logNormal(rand, 3, 0.5));
    const searches = 1 + Math.floor(rand() * 3);
    for (let i = 0; i < searches; i++) if (!add('search', logNormal(rand, 4.5, 0.7), rand() >= 0.05)) break;
    return { ...runOf(monitorId, startedAt, steps), persona: 'browser', tasks: Array(searches).fill('search') };
  }
  add('home', logNormal(rand, 3, 0.5));
  add('log in', logNormal(rand, 5, 0.4));
  add('pay', logNormal(rand, 6, 0.6));
  return { ...runOf(monitorId, startedAt, steps), persona: 'buyer' };
}
