/**
 * Runs one burst in this thread: drives the users (closed model) or the arrival timetable (open
 * model), records every request into per-second sketches, aborts when the error rate passes the
 * limit, and always stops by itself: at the end of the plan, after a short grace, in-flight requests
 * are aborted.
 */
import { performance } from 'node:perf_hooks';
import { kneeOfSeries, type SeriesRowLike } from './knee.js';
import { createSession } from '../probes/session.js';
import { startOpenModel } from './open-model.js';
import { rate, users, type LoadPlan } from './shapes.js';
import { createRecorder, type SeriesPoint } from './sketch-series.js';
import { createSketch, nearestRank } from '../store/sketch.js';
import { evaluateThresholds, type Threshold } from './thresholds.js';
import type { BurstSummary, Iteration, IterationResult, Poll, StepTiming, StopReason, ThinkTime, UserSteps } from './types.js';
import { startClosedVu, type RunningVu, type SessionFactory, type VuHooks } from './vu.js';

export type BurstOptions = {
  plan: LoadPlan;
  iteration: Iteration;
  think?: ThinkTime;
  poll?: { every: number; run: Poll };
  /** Each simulated user's setup (once when it starts) and teardown (once when it stops). */
  userSteps?: UserSteps;
  thresholds?: Threshold[];
  /** Abort when more than this share of requests fails over the last `errorWindow` seconds (default 0.5). */
  abortOnErrorRate?: number;
  /** Seconds the error rate is taken over (default 5); needs at least 20 requests in the window. */
  errorWindow?: number;
  /** After the plan's end, in-flight iterations get this long before they are aborted (default 5 s). */
  gracefulStop?: number;
  /** Stops the burst early (treated like the end of the plan). */
  signal?: AbortSignal;
  onPoint?: (p: SeriesPoint) => void;
  newSession?: SessionFactory;
};

const MAX_FAILURE_KINDS = 20;

export async function runBurst(o: BurstOptions): Promise<BurstSummary> {
  const plan = o.plan;
  const recorder = createRecorder();
  const lag = createSketch();
  let lagMax = 0;
  const failures = new Map<string, number>();
  /** The per-second series as stored (its load and p95 columns), for the knee. */
  const series: SeriesRowLike[] = [];
  const window: { requests: number; errors: number }[] = [];
  const errorLimit = o.abortOnErrorRate ?? 0.5;
  const errorWindow = o.errorWindow ?? 5;
  let iterations = 0;
  let failedIterations = 0;
  const cutOff = { iterations: 0, requests: 0 };
  let peak = 0;
  let stopReason: StopReason = 'completed';
  let stopMessage: string | undefined;

  const stopCtl = new AbortController();
  const killCtl = new AbortController();
  const onOuterAbort = () => {
    if (stopReason === 'completed') (stopReason = 'stopped'), (stopMessage = 'stopped before the end of the plan');
    stopCtl.abort();
  };
  o.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (o.signal?.aborted) onOuterAbort();

  const noteFailure = (s: StepTiming) => {
    const key = `${s.name}: ${s.error ?? 'failed'}`;
    if (failures.has(key) || failures.size < MAX_FAILURE_KINDS) failures.set(key, (failures.get(key) ?? 0) + 1);
  };
  /** Requests of an iteration, a setup or a teardown: counted, or counted apart when the hard stop ended them. */
  const recordSteps = (steps: StepTiming[]) => {
    for (const s of steps) {
      if (s.cutOff) {
        cutOff.requests++;
        continue;
      }
      recorder.record(s.name, s.ms, s.ok);
      if (!s.ok) noteFailure(s);
    }
  };
  const userSteps = o.userSteps?.setup || o.userSteps?.teardown ? { setup: 0, setupFailed: 0, teardown: 0, teardownFailed: 0 } : undefined;
  const hooks: VuHooks = {
    onIteration(res: IterationResult, lateBy: number) {
      // An iteration the hard stop ended is counted apart; the requests it finished before that count.
      if (res.cutOff) cutOff.iterations++;
      else {
        iterations++;
        if (!res.ok) failedIterations++;
      }
      lag.accept(Math.max(lateBy, 0.001));
      if (lateBy > lagMax) lagMax = lateBy;
      recordSteps(res.steps);
    },
    onUserSteps(kind, res) {
      userSteps![kind]++;
      if (!res.ok && !res.cutOff) userSteps![kind === 'setup' ? 'setupFailed' : 'teardownFailed']++;
      recordSteps(res.steps);
    },
    onPoll(s) {
      if (s.cutOff) {
        cutOff.requests++;
        return;
      }
      recorder.record(s.name, s.ms, s.ok, true);
      if (!s.ok) noteFailure(s);
    },
  };
  const iteration: Iteration = async (vu, signal, intended) => {
    try {
      return await o.iteration(vu, signal, intended);
    } catch (err) {
      // Thrown by the hard stop: cut off; otherwise a failure of its own.
      if (killCtl.signal.aborted) return { ok: false, steps: [], cutOff: true };
      return { ok: false, steps: [{ name: 'iteration', ms: performance.now() - intended, ok: false, error: (err as Error).message }] };
    }
  };

  /** A user's setup or teardown, which must never throw either. */
  const safe = (f: Iteration | undefined): Iteration | undefined =>
    f &&
    (async (vu, signal, intended) => {
      try {
        return await f(vu, signal, intended);
      } catch (err) {
        if (killCtl.signal.aborted) return { ok: false, steps: [], cutOff: true };
        return { ok: false, steps: [{ name: 'user steps', ms: performance.now() - intended, ok: false, error: (err as Error).message }] };
      }
    });
  const guarded: UserSteps | undefined = userSteps ? { setup: safe(o.userSteps!.setup), teardown: safe(o.userSteps!.teardown) } : undefined;

  const startedAt = Date.now();
  const start = performance.now();
  const elapsed = () => performance.now() - start;

  // Closed model: the users, newest last; open model: the timetable.
  const vus: RunningVu[] = [];
  /** Users stopped by the shape (spike end) whose last iteration may still run. */
  const stopping: RunningVu[] = [];
  let nextId = 1;
  // A simulated user sends one request at a time (plus its background poll): one connection per
  // origin (an undici Client, no Pool), two when it polls.
  const newSession: SessionFactory = o.newSession ?? (() => createSession({ connectionsPerOrigin: o.poll ? 2 : 1 }));
  const open =
    plan.model === 'open'
      ? startOpenModel({ plan, iteration, hooks, start, stopSignal: stopCtl.signal, killSignal: killCtl.signal, newSession, userSteps: guarded })
      : undefined;
  const activeUsers = () => (open ? open.busy() : vus.length);

  const adjustUsers = () => {
    if (plan.model !== 'closed' || stopCtl.signal.aborted) return;
    const target = users(plan, elapsed());
    while (vus.length < target) {
      vus.push(startClosedVu(nextId++, { iteration, think: o.think, poll: o.poll, hooks, newSession, stagger: true, userSteps: guarded }));
    }
    while (vus.length > target) {
      const vu = vus.pop()!;
      vu.stop();
      stopping.push(vu);
      void vu.done.then(() => {
        const i = stopping.indexOf(vu);
        if (i >= 0) stopping.splice(i, 1);
      });
    }
    peak = Math.max(peak, vus.length);
  };

  let closedSeconds = 0;
  const closeSecond = () => {
    const t = closedSeconds;
    const p = recorder.closeSecond(activeUsers(), plan.model === 'open' ? rate(plan, t * 1000) : undefined);
    closedSeconds++;
    series.push({ t: p.t, users: p.users, rate: p.rate ?? null, requests: p.requests, p95: p.p95 });
    o.onPoint?.(p);
    window.push({ requests: p.requests, errors: p.errors });
    if (window.length > errorWindow) window.shift();
    const req = window.reduce((n, w) => n + w.requests, 0);
    const err = window.reduce((n, w) => n + w.errors, 0);
    if (req >= 20 && err / req > errorLimit && !stopCtl.signal.aborted) {
      stopReason = 'errors';
      stopMessage = `aborted at ${t + 1} s: ${Math.round((err / req) * 100)}% of the last ${req} requests failed (limit ${Math.round(errorLimit * 100)}%)`;
      stopCtl.abort();
    }
  };

  // The control loop: 10 ticks a second, bounded by the plan's duration (and the abort signal).
  adjustUsers();
  while (!stopCtl.signal.aborted && elapsed() < plan.duration) {
    await new Promise<void>((r) => setTimeout(r, Math.min(100, plan.duration - elapsed()) || 1));
    // Seconds that have ended are closed with the users that ran them, before the shape changes the count
    // (at the plan's end it drops to 0, and the last second still ran at full load).
    while (closedSeconds < Math.floor(elapsed() / 1000) && closedSeconds < Math.ceil(plan.duration / 1000)) closeSecond();
    adjustUsers();
    if (open) peak = Math.max(peak, open.busy());
  }
  stopCtl.abort();

  // Wind down: stop users, give in-flight iterations the grace period, then abort them.
  for (const vu of vus) vu.stop();
  const everyone = [...vus, ...stopping];
  const finished = Promise.all([...everyone.map((v) => v.done), open?.drained()]);
  const grace = setTimeout(() => {
    killCtl.abort();
    for (const vu of everyone) vu.kill();
  }, o.gracefulStop ?? 5_000);
  await finished;
  clearTimeout(grace);
  o.signal?.removeEventListener('abort', onOuterAbort);
  const durationMs = elapsed();
  // The last (partial) second, and any second the loop did not get to close.
  while (closedSeconds < Math.ceil(durationMs / 1000)) closeSecond();

  const totals = recorder.totals();
  const o95 = totals.overall;
  const rps = o95.count / Math.max(durationMs / 1000, 0.001);
  const stepMap = new Map(
    totals.steps.map((s) => [
      s.name,
      { count: s.count, errors: s.errors, max: s.max ?? 0, avg: 0, quantile: (q: number) => totals.quantile(q, s.name) ?? 0 },
    ]),
  );
  const thresholds = evaluateThresholds(o.thresholds ?? [], {
    rps,
    overall: { count: o95.count, errors: o95.errors, max: o95.max ?? 0, avg: o95.count ? o95.sum / o95.count : 0, quantile: (q) => totals.quantile(q) ?? 0 },
    steps: stepMap,
  });
  return {
    plan,
    startedAt,
    durationMs,
    stopReason,
    stopMessage,
    requests: o95.count,
    errors: o95.errors,
    polls: totals.polls,
    rps,
    p50: o95.p50,
    p95: o95.p95,
    p99: o95.p99,
    max: o95.max,
    avg: o95.count ? o95.sum / o95.count : null,
    iterations,
    failedIterations,
    cutOff,
    userSteps,
    dropped: open?.dropped() ?? 0,
    peakUsers: plan.model === 'closed' ? Math.max(peak, 0) : open!.created(),
    steps: totals.steps,
    generatorLag: { p50: nearestRank(lag, 0.5), p99: nearestRank(lag, 0.99), max: iterations ? lagMax : null },
    knee: kneeOfSeries(series, plan),
    thresholds,
    failures: [...failures.entries()].map(([message, count]) => ({ message, count })).sort((a, b) => b.count - a.count),
  };
}
